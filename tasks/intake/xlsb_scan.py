"""What an .xlsb's records say before calamine opens it: each sheet's declared and actual range, and its
hidden rows ([MS-XLSB] 2.4: BrtBundleSh in workbook.bin, BrtWsDim, BrtRowHdr and the cell records in each
sheet part). The sheet parts are read record by record from the zip stream; no cell value is decoded.

The .xlsx checks' equivalent (tasks/intake/archive.py): the range is what makes a reader allocate, so a
sheet whose declared range (BrtWsDim) or whose farthest cell passes the row or column limit is refused.
"""
from __future__ import annotations

import html
import re
import struct
import zipfile
from dataclasses import dataclass, field

ROW_HEADER, WS_DIM, BUNDLE_SHEET, END_BUNDLE, END_SHEET_DATA = 0x00, 0x94, 0x9C, 0x90, 0x92
CELL_RECORDS = range(0x01, 0x0C)  # BrtCellBlank … BrtFmlaError: each starts with its column (u32)
HIDDEN_ROW = 0x10  # BrtRowHdr byte 11, fDyZero
_REL = re.compile(rb'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"|'
                  rb'<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"')


class XlsbDamaged(ValueError):
    """The record stream ends inside a record, or a record is longer than its part."""


@dataclass
class SheetScan:
    """One sheet's extent (rows, columns: 1-based, the farthest of declared and used) and hidden rows."""

    name: str
    part: str
    rows: int = 0
    columns: int = 0
    hidden_rows: set[int] = field(default_factory=set)


def records(data: bytes):
    """(type, start, size) of each record in a part's bytes; XlsbDamaged when one is cut short."""
    at, end = 0, len(data)
    while at < end:
        byte = data[at]
        at += 1
        kind = byte & 0x7F
        if byte & 0x80:
            if at >= end:
                raise XlsbDamaged("record type cut short")
            kind |= (data[at] & 0x7F) << 7
            at += 1
        size = shift = 0
        for _ in range(4):
            if at >= end:
                raise XlsbDamaged("record size cut short")
            byte = data[at]
            at += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        if at + size > end:
            raise XlsbDamaged("record cut short")
        yield kind, at, size
        at += size


def _wide(data: bytes, at: int) -> tuple[str, int]:
    (length,) = struct.unpack_from("<I", data, at)
    if length == 0xFFFFFFFF:
        return "", at + 4
    end = at + 4 + 2 * length
    if end > len(data):
        raise XlsbDamaged("string longer than its record")
    return data[at + 4:end].decode("utf-16-le", "replace"), end


def sheets_of(archive: zipfile.ZipFile) -> list[SheetScan]:
    """The workbook's sheets in order, each with its part (from workbook.bin and its relationships)."""
    rels = {}
    if "xl/_rels/workbook.bin.rels" in archive.namelist():
        for match in _REL.finditer(archive.read("xl/_rels/workbook.bin.rels")):
            rid, target = (match.group(1), match.group(2)) if match.group(1) is not None else (match.group(4),
                                                                                                 match.group(3))
            target = html.unescape(target.decode("utf-8")).lstrip("/")
            rels[html.unescape(rid.decode("utf-8"))] = target if target.startswith("xl/") else f"xl/{target}"
    out = []
    book = archive.read("xl/workbook.bin")
    for kind, start, size in records(book):
        if kind == END_BUNDLE:
            break
        if kind == BUNDLE_SHEET and size >= 12:
            data = book[start:start + size]
            rid, at = _wide(data, 8)
            name, _ = _wide(data, at)
            if rid not in rels or rels[rid] not in archive.namelist():
                raise XlsbDamaged(f"sheet {name!r} has no part")  # calamine would stop (panic) on it
            out.append(SheetScan(name, rels[rid]))
    return out


def scan_sheet(archive: zipfile.ZipFile, sheet: SheetScan, max_hidden: int) -> SheetScan:
    """Fill in the sheet's extent and hidden rows (hidden rows past `max_hidden` are not kept).

    The part is read whole (the zip's inflated size was checked first) and walked record by record."""
    data = archive.read(sheet.part)
    row = rows = columns = 0
    for kind, at, size in records(data):
        if kind in CELL_RECORDS and size >= 4:
            column = data[at] | data[at + 1] << 8 | data[at + 2] << 16 | data[at + 3] << 24
            rows, columns = max(rows, row + 1), max(columns, column + 1)
        elif kind == ROW_HEADER and size >= 12:
            (row,) = struct.unpack_from("<I", data, at)
            if data[at + 11] & HIDDEN_ROW and row < max_hidden:
                sheet.hidden_rows.add(row + 1)
        elif kind == WS_DIM and size >= 16:
            _first, last_row, _first_col, last_col = struct.unpack_from("<IIII", data, at)
            rows, columns = max(rows, last_row + 1), max(columns, last_col + 1)
        elif kind == END_SHEET_DATA:
            break
    sheet.rows, sheet.columns = rows, columns
    return sheet
