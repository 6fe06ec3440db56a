"""The 专报: context sentences, the three formats, fonts, escaping, issue numbers and revisions."""
from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document

from zhuanbao.tasks.demo.report_sample import demo_frames, demo_metrics, demo_status
from zhuanbao.tasks.report.approval import review, sign
from zhuanbao.tasks.report.catalogue import GUIDE, catalogue_drift, load_sample_context
from zhuanbao.tasks.report.charts import ChartFontError, chart_png
from zhuanbao.tasks.report.editors import build_context, publish_report
from zhuanbao.tasks.report.fonts import find_office_fonts, font_css
from zhuanbao.tasks.report.guide import editor_guide

PERIOD = "2020-04"
EVIL = "<script>alert(1)</script>{{ 7*7 }}"
ISSUED = datetime.fromisoformat("2020-05-16T09:00:00+08:00")


def make_context(settings, reference, period=PERIOD, *, late=("T04",), missing=("T05",), rejected=("D02",)):
    status = demo_status(settings, reference, period, late=late, missing=missing, rejected=rejected)
    frames = demo_frames(reference, period, drop=tuple(missing) + tuple(rejected))
    frames["projects"].loc[frames["projects"]["project_code"] == "X09", "problems"] = EVIL
    return build_context(settings, period, reference, demo_metrics(settings, reference, period, status, frames),
                         status)


def docx_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_context_has_real_sentences(settings, reference):
    context = make_context(settings, reference)
    headline = context["overview"]["headline"]
    # as of the latest arrival (T04's late file, 5月18日), not "4月底" for files that came in May
    assert headline.startswith("截至2020年5月18日 10:05，全区应报单位18个，已报送并受理16个，其中按时报送15个")
    assert "逾期报送1个（北洲子镇）" in headline and "南湾湖办事处" in headline
    assert f"按时报送率{15 / 18 * 100:.1f}%" in headline
    assert context["submissions"]["rejected"][0]["unit"] == "区科技工信局"
    assert "约500" in context["submissions"]["rejected"][0]["reason"]
    assert any(r["lagging"] for r in context["indicators"]["rows"])
    assert [k["kind"] for k in context["rankings"]["kinds"]] == ["乡镇（办事处）", "园区", "区直部门", "区属国有企业"]
    assert any(r["problem"] == EVIL and r["unit"] == "河坝镇" for r in context["problems"]["rows"])
    assert [b["name"] for b in context["projects"]["batches"]] == ["竣工完工", "复工推进", "新开工"]


def test_catalogue_guide_and_sample_do_not_drift(settings, reference):
    assert catalogue_drift(make_context(settings, reference)) == []
    assert catalogue_drift(load_sample_context()) == []
    assert GUIDE.read_text(encoding="utf-8") == editor_guide(), "run: python -m zhuanbao.tasks.report.editors guide"


