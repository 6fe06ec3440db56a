"""The 考核通报's files under `reports/<Y>/` (tasks/core/catalog.py `assessment_dir`): HTML, PDF (WeasyPrint from
that HTML, as the 专报), Word (python-docx) and the Excel 附表 (the 专报's streamed writer), plus the context as
JSON. Text the units typed (their names) is escaped by Jinja's autoescape and kept as data in Word and Excel.

`write_files` writes one set of them: the draft (送审稿, tasks/year/drafts.py decides when) or, at signing, the
signed 通报 with 签发人 and 印发日期 (tasks/year/signing.py).
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from ..core.reference import Reference
from ..core.settings import Settings
from ..report import render
from ..report.appendix import write_appendix
from .notice import notice_context

HTML_TEMPLATE = "assessment.html.j2"


FORMATS = ("html", "pdf", "docx", "xlsx", "json")


def file_stem(year: int, through: str | None = None, revision: int = 0) -> str:
    """考核通报_2020, 考核通报_2020_截至2020-06, a revision 考核通报_2020_修订1."""
    return (f"考核通报_{year}" + (f"_截至{through}" if through else "")
            + (f"_修订{revision}" if revision else ""))


def notice_paths(folder: Path, year: int, through: str | None = None, revision: int = 0) -> dict[str, Path]:
    """{format: path} of one revision's files in `folder`."""
    stem = file_stem(year, through, revision)
    return {fmt: Path(folder) / f"{stem}.{fmt}" for fmt in FORMATS}


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
    elif context.get("signer"):
        doc.add_paragraph(f"签发人：{context['signer']}")
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
    if context.get("printed_date"):
        doc.add_paragraph(f"{context['issuer']}　　{context['printed_date']}印发")
    doc.save(str(path))
    return path


def draft_context(settings: Settings, reference: Reference | None, result: dict, at: datetime | None = None) -> dict:
    """The context of the 考核通报's draft (送审稿) of `result`, dated `at` (now)."""
    at = (at or datetime.now(settings.tz)).astimezone(settings.tz)
    return notice_context(settings, reference, result, at)


def write_files(settings: Settings, context: dict, result: dict, paths: dict[str, Path]) -> dict[str, Path]:
    """Write one revision's HTML, PDF, Word, Excel 附表 and JSON (context and assessment) at `paths`."""
    paths["html"].parent.mkdir(parents=True, exist_ok=True)
    html = render.jinja_env(home=settings.home).get_template(HTML_TEMPLATE).render(context)
    paths["html"].write_text(html, encoding="utf-8")
    render.write_pdf(html, paths["pdf"], home=settings.home)
    _docx(context, paths["docx"])
    write_appendix(appendix(context), paths["xlsx"], title=context["title"])
    paths["json"].write_text(json.dumps({"context": context, "assessment": result}, ensure_ascii=False, indent=1),
                             encoding="utf-8")
    return paths
