"""`lint_templates`: the bundled templates are clean, and each editor mistake is caught."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from docx import Document

from zhuanbao.tasks.core.resources import TEMPLATES_DIR
from zhuanbao.tasks.report.catalogue import load_sample_context
from zhuanbao.tasks.report.lint import lint_templates


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    target = tmp_path / "templates"
    target.mkdir()
    for name in ("zhuanbao.html.j2", "zhuanbao.docx", "sample_context.json", "receipt.html.j2"):
        shutil.copy(TEMPLATES_DIR / name, target / name)
    return target


def edit_html(folder: Path, old: str, new: str) -> None:
    path = folder / "zhuanbao.html.j2"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def add_docx_paragraphs(folder: Path, *texts: str) -> None:
    path = folder / "zhuanbao.docx"
    doc = Document(str(path))
    for text in texts:
        doc.add_paragraph(text)
    doc.save(str(path))


def test_bundled_templates_are_clean():
    assert lint_templates(TEMPLATES_DIR) == []


def test_receipt_is_not_rendered_against_the_report_context(templates):
    assert lint_templates(templates) == []


@pytest.mark.parametrize("old, new, expected", [
    ("{{ overview.headline }}", "{{ overview.headlin }}", "未知变量 overview.headlin"),
    ("{{ row.cumulative }}", "{{ row.cumulativ }}", "未知变量 row.cumulativ"),
    ("{{ overview.progress }}", "｛｛ overview.progress ｝｝", "全角"),
    ("{% for row in group.rows %}", "{% for row in group.rows ％}", "全角"),
    ("{{ issue.label }}", "{{ issue.label（） }}", "全角符号 （ ）"),
    ("{% endfor %}", "{% endfo %}", "无法识别的标记“endfo”——是否应为 {% endfor %}？"),
    ("{% if issue.is_revision %}", "{% if issue.is_revison %}", "未知变量 issue.is_revison"),
])
def test_html_mistakes_are_caught(templates, old, new, expected):
    edit_html(templates, old, new)
    problems = lint_templates(templates)
    assert any(expected in p and "zhuanbao.html.j2" in p for p in problems), problems


@pytest.mark.parametrize("text, expected", [
    ("{{ overview.headlin }}", "未知变量 overview.headlin"),
    ("｛｛ title ｝｝", "全角"),
    ("{{ title（） }}", "全角符号 （ ）"),
    ("{%tr for row in tasks.rows %}", "放错了位置"),  # a row tag outside a table: docxtpl cannot place it
])
def test_docx_mistakes_are_caught(templates, text, expected):
    add_docx_paragraphs(templates, text)
    problems = lint_templates(templates)
    assert any(expected in p and "zhuanbao.docx" in p for p in problems), problems


def test_docx_loop_variable_typo_is_caught(templates):
    add_docx_paragraphs(templates, "{%p for row in problems.rows %}", "{{ row.problm }}", "{%p endfor %}")
    problems = lint_templates(templates)
    assert any("row.problm" in p and "problems.rows[].problm" in p for p in problems), problems


def test_strict_render_catches_what_static_check_cannot(templates):
    edit_html(templates, "{{ overview.headline }}", "{{ overview['head' ~ 'lin'] }}")
    problems = lint_templates(templates, load_sample_context())
    assert any(p.startswith("zhuanbao.html.j2 第") and "没有“headlin”这一项——是否应为 headline？" in p
               for p in problems), problems
