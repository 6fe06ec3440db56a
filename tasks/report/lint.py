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

import difflib
import io
import re
from pathlib import Path

from jinja2 import Environment, StrictUndefined, TemplateError, TemplateSyntaxError, nodes

from .catalogue import RENDER_ADDED, VARIABLES

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


def _where(name: str, number: int, line: str, paragraphs: bool) -> str:
    """'zhuanbao.html.j2 第12行' for a text file; for Word, the paragraph's own text (Word shows no line numbers)."""
    if not paragraphs:
        return f"{name} 第{number}行"
    shown = line.strip()
    return f"{name} 段落“{shown[:30]}{'…' if len(shown) > 30 else ''}”"


def fullwidth_problems(name: str, lines: list[str], paragraphs: bool = False) -> list[str]:
    out = []
    for number, line in enumerate(lines, start=1):
        where = _where(name, number, line, paragraphs)
        for hit in FULLWIDTH_BRACES.finditer(line):
            if any(ord(c) > 127 for c in hit.group(0)):
                out.append(f"{where}：“{hit.group(0)}”是中文全角符号，模板标记须用半角 {{{{ }}}} {{% %}}")
        for tag in TAG.finditer(line):
            bare = STRINGS.sub("", tag.group(0))
            bad = sorted({c for c in bare if c in FULLWIDTH_IN_TAG})
            if bad:
                out.append(f"{where}：标记“{tag.group(0)}”中有全角符号 {' '.join(bad)}，须改为半角")
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
        if isinstance(node, nodes.Import):  # {% import "wording.j2" as w %}: w.* are macros, checked by rendering
            scope[node.target] = "?"
        if isinstance(node, nodes.FromImport):
            for name in node.names:
                scope[name if isinstance(name, str) else name[-1]] = "?"
        if isinstance(node, nodes.Macro):
            scope[node.name] = "?"
            inner = {**scope, **{arg.name: "?" for arg in node.args}}
            for child in node.body:
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
                guess = difflib.get_close_matches(path, known, n=1, cutoff=0.6)
                found.append(path.replace(f"{scope.get(root, root)}", root, 1) + (
                    f"（即 {path}）" if root in scope else "") + (f"——是否应为 {guess[0]}？" if guess else ""))
            return
        for child in node.iter_child_nodes():
            visit(child, scope)

    visit(ast, {})
    return list(dict.fromkeys(found))


JINJA_CN = [(re.compile(r"unexpected end of template.*"), "模板意外结束：有 {% for %} 或 {% if %} 没有对应的 {% endfor %} / {% endif %}"),
            (re.compile(r"Encountered unknown tag '([^']+)'.*"), r"无法识别的标记“\1”：检查拼写，或是否缺少与之配对的开始标记"),
            (re.compile(r"unexpected '([^']+)'"), r"多余或错位的“\1”：检查 {{ }} 与 {% %} 是否成对"),
            (re.compile(r"expected token '([^']+)', got '([^']+)'"), r"此处应为“\1”，实际为“\2”"),
            (re.compile(r"'([^']+)' is undefined"), r"变量“\1”不存在（见 templates/编辑指南.md）"),
            (re.compile(r"'([^']+)' has no attribute '([^']+)'"), r"“\1”没有“\2”这一项（见 templates/编辑指南.md）"),
            (re.compile(r"no filter named '([^']+)'"), r"没有名为“\1”的过滤器"),
            (re.compile(r"template '?([^']+?)'? not found|^([^ ]+\.j2)$"), r"找不到模板文件“\1\2”")]


def jinja_message(message: str | None) -> str:
    """Jinja's English message in the editors' Chinese (the original kept when no rule matches)."""
    message = message or ""
    for pattern, chinese in JINJA_CN:
        if pattern.search(message):
            return pattern.sub(chinese, message, count=1)
    return f"模板错误：{message}"


def _check_jinja(name: str, source: str, env: Environment, render) -> list[str]:
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        return [f"{name} 第{exc.lineno}行：模板语法错误——{jinja_message(exc.message)}"]
    problems = [f"{name}：未知变量 {v}（见 templates/编辑指南.md）" for v in unknown_variables(ast)]
    if not problems and render is not None:
        try:
            render()
        except TemplateError as exc:
            problems.append(f"{name}：按样例上下文渲染失败——{jinja_message(getattr(exc, 'message', None) or str(exc))}")
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

    from .render import render_docx

    tpl = DocxTemplate(str(path))
    tpl.init_docx()
    lines, patched = _docx_texts(tpl)
    problems = fullwidth_problems(path.name, [line for line in lines if line], paragraphs=True)

    def render():
        out = io.BytesIO()
        render_docx(context, out, templates_dir=path.parent, template=path.name, png=png)
        Document(io.BytesIO(out.getvalue()))

    return problems + _check_jinja(path.name, patched, Environment(undefined=StrictUndefined, autoescape=True),
                                   render)


def lint_templates(templates_dir: Path | str, context: dict | None = None) -> list[str]:
    """Every problem found in the templates folder, as sentences for the editor (empty = all good)."""
    from .catalogue import load_sample_context
    from .charts import chart_png
    from .render import jinja_env

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
                problems.append(f"{name} 第{exc.lineno}行：模板语法错误——{jinja_message(exc.message)}")
    for path in sorted(templates_dir.rglob("*.docx")):
        if not path.name.startswith("~$"):  # Word's lock file while the template is open
            problems += lint_docx(path, context, png)
    return problems
