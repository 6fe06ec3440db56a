"""A template's error as the editor reads it: in Chinese, naming the file, the line and the macro, with a suggestion.

Jinja raises English messages ("'dict object' has no attribute 'lable'", "Unexpected end of template",
"Encountered unknown tag", "expected token …") and, for a macro of `wording.j2` called by another template,
names the caller. `describe(exc, template)` finds the innermost template frame of the error (so a macro of
`wording.j2` is blamed on `wording.j2`, at its own line), the macro around that line, and maps the message to
Chinese; nothing English reaches the editor. `TemplateProblems` carries those sentences: lint prints them,
preview and the monthly run refuse with them.
"""
from __future__ import annotations

import difflib
import re
from pathlib import Path

MACRO_START = re.compile(r"{%[-+]?\s*macro\s+(\w+)")
MACRO_END = re.compile(r"{%[-+]?\s*endmacro")
TOKENS = {"end of print statement": "}}", "end of statement block": "%}", "end of template": "模板结尾",
          "name": "变量名", "string": "文字", "integer": "数字", "float": "数字", "begin of print statement": "{{",
          "begin of statement block": "{%", "operator": "运算符", "data": "文字", "comma": "，"}
GUIDE_HINT = "（见编辑指南）"


class TemplateProblems(ValueError):
    """Templates that must not be used: one Chinese sentence per problem (the message joins them)."""

    def __init__(self, problems: list[str], hint: str = "（运行 zhuanbao lint-templates 查看全部问题）"):
        self.problems = list(problems)
        super().__init__("模板有误，未生成文档：" + "；".join(self.problems) + hint)


def _token(name: str) -> str:
    return TOKENS.get(name, name)


def _closing(m: re.Match) -> str:
    tag = m.group(1)
    return f"缺少 {{% end{tag} %}}：{{% {tag} %}} 没有结束（请在对应位置补上 {{% end{tag} %}}）"


def _unknown_tag(m: re.Match) -> str:
    if m.group(1) in ("tr", "tc", "p", "r"):
        return (f"Word 标记 {{%{m.group(1)} … %}} 放错了位置：{{%tr %}} 须单独占表格的一行，{{%tc %}} 占一格，"
                "{%p %} 单独占一段，{%r %} 在一段之内")
    tags = ["if", "elif", "else", "endif", "for", "endfor", "macro", "endmacro", "set", "import", "raw", "endraw"]
    guess = difflib.get_close_matches(m.group(1), tags, n=1, cutoff=0.5)
    return f"无法识别的标记“{m.group(1)}”" + (f"——是否应为 {{% {guess[0]} %}}？" if guess else "：检查拼写")


JINJA_CN: list[tuple[re.Pattern, object]] = [
    (re.compile(r"Encountered unknown tag '((?!end(?:if|for|macro|raw|set|block|with|filter|call|trans)')\w+)'"),
     _unknown_tag),
    (re.compile(r"innermost block that needs to be closed is '(\w+)'", re.DOTALL), _closing),
    (re.compile(r"unexpected end of template.*?looking for the following tags: '(\w+)'", re.IGNORECASE | re.DOTALL),
     lambda m: f"缺少 {{% {m.group(1)} %}}：模板在它之前就结束了"),
    (re.compile(r"unexpected end of template", re.IGNORECASE), lambda m: "模板意外结束：有 {% for %} 或 {% if %} 没有结束（缺少 {% endfor %} / {% endif %}）"),
    (re.compile(r"Encountered unknown tag '([^']+)'"),
     lambda m: f"无法识别的标记“{m.group(1)}”：检查拼写，或是否缺少与之配对的开始标记"),
    (re.compile(r"expected token '([^']+)', got '([^']+)'"),
     lambda m: f"此处应为“{_token(m.group(1))}”，实际为“{_token(m.group(2))}”：检查标记是否写全、是否成对"),
    (re.compile(r"unexpected char '(.+?)'"), lambda m: f"无法识别的字符“{m.group(1)}”：标记内只能用英文半角字符"),
    (re.compile(r"unexpected '([^']+)'"), lambda m: f"多余或错位的“{_token(m.group(1))}”：检查 {{{{ }}}} 与 {{% %}} 是否成对"),
    (re.compile(r"'([^']+)' is undefined"), lambda m: f"变量“{m.group(1)}”不存在"),
    (re.compile(r"has no attribute '([^']+)'"), lambda m: f"没有“{m.group(1)}”这一项"),
    (re.compile(r"no filter named '([^']+)'", re.IGNORECASE), lambda m: f"没有名为“{m.group(1)}”的过滤器"),
    (re.compile(r"no test named '([^']+)'", re.IGNORECASE), lambda m: f"没有名为“{m.group(1)}”的判断（is 之后）"),
    (re.compile(r"tag name expected", re.IGNORECASE), lambda m: "{% 之后缺少标记名（如 if、for）"),
    (re.compile(r"can only concatenate|unsupported operand|can't multiply|not supported between", re.IGNORECASE),
     lambda m: "这里对文字和数字做了运算：模板中不做计算（数字、百分比已按公文格式排好），需要连写时用 ~ 连接"),
    (re.compile(r"is not iterable", re.IGNORECASE), lambda m: "这一项不是列表，不能用 {% for %} 逐项列出"),
    (re.compile(r"not callable", re.IGNORECASE), lambda m: "这一项不是宏，后面不能加括号调用"),
]


