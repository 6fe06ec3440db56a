"""A 专报 for a province-sized district: every list the document prints is bounded by
`report_detail_rows`, with a “见附表（Excel）” line, and the Excel 附表 has every row."""
from __future__ import annotations

import re
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from benchmarks.province import province_reference
from zhuanbao.tasks.core.reference import load_reference
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.demo.report_sample import demo_frames, demo_metrics, demo_status
from zhuanbao.tasks.report.appendix import SHEETS
from zhuanbao.tasks.report.catalogue import catalogue_drift
from zhuanbao.tasks.report.context import problems_from_metrics
from zhuanbao.tasks.report.editors import build_context, publish_report
from zhuanbao.tasks.report.publish import inputs_digest

pytestmark = pytest.mark.slow  # a big run: the 专报 of 300 units, typeset (WeasyPrint) and read back (pdftotext)
PERIOD = "2020-04"
UNITS, ROWS = 300, 20
ISSUED = datetime.fromisoformat("2020-05-16T09:00:00+08:00")
MORE = "见附表（Excel）"


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    home = tmp_path_factory.mktemp("province")
    province_reference(UNITS, home)
    settings = load_settings(home=home, report_detail_rows=ROWS)
    reference = load_reference(settings, 2020)
    codes = reference.required_units(PERIOD)
    late, missing, rejected = codes[:40], codes[40:75], codes[75:80]
    status = demo_status(settings, reference, PERIOD, late=late, missing=missing, rejected=rejected)
    frames = demo_frames(reference, PERIOD, drop=tuple(missing) + tuple(rejected))
    metrics = demo_metrics(settings, reference, PERIOD, status, frames)
    context = build_context(settings, PERIOD, reference, metrics, status)
    out = publish_report(settings, PERIOD, context, issued_at=ISSUED)
    return {"settings": settings, "metrics": metrics, "context": context, "out": out, "codes": codes}


def lists_of(context: dict) -> dict[str, list]:
    """Every list the templates print, by a readable name."""
    out = {"indicators.rows": context["indicators"]["rows"], "indicators.by_unit": context["indicators"]["by_unit"],
           "projects (附表2)": [r for b in context["projects"]["batches"] for r in b["rows"]],
           "tasks.rows": context["tasks"]["rows"], "problems.rows": context["problems"]["rows"],
           "chart.items": context["chart"]["items"]}
    out |= {f"rankings.{k['kind']}": k["rows"] for k in context["rankings"]["kinds"]}
    out |= {f"submissions.{key}": context["submissions"][key] for key in ("late", "missing", "rejected", "rows")}
    return out


def test_every_list_is_bounded_with_a_more_line(province):
    context, metrics = province["context"], province["metrics"]
    assert catalogue_drift(context) == []
    for name, rows in lists_of(context).items():
        assert len(rows) <= ROWS, name
    assert len(metrics["unit_scores"]) == UNITS
    for more in (context["indicators"]["by_unit_more"], context["projects"]["more"], context["tasks"]["more"],
                 context["problems"]["more"], context["submissions"]["rows_more"], context["submissions"]["late_more"],
                 context["submissions"]["missing_more"], context["chart"]["more"]):
        assert MORE in more, more
    assert context["submissions"]["rows_more"].startswith(f"其余{UNITS - ROWS}个单位")
    township = context["rankings"]["kinds"][0]
    assert MORE in township["more"] and township["sentence"].startswith("乡镇（办事处）共")
    ranks = [int(r["rank"]) for r in township["rows"]]
    assert ranks == sorted(ranks) and township["rows"][-1]["status"] in ("未报送", "退回待更正")  # top and bottom
    # the units that matter most come first: unsent units head the submissions table
    assert {r["status_code"] for r in context["submissions"]["rows"]} == {"missing"}
    assert all(r["lagging"] or r["unreported"] for r in context["indicators"]["by_unit"])  # 滞后 and 未报 first
    # sentences that join unit names are capped too
    assert context["overview"]["headline"].count("等40个单位") == 2  # 40 late; 35 missing + 5 rejected unsent
    # 七、报送情况: the sentence gives counts, the lines below name each unit once, capped with a more-line
    assert "逾期报送40个" in context["submissions"]["sentence"]
    assert len(context["submissions"]["late"]) == ROWS and "其余" in context["submissions"]["late_more"]
    assert all(len(part.split("、")) <= 10 for r in context["tasks"]["rows"]
               for part in (r["behind_lagging"], r["behind_unreported"]))


