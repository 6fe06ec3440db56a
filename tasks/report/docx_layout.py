"""Word layout that holds in Word, WPS and LibreOffice (used by templates/build_docx_template.py).

Owns the OOXML details python-docx has no API for: explicit fonts without theme attributes, the
font table's CJK names and fallbacks, the 28 × 22 document grid, odd/even page numbers outside,
repeating header rows, rows that do not split, cells whose numbers never wrap, column widths from
content, and a bottom-aligned 版记 section. Each function takes python-docx objects; the tables' part
(widths from content, repeating headers, the 版记 line) is tasks/report/docx_tables.py.
"""
from __future__ import annotations

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Pt

# name, alternative names WPS/LibreOffice/Word try, panose-ish family, charset 86 = GB2312
FONT_TABLE = [("仿宋_GB2312", "仿宋,FangSong,Noto Serif CJK SC", "modern"),
              ("方正小标宋简体", "方正小标宋_GBK,华文中宋,STZhongsong,Noto Serif CJK SC", "roman"),
              ("黑体", "SimHei,Noto Sans CJK SC", "modern"),
              ("楷体_GB2312", "楷体,KaiTi,AR PL UKai CN", "modern"),
              ("宋体", "SimSun,Noto Serif CJK SC", "auto")]
LATIN_NAMES = {"宋体": "SimSun"}
GRID_CHARS, GRID_LINES = 28, 22
NUMBER_PT, NUMBER_GAP_MM = 14, 7  # page numbers: 4号, their line 7 mm under the text block (GB/T 9704 7.5)
FOOTER_DISTANCE_MM = 35 - NUMBER_GAP_MM - NUMBER_PT * 25.4 / 72  # Word: page bottom → the footer line's bottom
BLOCK_MM = {"portrait": 156.0, "landscape": 225.0}
AFTER_SNAP = ("w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
              "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
              "w:rPr", "w:sectPr", "w:pPrChange")
AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
              "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
              *AFTER_SNAP)


def strip_theme(styles_element) -> int:
    """Remove every theme attribute (fonts asciiTheme/eastAsiaTheme/…, colours themeColor/themeShade,
    fills themeFill…) from the styles: Word prefers a theme attribute over the explicit value."""
    count = 0
    for element in styles_element.iter():
        for name in [n for n in element.attrib if "theme" in n.rsplit("}", 1)[-1].lower()]:
            del element.attrib[name]
            count += 1
    return count


def off_grid(style_or_paragraph) -> None:
    """Text that must not snap to the 28-character grid (tables, captions, masthead, 版记): with
    the grid, LibreOffice and Word set every CJK character of a 10.5 pt cell 15.8 pt apart."""
    element = style_or_paragraph.element if hasattr(style_or_paragraph, "element") else style_or_paragraph._p
    ppr = element.get_or_add_pPr()
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    ppr.insert_element_before(snap, *AFTER_SNAP)


def name_every_script(rpr, name: str) -> None:
    """`name` in every script slot of a run properties element (ascii, hAnsi, eastAsia, cs): no theme font."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def default_fonts(doc, name: str, size_pt: float = 16) -> None:
    """docDefaults: the body face in every script slot (the default template names theme fonts
    there) and the body size (the grid's character pitch is measured from it)."""
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for tag in ("w:sz", "w:szCs"):
        node = rpr.find(qn(tag))
        if node is None:
            node = OxmlElement(tag)
            rpr.append(node)
        node.set(qn("w:val"), str(round(size_pt * 2)))
    name_every_script(rpr, name)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")


def font_table(doc) -> None:
    """Add the GB faces, with their fallbacks (w:altName), to word/fontTable.xml."""
    part = next(rel.target_part for rel in doc.part.rels.values() if rel.reltype.endswith("/fontTable"))
    root = parse_xml(part.blob)
    known = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name, alt, family in FONT_TABLE:
        if name in known:
            continue
        font = OxmlElement("w:font")
        font.set(qn("w:name"), name)
        for tag, value in (("w:altName", alt), ("w:charset", "86"), ("w:family", family), ("w:pitch", "variable")):
            child = OxmlElement(tag)
            child.set(qn("w:val"), value)
            font.append(child)
        root.append(font)
    from lxml import etree

    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def document_grid(section) -> None:
    """22 lines to the page (line pitch ≈ 28.95 pt, GB/T 9704 5.2.2) as Word's line grid.

    The 28 characters a line come from the body style's condensed spacing (CHAR_SPACING_TWIPS:
    16 pt characters 15.8 pt apart fill 156 mm with 28), not from a character grid: LibreOffice
    lays a docx 'linesAndChars' grid out as square cells (16 characters a line), so the grid
    would hold in Word only; the spacing holds in Word, WPS and LibreOffice alike."""
    sect = section._sectPr
    grid = sect.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect.append(grid)
    height_pt = (section.page_height - section.top_margin - section.bottom_margin) / 12700
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(height_pt / GRID_LINES * 20)))
    if grid.get(qn("w:charSpace")) is not None:
        del grid.attrib[qn("w:charSpace")]


