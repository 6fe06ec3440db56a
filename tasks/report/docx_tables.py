"""Word tables that hold in Word, WPS and LibreOffice (used by templates/build_docx_template.py).

Owns the tables' OOXML: column widths from content (`content_widths`: numbers on one line, text columns
sharing the rest), fixed layout with the header row repeated on every page, rows that do not split and
number cells that never wrap (`table_rows`), left/right lines between rules (`ruled_lines`: the
masthead's office and date over the red rule, the 版记) and a framed box (`boxed`: page 1's 本期要点). The page,
fonts and grid are tasks/report/docx_layout.py's.
"""
from __future__ import annotations

import unicodedata

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from .docx_layout import BLOCK_MM

CELL_FONT_PT, CELL_PAD_MM = 10.5, 5.0  # padding: Word's default cell margins (2 × 1.9 mm) and a little air
AFTER_TBLW = ("w:jc", "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar",
              "w:tblLook")
AFTER_LAYOUT = ("w:tblCellMar", "w:tblLook")


def text_width(text: str, size_pt: float = CELL_FONT_PT) -> float:
    """Width of `text` in mm: CJK, full-width and ambiguous (“”%) characters one em, others ~0.65 em (DejaVu digits, LibreOffice's fallback, are that wide)."""
    em = size_pt * 25.4 / 72
    return sum(em if unicodedata.east_asian_width(c) in "WFA" else 0.65 * em for c in text)


def content_widths(headers: list[str], rows: list[list[str]], numeric: list[bool], total_mm: float) -> list[float]:
    """Column widths (mm) summing to `total_mm`: a numeric column gets its longest value on one line
    (and at least a two-line header); text columns share the rest in proportion to their content
    (capped at 14 em, so one long name does not starve the others), each at least 3 em."""
    em = CELL_FONT_PT * 25.4 / 72
    fixed, want = [], []
    for i, head in enumerate(headers):
        values = [r[i] for r in rows if i < len(r)] or [""]
        longest = max(text_width(v) for v in values) + CELL_PAD_MM
        header = text_width(head) / 2 + CELL_PAD_MM  # a header may take two lines
        if numeric[i]:
            fixed.append(max(longest, header, 3 * em))
            want.append(0.0)
        else:
            fixed.append(0.0)
            want.append(max(min(longest, 14 * em), header, 3 * em))
    room = total_mm - sum(fixed)
    scale = room / sum(want) if sum(want) else 0
    widths = [f or w * scale for f, w in zip(fixed, want)]
    floor = min(2.5 * em + CELL_PAD_MM, room / max(1, sum(1 for w in want if w)))
    short = sum(floor - w for w, n in zip(widths, numeric) if not n and w < floor)
    if short > 0:  # lift narrow text columns to two characters, taken from the wide ones
        wide = [i for i, (w, n) in enumerate(zip(widths, numeric)) if not n and w > floor]
        spare = sum(widths[i] - floor for i in wide)
        for i, (w, n) in enumerate(zip(widths, numeric)):
            if not n and w < floor:
                widths[i] = floor
        for i in wide:
            widths[i] -= short * (widths[i] - floor) / spare
    return [round(w, 1) for w in widths]


def table_rows(table, widths_mm: list[float], numeric: list[bool]) -> None:
    """Header repeated on each page, rows never split, widths fixed, number cells on one line, right-aligned."""
    tbl = table._tbl
    tblpr = tbl.tblPr
    width = OxmlElement("w:tblW")
    width.set(qn("w:w"), str(round(sum(widths_mm) / 25.4 * 1440)))
    width.set(qn("w:type"), "dxa")
    old = tblpr.find(qn("w:tblW"))
    if old is not None:
        tblpr.remove(old)
    tblpr.insert_element_before(width, *AFTER_TBLW)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblpr.insert_element_before(layout, *AFTER_LAYOUT)
    table.autofit = False
    grid = tbl.tblGrid
    for col, mm in zip(grid.findall(qn("w:gridCol")), widths_mm):
        col.set(qn("w:w"), str(round(mm / 25.4 * 1440)))
    for index, row in enumerate(table.rows):
        trpr = row._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:cantSplit"))
        if index == 0:
            trpr.append(OxmlElement("w:tblHeader"))
        for cell, mm, is_number in zip(row.cells, widths_mm, numeric):
            cell.width = Mm(mm)
            if is_number and index:
                cell._tc.get_or_add_tcPr().append(OxmlElement("w:noWrap"))
                for para in cell.paragraphs:
                    para.alignment = WD_ALIGN_PARAGRAPH.RIGHT


RULE_BOLD, RULE_THIN = 8, 6  # eighths of a point: 0.35 mm and 0.25 mm (GB/T 9704 7.4)


