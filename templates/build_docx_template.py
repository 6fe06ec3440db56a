"""Build templates/zhuanbao.docx once with python-docx (then editors own the file in Word/WPS).

Run `python templates/build_docx_template.py` only to start over: it overwrites the editors' file.
Layout after GB/T 9704-2012: A4, margins 37/26/35/28 mm, body 三号 仿宋_GB2312 with a fixed
28 pt line, 黑体 level-1 and 楷体 level-2 headings, page numbers “— 1 —” (a PAGE field), 附表 in a
landscape section. Word substitutes the free fonts when an office PC lacks the GB fonts.
"""
from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from zhuanbao.tasks.report.fonts import WORD_FONTS

OUT = Path(__file__).resolve().parent / "zhuanbao.docx"
RED = RGBColor(0xC0, 0x00, 0x00)


def set_font(target, name: str, size: float | None = None, bold: bool | None = None, color=None) -> None:
    """Font of a style or run, East Asian face included."""
    font = target.font
    font.name = name
    rpr = target.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)
    if size:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    if color is not None:
        font.color.rgb = color


def styles(doc) -> None:
    normal = doc.styles["Normal"]
    set_font(normal, WORD_FONTS["body"], 16)
    pf = normal.paragraph_format
    pf.line_spacing_rule, pf.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(28)
    pf.first_line_indent, pf.space_before, pf.space_after = Pt(32), Pt(0), Pt(0)
    pf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    for name, face, size in (("Heading 1", WORD_FONTS["heading"], 16), ("Heading 2", WORD_FONTS["kai"], 16)):
        style = doc.styles[name]
        set_font(style, face, size, bold=False, color=RGBColor(0, 0, 0))
        style.paragraph_format.first_line_indent = Pt(32)
        style.paragraph_format.space_before = style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        style.paragraph_format.line_spacing = Pt(28)
        style.paragraph_format.keep_with_next = True
    title = doc.styles.add_style("专报标题", 1)
    title.base_style = normal
    set_font(title, WORD_FONTS["title"], 22)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.first_line_indent = Pt(0)
    title.paragraph_format.line_spacing = Pt(36)
    title.paragraph_format.space_before, title.paragraph_format.space_after = Pt(18), Pt(12)
    cell = doc.styles.add_style("表格文字", 1)
    cell.base_style = normal
    set_font(cell, WORD_FONTS["body"], 10.5)
    cell.paragraph_format.first_line_indent = Pt(0)
    cell.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    cell.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption = doc.styles.add_style("表题", 1)
    caption.base_style = cell
    set_font(caption, WORD_FONTS["heading"], 12)
    caption.paragraph_format.space_before = Pt(6)


def page_number_footer(section) -> None:
    para = section.footer.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para.paragraph_format.first_line_indent = Pt(0)
    set_font(para.add_run("— "), "宋体", 14)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = para.add_run()
        set_font(run, "宋体", 14)
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text
    set_font(para.add_run(" —"), "宋体", 14)


def para(doc, text: str = "", style: str | None = None, *, indent: bool = True, align=None, **font):
    p = doc.add_paragraph(style=style)
    if not indent:
        p.paragraph_format.first_line_indent = Pt(0)
    if align is not None:
        p.alignment = align
    if text:
        run = p.add_run(text)
        if font:
            set_font(run, font.pop("name", WORD_FONTS["body"]), **font)
    return p


def cell_text(cell, spec: str) -> None:
    """'{{ row.x }}' as plain text; 'lag:row.x' red when row.lagging (run-level if)."""
    p = cell.paragraphs[0]
    p.style = "表格文字"
    if spec.startswith("lag:"):
        value = "{{ " + spec[4:] + " }}"
        p.add_run("{%r if " + spec[4:].rsplit(".", 1)[0] + ".lagging %}")
        red = p.add_run(value)
        red.font.color.rgb, red.font.bold = RED, True
        p.add_run("{%r else %}")
        p.add_run(value)
        p.add_run("{%r endif %}")
    else:
        p.add_run(spec)


def loop_table(doc, headers: list[str], cells: list[str], loops: list[str], caption: str | None = None,
               widths: list[float] | None = None) -> None:
    """A table: header row, `{%tr for … %}` rows, one data row, `{%tr endfor %}` rows."""
    if caption:
        para(doc, caption, "表题", indent=False)
    table = doc.add_table(rows=1, cols=len(headers))
    table.style, table.alignment = "Table Grid", WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers):
        cell.paragraphs[0].style = "表题"
        cell.paragraphs[0].add_run(text)
    for loop in loops:
        cell_text(table.add_row().cells[0], "{%tr " + loop + " %}")
    row = table.add_row().cells
    for cell, spec in zip(row, cells):
        cell_text(cell, spec)
    for _ in loops:
        cell_text(table.add_row().cells[0], "{%tr endfor %}")
    if widths:
        table.autofit = False
        for column, width in zip(table.columns, widths):
            column.width = Mm(width)
        for r in table.rows:
            for cell, width in zip(r.cells, widths):
                cell.width = Mm(width)