def no_line_grid(section) -> None:
    """A section without the line grid (the 版记 page: its height is counted in points, not grid lines)."""
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is not None:
        section._sectPr.remove(grid)


def char_spacing_twips(block_mm: float = 156.0, body_pt: float = 16) -> int:
    """Character spacing (twentieths of a point) that puts GRID_CHARS body characters in the block."""
    pitch = block_mm / 25.4 * 72 / GRID_CHARS
    return int((pitch - body_pt) * 20) - 1  # rounded down: the 28th character must fit


def page_field(para, font: str) -> None:
    """"— N —" in 4号 `font` (a PAGE field between two em dashes) at the end of `para`."""
    from docx.shared import Pt as _Pt

    def run(text=None, kind=None, instr=None):
        r = para.add_run(text or "")
        r.font.size = _Pt(14)
        fonts = r._r.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):  # SimSun: 宋体's Latin name, which LibreOffice
            fonts.set(qn(attr), font if attr == "w:eastAsia" else LATIN_NAMES.get(font, font))  # maps to a serif
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            r._r.append(char)
        if instr:
            node = OxmlElement("w:instrText")
            node.set(qn("xml:space"), "preserve")
            node.text = instr
            r._r.append(node)

    run("— ")
    run(kind="begin")
    run(instr=" PAGE ")
    run(kind="separate")
    run("1")
    run(kind="end")
    run(" —")


def page_numbers(doc, section, font: str = "宋体") -> None:
    """'— 1 —' in 4号: odd pages at the right, even pages at the left, one character (14 pt) in."""
    doc.settings.odd_and_even_pages_header_footer = True
    for footer, align, side in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
                                (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left")):
        footer.is_linked_to_previous = False
        para = footer.paragraphs[0]
        para.alignment = align
        pf = para.paragraph_format
        pf.first_line_indent = Pt(0)
        pf.line_spacing_rule, pf.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(NUMBER_PT)  # one 14 pt line, no more
        off_grid(para)
        if side == "right":
            pf.right_indent = Pt(14)
        else:
            pf.left_indent = Pt(14)
        page_field(para, font)


def no_page_numbers(section) -> None:
    """A section whose footers are empty (the 版记 page carries no number)."""
    for footer in (section.footer, section.even_page_footer, section.first_page_footer):
        footer.is_linked_to_previous = False
        for para in footer.paragraphs:
            for run in list(para.runs):
                run._r.getparent().remove(run._r)


def bottom_aligned(section) -> None:
    """Content at the bottom of the page (the 版记 sits on the text block's lower edge)."""
    align = OxmlElement("w:vAlign")
    align.set(qn("w:val"), "bottom")
    sect = section._sectPr
    grid = sect.find(qn("w:docGrid"))
    (grid.addprevious(align) if grid is not None else sect.append(align))


def border(para, where: str, size_eighths: int, color: str = "000000", space: int = 1) -> None:
    """A rule above/below a paragraph the width of the block (版记: 0.35 mm ≈ 8, 0.25 mm ≈ 6 eighths pt)."""
    ppr = para._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.insert_element_before(borders, *AFTER_PBDR)
    line = OxmlElement(f"w:{where}")
    for key, value in (("w:val", "single"), ("w:sz", str(size_eighths)), ("w:space", str(space)), ("w:color", color)):
        line.set(qn(key), value)
    order = ["w:top", "w:left", "w:bottom", "w:right", "w:between", "w:bar"]
    later = [borders.find(qn(tag)) for tag in order[order.index(f"w:{where}") + 1:]]
    later = [node for node in later if node is not None]
    (later[0].addprevious(line) if later else borders.append(line))
