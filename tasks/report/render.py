"""Rendering the 专报 context: HTML (Jinja2), PDF (WeasyPrint from that HTML, pdf_output.py) and DOCX (docxtpl).

Every environment is `StrictUndefined` with autoescape on: a misspelt variable fails loudly, and
text the units typed (`<script>`, `{{ 7*7 }}`) is printed literally in every format. A template error
never leaves as Jinja's English: `render_template` and `render_all` first refuse what lint refuses
(`template_check.check_templates`), and an error while rendering becomes `TemplateProblems` naming the
file, line and macro in Chinese (`template_errors.describe`), before any file is written. The chart
is drawn from `context["chart"]` and handed to the templates as `chart_image`.
"""
from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..core.resources import TEMPLATES_DIR
from .chart_reuse import chart_image
from .formatting import cn_ordinal
from .pdf_output import start_pdf, write_pdf  # noqa: F401 — write_pdf: the PDF of an HTML, for this module's callers
from .template_check import DOCX_TEMPLATE, HTML_TEMPLATE, MACRO_START, WORDING, check_templates, search_dirs
from .template_errors import TemplateProblems, describe
from .template_vars import attribute_names

CHART_WIDTH_MM = 150


def columns(text) -> list[str]:
    """'指标|单位|…' (a header macro of wording.j2) → its column titles."""
    return [part.strip() for part in str(text).split("|")]


def jinja_env(templates_dir: Path | None = None, home: Path | None = None) -> Environment:
    """The one environment of every format: the home's templates before the packaged ones (so
    `wording.j2`, the shared text, is found the same way by the HTML and the Word template),
    with the filters `cn` (1 → 一) and `cols` / `col(i)` (header macros → column titles)."""
    dirs = search_dirs(templates_dir, home)
    packaged = TEMPLATES_DIR
    loader = FileSystemLoader([str(d) for d in dict.fromkeys([*dirs, packaged])])
    env = Environment(loader=loader, undefined=StrictUndefined, autoescape=True, keep_trailing_newline=True)
    env.filters.update(cn=cn_ordinal, cols=columns, col=lambda text, i: columns(text)[i])
    return env


def render_html(context: dict, *, templates_dir: Path | None = None, template: str = HTML_TEMPLATE,
                home: Path | None = None, png: bytes | None = None) -> str:
    png = chart_image(context["chart"], home) if png is None else png
    image = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    env = jinja_env(templates_dir, home)
    try:
        return env.get_template(template).render({**context, "chart_image": image})
    except Exception as exc:  # noqa: BLE001 — any error of a template is the editor's, said in Chinese
        raise _problem(env, exc, template) from None


def _problem(env: Environment, exc: Exception, template: str) -> TemplateProblems:
    """A rendering error as the editor's sentence, suggestions drawn from the catalogue and wording.j2's macros."""
    try:
        macros = set(MACRO_START.findall(env.loader.get_source(env, WORDING)[0]))  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001 — no wording.j2: no macro names to suggest
        macros = set()
    return TemplateProblems([describe(exc, template, attribute_names() | macros)])


def render_docx(context: dict, out_path: Path | io.BytesIO, *, templates_dir: Path | None = None,
                template: str = DOCX_TEMPLATE, home: Path | None = None, png: bytes | None = None):
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    path = next(d / template for d in [*search_dirs(templates_dir, home), TEMPLATES_DIR] if (d / template).is_file())
    tpl = DocxTemplate(str(path))
    png = chart_image(context["chart"], home) if png is None else png
    image = InlineImage(tpl, io.BytesIO(png), width=Mm(CHART_WIDTH_MM))
    env = jinja_env(templates_dir, home)
    try:
        tpl.render({**context, "chart_image": image}, env, autoescape=True)
    except Exception as exc:  # noqa: BLE001 — any error of a template is the editor's, said in Chinese
        raise _problem(env, exc, template) from None
    tpl.save(out_path)
    return out_path


def render_template(template_name: str, context: dict, out_path: str | Path, *,
                    templates_dir: Path | None = None, home: Path | None = None) -> Path:
    """Render one template to `out_path` (used by `zhuanbao preview`).

    `.docx` templates → a Word file; `.j2` templates → HTML, or a PDF when `out_path` ends in .pdf.
    """
    check_templates(templates_dir, home, (template_name,))
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if template_name.endswith(".docx"):
        render_docx(context, out_path, templates_dir=templates_dir, template=template_name, home=home)
        return out_path
    html = render_html(context, templates_dir=templates_dir, template=template_name, home=home)
    if out_path.suffix.lower() == ".pdf":
        return write_pdf(html, out_path, templates_dir=templates_dir, home=home)
    out_path.write_text(html, encoding="utf-8")
    return out_path


def render_all(context: dict, stem: Path, *, templates_dir: Path | None = None, home: Path | None = None,
               meanwhile: Callable[[], None] | None = None) -> dict:
    """`<stem>.html`, `.pdf`, `.docx` from one context (one chart drawing for all three); nothing is written
    when a template has a problem lint would report or fails to render (TemplateProblems). The home's warm
    renderer lays the PDF out while this process draws the Word file and runs `meanwhile()` (the 附表)."""
    check_templates(templates_dir, home, (HTML_TEMPLATE, DOCX_TEMPLATE))
    png = chart_image(context["chart"], home)
    html = render_html(context, templates_dir=templates_dir, home=home, png=png)
    paths = {"html": stem.with_name(stem.name + ".html"), "pdf": stem.with_name(stem.name + ".pdf"),
             "docx": stem.with_name(stem.name + ".docx")}
    pdf = start_pdf(html, paths["pdf"], templates_dir=templates_dir, home=home)  # laid out by the warm renderer meanwhile
    docx = io.BytesIO()
    try:
        render_docx(context, docx, templates_dir=templates_dir, home=home, png=png)  # before any file is written
        paths["html"].write_text(html, encoding="utf-8")
        if meanwhile is not None:
            meanwhile()
    except BaseException:
        pdf.discard()  # no PDF left beside what failed
        raise
    pdf.wait()
    paths["docx"].write_bytes(docx.getvalue())
    return paths