def jinja_message(message: str | None) -> str:
    """Jinja's English message in the editors' Chinese; an unknown one becomes a Chinese sentence too."""
    message = message or ""
    for pattern, chinese in JINJA_CN:
        hit = pattern.search(message)
        if hit:
            return chinese(hit)
    return "模板写法有误，无法生成：请对照编辑指南检查这一行的 {{ }} 与 {% %}"


def macro_at(source: str, line: int) -> str | None:
    """The macro whose text holds `line` (1-based) of a template's source, if any."""
    current = None
    for number, text in enumerate(source.splitlines()[:line], start=1):
        starts = list(MACRO_START.finditer(text))
        if starts:
            current = starts[-1].group(1) if number < line else starts[0].group(1)
        if number < line and MACRO_END.search(text[starts[-1].end():] if starts else text):
            current = None
    return current


def _template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    """(file, line) of the innermost template frame of an error (Jinja rewrites tracebacks so that
    template code shows as frames of the template file); for a syntax error, its own file and line."""
    if getattr(exc, "lineno", None) and hasattr(exc, "filename"):
        return getattr(exc, "filename", None) or getattr(exc, "name", None), exc.lineno
    found: tuple[str | None, int | None] = (None, None)
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename == "<template>" or Path(filename).suffix in (".j2", ".jinja", ".html"):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def suggestion(message: str, candidates: set[str]) -> str:
    """'——是否应为 label？' for the misspelt name in Jinja's message, from `candidates`."""
    hit = re.search(r"attribute '([^']+)'|'([^']+)' is undefined|named '([^']+)'", message)
    if not hit:
        return ""
    wrong = next(g for g in hit.groups() if g)
    guess = difflib.get_close_matches(wrong, sorted(candidates - {wrong}), n=1, cutoff=0.6)
    return f"——是否应为 {guess[0]}？" if guess else GUIDE_HINT


def where(name: str, line: int | None, source: str | None) -> str:
    """'wording.j2 第41行（宏 late_line）' (the macro only when the line is inside one)."""
    if not line:
        return name
    macro = macro_at(source, line) if source else None
    return f"{name} 第{line}行" + (f"（宏 {macro}）" if macro else "")


def describe(exc: BaseException, template: str, candidates: set[str] = frozenset()) -> str:
    """One Chinese sentence for an error raised while rendering `template` (its own name for '<template>',
    the source a Word file is turned into; a Word file has no line numbers)."""
    filename, line = _template_frame(exc)
    english = getattr(exc, "message", None) or str(exc)
    if type(exc).__name__ in ("TemplateNotFound", "TemplatesNotFound"):
        return f"{template}：找不到模板文件“{getattr(exc, 'name', '')}”（它应在数据目录的 templates/ 或自带模板中）"
    if not filename or filename == "<template>" or template.endswith(".docx") and filename == template:
        name, source, line = template, None, None
    else:
        name = Path(filename).name
        path = Path(filename)
        source = path.read_text(encoding="utf-8") if path.is_file() else None
    jinja = type(exc).__module__.split(".")[0] == "jinja2"
    tip = suggestion(english, set(candidates)) if jinja else ""
    return f"{where(name, line, source)}：{jinja_message(english)}{tip}"
