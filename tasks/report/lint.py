"""`zhuanbao lint-templates`: the mistakes editors make in the 专报 templates, found before a run.

Checks, for `*.j2` and `*.docx` under the templates folder:
- full-width braces or percent signs typed with a Chinese input method (｛｛ ｝｝ ｛％ ％｝), and
  full-width punctuation inside a tag (（ ） ， ％ ｜ “ ” ：), string literals excepted;
- Jinja syntax, after docxtpl's own patching for Word files (so `{%tr %}` outside a table row,
  a tag docxtpl cannot place, is an error);
- variables not in the catalogue (static, also in branches the sample does not take), and a full
  render against `sample_context.json` with StrictUndefined; a Word render must reopen as .docx.
Templates not named zhuanbao* (e.g. the receipt) get the first two checks only.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

from jinja2 import Environment, StrictUndefined, TemplateError, TemplateSyntaxError, nodes

from zhuanbao.tasks.report.catalogue import RENDER_ADDED, VARIABLES

FULLWIDTH_BRACES = re.compile(r"[{｛][{｛%％#]|[}｝%％#][}｝]")
TAG = re.compile(r"{{.*?}}|{%.*?%}", re.DOTALL)
STRINGS = re.compile(r"'[^']*'|\"[^\"]*\"")
FULLWIDTH_IN_TAG = "（），％｜“”‘’：；"
ALLOWED_NAMES = {"loop", "range", "true", "false", "none", "True", "False", "None", "super", "caller", "varargs",
                 "kwargs"}


def _known_paths() -> set[str]:
    known: set[str] = set()
    for path in [*VARIABLES, *RENDER_ADDED]:
        parts = path.split(".")
        for i in range(1, len(parts) + 1):
            known.add(".".join(parts[:i]))
            if parts[i - 1].endswith("[]"):
                known.add(".".join(parts[:i - 1] + [parts[i - 1][:-2]]))
    return known


def fullwidth_problems(name: str, lines: list[str]) -> list[str]:
    out = []
    for number, line in enumerate(lines, start=1):
        for hit in FULLWIDTH_BRACES.finditer(line):
            if any(ord(c) > 127 for c in hit.group(0)):
                out.append(f"{name} 第{number}处：“{hit.group(0)}”是中文全角符号，模板标记须用半角 {{{{ }}}} {{% %}}")
        for tag in TAG.finditer(line):
            bare = STRINGS.sub("", tag.group(0))
            bad = sorted({c for c in bare if c in FULLWIDTH_IN_TAG})
            if bad:
                out.append(f"{name} 第{number}处：标记“{tag.group(0)}”中有全角符号 {' '.join(bad)}，须改为半角")
    return out


def _chain(node) -> tuple[str, list[str]] | None:
    attrs = []
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            attrs.append(node.attr)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            attrs.append(node.arg.value)
        else:
            return None
        node = node.node
    return (node.name, list(reversed(attrs))) if isinstance(node, nodes.Name) else None


def unknown_variables(ast: nodes.Template, known: set[str] | None = None) -> list[str]:
    """Variable paths used by a template that the catalogue does not have (loop variables resolved)."""
    known = _known_paths() if known is None else known
    found: list[str] = []

    def path_of(node, scope) -> str | None:
        hit = _chain(node)
        if hit is None:
            return None
        root, attrs = hit
        return ".".join([scope.get(root, root), *attrs])

    def visit(node, scope):
        if isinstance(node, nodes.For):
            visit(node.iter, scope)
            inner = dict(scope)
            base = path_of(node.iter, scope)
            for target in ([node.target] if isinstance(node.target, nodes.Name) else node.target.find_all(nodes.Name)):
                inner[target.name] = f"{base}[]" if base else "?"
            for child in [*node.body, *node.else_, *([node.test] if node.test else [])]:
                visit(child, inner)
            return
        if isinstance(node, nodes.Assign):
            for target in node.target.find_all(nodes.Name):
                scope[target.name] = "?"
        if isinstance(node, (nodes.Getattr, nodes.Getitem, nodes.Name)) and _chain(node):
            root = _chain(node)[0]
            if root in ALLOWED_NAMES or scope.get(root) == "?" or getattr(node, "ctx", "load") == "store":
                return
            path = path_of(node, scope)
            if path not in known:
                found.append(path.replace(f"{scope.get(root, root)}", root, 1) + (
                    f"（即 {path}）" if root in scope else ""))
            return
        for child in node.iter_child_nodes():
            visit(child, scope)

    visit(ast, {})
    return list(dict.fromkeys(found))


def _check_jinja(name: str, source: str, env: Environment, render) -> list[str]:
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        return [f"{name} 第{exc.lineno}行：模板语法错误（{exc.message}）"]
    problems = [f"{name}：未知变量 {v}（见 templates/编辑指南.md）" for v in unknown_variables(ast)]
    if not problems and render is not None:
        try:
            render()
        except TemplateError as exc:
            problems.append(f"{name}：按样例上下文渲染失败（{exc.message if hasattr(exc, 'message') else exc}）")
        except Exception as exc:  # noqa: BLE001 — any failure of a Word render is a template problem
            problems.append(f"{name}：Word 模板无法生成文档（{type(exc).__name__}: {exc}）")
    return problems


def _docx_texts(tpl) -> tuple[list[str], str]:
    """Paragraph texts (for the full-width check) and docxtpl's patched XML (body, headers, footers)."""
    from docx.oxml import parse_xml

    parts = [tpl.get_xml()]
    for rel in tpl.docx.part.rels.values():
        if rel.reltype in (tpl.HEADER_URI, tpl.FOOTER_URI):
            parts.append(tpl.xml_to_string(parse_xml(rel.target_part.blob)))
    lines = []
    for xml in parts:
        for para in re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.DOTALL):
            lines.append("".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", para)))
    return lines, "".join(tpl.patch_xml(xml) for xml in parts)


def lint_docx(path: Path, context: dict, png: bytes) -> list[str]:
    from docx import Document
    from docxtpl import DocxTemplate

    from zhuanbao.tasks.report.render import render_docx

    tpl = DocxTemplate(str(path))
    tpl.init_docx()
    lines, patched = _docx_texts(tpl)
    problems = fullwidth_problems(path.name, [line for line in lines if line])

    def render():
        out = io.BytesIO()
        render_docx(context, out, templates_dir=path.parent, template=path.name, png=png)
        Document(io.BytesIO(out.getvalue()))

    return problems + _check_jinja(path.name, patched, Environment(undefined=StrictUndefined, autoescape=True),
                                   render)


def lint_templates(templates_dir: Path | str, context: dict | None = None) -> list[str]:
    """Every problem found in the templates folder, as sentences for the editor (empty = all good)."""
    from zhuanbao.tasks.report.catalogue import load_sample_context
    from zhuanbao.tasks.report.charts import chart_png
    from zhuanbao.tasks.report.render import jinja_env

    templates_dir = Path(templates_dir)
    sample_file = templates_dir / "sample_context.json"
    if context is None:
        import json

        context = json.loads(sample_file.read_text("utf-8")) if sample_file.exists() else load_sample_context()
    png = chart_png(context["chart"])
    env, problems = jinja_env(templates_dir), []
    for path in sorted(templates_dir.rglob("*.j2")):
        name = path.relative_to(templates_dir).as_posix()
        source = path.read_text(encoding="utf-8")
        problems += fullwidth_problems(name, source.splitlines())
        ours = name.startswith("zhuanbao")
        render = (lambda n=name: env.get_template(n).render({**context, "chart_image": "data:,"})) if ours else None
        if ours:
            problems += _check_jinja(name, source, env, render)
        else:
            try:
                env.parse(source)
            except TemplateSyntaxError as exc:
                problems.append(f"{name} 第{exc.lineno}行：模板语法错误（{exc.message}）")
    for path in sorted(templates_dir.rglob("*.docx")):
        if not path.name.startswith("~$"):  # Word's lock file while the template is open
            problems += lint_docx(path, context, png)
    return problems