def more_line(doc, variable: str) -> None:
    """'其余…见附表（Excel）…' under a shortened list, only when the context says something was left out."""
    para(doc, "{%p if " + variable + " %}")
    para(doc, "{{ " + variable + " }}", "表格文字", indent=False, align=WD_ALIGN_PARAGRAPH.LEFT, size=12)
    para(doc, "{%p endif %}")


def build(out: Path = OUT) -> Path:
    doc = Document()
    styles(doc)
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.right_margin, sec.bottom_margin, sec.left_margin = Mm(37), Mm(26), Mm(35), Mm(28)
    sec.footer_distance = Mm(20)
    page_number_footer(sec)

    para(doc, "{%p if issue.draft %}")
    para(doc, "送审稿", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT, name=WORD_FONTS["heading"], color=RED)
    para(doc, "{%p endif %}")
    para(doc, "{{ title }}", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, name=WORD_FONTS["title"], size=28,
         color=RED)
    p = para(doc, "{{ issue.label }}", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    rev = p.add_run("{{ issue.revision_label }}")
    rev.font.color.rgb = RED
    para(doc, "{%p if not issue.draft %}")
    para(doc, "签发人：{{ issue.signer }}", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(doc, "{%p endif %}")
    p = para(doc, "{{ issue.office }}\t{{ issue.date }}", indent=False)
    p.paragraph_format.tab_stops.add_tab_stop(Mm(155), WD_TAB_ALIGNMENT.RIGHT)
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "4"), ("w:color", "C00000")):
        bottom.set(qn(key), value)
    border.append(bottom)
    p._p.get_or_add_pPr().append(border)
    para(doc, "{{ period.label }}重点工作推进情况", "专报标题")

    para(doc, "{%p if issue.is_revision %}")
    para(doc, "修订说明：本期为{{ issue.label }}的修订版（第{{ issue.revision }}次修订），替代此前印发的版本。",
         name=WORD_FONTS["kai"], size=16)
    para(doc, "{%p for note in issue.revision_notes %}")
    para(doc, "{{ loop.index }}. {{ note }}", name=WORD_FONTS["kai"], size=16)
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")

    doc.add_heading("一、总体情况", level=1)
    para(doc, "{{ overview.headline }}")
    para(doc, "{{ overview.progress }}")

    doc.add_heading("二、主要指标完成情况", level=1)
    para(doc, "{{ indicators.sentence }}")
    loop_table(doc, ["指标", "单位", "责任单位", "年度目标", "1-本月累计", "增速/完成率", "时序进度", "进度"],
               ["{{ row.name }}", "{{ row.measure }}", "{{ row.unit }}", "{{ row.target }}", "{{ row.cumulative }}",
                "lag:row.rate", "{{ row.time_progress }}", "lag:row.status"],
               ["for row in indicators.rows"], "表1 主要指标完成情况（全区口径）", [34, 14, 20, 20, 22, 22, 14, 10])
    more_line(doc, "indicators.more")
    image = para(doc, "{{ chart_image }}", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    image.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE  # an exact 28 pt line would clip the chart
    para(doc, "{{ chart.caption }}", "表格文字", indent=False, size=12)
    more_line(doc, "chart.more")

    doc.add_heading("三、重点项目推进情况", level=1)
    para(doc, "{{ projects.sentence }}")
    para(doc, "{%p for batch in projects.batches %}")
    doc.add_heading("（{{ loop.index }}）{{ batch.name }}项目", level=2)
    para(doc, "{{ batch.sentence }}（{{ batch.rule }}）")
    para(doc, "{%p endfor %}")

    doc.add_heading("四、重点任务推进情况", level=1)
    para(doc, "{{ tasks.sentence }}")
    loop_table(doc, ["任务", "牵头单位", "牵头单位进度", "平均进度", "已报/应报", "未达时序进度的单位"],
               ["{{ row.name }}", "{{ row.lead }}", "{{ row.lead_progress }}", "{{ row.mean_progress }}",
                "{{ row.units }}", "lag:row.behind"], ["for row in tasks.rows"], "表2 重点任务推进情况",
               [34, 30, 18, 18, 16, 40])
    more_line(doc, "tasks.more")

    doc.add_heading("五、各单位排名", level=1)
    para(doc, "{{ rankings.weights_text }}")
    para(doc, "{%p for kind in rankings.kinds %}")
    doc.add_heading("（{{ loop.index }}）{{ kind.kind }}", level=2)
    para(doc, "{{ kind.sentence }}")
    loop_table(doc, ["名次", "单位", "综合得分", "按进度事项", "占比", "按时报送", "报送状态"],
               ["{{ row.rank }}", "{{ row.unit }}", "{{ row.score }}", "{{ row.on_track }}", "{{ row.share }}",
                "{{ row.on_time }}", "{{ row.status }}"], ["for row in kind.rows"], None,
               [12, 44, 20, 22, 18, 18, 22])
    more_line(doc, "kind.more")
    para(doc, "{%p endfor %}")

    doc.add_heading("六、存在问题及需协调事项", level=1)
    para(doc, "{{ problems.sentence }}")
    para(doc, "{%p if problems.rows %}")
    loop_table(doc, ["序号", "单位", "项目或任务", "存在问题", "需协调事项或说明"],
               ["{{ row.no }}", "{{ row.unit }}", "{{ row.item }}", "{{ row.problem }}", "{{ row.coordination }}"],
               ["for row in problems.rows"], "表3 问题清单", [12, 30, 40, 37, 37])
    more_line(doc, "problems.more")
    para(doc, "{%p endif %}")

    doc.add_heading("七、报送情况", level=1)
    para(doc, "{{ submissions.sentence }}报送截止日期为{{ submissions.deadline }}。")
    for loop, text in (("submissions.late", "逾期报送：{{ row.unit }}，{{ row.received_at }}报送。"),
                       ("submissions.missing", "未报送：{{ row.unit }}。"),
                       ("submissions.rejected", "退回待更正：{{ row.unit }}（文件 {{ row.file }}），原因：{{ row.reason }}。")):
        para(doc, "{%p for row in " + loop + " %}")
        para(doc, text)
        para(doc, "{%p endfor %}")
        more_line(doc, loop + "_more")

    wide = doc.add_section(WD_SECTION.NEW_PAGE)
    wide.orientation = WD_ORIENT.LANDSCAPE
    wide.page_width, wide.page_height = Mm(297), Mm(210)
    wide.top_margin, wide.right_margin, wide.bottom_margin, wide.left_margin = Mm(28), Mm(37), Mm(26), Mm(35)
    doc.add_heading("附表1 分单位主要指标完成情况", level=1).paragraph_format.first_line_indent = Pt(0)
    loop_table(doc, ["单位", "指标", "年度目标", "1-本月累计", "增速/完成率", "进度"],
               ["{{ row.unit_name }}", "{{ row.name }}（{{ row.measure }}）", "{{ row.target }}",
                "{{ row.cumulative }}", "lag:row.rate", "lag:row.status"], ["for row in indicators.by_unit"],
               None, [50, 70, 30, 30, 28, 16])
    more_line(doc, "indicators.by_unit_more")
    doc.add_heading("附表2 重点项目推进明细", level=1).paragraph_format.first_line_indent = Pt(0)
    loop_table(doc, ["批次", "项目", "责任单位", "年度计划（万元）", "累计完成（万元）", "完成率", "状态", "形象进度", "进度"],
               ["{{ batch.name }}", "{{ row.name }}", "{{ row.unit }}", "{{ row.annual_plan }}", "{{ row.cumulative }}",
                "{{ row.completion }}", "{{ row.status }}", "{{ row.progress }}", "lag:row.judgement"],
               ["for batch in projects.batches", "for row in batch.rows"], None, [20, 62, 34, 22, 22, 16, 14, 22, 12])
    more_line(doc, "projects.more")
    doc.add_heading("附表3 各单位报送情况", level=1).paragraph_format.first_line_indent = Pt(0)
    loop_table(doc, ["单位", "报送状态", "报送时间", "按时", "备注"],
               ["{{ row.unit }}", "{{ row.status }}", "{{ row.received_at }}", "{{ row.on_time }}", "{{ row.note }}"],
               ["for row in submissions.rows"], None, [50, 30, 46, 16, 80])
    more_line(doc, "submissions.rows_more")
    para(doc, "{%p if not issue.draft %}")  # 版记: 印发机关 and 印发日期, between two rules
    banji = para(doc, "{{ issue.office }}\t{{ issue.printed_date }}印发", indent=False, size=14)
    banji.paragraph_format.tab_stops.add_tab_stop(Mm(225), WD_TAB_ALIGNMENT.RIGHT)
    rules = OxmlElement("w:pBdr")
    for side in ("w:top", "w:bottom"):
        rule = OxmlElement(side)
        for key, value in (("w:val", "single"), ("w:sz", "8"), ("w:space", "4"), ("w:color", "000000")):
            rule.set(qn(key), value)
        rules.append(rule)
    banji._p.get_or_add_pPr().append(rules)
    para(doc, "{%p endif %}")
    doc.core_properties.title, doc.core_properties.author = "专报模板", "zhuanbao"
    doc.save(out)
    return out


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
