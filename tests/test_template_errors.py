"""An editor's mistake in wording.j2 (the one file behind docx, PDF and HTML) or another template: lint, preview
and the run all refuse it with the same Chinese sentence naming the file, line and macro, and no Jinja English."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from docx import Document
from typer.testing import CliRunner

from zhuanbao.flows.cli import app
from zhuanbao.tasks.core.resources import TEMPLATES_DIR
from zhuanbao.tasks.report.catalogue import load_sample_context
from zhuanbao.tasks.report.editors import PreviewError, lint_problems, preview
from zhuanbao.tasks.report.lint import lint_templates
from zhuanbao.tasks.report.render import render_all
from zhuanbao.tasks.report.template_errors import TemplateProblems

ENGLISH = re.compile(r"[A-Za-z']{2,}(?: [A-Za-z']{2,}){2,}")  # three English words in a row: a sentence


def english(message: str) -> re.Match | None:
    """An English sentence in a message, the editor's own template text quoted in “…” aside."""
    return ENGLISH.search(re.sub(r"“[^”]*”", "", message))


def edit(home: Path, name: str, old: str, new: str) -> None:
    """Copy a bundled template into the home's templates/ (as `zhuanbao templates copy` does) and edit it."""
    path = home / "templates" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        shutil.copy(TEMPLATES_DIR / name, path)
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")


def add_docx_paragraph(home: Path, text: str) -> None:
    path = home / "templates" / "zhuanbao.docx"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = Document(str(TEMPLATES_DIR / "zhuanbao.docx"))
    doc.add_paragraph(text)
    doc.save(str(path))


BANJI_DATE = "{% if issue.printed_date %}{{ issue.printed_date }}印发{% else %}（送审稿，待签发）{% endif %}"
WORDING_MISTAKES = [
    ("{{ issue.label }}的修订版", "{{ issue.lable }}的修订版", "wording.j2 第10行（宏 revision_note）：未知变量 issue.lable——是否应为 issue.label？"),
    (BANJI_DATE, BANJI_DATE.removesuffix("{% endif %}"), "（宏 banji_date）：缺少 {% endif %}"),
    ("{{ period.label }}重点", "｛｛ period.label ｝｝重点", "（宏 doc_title）：“｛｛”是中文全角符号——请改用半角 {{ }}"),
    ("送审稿{% endmacro %}", "{% iff x %}送审稿{% endmacro %}", "（宏 draft_mark）：无法识别的标记“iff”——是否应为 {% if %}？"),
    ("{{ submissions.deadline }}", "{{ submissions deadline }}", "（宏 deadline_sentence）：此处应为“}}”"),
    ("{{ submissions.deadline }}", "{{ submissions.deadline | bold }}", "（宏 deadline_sentence）：没有名为“bold”的过滤器"),
    ("{{ row.unit }}，{{ row.received_at }}", "{{ row.unti }}，{{ row.received_at }}",
     "（宏 late_line）：未知变量 row.unti（即 submissions.late[].unti）——是否应为 row.unit？"),
    ("{{ issue.printed_date }}印发", "{{ issue['printed' ~ '_dat'] }}印发", "wording.j2 第"),  # found by rendering only
    ("{{ issue.printed_date }}印发", "{% for c in issue.revision %}{{ c }}{% endfor %}印发", "不是列表"),
]


@pytest.mark.parametrize("old, new, expected", WORDING_MISTAKES)
def test_a_mistake_in_wording_is_blamed_on_wording_by_lint_preview_and_run(settings, tmp_path, old, new, expected):
    edit(settings.home, "wording.j2", old, new)
    problems = lint_problems(settings)
    assert problems and all(p.startswith("wording.j2 第") for p in problems), problems
    assert any(expected in p for p in problems), problems
    for template in ("zhuanbao.html.j2", "zhuanbao.docx"):
        with pytest.raises(PreviewError) as refused:
            preview(settings, template)
        assert refused.value.problems == problems[:len(refused.value.problems)]
        assert not english(str(refused.value)), str(refused.value)
    with pytest.raises(TemplateProblems) as refused:
        render_all(load_sample_context(), tmp_path / "out" / "专报", home=settings.home)
    assert refused.value.problems == problems[:len(refused.value.problems)]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # no half-made documents
    assert not list(settings.home.glob("preview/*"))


