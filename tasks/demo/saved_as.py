"""A unit's .xlsx saved again as the other formats units send: .ods (WPS, LibreOffice), .xlsm (a macro
template), .xlsb (Excel's binary workbook). The demo scenario and the tests use it.

`save_as(xlsx, ".ods")` keeps every sheet's values, its visibility and its hidden rows, and writes
the file beside the .xlsx with the same modification time (the arrival time in an inbox):
- .xlsm: openpyxl with `keep_vba` (the macro-enabled content type, as Excel saves a macro template);
- .ods: the OpenDocument parts written here (mimetype, manifest, content.xml with one table per sheet);
- .xlsb: the BIFF12 records written here (no Python library writes .xlsb and LibreOffice cannot export
  it): workbook.bin with each sheet's BrtBundleSh, and per sheet BrtWsDim, BrtRowHdr (fDyZero for a hidden
  row), BrtCellReal and BrtCellSt — the records Excel writes for values ([MS-XLSB] 2.4).
Only values are kept: fonts, merges and widths are not what the reader reads.
"""
from __future__ import annotations

import io
import os
import struct
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import openpyxl

FIXED_TIME = (2020, 1, 1, 0, 0, 0)


@dataclass
class SheetValues:
    """One sheet as values: its name, its rows (None for an empty cell), whether it is hidden, its hidden rows."""

    name: str
    rows: list[list] = field(default_factory=list)
    hidden: bool = False
    hidden_rows: set[int] = field(default_factory=set)  # 1-based


def sheet_values(path: Path) -> list[SheetValues]:
    """Every sheet of an .xlsx as values, in order."""
    book = openpyxl.load_workbook(path, data_only=True)
    out = []
    for sheet in book.worksheets:
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        hidden = {n for n, dim in sheet.row_dimensions.items() if dim.hidden}
        out.append(SheetValues(sheet.title, rows, sheet.sheet_state != "visible", hidden))
    return out


def save_as(xlsx: Path, suffix: str, target: Path | None = None) -> Path:
    """The workbook at `xlsx` written as `suffix` (.ods, .xlsm, .xlsb) beside it (or at `target`), same mtime."""
    xlsx = Path(xlsx)
    target = Path(target) if target else xlsx.with_suffix(suffix)
    if suffix == ".xlsm":
        book = openpyxl.load_workbook(xlsx, keep_vba=True)
        book.save(target)
        book.vba_archive.close()  # keep_vba holds the source zip open
    elif suffix == ".ods":
        target.write_bytes(ods_bytes(sheet_values(xlsx)))
    elif suffix == ".xlsb":
        target.write_bytes(xlsb_bytes(sheet_values(xlsx)))
    else:
        raise ValueError(f"save_as: {suffix!r} is not .ods, .xlsm or .xlsb")
    stat = xlsx.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return target


def _zip(parts: list[tuple[str, bytes | str]], stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number, (name, data) in enumerate(parts):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_STORED if stored_first and number == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


# ---------------------------------------------------------------- .ods

ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"
_ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def _ods_cell(value) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, bool):
        return f'<table:table-cell office:value-type="boolean" office:boolean-value="{str(value).lower()}"/>'
    if isinstance(value, (int, float)):
        return f'<table:table-cell office:value-type="float" office:value="{value!r}"/>'
    if isinstance(value, (date, datetime)):
        return f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}"/>'
    paragraphs = "".join(f"<text:p>{escape(line)}</text:p>" for line in str(value).split("\n"))
    return f'<table:table-cell office:value-type="string">{paragraphs}</table:table-cell>'


