"""Render only what changed (issue 28): a 附表 sheet whose rows are the same as in a workbook written before is
copied from that workbook's part, not streamed again — and the workbook is byte for byte a fresh one."""
from __future__ import annotations

import copy
import zipfile
from datetime import datetime

import pytest
from openpyxl import load_workbook

from zhuanbao.tasks.core import catalog
from zhuanbao.tasks.report import xlsx
from zhuanbao.tasks.report.appendix import SHEETS, write_appendix
from zhuanbao.tasks.report.editors import publish_report

from .test_report import make_context

TITLE = "重点工作专报 第2期 2020年4月 附表"
ISSUED = datetime.fromisoformat("2020-05-16T09:00:00+08:00")


@pytest.fixture
def streamed(monkeypatch) -> list[str]:
    """The names of the sheets streamed row by row (the others were copied)."""
    names: list[str] = []
    real = xlsx.XlsxWriter.sheet

    def sheet(self, name, *args, **kwargs):
        names.append(name)
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(xlsx.XlsxWriter, "sheet", sheet)
    return names


def cells(path) -> dict:
    book = load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book.worksheets}


def parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist()}


def sheet_rows(appendix: dict, name: str) -> list:
    return next(s for s in appendix["sheets"] if s["name"] == name)["rows"]


def test_an_unchanged_workbook_is_copied_sheet_by_sheet_and_equals_a_fresh_one(settings, reference, tmp_path,
                                                                                streamed):
    appendix = make_context(settings, reference)["appendix"]
    kept = catalog.appendix_parts(settings.home)
    fresh = write_appendix(appendix, tmp_path / "fresh.xlsx", title=TITLE)
    first = write_appendix(appendix, tmp_path / "first.xlsx", title=TITLE, parts=kept)
    assert len(streamed) == 2 * len(appendix["sheets"])
    again = write_appendix(appendix, tmp_path / "again.xlsx", title=TITLE, parts=kept)
    assert len(streamed) == 2 * len(appendix["sheets"])  # nothing streamed the third time
    assert fresh.read_bytes() == first.read_bytes() == again.read_bytes()
    assert cells(again)[SHEETS["submissions"]][2][:3] == sheet_rows(appendix, SHEETS["submissions"])[0][:3]


def test_a_late_units_changed_rows_restream_only_the_sheets_that_changed(settings, reference, tmp_path, streamed):
    before = make_context(settings, reference)["appendix"]
    kept = catalog.appendix_parts(settings.home)
    write_appendix(before, tmp_path / "before.xlsx", title=TITLE, parts=kept)
    after = copy.deepcopy(before)
    submissions = sheet_rows(after, SHEETS["submissions"])
    submissions[0][5] = "更正：补充说明 <b>&amp;</b>"  # a note the unit typed, new text for the shared strings
    rankings = sheet_rows(after, SHEETS["rankings"])
    rankings[0][4] = 91.25  # a score moved: a number, no new string
    streamed.clear()
    out = write_appendix(after, tmp_path / "after.xlsx", title=TITLE, parts=kept)
    assert streamed == [SHEETS["rankings"], SHEETS["submissions"]]
    fresh = write_appendix(after, tmp_path / "fresh.xlsx", title=TITLE)
    assert parts(out) == parts(fresh) and out.read_bytes() == fresh.read_bytes()
    assert cells(out) == cells(fresh) and cells(out) != cells(tmp_path / "before.xlsx")
    assert cells(out)[SHEETS["submissions"]][2][5] == "更正：补充说明 <b>&amp;</b>"


def test_new_text_in_an_early_sheet_moves_the_strings_of_the_later_ones(settings, reference, tmp_path, streamed):
    """A later sheet's part points into the shared strings: a new string before it means writing it again."""
    before = make_context(settings, reference)["appendix"]
    kept = catalog.appendix_parts(settings.home)
    write_appendix(before, tmp_path / "before.xlsx", title=TITLE, parts=kept)
    after = copy.deepcopy(before)
    after["sheets"][0]["rows"][0][1] = "一个新的指标名称"
    streamed.clear()
    out = write_appendix(after, tmp_path / "after.xlsx", title=TITLE, parts=kept)
    assert streamed == [sheet["name"] for sheet in after["sheets"]]
    assert out.read_bytes() == write_appendix(after, tmp_path / "fresh.xlsx", title=TITLE).read_bytes()


def test_a_new_title_or_a_damaged_part_is_written_again(settings, reference, tmp_path, streamed):
    appendix = make_context(settings, reference)["appendix"]
    kept = catalog.appendix_parts(settings.home)
    write_appendix(appendix, tmp_path / "a.xlsx", title=TITLE, parts=kept)
    streamed.clear()
    out = write_appendix(appendix, tmp_path / "b.xlsx", title=TITLE.replace("第2期", "第3期"), parts=kept)
    assert len(streamed) == len(appendix["sheets"])  # every sheet's title row names the issue
    for damaged in kept.glob("*.json"):
        damaged.write_text("[", "utf-8")
    streamed.clear()
    again = write_appendix(appendix, tmp_path / "c.xlsx", title=TITLE.replace("第2期", "第3期"), parts=kept)
    assert len(streamed) == len(appendix["sheets"]) and again.read_bytes() == out.read_bytes()


def test_a_published_draft_keeps_its_sheets_for_the_next_revision(settings, reference, tmp_path, fast_pdf, streamed):
    first = publish_report(settings, "2020-04", make_context(settings, reference), issued_at=ISSUED)
    assert sorted(catalog.appendix_parts(settings.home).glob("*.xml"))
    streamed.clear()
    late = make_context(settings, reference)
    sheet_rows(late["appendix"], SHEETS["submissions"])[0][5] = "更正：补充说明"  # a late file's note
    second = publish_report(settings, "2020-04", late, reason="逾期更正", issued_at=ISSUED)
    assert second["created"] and SHEETS["submissions"] in streamed
    assert streamed == [SHEETS["submissions"]]  # every other sheet copied
    fresh = write_appendix(late["appendix"], tmp_path / "fresh.xlsx", title=TITLE)
    assert cells(second["xlsx"])[SHEETS["indicators"]][2:] == cells(fresh)[SHEETS["indicators"]][2:]
    assert first["xlsx"] == second["xlsx"]  # the unsigned draft redone in place