def ruled_lines(doc, rows: list[tuple[str, str]], style: str | None, *, indent_pt: float, row_pt: float | None = None,
                top: tuple[int, str] | None = None, bottom: tuple[int, str] | None = None,
                between: tuple[int, str] | None = None, widths_mm: list[float] | None = None):
    """Lines with a text at the left and one at the right (each `indent_pt` in: 空一字) as a borderless two-column
    table the width of the block, with rules (size in eighths of a point, colour) on top, at the bottom and
    between the rows. A table, because a right tab stop is placed differently by Word and LibreOffice and
    lets a long left text run into the right one; here a long left text wraps in its own cell.
    The masthead's office and date (red rule under), the 版记 (bold rules outside, thin between).
    `row_pt`: each row exactly that high (the 版记's height is then known)."""
    table = doc.add_table(rows=len(rows), cols=2)
    borders = OxmlElement("w:tblBorders")
    for edge, rule in (("top", top), ("left", None), ("bottom", bottom), ("right", None), ("insideH", between),
                       ("insideV", None)):
        line = OxmlElement(f"w:{edge}")
        for key, value in (("w:val", "single" if rule else "nil"), ("w:sz", str(rule[0] if rule else 0)),
                           ("w:space", "0"), ("w:color", rule[1] if rule else "auto")):
            line.set(qn(key), value)
        borders.append(line)
    table._tbl.tblPr.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook")
    margins = OxmlElement("w:tblCellMar")  # no cell padding: the indents are the 空一字
    for edge in ("left", "right"):
        node = OxmlElement(f"w:{edge}")
        node.set(qn("w:w"), "0")
        node.set(qn("w:type"), "dxa")
        margins.append(node)
    table._tbl.tblPr.insert_element_before(margins, "w:tblLook")
    for row, texts in zip(table.rows, rows):
        for cell, text, align in zip(row.cells, texts, (WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.RIGHT)):
            para = cell.paragraphs[0]
            if style:
                para.style = style
            para.alignment = align
            pf = para.paragraph_format
            pf.first_line_indent = Pt(0)
            pf.left_indent, pf.right_indent = (Pt(indent_pt), None) if align == WD_ALIGN_PARAGRAPH.LEFT else (None, Pt(indent_pt))
            if text:
                para.add_run(text)
    width = BLOCK_MM["portrait"]
    table_rows(table, widths_mm or [width * 0.62, width * 0.38], [False, False])
    for header in table._tbl.iter(qn("w:tblHeader")):  # lines, not a table with a heading row to repeat
        header.getparent().remove(header)
    if row_pt:
        for row in table.rows:
            height = OxmlElement("w:trHeight")
            height.set(qn("w:val"), str(round(row_pt * 20)))
            height.set(qn("w:hRule"), "exact")
            row._tr.get_or_add_trPr().append(height)
            for cell in row.cells:
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    return table


def boxed(doc, *, rule: tuple[int, str], padding_mm: tuple[float, float]):
    """A one-cell table the width of the block framed by `rule` (size in eighths of a point, colour), its text
    `padding_mm` (top and bottom, left and right) inside the frame; returns the cell. A table, because LibreOffice
    draws no box for paragraph borders docxtpl's loops leave apart (the 本期要点 box, as the PDF's .notes)."""
    table = doc.add_table(rows=1, cols=1)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER  # the block's width, centred: the frame on its edges in every program
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        line = OxmlElement(f"w:{edge}")
        inside = edge.startswith("inside")
        for key, value in (("w:val", "nil" if inside else "single"), ("w:sz", "0" if inside else str(rule[0])),
                           ("w:space", "0"), ("w:color", "auto" if inside else rule[1])):
            line.set(qn(key), value)
        borders.append(line)
    table._tbl.tblPr.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook")
    margins = OxmlElement("w:tblCellMar")
    for edge, mm in (("top", padding_mm[0]), ("left", padding_mm[1]), ("bottom", padding_mm[0]),
                     ("right", padding_mm[1])):
        node = OxmlElement(f"w:{edge}")
        node.set(qn("w:w"), str(round(mm / 25.4 * 1440)))
        node.set(qn("w:type"), "dxa")
        margins.append(node)
    table._tbl.tblPr.insert_element_before(margins, "w:tblLook")
    table_rows(table, [BLOCK_MM["portrait"]], [False])
    for flag in (*table._tbl.iter(qn("w:tblHeader")), *table._tbl.iter(qn("w:cantSplit"))):
        flag.getparent().remove(flag)  # a box, not a table: no heading row to repeat, and it may run onto page 2
    return table.rows[0].cells[0]
