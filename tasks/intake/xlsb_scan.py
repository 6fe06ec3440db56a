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
from typing import IO

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


def _varint(stream: IO[bytes], most: int) -> int | None:
    value = 0
    for shift in range(0, 7 * most, 7):
        byte = stream.read(1)
        if not byte:
            if shift:
                raise XlsbDamaged("record header cut short")
            return None
        value |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            return value
    return value


def records(stream: IO[bytes], keep=lambda kind: True):
    """(type, data) of each record; the data only of the kinds `keep` wants (the rest are skipped)."""
    while True:
        kind = _varint(stream, 2)
        if kind is None:
            return
        size = _varint(stream, 4)
        if size is None:
            raise XlsbDamaged("record without a size")
        if keep(kind):
            data = stream.read(size)
            if len(data) != size:
                raise XlsbDamaged("record cut short")
            yield kind, data
        else:
            _skip(stream, size)
            yield kind, b""


def _skip(stream: IO[bytes], size: int) -> None:
    left = size
    while left:
        chunk = stream.read(min(left, 1 << 16))
        if not chunk:
            raise XlsbDamaged("record cut short")
        left -= len(chunk)


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
    with archive.open("xl/workbook.bin") as stream:
        for kind, data in records(stream, lambda k: k == BUNDLE_SHEET):
            if kind == END_BUNDLE:
                break
            if kind == BUNDLE_SHEET and len(data) >= 12:
                rid, at = _wide(data, 8)
                name, _ = _wide(data, at)
                if rid not in rels or rels[rid] not in archive.namelist():
                    raise XlsbDamaged(f"sheet {name!r} has no part")  # calamine would stop (panic) on it
                out.append(SheetScan(name, rels[rid]))
    return out


def scan_sheet(archive: zipfile.ZipFile, sheet: SheetScan, max_hidden: int) -> SheetScan:
    """Fill in the sheet's extent and hidden rows (hidden rows past `max_hidden` are not kept)."""
    wanted = {ROW_HEADER, WS_DIM, *CELL_RECORDS}
    row = 0
    with archive.open(sheet.part) as stream:
        for kind, data in records(stream, lambda k: k in wanted):
            if kind == WS_DIM and len(data) >= 16:
                _first, last_row, _first_col, last_col = struct.unpack_from("<IIII", data)
                sheet.rows, sheet.columns = max(sheet.rows, last_row + 1), max(sheet.columns, last_col + 1)
            elif kind == ROW_HEADER and len(data) >= 12:
                (row,) = struct.unpack_from("<I", data)
                if data[11] & HIDDEN_ROW and row < max_hidden:
                    sheet.hidden_rows.add(row + 1)
            elif kind in CELL_RECORDS and len(data) >= 4:
                (column,) = struct.unpack_from("<I", data)
                sheet.rows, sheet.columns = max(sheet.rows, row + 1), max(sheet.columns, column + 1)
            elif kind == END_SHEET_DATA:
                break
    return sheet
