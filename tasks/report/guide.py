"""The editors' guide shipped into an office's home, `templates/编辑指南.md`: one source with the 使用手册's page.

It is `docs/editors.md` (the page with the pictures, served by `zhuanbao docs` and the portal's /help) with
its links made to work in a plain file, then two lists generated from the code: every variable of the
catalogue with an example from `templates/sample_context.json`, and every macro of `wording.j2` with its
text, its arguments and the variables it uses. `python -m zhuanbao.tasks.report.editors guide` rewrites it;
a test fails when it is stale.
"""
from __future__ import annotations

import re

from ..core.resources import packaged
from .catalogue import RENDER_ADDED, VARIABLES, load_sample_context
from .wording_macros import macro_table

REGENERATE = "python -m zhuanbao.tasks.report.editors guide"


def _example(context: dict, path: str) -> str:
    value = context
    for part in path.split("."):
        key, is_list = part.removesuffix("[]"), part.endswith("[]")
        value = value.get(key) if isinstance(value, dict) else None
        if is_list:
            value = value[0] if value else None
    if isinstance(value, list):
        return f"（{len(value)}项）"
    if isinstance(value, dict) and "sheets" in value:
        return "、".join(f"{sheet['name']}（{len(sheet['rows'])}行）" for sheet in value["sheets"])
    if isinstance(value, bool):
        return "真" if value else "假"
    text = "" if value is None else str(value)
    return (text[:40] + "…") if len(text) > 40 else text


def _plain(page: str) -> str:
    """docs/editors.md for a folder without the manual: pictures and links to other pages said in words."""
    page = re.sub(r"(!\[[^\]]*\]\([^)]*\)(\{[^}]*\})?[ \t]*)+", "（改前、改后的对照图见使用手册 `zhuanbao docs` 中的“编辑指南”）", page)
    page = re.sub(r"\[([^\]]+)\]\(reference/variables\.md\)", r"\1（见本文件末尾）", page)
    return re.sub(r"\[([^\]]+)\]\(#[^)]*\)", r"\1（见本文件末尾）", page)


def editor_guide(sample: dict | None = None) -> str:
    """The Markdown of templates/编辑指南.md."""
    sample = load_sample_context() if sample is None else sample
    page = (packaged("docs") / "editors.md").read_text("utf-8")
    title, _, body = page.partition("\n")
    lines = [title, "", f"本文件由 docs/editors.md 与代码中的变量目录、wording.j2 生成（`{REGENERATE}`），请勿手工修改。",
             _plain(body).rstrip(), "", "## 变量一览", "", "| 变量 | 含义 | 示例 |", "|---|---|---|"]
    cell = lambda s: str(s).replace("|", "\\|").replace("\n", " ")
    for path, meaning in {**VARIABLES, **RENDER_ADDED}.items():
        example = "（渲染时生成的图片）" if path in RENDER_ADDED else _example(sample, path)
        lines.append(f"| `{path}` | {cell(meaning)} | {cell(example)} |")
    lines += ["", "## wording.j2 的宏一览", "",
              "每个宏是专报的一段固定文字；“文字”一栏是自带的写法，改的就是这一部分。", "", *macro_table()]
    return "\n".join(lines) + "\n"
