"""Build templates/zhuanbao.docx once with python-docx (then editors own the file in Word/WPS).

Run `python templates/build_docx_template.py` only to start over: it overwrites the editors' file.
Every heading, caption, table header and fixed sentence is a macro of templates/wording.j2 (the
text the HTML/PDF template uses too), so this file holds layout, not wording.

Layout after GB/T 9704-2012, written so Word, WPS and LibreOffice agree:
- A4, margins 37/26/35/28 mm, a document grid of 28 characters × 22 lines (line pitch 28.95 pt);
  body 三号 仿宋_GB2312, 黑体 一、 headings, 楷体 （一） headings. Every style names its fonts
  explicitly (no theme font or colour attributes, which Word would prefer over the names), and the
  font table lists the GB faces with their fallbacks (仿宋_GB2312 → 仿宋/FangSong, …), so WPS and
  LibreOffice do not fall back to one face for everything.
- Tables: column widths from the sample context's content (numbers get the width to stay on one
  line, text columns share the rest), number cells `w:noWrap` and right-aligned, the header row
  repeated on every page (`w:tblHeader`), no row split across pages (`w:cantSplit`).
- Page numbers “— 1 —” in 4号 宋体: odd pages right, even pages left, one character in.
- 附表 in a landscape section; the 版记 (印发机关, 印发日期) alone on a last portrait page,
  bottom-aligned between two bold rules, without a page number.
"""
from __future__ import annotations

import json
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
from zhuanbao.tasks.report import docx_layout, docx_tables
from zhuanbao.tasks.report.fonts import WORD_FONTS
from zhuanbao.tasks.report.render import jinja_env

HERE = Path(__file__).resolve().parent
OUT = HERE / "zhuanbao.docx"
SAMPLE = json.loads((HERE / "sample_context.json").read_text("utf-8"))
ENV = jinja_env(HERE)
RED = RGBColor(0xC0, 0x00, 0x00)


def set_font(target, name: str, size: float | None = None, bold: bool | None = None, color=None) -> None:
    """Font of a style or run, East Asian face included."""
    font = target.font
    font.name = name
    docx_layout.name_every_script(target.element.get_or_add_rPr(), name)
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
    pf.line_spacing_rule, pf.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(28.95)
    pf.first_line_indent, pf.space_before, pf.space_after = Pt(32), Pt(0), Pt(0)
    pf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    spacing = OxmlElement("w:spacing")  # 28 characters a line (docx_layout.document_grid)
    spacing.set(qn("w:val"), str(docx_layout.char_spacing_twips()))
    normal.element.get_or_add_rPr().insert_element_before(spacing, "w:w", "w:kern", "w:position", "w:sz", "w:szCs",
                                                           "w:highlight", "w:u", "w:effect", "w:lang")
    for name, face in (("Heading 1", WORD_FONTS["heading"]), ("Heading 2", WORD_FONTS["kai"]),
                       ("Heading 3", WORD_FONTS["body"])):
        style = doc.styles[name]
        set_font(style, face, 16, bold=False, color=RGBColor(0, 0, 0))
        style.font.italic = False
        style.paragraph_format.first_line_indent = Pt(32)
        style.paragraph_format.space_before = style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        style.paragraph_format.line_spacing = Pt(28.95)
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
    set_font(cell, WORD_FONTS["body"], docx_tables.CELL_FONT_PT)
    cell.paragraph_format.first_line_indent = Pt(0)
    cell.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    cell.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption = doc.styles.add_style("表题", 1)
    caption.base_style = cell
    set_font(caption, WORD_FONTS["heading"], 12)
    caption.paragraph_format.space_before = Pt(6)
    caption.paragraph_format.keep_with_next = True
    banji = doc.styles.add_style("版记", 1)
    banji.base_style = normal
    set_font(banji, WORD_FONTS["body"], 14)
    banji.paragraph_format.first_line_indent = Pt(0)
    for style in (title, cell, caption, banji):
        docx_layout.off_grid(style)
    docx_layout.default_fonts(doc, WORD_FONTS["body"])
    docx_layout.strip_theme(doc.styles.element)


