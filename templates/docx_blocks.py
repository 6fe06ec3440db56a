"""The building blocks of templates/zhuanbao.docx (fonts, styles, paragraphs, tables from wording.j2's macros,
page sections), used by templates/build_docx_template.py, which lays out the document's sections with them."""
from __future__ import annotations

import json
from pathlib import Path

from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from zhuanbao.tasks.report import docx_layout, docx_tables
from zhuanbao.tasks.report.fonts import WORD_FONTS
from zhuanbao.tasks.report.render import jinja_env

HERE = Path(__file__).resolve().parent
SAMPLE = json.loads((HERE / "sample_context.json").read_text("utf-8"))
ENV = jinja_env(HERE)
RED = RGBColor(0xC0, 0x00, 0x00)
SUMMARY_RULE, SUMMARY_GAP_PT = 6, 8.0  # the 本期要点 frame: ¾ pt (the PDF's 1px) red, 8 pt of air under it


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
    char_spacing(normal, docx_layout.char_spacing_twips())  # 28 characters a line (docx_layout.document_grid)
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
    banji.paragraph_format.line_spacing = Pt(28)
    summary = doc.styles.add_style("本期要点", 1)  # as the PDF's .notes: 4号, 24 pt lines, no indent
    summary.base_style = normal
    set_font(summary, WORD_FONTS["body"], 14)
    summary.paragraph_format.first_line_indent = Pt(0)
    summary.paragraph_format.line_spacing = Pt(24)
    char_spacing(summary, 0)
    masthead, footer = line_styles(doc, normal)
    for style in (title, cell, caption, banji, summary, masthead, footer):
        docx_layout.off_grid(style)
    docx_layout.default_fonts(doc, WORD_FONTS["body"])
    docx_layout.strip_theme(doc.styles.element)


def char_spacing(style, twips: int) -> None:
    """Characters of `style` `twips`/20 pt closer together (negative) or further apart."""
    rpr = style.element.get_or_add_rPr()
    spacing = rpr.find(qn("w:spacing"))
    if spacing is None:
        spacing = OxmlElement("w:spacing")
        rpr.insert_element_before(spacing, "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u",
                                  "w:effect", "w:lang")
    spacing.set(qn("w:val"), str(twips))


def line_styles(doc, normal):
    """The masthead's office-and-date line (版头) and the footer (one 4号 line: the page number; an empty
    footer, the 版记 page's, takes no more room)."""
    masthead = doc.styles.add_style("版头", 1)  # the office and date line of the masthead
    masthead.base_style = normal
    set_font(masthead, WORD_FONTS["body"], 16)
    latin = masthead.element.get_or_add_rPr().find(qn("w:rFonts"))
    for attr in ("w:ascii", "w:hAnsi"):  # the date's digits half-width (LibreOffice's fallback digits are wider)
        latin.set(qn(attr), "Times New Roman")
    masthead.paragraph_format.first_line_indent = Pt(0)
    masthead.paragraph_format.space_after = Pt(4)  # the red rule 4 pt under the line
    char_spacing(masthead, -12)  # a long office and the date on one line even in LibreOffice's wider fallback digits
    for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):  # no extra space between 2020 and 年
        node = OxmlElement(tag)
        node.set(qn("w:val"), "0")
        masthead.element.get_or_add_pPr().insert_element_before(node, "w:bidi", "w:adjustRightInd", "w:snapToGrid",
                                                                 *docx_layout.AFTER_SNAP)
    footer = doc.styles["Footer"]
    footer.base_style = normal
    footer.paragraph_format.first_line_indent = Pt(0)
    footer.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    footer.paragraph_format.line_spacing = Pt(docx_layout.NUMBER_PT)
    return masthead, footer


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


def page_setup(section, *, landscape: bool = False) -> None:
    """A4 with the GB/T 9704 margins (top 37, right 26, bottom 35, left 28 mm), turned for landscape, on the grid."""
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    width, height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    section.page_width, section.page_height = width, height
    margins = (Mm(28), Mm(37), Mm(26), Mm(35)) if landscape else (Mm(37), Mm(26), Mm(35), Mm(28))
    section.top_margin, section.right_margin, section.bottom_margin, section.left_margin = margins
    docx_layout.document_grid(section)


def new_page_section(doc, *, landscape: bool = False, start=WD_SECTION.NEW_PAGE):
    """A section starting on a new page (`start`: WD_SECTION.EVEN_PAGE for the next even page), set up by `page_setup`."""
    para(doc, "", indent=False)  # the section break's own paragraph (docxtpl drops {%p %} paragraphs with it)
    section = doc.add_section(start)
    page_setup(section, landscape=landscape)
    return section


def leader_summary(doc) -> None:
    """Page 1 under the title: 本期要点 (overview.summary, wording.j2's `h_summary` and `summary_line`) framed in red
    as in the PDF, a 修订版's one-line pointer first inside the frame (without a summary, the pointer alone)."""
    para(doc, "{%p if overview.summary %}")
    cell = docx_tables.boxed(doc, rule=(SUMMARY_RULE, "C00000"), padding_mm=(2.0, 4.0))
    for text, font in (("{%p if issue.is_revision %}", {}), ("{{ w.revision_pointer() }}", {"name": WORD_FONTS["kai"]}),
                       ("{%p endif %}", {}), ("{{ w.h_summary() }}", {"name": WORD_FONTS["heading"]}),
                       ("{%p for line in overview.summary %}", {}), ("{{ w.summary_line(line) }}", {}),
                       ("{%p endfor %}", {})):
        p = cell.paragraphs[0] if text.startswith("{%p if issue") else cell.add_paragraph()
        p.style = "本期要点"
        run = p.add_run(text)
        if font:
            set_font(run, font["name"])
    para(doc, "", indent=False).paragraph_format.line_spacing = Pt(SUMMARY_GAP_PT)  # clear of the heading under it
    para(doc, "{%p elif issue.is_revision %}")
    para(doc, "{{ w.revision_pointer() }}", name=WORD_FONTS["kai"], size=16)
    para(doc, "{%p endif %}")


def revision_notes(doc) -> None:
    """A 修订版's 修订说明, after the body (page 1 carries only `leader_summary`'s pointer)."""
    para(doc, "{%p if issue.is_revision %}")
    para(doc, "{{ w.revision_note() }}", name=WORD_FONTS["kai"], size=16)
    para(doc, "{%p for note in issue.revision_notes %}")
    para(doc, "{{ loop.index }}. {{ note }}", name=WORD_FONTS["kai"], size=16)
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")
