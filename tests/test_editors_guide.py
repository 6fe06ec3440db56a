"""The editors' guide, followed as written: its three worked changes to wording.j2 (the code blocks of docs/editors.md,
copied into a home by `templates copy`) each show in the Word file, the PDF and the HTML of the 专报."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from docx import Document

from zhuanbao.tasks.core.resources import TEMPLATES_DIR, packaged
from zhuanbao.tasks.report.catalogue import load_sample_context
from zhuanbao.tasks.report.editors import copy_templates, lint_problems
from zhuanbao.tasks.report.render import render_all

GUIDE = packaged("docs") / "editors.md"
MACRO_LINE = re.compile(r"^{% macro (\w+)\(.*{% endmacro %}$")


def worked_changes() -> list[str]:
    """The new macro line of each “### 例” of the guide (the last code block of the section)."""
    sections = re.split(r"^### ", GUIDE.read_text("utf-8"), flags=re.MULTILINE)[1:]
    changes = []
    for section in (s for s in sections if s.startswith("例")):
        blocks = re.findall(r"```\n(.*?)\n```", section.split("\n## ")[0], flags=re.DOTALL)
        assert blocks and MACRO_LINE.match(blocks[-1].strip()), section[:40]
        changes.append(blocks[-1].strip())
    return changes


def apply(wording: Path, line: str) -> None:
    """Replace the macro's line in wording.j2, as the guide says (only the text between the macro tags changes)."""
    name = MACRO_LINE.match(line).group(1)
    text = wording.read_text("utf-8")
    old = [old for old in text.splitlines() if old.startswith(f"{{% macro {name}(")]
    assert len(old) == 1, name
    assert old[0].split("%}")[0] == line.split("%}")[0], "the guide changes the macro's name or arguments"
    wording.write_text(text.replace(old[0], line, 1), "utf-8")


def test_the_guide_shows_three_worked_changes_that_are_real_macros_of_wording():
    changes = worked_changes()
    assert len(changes) == 3
    bundled = {MACRO_LINE.match(line).group(1) for line in TEMPLATES_DIR.joinpath("wording.j2").read_text("utf-8").splitlines()
               if MACRO_LINE.match(line)}
    assert {MACRO_LINE.match(c).group(1) for c in changes} <= bundled
    for picture in re.findall(r"\]\((img/editors-[^)]+)\)", GUIDE.read_text("utf-8")):
        assert (GUIDE.parent / picture).is_file(), picture


@pytest.mark.slow  # three full renders of the 专报 (WeasyPrint PDF): ≈ 50 s
def test_each_worked_change_of_the_guide_shows_in_docx_pdf_and_html(settings, tmp_path):
    context = load_sample_context()
    overview = context["overview"]
    expected = ["进度滞后的单位和事项", f"{context['submissions']['missing'][0]['unit']}截至统计时刻仍未报送，请督促补报。",
                f"本期应报{overview['units_required']}个单位，按时报送{overview['units_on_time']}个。"]
    wording = copy_templates(settings, [])[0]
    for n, (line, shown) in enumerate(zip(worked_changes(), expected, strict=True)):
        apply(wording, line)
        assert lint_problems(settings) == []
        paths = render_all(context, tmp_path / f"专报_{n}", home=settings.home)
        html = re.sub(r"<[^>]+>", "", paths["html"].read_text("utf-8"))
        pdf = subprocess.run(["pdftotext", str(paths["pdf"]), "-"], capture_output=True, text=True, check=True).stdout
        docx = "\n".join(p.text for p in Document(str(paths["docx"])).paragraphs)
        for name, text in (("HTML", html), ("PDF", re.sub(r"\s+", "", pdf)), ("Word", docx)):
            assert shown in text, (name, shown)
