"""Page numbers of the landscape 附表 pages in the docx, turned to where portrait pages have them.

GB/T 9704: a landscape table keeps its page numbers where the other pages have them. Read upright in the
bound document (the sheet turned so the landscape page's left edge is at the foot), the number sits 7 mm
under the text block, at the right on odd pages and at the left on even pages, one character in. On the
landscape page that is: left of the block, the text turned a quarter clockwise (DrawingML `vert="vert"`),
near the block's lower edge on odd pages and its upper edge on even pages — a text box anchored to the page
in the section's odd and even footers, which Word, WPS and LibreOffice place alike. The PDF does the same
with running elements (templates/zhuanbao.html.j2, `.pn-odd` / `.pn-even`).
"""
from __future__ import annotations

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph

from .docx_layout import NUMBER_GAP_MM, NUMBER_PT, off_grid, page_field

BOX_LENGTH_MM = 30.0  # along the turned line: "— 123 —" and room
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_ANCHOR = (
    '<wp:anchor xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    f'xmlns:w="{_W}" distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="251659264" '
    'behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">'
    '<wp:simplePos x="0" y="0"/>'
    '<wp:positionH relativeFrom="page"><wp:posOffset>{x}</wp:posOffset></wp:positionH>'
    '<wp:positionV relativeFrom="page"><wp:posOffset>{y}</wp:posOffset></wp:positionV>'
    '<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>'
    '<wp:docPr id="{id}" name="页码{id}"/><wp:cNvGraphicFramePr/>'
    '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
    '<wps:wsp><wps:cNvSpPr txBox="1"/>'
    '<wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
    '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/><a:ln><a:noFill/></a:ln></wps:spPr>'
    '<wps:txbx><w:txbxContent><w:p/></w:txbxContent></wps:txbx>'
    '<wps:bodyPr rot="0" vert="vert" wrap="square" lIns="0" tIns="0" rIns="0" bIns="0" anchor="t" anchorCtr="0">'
    '<a:noAutofit/></wps:bodyPr></wps:wsp></a:graphicData></a:graphic></wp:anchor>')


def _box(paragraph, *, odd: bool, section, shape_id: int, font: str) -> None:
    """The turned number's text box, anchored in `paragraph` (of a footer of the landscape `section`)."""
    left_margin, top, bottom = section.left_margin, section.top_margin, section.page_height - section.bottom_margin
    line, length, inset = Pt(NUMBER_PT), Mm(BOX_LENGTH_MM), Pt(NUMBER_PT)  # inset: 空一字 along the block's edge
    x = left_margin - Mm(NUMBER_GAP_MM) - line  # the line's top (turned: its right side) 7 mm left of the block
    y = bottom - inset - length if odd else top + inset
    anchor = parse_xml(_ANCHOR.format(x=int(x), y=int(y), cx=int(line), cy=int(length), id=shape_id))
    run = paragraph.add_run()
    drawing = parse_xml(f'<w:drawing xmlns:w="{_W}"/>')
    drawing.append(anchor)
    run._r.append(drawing)
    inner = Paragraph(anchor.find(".//" + qn("w:p")), paragraph)
    inner.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT  # turned: foot / head
    inner.paragraph_format.first_line_indent = Pt(0)
    inner.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY  # the line exactly the box's width
    inner.paragraph_format.line_spacing = line
    off_grid(inner)
    page_field(inner, font)


def turned_page_numbers(section, font: str = "宋体") -> None:
    """The landscape `section`'s odd and even footers: no number at the landscape foot, a turned one at the side."""
    for shape_id, (footer, odd) in enumerate(((section.footer, True), (section.even_page_footer, False)), start=9001):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        for run in list(paragraph.runs):
            run._r.getparent().remove(run._r)
        _box(paragraph, odd=odd, section=section, shape_id=shape_id, font=font)