def test_publish_renders_three_formats(settings, reference):
    context = make_context(settings, reference)
    out = publish_report(settings, PERIOD, context, issued_at=ISSUED)
    assert out["issue_no"] == 1 and out["revision"] == 0 and out["created"]
    assert Path(out["pdf"]).name == "专报_2020-04_第1期.pdf"
    assert Path(out["xlsx"]).name == "专报_2020-04_第1期_附表.xlsx" and Path(out["xlsx"]).exists()
    assert all(context[part][key] == "" for part, key in (("tasks", "more"), ("problems", "more"),
                                                           ("submissions", "rows_more")))  # 18 units: all rows fit
    on_time_rate = f"{15 / 18 * 100:.1f}%"
    pdf_text = subprocess.run(["pdftotext", out["pdf"], "-"], capture_output=True, text=True,
                              check=True).stdout
    docx = docx_text(Path(out["docx"]))
    html = Path(out["html"]).read_text(encoding="utf-8")
    for text in (pdf_text, docx):
        flat = text.replace(" ", "").replace("\n", "")  # table cells wrap in the PDF
        for fact in ("第1期", "送审稿", "北洲子镇", "南湾湖办事处", "区科技工信局", on_time_rate,
                     "一、总体情况", "七、报送情况", "附表1"):
            assert fact in flat, fact
        assert "<script>alert(1)</script>{{7*7}}" in flat  # literal, never evaluated
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}" in html and "<script>alert" not in html
    fonts = subprocess.run(["pdffonts", out["pdf"]], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and "Type 3" not in fonts
    assert all(" yes " in row for row in rows), fonts  # every font embedded
    assert any("CJK" in row for row in rows), fonts
    saved = json.loads(Path(out["json"]).read_text(encoding="utf-8"))
    assert saved["issue"]["label"] == "第1期" and saved["issue"]["office"] == settings.issuing_office


def test_issue_numbers_revisions_and_no_op(settings, reference, fast_pdf):
    april = make_context(settings, reference, late=(), missing=("T04", "T05"))
    first = publish_report(settings, PERIOD, april, issued_at=ISSUED)
    files = sorted(p.name for p in settings.reports_dir(PERIOD).iterdir())
    again = publish_report(settings, PERIOD, make_context(settings, reference, late=(), missing=("T04", "T05")))
    assert not again["created"] and again["pdf"] == first["pdf"] and again["issue_no"] == 1
    assert sorted(p.name for p in settings.reports_dir(PERIOD).iterdir()) == files

    may = publish_report(settings, "2020-05", make_context(settings, reference, "2020-05"))
    assert (may["issue_no"], may["revision"]) == (2, 0)

    review(settings, PERIOD, "李华")
    sign(settings, PERIOD, "王明")  # signed: changed inputs now make a revision (unsigned: test_approval.py)
    reason = "北洲子镇（T04）5月18日逾期报送，补录后修订"
    revised = publish_report(settings, PERIOD, make_context(settings, reference), reason=reason)
    assert (revised["issue_no"], revised["revision"], revised["created"]) == (1, 1, True)
    assert Path(revised["pdf"]).name == "专报_2020-04_第1期_修订1.pdf"
    assert Path(revised["xlsx"]).name == "专报_2020-04_第1期_修订1_附表.xlsx" and Path(revised["xlsx"]).exists()
    assert Path(first["xlsx"]).exists()  # the earlier issue keeps its own 附表
    assert Path(first["pdf"]).exists() and Path(first["docx"]).exists()  # kept beside the revision
    changes = revised["changes"]
    assert changes["units_added"] == ["北洲子镇"] and changes["reason"] == reason
    assert any(f["item"] == "报送率" for f in changes["figures_changed"])
    notes = json.loads(Path(revised["json"]).read_text(encoding="utf-8"))["issue"]["revision_notes"]
    assert any("北洲子镇" in n for n in notes) and any(reason in n for n in notes)
    assert "修订说明" in docx_text(Path(revised["docx"])) and "（修订版）" in docx_text(Path(revised["docx"]))
    assert publish_report(settings, PERIOD, make_context(settings, reference))["created"] is False


def test_chart_glyphs_and_font_folder(settings, home):
    png = chart_png(load_sample_context()["chart"])
    assert png.startswith(b"\x89PNG")
    with pytest.raises(ChartFontError):
        chart_png({"items": [{"label": "\U0001d54f\U0001d550", "value": 0.5}], "time_progress": 0.3})
    assert find_office_fonts(home) == {}
    ukai = Path("/usr/share/fonts/truetype/arphic/ukai.ttc")
    if not ukai.exists():
        pytest.skip("fonts-arphic-ukai not installed")
    (home / "fonts").mkdir()
    shutil.copy(ukai, home / "fonts" / "仿宋_GB2312.ttc")
    found = find_office_fonts(home)
    assert set(found) >= {"body"} and found["body"].path.name == "仿宋_GB2312.ttc"
    assert 'font-family: "zb-body"' in font_css(home)