def test_documents_print_the_bounded_lists(province):
    out = province["out"]
    html = Path(out["html"]).read_text(encoding="utf-8")
    for table in re.findall(r"<tbody>(.*?)</tbody>", html, flags=re.DOTALL):  # 表2's area headings are no rows
        assert table.count("<tr>") - table.count('<tr><td class="area"') <= ROWS
    assert html.count(MORE) >= 10
    pdf = subprocess.run(["pdftotext", out["pdf"], "-"], capture_output=True, text=True, check=True).stdout
    flat = pdf.replace(" ", "").replace("\n", "")
    assert f"其余{UNITS - ROWS}个单位（先列未报送、退回、逾期的）见附表（Excel）“报送情况”" in flat
    pages = subprocess.run(["pdfinfo", out["pdf"]], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", pages).group(1)) <= 26  # 表1 keeps the 12 shared indicators now
    doc = Document(out["docx"])
    text = "\n".join(p.text for p in doc.paragraphs)
    assert text.count(MORE) >= 10
    areas = sum(bool(g["heading"]) for g in province["context"]["tasks"]["groups"])
    assert max(len(t.rows) for t in doc.tables) <= ROWS + 1 + areas  # header + rows (+ 表2's area headings)


def test_excel_appendix_has_every_row(province):
    out, metrics = province["out"], province["metrics"]
    path = Path(out["xlsx"])
    assert path.name == "专报_2020-04_第1期_附表.xlsx" and path.parent == Path(out["pdf"]).parent
    book = load_workbook(path, read_only=False)
    expected = {SHEETS["indicators"]: len(metrics["indicator_metrics"]),
                SHEETS["projects"]: len(metrics["project_metrics"]),
                SHEETS["tasks"]: len(metrics["task_summary"]), SHEETS["task_units"]: len(metrics["task_metrics"]),
                SHEETS["rankings"]: UNITS, SHEETS["submissions"]: UNITS,
                SHEETS["problems"]: len(problems_from_metrics(metrics)),
                SHEETS["totals"]: len(metrics["district_totals"])}
    assert set(book.sheetnames) == set(expected)
    for name, rows in expected.items():
        sheet = book[name]
        assert sheet.max_row == rows + 2, name  # title, header, rows
        assert sheet.freeze_panes == "A3", name
        assert "2020年4月" in sheet["A1"].value and name in sheet["A1"].value  # which report and month
    ranking = book[SHEETS["rankings"]]
    header = [c.value for c in ranking[2]]
    assert header[:5] == ["单位类别", "名次", "单位代码", "单位名称", "综合得分"]
    number = (int, float)  # Excel keeps no type: 100.0 reads back as 100
    assert all(isinstance(row[1], int) and isinstance(row[4], number)
               for row in ranking.iter_rows(min_row=3, values_only=True))
    share = header.index("按进度占比（%）")
    assert {row[share].number_format for row in ranking.iter_rows(min_row=3) if row[share].value is not None} == {"0.0"}
    status = {row[0]: row[2] for row in book[SHEETS["submissions"]].iter_rows(min_row=3, values_only=True)}
    arrived = [row[3] for row in book[SHEETS["submissions"]].iter_rows(min_row=3, values_only=True) if row[3]]
    assert arrived and all(isinstance(when, datetime) for when in arrived)  # real dates: they sort
    assert list(status.values()).count("未报送") == 35 and list(status.values()).count("退回待更正") == 5
    projects = book[SHEETS["projects"]]
    plan = [c.value for c in projects[2]].index("年度计划投资（万元）")
    assert all(isinstance(row[plan], number) for row in projects.iter_rows(min_row=3, values_only=True))
    assert {row[plan].number_format for row in projects.iter_rows(min_row=3)} == {"#,##0.0"}
    totals = [c.value for c in book[SHEETS["totals"]][2]]
    assert "年度目标增速（%）" in totals and "年度目标（数量）" in totals  # one measure per column


def test_rows_left_out_of_the_document_still_make_a_revision(province):
    context = province["context"]
    changed = {**context, "appendix": {"sheets": [dict(s) for s in context["appendix"]["sheets"]]}}
    sheet = changed["appendix"]["sheets"][1]
    sheet["rows"] = [list(r) for r in sheet["rows"]]
    sheet["rows"][-1][8] = 12345.0  # a figure only the 附表 shows
    assert inputs_digest(changed) != inputs_digest(context)
    again = publish_report(province["settings"], PERIOD, context)
    assert not again["created"] and again["xlsx"] == province["out"]["xlsx"]  # unchanged: nothing new