def ods_bytes(sheets: list[SheetValues]) -> bytes:
    """An .ods holding these sheets (a hidden sheet's table has a style with table:display="false")."""
    tables = []
    for sheet in sheets:
        rows = []
        for number, row in enumerate(sheet.rows, 1):
            shown = ' table:visibility="collapse"' if number in sheet.hidden_rows else ""
            rows.append(f"<table:table-row{shown}>{''.join(_ods_cell(v) for v in row)}</table:table-row>")
        style = "hidden" if sheet.hidden else "shown"
        tables.append(f'<table:table table:name={quoteattr(sheet.name)} table:style-name="{style}">'
                      f'{"".join(rows) or "<table:table-row><table:table-cell/></table:table-row>"}</table:table>')
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} office:version="1.2">'
               '<office:automatic-styles>'
               '<style:style style:name="shown" style:family="table"><style:table-properties table:display="true"/>'
               '</style:style><style:style style:name="hidden" style:family="table">'
               '<style:table-properties table:display="false"/></style:style></office:automatic-styles>'
               f'<office:body><office:spreadsheet>{"".join(tables)}</office:spreadsheet></office:body>'
               '</office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_MIME}"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '</manifest:manifest>')
    return _zip([("mimetype", ODS_MIME), ("META-INF/manifest.xml", manifest), ("content.xml", content)],
                stored_first=True)


# ---------------------------------------------------------------- .xlsb

def _record(kind: int, data: bytes = b"") -> bytes:
    """One BIFF12 record: its type and size as 7-bit groups (high bit: more follows), then the data."""
    head = bytes([kind & 0x7F | 0x80, kind >> 7]) if kind >= 0x80 else bytes([kind])
    size, length = len(data), bytearray()
    while True:
        length.append(size & 0x7F | (0x80 if size > 0x7F else 0))
        size >>= 7
        if not size:
            break
    return head + bytes(length) + data


def _wide(text: str) -> bytes:
    encoded = text.encode("utf-16-le")
    return struct.pack("<I", len(encoded) // 2) + encoded


def _xlsb_cell(column: int, value) -> bytes:
    cell = struct.pack("<II", column, 0)  # column, style 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        text = value.isoformat() if isinstance(value, (date, datetime)) else str(value)
        return _record(0x06, cell + _wide(text))  # BrtCellSt
    return _record(0x05, cell + struct.pack("<d", float(value)))  # BrtCellReal


def _xlsb_sheet(sheet: SheetValues) -> bytes:
    width = max((len(r) for r in sheet.rows), default=1)
    parts = [_record(0x81), _record(0x94, struct.pack("<IIII", 0, max(len(sheet.rows) - 1, 0), 0,
                                                      max(width - 1, 0))), _record(0x91)]
    for index, row in enumerate(sheet.rows):
        flags = 0x10 if index + 1 in sheet.hidden_rows else 0  # fDyZero: the row is hidden
        parts.append(_record(0x00, struct.pack("<IIHBBBI", index, 0, 300, 0, flags, 0, 0)))  # BrtRowHdr
        parts += [_xlsb_cell(col, value) for col, value in enumerate(row) if value is not None and value != ""]
    parts += [_record(0x92), _record(0x82)]  # BrtEndSheetData, BrtEndSheet
    return b"".join(parts)


def xlsb_bytes(sheets: list[SheetValues]) -> bytes:
    """An .xlsb holding these sheets' values (BrtBundleSh's hsState 1 for a hidden sheet)."""
    bundle = b"".join(_record(0x9C, struct.pack("<II", int(s.hidden), n) + _wide(f"rId{n}") + _wide(s.name))
                      for n, s in enumerate(sheets, 1))
    workbook = _record(0x83) + _record(0x8F) + bundle + _record(0x90) + _record(0x84)
    rels = "".join(f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   f'relationships/worksheet" Target="worksheets/sheet{n}.bin"/>' for n in range(1, len(sheets) + 1))
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.bin" '
                        'ContentType="application/vnd.ms-excel.worksheet"/>' for n in range(1, len(sheets) + 1))
    types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/>'
             '<Override PartName="/xl/workbook.bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>'
             f"{overrides}</Types>")
    package = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
               'officeDocument" Target="xl/workbook.bin"/></Relationships>')
    book_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
                 '</Relationships>')
    return _zip([("[Content_Types].xml", types), ("_rels/.rels", package), ("xl/workbook.bin", workbook),
                 ("xl/_rels/workbook.bin.rels", book_rels),
                 *((f"xl/worksheets/sheet{n}.bin", _xlsb_sheet(s)) for n, s in enumerate(sheets, 1))])