@pytest.mark.parametrize("name, old, new", [
    ("zhuanbao.html.j2", "{{ overview.headline }}", "{{ overview.headlin }}"),
    ("zhuanbao.html.j2", "{% endfor %}", "{% endfo %}"),
    ("zhuanbao.html.j2", "{{ overview.headline }}", "{{ overview.headline + 1 }}"),
    ("zhuanbao.html.j2", "{{ overview.headline }}", "{{ overview.headline | nosuch }}"),
    ("zhuanbao.html.j2", "{{ w.h_overview() }}", "{{ w.h_overveiw() }}"),
    ("zhuanbao.html.j2", "{% if present.indicators %}", "{% if present.indicators %}{% if true %}"),
    ("zhuanbao.html.j2", "{% if present.indicators %}", "{% if present.indicators is nosuchtest %}"),
    ("zhuanbao.html.j2", "{% if present.indicators %}", "{% include 'nosuch.j2' %}{% if present.indicators %}"),
])
def test_no_english_reaches_the_editor_on_the_html_and_pdf_path(settings, name, old, new):
    edit(settings.home, name, old, new)
    with pytest.raises(PreviewError) as refused:
        preview(settings, name)
    message = str(refused.value)
    assert message.startswith("模板有误") and name in message and not english(message), message


@pytest.mark.parametrize("paragraph", ["{{ overview.headlin }}", "{%tr for row in tasks.rows %}", "{{ title | nosuch }}",
                                       "{% if title %}没有结束", "{{ title + 1 }}", "{{ w.nosuch() }}",
                                       "{{ title['x' ~ 'y'] }}"])
def test_no_english_reaches_the_editor_on_the_docx_path(settings, paragraph):
    add_docx_paragraph(settings.home, paragraph)
    with pytest.raises(PreviewError) as refused:
        preview(settings, "zhuanbao.docx")
    message = str(refused.value)
    assert "zhuanbao.docx" in message and not english(message), message


def test_a_macro_argument_is_checked_as_what_its_callers_pass_even_in_a_month_without_rows(settings):
    edit(settings.home, "wording.j2", "{{ row.reason }}", "{{ row.reasn }}")
    context = load_sample_context()
    context["submissions"]["rejected"] = []  # the sample render never calls rejected_line
    problems = lint_templates(None, context, home=settings.home)
    assert any("（宏 rejected_line）：未知变量 row.reasn（即 submissions.rejected[].reasn）——是否应为 row.reason？" in p
               for p in problems), problems


def test_lint_checks_the_homes_wording_copy_where_it_used_to_pass(settings):
    assert lint_problems(settings) == []
    edit(settings.home, "wording.j2", "{{ issue.label }}的修订版", "{{ issue.lable }}的修订版")
    result = CliRunner().invoke(app, ["--home", str(settings.home), "lint-templates"])
    assert result.exit_code == 1 and "wording.j2 第10行（宏 revision_note）" in result.output, result.output
    assert "模板检查通过" not in result.output


def test_templates_copy_puts_wording_and_the_guide_in_the_home_and_keeps_an_edited_copy(settings):
    run = lambda *args: CliRunner().invoke(app, ["--home", str(settings.home), "templates", "copy", *args])
    result = run()
    assert result.exit_code == 0, result.output
    copied = settings.home / "templates" / "wording.j2"
    assert copied.read_text("utf-8") == (TEMPLATES_DIR / "wording.j2").read_text("utf-8")
    assert (settings.home / "templates" / "编辑指南.md").is_file()
    copied.write_text(copied.read_text("utf-8") + "{# 办公室的修改 #}\n", "utf-8")
    again = run()
    assert again.exit_code == 2 and "未覆盖" in again.output and "办公室的修改" in copied.read_text("utf-8")
    assert run("nosuch.j2").exit_code == 2
    assert run("--force").exit_code == 0 and "办公室的修改" not in copied.read_text("utf-8")
    listed = CliRunner().invoke(app, ["--home", str(settings.home), "templates", "list"]).output.splitlines()
    assert f"wording.j2　数据目录副本　{copied}" in listed
    assert f"zhuanbao.docx　自带　{TEMPLATES_DIR / 'zhuanbao.docx'}" in listed