def para(doc, text: str = "", style: str | None = None, *, indent: bool = True, align=None, **font):
    p = doc.add_paragraph(style=style)
    if not indent:
        p.paragraph_format.first_line_indent = Pt(0)
    if align is not None:
        p.alignment = align
    if not indent:
        docx_layout.off_grid(p)
    if text:
        run = p.add_run(text)
        if font:
            set_font(run, font.pop("name", WORD_FONTS["body"]), **font)
    return p


def cell_text(cell, spec: str) -> None:
    """'{{ row.x }}' as plain text; 'lag:row.x' red when row.lagging (run-level if); 'lag:row.x+row.y': x red
    when lagging, then y plain."""
    p = cell.paragraphs[0]
    p.style = "表格文字"
    if spec.startswith("lag:"):
        spec, _, plain = spec.partition("+")
        value = "{{ " + spec[4:] + " }}"
        p.add_run("{%r if " + spec[4:].rsplit(".", 1)[0] + ".lagging %}")
        red = p.add_run(value)
        red.font.color.rgb, red.font.bold = RED, True
        p.add_run("{%r else %}")
        p.add_run(value)
        p.add_run("{%r endif %}")
        if plain:
            p.add_run("{{ " + plain + " }}")
    else:
        p.add_run(spec)


def sample_rows(path: str, keys: list[str]) -> list[list[str]]:
    """The sample context's rows at `path` ('projects.batches[].rows'), as the cells' texts."""
    value = [SAMPLE]
    for part in path.split("."):
        many = part.endswith("[]")
        value = [v[part.rstrip("[]")] for v in value]
        if many:
            value = [item for v in value for item in v]
    rows = [item for v in value for item in (v if isinstance(v, list) else [v])]
    return [[str(r.get(k, "")) for k in keys] for r in rows]


def header_texts(macro: str) -> list[str]:
    return ENV.from_string('{% import "wording.j2" as w with context %}{{ w.' + macro + '() | cols | join("|") }}'
                           ).render(SAMPLE).split("|")


def loop_table(doc, macro: str, cells: list[str], loops: list[str], caption: str | None, sample: str,
               numeric: list[bool], total_mm: float = docx_layout.BLOCK_MM["portrait"], group_row: str = "",
               group_text: str = "") -> None:
    """A table: a header row (texts from wording.j2's `macro`), `{%tr for … %}` rows, one data row,
    `{%tr endfor %}` rows; widths from the sample context's values at `sample`. `group_row` (an
    `{%tr if … %}`) adds, inside the outer loop, a row spanning the table with `group_text` (a group's heading)."""
    if caption:
        para(doc, "{{ w." + caption + "() }}", "表题", indent=False)
    headers = header_texts(macro)
    keys = [c.partition("+")[0].split("row.")[-1].split(" ")[0].split("}")[0] if "row." in c else "batch"
            for c in cells]
    widths = docx_tables.content_widths(headers, sample_rows(sample, keys), numeric, total_mm)
    table = doc.add_table(rows=1, cols=len(headers))
    table.style, table.alignment = "Table Grid", WD_TABLE_ALIGNMENT.CENTER
    for i, cell in enumerate(table.rows[0].cells):
        cell.paragraphs[0].style = "表题"
        cell.paragraphs[0].add_run("{{ w." + macro + "() | col(" + str(i) + ") }}")
    group_cell = None
    for n, loop in enumerate(loops):
        cell_text(table.add_row().cells[0], "{%tr " + loop + " %}")
        if group_row and n == 0:
            cell_text(table.add_row().cells[0], group_row)
            heading_cells = table.add_row().cells
            group_cell = heading_cells[0].merge(heading_cells[-1])
            cell_text(group_cell, group_text)
            cell_text(table.add_row().cells[0], "{%tr endif %}")
    row = table.add_row().cells
    for cell, spec in zip(row, cells):
        cell_text(cell, spec)
    for _ in loops:
        cell_text(table.add_row().cells[0], "{%tr endfor %}")
    docx_tables.table_rows(table, widths, numeric)
    if group_cell is not None:  # the group's heading spans the row, left-aligned, wrapping
        for wrap in group_cell._tc.tcPr.findall(qn("w:noWrap")):
            group_cell._tc.tcPr.remove(wrap)
        group_cell.width = Mm(sum(widths))
        for paragraph in group_cell.paragraphs:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT


