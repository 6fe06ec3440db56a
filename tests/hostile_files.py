"""Small generated files that attack the reader (used by tests/test_hostile_input.py)."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="表1 指标" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 'worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
SHEET_OPEN = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' \
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def xlsx_with_sheet(path: Path, sheet_xml: str | bytes) -> Path:
    """A minimal .xlsx (one sheet named 表1 指标) whose sheet part is exactly `sheet_xml`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    Path(path).write_bytes(buffer.getvalue())
    return Path(path)


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def dimension_trick(path: Path, declared: bool = True) -> Path:
    """One cell at XFD1048576 (and, declared, `<dimension ref="A1:XFD1048576"/>`): a few KB asking for 512 GiB."""
    dimension = '<dimension ref="A1:XFD1048576"/>' if declared else ""
    return xlsx_with_sheet(path, f'{SHEET_OPEN}{dimension}<sheetData><row r="1">{_cell("A1", "指标代码")}</row>'
                                 f'<row r="1048576">{_cell("XFD1048576", "x")}</row></sheetData></worksheet>')


def zip_bomb(path: Path, inflated_mb: int = 64) -> Path:
    """A sheet part of `inflated_mb` MB of blanks that deflates to well under 1 MB."""
    padding = b" " * (inflated_mb * 1024 * 1024)
    body = SHEET_OPEN.encode() + b"<sheetData>" + padding + b"</sheetData></worksheet>"
    return xlsx_with_sheet(path, body)


def many_rows(path: Path, rows: int, declared: bool = False) -> Path:
    """`rows` rows of one small cell each, with or without a truthful `<dimension>`."""
    dimension = f'<dimension ref="A1:B{rows}"/>' if declared else ""
    data = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, rows + 1))
    return xlsx_with_sheet(path, f"{SHEET_OPEN}{dimension}<sheetData>{data}</sheetData></worksheet>")
