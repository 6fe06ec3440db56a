"""`zhuanbao lint-templates`: the mistakes editors make in the 专报 templates, found before a run.

Checks every template a run would use (the home's copies before the packaged ones, file by file),
`wording.j2` first, then `zhuanbao.html.j2`, `zhuanbao.docx` and the others:
- the checks that need no data (`template_check`: full-width marks, syntax, unknown variables and macros);
- then a full render of the 专报 templates against `sample_context.json` with StrictUndefined (a Word
  render must reopen as .docx), an error blamed on the file, line and macro where it happens — a macro
  of `wording.j2` on `wording.j2` — in Chinese (`template_errors`).
Templates that are not the 专报's (e.g. the receipt) get the first checks only. Preview and the monthly
run do the same checks first and refuse with the same sentences.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

from .template_check import WORDING, Source, search_dirs, selected_sources, static_problems
from .template_errors import TemplateProblems


def _context(templates_dir: Path | None, home: Path | None) -> dict:
    from .catalogue import load_sample_context

    for folder in search_dirs(templates_dir, home):
        if (folder / "sample_context.json").is_file():
            return json.loads((folder / "sample_context.json").read_text("utf-8"))
    return load_sample_context()


def _render(source: Source, context: dict, png: bytes, templates_dir: Path | None, home: Path | None) -> list[str]:
    """The problems of one 专报 template rendered against `context` (empty when it renders)."""
    from docx import Document

    from .render import render_docx, render_html

    folder = templates_dir or (None if home else source.path.parent)
    try:
        if source.word:
            out = io.BytesIO()
            render_docx(context, out, templates_dir=folder, template=source.name, home=home, png=png)
            try:
                Document(io.BytesIO(out.getvalue()))
            except Exception:  # noqa: BLE001 — a tag that broke the document's XML
                return [f"{source.name}：生成的 Word 文件无法打开——某个标记破坏了文档结构（检查最近改动的段落、表格中的 {{%tr %}}）"]
        else:
            render_html(context, templates_dir=folder, template=source.name, home=home, png=png)
    except TemplateProblems as exc:
        return exc.problems
    return []


def lint_templates(templates_dir: Path | str | None, context: dict | None = None, *, home: Path | None = None,
                   names: tuple[str, ...] | None = None) -> list[str]:
    """Every problem found in the templates a run would use, as sentences for the editor (empty = all good).

    `templates_dir` is the office's folder (its files override the packaged ones), `home` adds the home's
    `templates/` behind it; `names` limits the check to those templates (and wording.j2)."""
    from .charts import chart_png

    templates_dir = Path(templates_dir) if templates_dir else None
    sources = selected_sources(templates_dir, home, names)
    problems = static_problems(sources)
    if any(p.startswith(WORDING) for p in problems):
        return problems  # every 专报 template renders wording.j2: its own problems first, not blamed on them
    context = _context(templates_dir, home) if context is None else context
    png = chart_png(context["chart"])
    for source in sources:
        if source.report and source.name != WORDING and not any(p.startswith(source.name) for p in problems):
            problems += [p for p in _render(source, context, png, templates_dir, home) if p not in problems]
    return problems
