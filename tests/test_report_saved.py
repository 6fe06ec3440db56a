"""What an issue keeps and redoes: its .json holds the document, not the 附表's rows (so it does not
grow with the units), yet its digest, the signed 附表 and the workbook's cells are what they were;
a rerun with unchanged inputs renders nothing."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook

from zhuanbao.tasks.report import appendix as appendix_module
from zhuanbao.tasks.report import render as render_module
from zhuanbao.tasks.report.appendix import SHEETS, write_appendix
from zhuanbao.tasks.report.approval import review, sign
from zhuanbao.tasks.report.editors import publish_report
from zhuanbao.tasks.report.publish import inputs_digest

from .test_report import make_context

PERIOD = "2020-04"
ISSUED = datetime.fromisoformat("2020-05-16T09:00:00+08:00")
SIGNED = datetime.fromisoformat("2020-05-17T23:30:00+00:00")


def test_saved_json_names_the_sheets_and_keeps_the_digest(settings, reference, fast_pdf):
    context = make_context(settings, reference)
    out = publish_report(settings, PERIOD, context, issued_at=ISSUED)
    saved = json.loads(Path(out["json"]).read_text("utf-8"))
    book = load_workbook(out["xlsx"])
    assert [s["name"] for s in saved["appendix"]["sheets"]] == book.sheetnames
    assert saved["appendix"]["workbook"] == Path(out["xlsx"]).name
    for sheet in saved["appendix"]["sheets"]:
        assert "rows" not in sheet and book[sheet["name"]].max_row == sheet["row_count"] + 2  # title, header
    assert "revision_data" not in saved
    assert saved["overview"] == context["overview"] and saved["submissions"] == context["submissions"]
    assert inputs_digest(saved) == inputs_digest(context) == out["digest"]  # what rebuild-registry reads


def test_unchanged_rerun_renders_nothing(settings, reference, fast_pdf, monkeypatch):
    first = publish_report(settings, PERIOD, make_context(settings, reference), issued_at=ISSUED)

    def refuse(*args, **kwargs):
        raise AssertionError("文档被重新生成")

    monkeypatch.setattr(render_module, "render_all", refuse)
    monkeypatch.setattr(appendix_module, "write_appendix", refuse)
    again = publish_report(settings, PERIOD, make_context(settings, reference), reason="重跑", issued_at=ISSUED)
    assert not again["created"] and (again["pdf"], again["xlsx"]) == (first["pdf"], first["xlsx"])


def test_signed_issue_carries_the_drafts_appendix(settings, reference, fast_pdf):
    draft = publish_report(settings, PERIOD, make_context(settings, reference), issued_at=ISSUED)
    review(settings, PERIOD, "李华")
    files = sign(settings, PERIOD, "王明", at=SIGNED)["files"]
    assert Path(files["xlsx"]).parent.name == "published"
    assert Path(files["xlsx"]).read_bytes() == Path(draft["xlsx"]).read_bytes()
    signed = json.loads(Path(files["json"]).read_text("utf-8"))
    assert signed["issue"]["signer"] == "王明" and "rows" not in signed["appendix"]["sheets"][0]


def test_appendix_cells_are_typed_and_text_is_never_a_formula(tmp_path):
    evil = ['=HYPERLINK("http://evil.example","点我")', "=cmd|' /C calc'!A0", "资金_x000B_未到位\x07"]
    appendix = {"sheets": [{"name": SHEETS["problems"], "columns": ["序号", "存在问题", "金额（万元）", "报送时间"],
                            "rows": [[1, evil[0], 1234.5, "2020-05-14T08:01:00+08:00"],
                                     [2, evil[1], None, ""], [3, evil[2], 7.0, None]]}]}
    path = write_appendix(appendix, tmp_path / "附表.xlsx", title="重点工作专报 2020年4月 附表")
    sheet = load_workbook(path)[SHEETS["problems"]]
    assert sheet["A1"].value == "重点工作专报 2020年4月 附表：问题清单" and sheet["A1"].font.b
    assert [c.value for c in sheet[2]] == ["序号", "存在问题", "金额（万元）", "报送时间"] and sheet["B2"].font.b
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref == "A2:D5"
    texts = [sheet.cell(row=r, column=2) for r in range(3, 6)]
    assert [c.value for c in texts] == [evil[0], evil[1], "资金未到位"] and {c.data_type for c in texts} == {"s"}
    assert sheet["C3"].value == 1234.5 and sheet["C3"].number_format == "#,##0.0" and sheet["C4"].value is None
    assert sheet["D3"].value == datetime(2020, 5, 14, 8, 1) and sheet["D3"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["A3"].number_format == "#,##0"
