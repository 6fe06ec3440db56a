"""The 考核通报's files under `reports/<Y>/` (tasks/core/catalog.py `assessment_dir`): HTML, PDF (WeasyPrint from
that HTML, as the 专报), Word (python-docx) and the Excel 附表 (the 专报's streamed writer), plus the context as
JSON. Text the units typed (their names) is escaped by Jinja's autoescape and kept as data in Word and Excel.

The 通报 is written as a draft (送审稿): the office's review and signing (tasks/report/approval.py) key on a
period's 专报 (`report_issues.period`, issue numbers per year); signing the 通报 needs a document id there.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from ..core import catalog
from ..core.reference import Reference
from ..core.settings import Settings
from ..report import render
from ..report.appendix import write_appendix
from .notice import notice_context

HTML_TEMPLATE = "assessment.html.j2"


def file_stem(result: dict) -> str:
    """考核通报_2020 or 考核通报_2020_截至2020-06."""
    return f"考核通报_{result['year']}" + (f"_截至{result['through']}" if result.get("through") else "")


def sheet_name(label: str) -> str:
    """A kind's label as an Excel sheet name (no []:*?/\\, at most 31 characters)."""
    return "".join("_" if ch in "[]:*?/\\" else ch for ch in label)[:31] or "单位"


def appendix(context: dict) -> dict:
    """The 附表 sheets: scores and ranks (one per kind), then the ledger."""
    sheets = []
    for group in context["groups"]:
        columns = ["排名", "单位", "年度得分", *context["periods"], "评定", "不得评先记录"]
        rows = [[r["rank"], r["name"], r["score"], *r["scores"], r["advanced"], r["records"]] for r in group["rows"]]
        sheets.append({"name": sheet_name(group["label"]), "columns": columns, "rows": rows})
    sheets.append({"name": "报送台账", "columns": ["单位", "单位代码", "按时", "逾期", "未报", "退回未补", "签发后更正",
                                                "其中向下更正"],
                   "rows": [[r["name"], r["code"], r["on_time"], r["late"], r["missing"], r["rejected"],
                             r["corrected"], r["downward"]] for r in context["ledger"]]})
    return {"sheets": sheets}


def _docx(context: dict, path: Path) -> Path:
    from docx import Document

    doc = Document()
    if context["draft"]:
        doc.add_paragraph("送审稿")
    doc.add_heading(context["title"], level=1)
    doc.add_paragraph(context["intro"])
    doc.add_heading("一、先进单位", level=2)
    doc.add_paragraph(context["advanced_sentence"])
    for line in context["advanced"]:
        doc.add_paragraph(line)
    doc.add_heading("二、不得评为先进的单位", level=2)
    for b in context["barred"] or [{"name": "各单位", "records": "本期间均无延误上报、漏报或虚报数据记录"}]:
        doc.add_paragraph(f"{b['name']}：{b['records']}。")
    doc.add_heading("三、各单位得分和排名", level=2)
    for group in context["groups"]:
        doc.add_paragraph(f"{group['label']}{'得分和排名' if group['ranked'] else '得分（不排名）'}")
        header = ["排名", "单位", "年度得分", *context["periods"], "评定", "不得评先记录"]
        table = doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            cell.text = text
        for r in group["rows"]:
            values = [str(r["rank"]), r["name"], r["score"], *r["scores"], r["advanced"], r["records"]]
            for cell, text in zip(table.add_row().cells, values, strict=True):
                cell.text = text
    doc.add_paragraph(f"{context['issuer']}　{context['date']}")
    doc.save(str(path))
    return path


def write_notice(settings: Settings, reference: Reference | None, result: dict, at: datetime | None = None) -> dict:
    """Write the 考核通报 (draft) of `result`; returns {format: path}."""
    at = (at or datetime.now(settings.tz)).astimezone(settings.tz)
    context = notice_context(settings, reference, result, at)
    folder = catalog.assessment_dir(settings.home, result["year"])
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / file_stem(result)
    paths = {fmt: stem.with_name(f"{stem.name}.{fmt}") for fmt in ("html", "pdf", "docx", "xlsx", "json")}
    html = render.jinja_env(home=settings.home).get_template(HTML_TEMPLATE).render(context)
    paths["html"].write_text(html, encoding="utf-8")
    render.write_pdf(html, paths["pdf"], home=settings.home)
    _docx(context, paths["docx"])
    write_appendix(appendix(context), paths["xlsx"], title=context["title"])
    paths["json"].write_text(json.dumps({"context": context, "assessment": result}, ensure_ascii=False, indent=1),
                             encoding="utf-8")
    return paths