def more_line(doc, variable: str) -> None:
    """'其余…见附表（Excel）…' under a shortened list, only when the context says something was left out."""
    para(doc, "{%p if " + variable + " %}")
    para(doc, "{{ " + variable + " }}", "表格文字", indent=False, align=WD_ALIGN_PARAGRAPH.LEFT, size=12)
    para(doc, "{%p endif %}")





def heading(doc, macro: str, level: int, args: str = "", fallback: str = "") -> None:
    """A heading from wording.j2's `macro`; `fallback` (an expression) where an office's older wording.j2
    lacks the macro."""
    call = "w." + macro + "(" + args + ")"
    doc.add_heading("{{ " + (f"{call} if w.{macro} is defined else {fallback}" if fallback else call) + " }}",
                    level=level)


def masthead(doc) -> None:
    para(doc, '{%p import "wording.j2" as w with context %}')
    para(doc, "{%p if issue.draft %}")
    para(doc, "{{ w.draft_mark() }}", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT, name=WORD_FONTS["heading"], size=16)
    para(doc, "{%p endif %}")
    para(doc, "{{ title }}", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, name=WORD_FONTS["title"], size=28,
         color=RED)
    p = para(doc, "{{ issue.label }}", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    rev = p.add_run("{{ issue.revision_label }}")
    rev.font.color.rgb = RED
    p = para(doc, "{{ issue.office }}\t{% if not issue.draft %}{{ issue.date }}{% endif %}", indent=False)
    p.paragraph_format.left_indent = Pt(16)  # 空一字 at the left; a long office name leaves no room at the right
    p.paragraph_format.tab_stops.add_tab_stop(Mm(156), WD_TAB_ALIGNMENT.RIGHT)  # measured from the margin
    docx_layout.border(p, "bottom", 12, "C00000", 4)  # the red rule under the masthead
    para(doc, "{%p if issue.signer %}")
    para(doc, "{{ w.signer_line() }}", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(doc, "{%p endif %}")
    para(doc, "{{ w.doc_title() }}", "专报标题")
    para(doc, "{%p if issue.is_revision %}")
    para(doc, "{{ w.revision_note() }}", name=WORD_FONTS["kai"], size=16)
    para(doc, "{%p for note in issue.revision_notes %}")
    para(doc, "{{ loop.index }}. {{ note }}", name=WORD_FONTS["kai"], size=16)
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")


def body(doc) -> None:
    heading(doc, "h_overview", 1)
    para(doc, "{%p for m in overview.milestones %}")
    heading(doc, "h_milestone", 2, "m", fallback="w.h_double_half()")
    para(doc, "{{ m.text }}")
    para(doc, "{%p endfor %}")
    for macro, text in (("h_lagging", "overview.lagging_units"), ("h_reporting", "overview.headline")):
        heading(doc, macro, 2)
        para(doc, "{{ " + text + " }}")
    para(doc, "{{ overview.progress }}")

    para(doc, "{%p if present.indicators %}")
    heading(doc, "h_indicators", 1)
    para(doc, "{{ indicators.sentence }}")
    loop_table(doc, "th_indicators", ["{{ row.name }}", "{{ row.measure }}", "{{ row.unit }}", "{{ row.target }}",
                                      "{{ row.cumulative }}", "lag:row.rate", "{{ row.time_progress }}", "lag:row.status"],
               ["for row in indicators.rows"], "cap_indicators", "indicators.rows",
               [False, False, False, True, True, True, True, False])
    more_line(doc, "indicators.more")
    para(doc, "{%p endif %}")

    para(doc, "{%p if present.chart %}")
    image = para(doc, "{{ chart_image }}", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    image.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE  # an exact line would clip the chart
    para(doc, "{{ chart.caption }}", "表格文字", indent=False, size=12)
    more_line(doc, "chart.more")
    para(doc, "{%p endif %}")

    para(doc, "{%p if present.projects %}")
    heading(doc, "h_projects", 1)
    para(doc, "{{ projects.sentence }}")
    para(doc, "{%p for batch in projects.batches %}")
    heading(doc, "h_batch", 2, "loop.index, batch")
    para(doc, "{{ batch.sentence }}（{{ batch.rule }}）")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")

    para(doc, "{%p if present.tasks %}")
    heading(doc, "h_tasks", 1)
    para(doc, "{{ tasks.sentence }}")
    loop_table(doc, "th_tasks", ["{{ row.name }}", "{{ row.lead_cell }}", "{{ row.lead_progress }}",
                                 "{{ row.mean_progress }}", "{{ row.units }}", "lag:row.behind_lagging+row.behind_unreported"],
               ["for group in tasks.groups", "for row in group.rows"], "cap_tasks", "tasks.groups[].rows",
               [False, False, True, True, True, False], group_row="{%tr if group.heading %}", group_text="{{ group.heading }}")
    more_line(doc, "tasks.more")
    para(doc, "{%p if present.by_leader %}")
    heading(doc, "h_by_leader", 2, fallback="'按牵头区领导列示'")
    para(doc, "{%p for row in tasks.by_leader %}")
    para(doc, "{{ row.text }}")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")
    para(doc, "{%p endif %}")

    para(doc, "{%p if present.rankings %}")
    heading(doc, "h_rankings", 1)
    para(doc, "{{ rankings.weights_text }}")
    para(doc, "{%p for kind in rankings.kinds %}")
    heading(doc, "h_kind", 2, "loop.index, kind")
    para(doc, "{{ kind.sentence }}")
    para(doc, "{%p if kind.ranked %}")
    loop_table(doc, "th_rankings", ["{{ row.rank }}", "{{ row.unit }}", "{{ row.score }}", "{{ row.on_track }}",
                                    "{{ row.share }}", "{{ row.on_time }}", "{{ row.status }}"],
               ["for row in kind.rows"], None, "rankings.kinds[].rows", [True, False, True, True, True, False, False])
    para(doc, "{%p endif %}")
    more_line(doc, "kind.more")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")

    heading(doc, "h_problems", 1)
    heading(doc, "h_problem_list", 2)
    para(doc, "{{ problems.sentence }}")
    para(doc, "{%p if problems.rows %}")
    loop_table(doc, "th_problems", ["{{ row.no }}", "{{ row.unit }}", "{{ row.item }}", "{{ row.problem }}",
                                    "{{ row.coordination }}"], ["for row in problems.rows"], "cap_problems",
               "problems.rows", [True, False, False, False, False])
    more_line(doc, "problems.more")
    para(doc, "{%p endif %}")
    heading(doc, "h_flags", 2)
    para(doc, "{{ flags.sentence }}")
    para(doc, "{%p if flags.rows %}")
    loop_table(doc, "th_flags", ["{{ row.no }}", "{{ row.unit }}", "{{ row.item }}", "{{ row.rule }}",
                                 "{{ row.explain }}"], ["for row in flags.rows"], "cap_flags", "flags.rows",
               [True, False, False, False, False])
    more_line(doc, "flags.more")
    para(doc, "{%p endif %}")

    heading(doc, "h_submissions", 1)
    para(doc, "{{ submissions.sentence }}{{ w.deadline_sentence() }}")
    for loop, macro in (("submissions.late", "late_line"), ("submissions.missing", "missing_line"),
                        ("submissions.rejected", "rejected_line")):
        para(doc, "{%p for row in " + loop + " %}")
        para(doc, "{{ w." + macro + "(row) }}")
        para(doc, "{%p endfor %}")
        more_line(doc, loop + "_more")


def page_setup(section, *, landscape: bool = False) -> None:
    """A4 with the GB/T 9704 margins (top 37, right 26, bottom 35, left 28 mm), turned for landscape, on the grid."""
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    width, height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    section.page_width, section.page_height = width, height
    margins = (Mm(28), Mm(37), Mm(26), Mm(35)) if landscape else (Mm(37), Mm(26), Mm(35), Mm(28))
    section.top_margin, section.right_margin, section.bottom_margin, section.left_margin = margins
    docx_layout.document_grid(section)


def new_page_section(doc, *, landscape: bool = False):
    """A section starting on a new page, set up by `page_setup`."""
    para(doc, "", indent=False)  # the section break's own paragraph (docxtpl drops {%p %} paragraphs with it)
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    page_setup(section, landscape=landscape)
    return section


def appendix(doc) -> None:
    new_page_section(doc, landscape=True)
    total = docx_layout.BLOCK_MM["landscape"]
    para(doc, "{%p if present.appendix_indicators %}")
    heading(doc, "h_appendix1", 1)
    loop_table(doc, "th_appendix1", ["{{ row.unit_name }}", "{{ row.name }}（{{ row.measure }}）", "{{ row.target }}",
                                     "{{ row.cumulative }}", "lag:row.rate", "lag:row.status"],
               ["for row in indicators.by_unit"], None, "indicators.by_unit",
               [False, False, True, True, True, False], total)
    more_line(doc, "indicators.by_unit_more")
    para(doc, "{%p endif %}")
    para(doc, "{%p if present.appendix_projects %}")
    heading(doc, "h_appendix2", 1)
    loop_table(doc, "th_appendix2", ["{{ batch.name }}", "{{ row.name }}", "{{ row.unit }}", "{{ row.annual_plan }}",
                                     "{{ row.cumulative }}", "{{ row.completion }}", "{{ row.status }}",
                                     "{{ row.progress }}", "lag:row.judgement"],
               ["for batch in projects.batches", "for row in batch.rows"], None, "projects.batches[].rows",
               [False, False, False, True, True, True, False, False, False], total)
    more_line(doc, "projects.more")
    para(doc, "{%p endif %}")
    para(doc, "{%p if present.appendix_submissions %}")
    heading(doc, "h_appendix3", 1)
    loop_table(doc, "th_appendix3", ["{{ row.unit }}", "{{ row.status }}", "{{ row.received_at }}", "{{ row.on_time }}",
                                     "{{ row.note }}"], ["for row in submissions.rows"], None, "submissions.rows",
               [False, False, True, False, False], total)
    more_line(doc, "submissions.rows_more")
    para(doc, "{%p endif %}")


def banji(doc) -> None:
    """The 版记 alone on a last portrait page, at the bottom, between bold rules, without a page number."""
    last = new_page_section(doc)
    docx_layout.no_page_numbers(last)
    docx_layout.bottom_aligned(last)
    docx_tables.banji_table(doc, "{{ w.banji_office() }}", "{{ w.banji_date() }}", "版记")
    end = para(doc, "", indent=False)  # a document ends with a paragraph; 1 pt, so the 版记 stays at the bottom
    end.paragraph_format.line_spacing_rule, end.paragraph_format.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(1)


def build(out: Path = OUT) -> Path:
    doc = Document()
    styles(doc)
    docx_layout.font_table(doc)
    sec = doc.sections[0]
    page_setup(sec)
    sec.footer_distance = Mm(28)  # the number's line about 7 mm under the text block
    docx_layout.page_numbers(doc, sec)
    masthead(doc)
    body(doc)
    appendix(doc)
    banji(doc)
    doc.core_properties.title, doc.core_properties.author = "专报模板", "zhuanbao"
    doc.save(out)
    return out


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
