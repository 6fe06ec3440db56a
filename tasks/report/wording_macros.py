"""The macros of `wording.j2`, listed for the editors' guide straight from the file (so the list cannot drift).

Each macro is one piece of the 专报's fixed text; the Word file and the HTML/PDF template call them by
name. `macro_rows(source)` gives, for each: its name, its arguments and what the callers pass for them,
its line, its text as written, and the variables it uses.
"""
from __future__ import annotations

import re

from jinja2 import Environment, nodes

from ..core.resources import TEMPLATES_DIR
from .template_errors import MACRO_START
from .template_vars import macro_calls

WORDING_FILE = TEMPLATES_DIR / "wording.j2"
BODY = re.compile(r"{%-?\s*macro\s+(\w+)\(([^)]*)\)\s*-?%}(.*?){%-?\s*endmacro\s*-?%}", re.DOTALL)


def _variables(macro: nodes.Macro, macros: set[str]) -> list[str]:
    """The context variables a macro reads (its own arguments and loop variables included, as written)."""
    used: list[str] = []
    for node in macro.find_all((nodes.Getattr, nodes.Name)):
        parts = []
        while isinstance(node, nodes.Getattr):
            parts.append(node.attr)
            node = node.node
        if isinstance(node, nodes.Name) and node.ctx == "load":
            used.append(".".join([node.name, *reversed(parts)]))
    shown = [u for u in dict.fromkeys(used) if not any(o != u and o.startswith(u + ".") for o in used)]
    return [u for u in shown if u.split(".")[0] not in macros]


def _passed() -> dict[str, list[str | None]]:
    """What the bundled HTML template passes for each macro argument (e.g. late_line's row: submissions.late[])."""
    return macro_calls(Environment().parse((TEMPLATES_DIR / "zhuanbao.html.j2").read_text("utf-8")))


def macro_rows(source: str | None = None) -> list[dict]:
    """One dict per macro of wording.j2: name, args, line, text, variables."""
    source = WORDING_FILE.read_text("utf-8") if source is None else source
    macros, passed = set(MACRO_START.findall(source)), _passed()
    texts = {m.group(1): (m.group(2), m.group(3)) for m in BODY.finditer(source)}
    rows = []
    for macro in Environment().parse(source).find_all(nodes.Macro):
        args, text = texts.get(macro.name, ("", ""))
        given = passed.get(macro.name, [])
        meaning = [f"{a.name}＝{given[i]} 的一项" if i < len(given) and given[i] and given[i].endswith("[]")
                   else f"{a.name}＝{given[i]}" if i < len(given) and given[i] else "" for i, a in enumerate(macro.args)]
        rows.append({"name": macro.name, "args": args.strip(), "line": macro.lineno, "text": text.strip(),
                     "variables": _variables(macro, macros), "passed": [m.replace("[] 的一项", " 的一项") for m in meaning if m]})
    return rows


def macro_table(source: str | None = None) -> list[str]:
    """The Markdown table of the guide's 宏一览."""
    cell = lambda s: str(s).replace("|", "\\|").replace("\n", " ")
    lines = ["| 宏（行号） | 文字（可改） | 用到的变量 |", "|---|---|---|"]
    for row in macro_rows(source):
        call = f"`{row['name']}({row['args']})`（第{row['line']}行）" + "".join(f"<br>{m}" for m in row["passed"])
        used = "、".join(f"`{v}`" for v in row["variables"]) or "—"
        lines.append(f"| {call} | `{cell(row['text'])}` | {used} |")
    return lines
