"""What a zipped workbook says before any reader opens it: its size unzipped, each sheet's range, and
which rows are hidden.

A workbook can declare (or hold) a range that makes a reader allocate hundreds of GiB, or inflate
from kilobytes to gigabytes; both are refused here from the zip directory and the sheet parts
(`archive_problem`). Hidden rows (`hidden_rows`) are not what the unit shows, so the reader skips them.
Each zip format has its own parts (`zip_kind`): .xlsx and .xlsm the sheet XML (the first bytes' declared
`<dimension>`), .xlsb the sheets' records (tasks/intake/xlsb_scan.py: declared BrtWsDim and the farthest
cell), .ods content.xml (tasks/intake/ods_scan.py: the range its repeated rows and cells make).
All work on the bytes only; nothing here decodes a cell's value.
"""
from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache

from .ods_scan import scan_ods
from .xlsb_scan import XlsbDamaged, scan_sheet, sheets_of

ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class ReadLimits:
    """How much one workbook may hold (settings max_rows, max_columns, max_inflated_mb)."""

    max_rows: int = 2000
    max_columns: int = 200
    max_inflated_bytes: int = 50 * 1024 * 1024


TOO_LARGE = "文件过大或已损坏"
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Za-z]*)(\d*)(?::([A-Za-z]+)(\d+))?"')


def _column_number(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def zip_kind(names: set[str]) -> str:
    """Which workbook a zip holds, from its parts: "xlsx" (also .xlsm), "xlsb", "ods", or "" (none)."""
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    return "ods" if "content.xml" in names else ""


DAMAGED = "文件已损坏，无法打开，请重新导出后报送"
_BROKEN = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError, KeyError,
           XlsbDamaged)


def archive_problem(data: bytes, limits: ReadLimits) -> str | None:
    """A zipped workbook whose parts would inflate too far, or whose sheets declare (or, .xlsb and .ods, hold)
    too many rows or columns, before any reader sees it."""
    if not data.startswith(ZIP_MAGIC):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _limits_problem(archive, lambda: _scanned(data, limits.max_rows), limits)[0]
    except _BROKEN:
        return DAMAGED


def scan_archive(data: bytes, limits: ReadLimits) -> tuple[str | None, dict[str, set[int]]]:
    """(`archive_problem`, `hidden_rows`) of one workbook from one opening of its zip (the reader's path:
    the same answers as the two calls, the zip directory read once). Hidden rows are {} when there is a problem."""
    if not data.startswith(ZIP_MAGIC):
        return None, {}
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _BROKEN:
        return DAMAGED, {}
    with archive:
        bodies: dict[str, bytes] = {}  # sheet parts read whole for their dimension: not inflated twice
        try:
            problem, scanned = _limits_problem(archive, lambda: _scan(archive, limits.max_rows), limits, bodies)
        except _BROKEN:
            return DAMAGED, {}
        if problem:
            return problem, {}
        try:
            return None, _hidden_in(archive, scanned, bodies)
        except _BROKEN:
            return None, {}


Scanned = list[tuple[str, int, int, frozenset[int]]]


def _limits_problem(archive: zipfile.ZipFile, scan, limits: ReadLimits,
                    bodies: dict[str, bytes] | None = None) -> tuple[str | None, Scanned | None]:
    """The problem with an open zip's size or its sheets' ranges (None if none), and its .ods/.xlsb scan;
    `scan()` is called only once the inflated size is known to be within the limit."""
    inflated = sum(p.file_size for p in archive.infolist())
    if inflated > limits.max_inflated_bytes:
        return (f"{TOO_LARGE}：解压后约 {inflated / 1048576:.0f} MB，超过 "
                f"{limits.max_inflated_bytes / 1048576:.0f} MB 上限，请删除多余内容后重报"), None
    scanned = scan()
    for number, (rows, columns) in enumerate(_extents(archive, scanned, {} if bodies is None else bodies), 1):
        if rows > limits.max_rows or columns > limits.max_columns:
            return (f"{TOO_LARGE}：第{number}张工作表的范围为 {rows} 行 × {columns} 列，超过 "
                    f"{limits.max_rows} 行 × {limits.max_columns} 列的上限，请删除多余的行列后重报"), scanned
    return None, scanned


@lru_cache(maxsize=1)
def _scanned(data: bytes, max_hidden: int) -> Scanned | None:
    """`_scan` of a workbook given as bytes (`archive_problem` and `hidden_rows` of the same file share it)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return _scan(archive, max_hidden)


def _scan(archive: zipfile.ZipFile, max_hidden: int) -> Scanned | None:
    """An .ods's or .xlsb's sheets as (name, rows, columns, hidden rows), from one pass over its parts;
    None for other zips."""
    kind = zip_kind(set(archive.namelist()))
    if kind == "ods":
        return [(t.name, t.rows, t.columns, frozenset(t.hidden_rows)) for t in scan_ods(archive, max_hidden)]
    if kind == "xlsb":
        scans = [scan_sheet(archive, sheet, max_hidden) for sheet in sheets_of(archive)]
        return [(s.name, s.rows, s.columns, frozenset(s.hidden_rows)) for s in scans]
    return None


def _extents(archive: zipfile.ZipFile, scanned: Scanned | None, bodies: dict[str, bytes]):
    """(rows, columns) of each sheet, in order, as the format tells them; a sheet part shorter than what is read
    of it is kept in `bodies` (by name: the last part of a name, as `ZipFile.read` answers)."""
    if scanned is not None:
        yield from ((rows, columns) for _name, rows, columns, _hidden in scanned)
    else:
        for part in archive.infolist():
            if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"):
                with archive.open(part) as stream:
                    head = stream.read(16384)
                if part.file_size < 16384 and len(head) == part.file_size:  # read to its end (CRC checked)
                    bodies[part.filename] = head
                else:
                    bodies.pop(part.filename, None)
                match = _DIMENSION.search(head)
                if match:
                    yield (int(match.group(4) or match.group(2) or 0),
                           _column_number((match.group(3) or match.group(1) or b"A").decode("ascii")))


_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
_REL_TAG = re.compile(rb"<Relationship\b([^>]*)/?>")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')


def hidden_rows(data: bytes, max_rows: int = ReadLimits.max_rows) -> dict[str, set[int]]:
    """Sheet name → the 1-based numbers of its hidden rows, from the sheet parts ({} for .xls)."""
    if not data.startswith(ZIP_MAGIC):
        return {}
    try:
        scanned = _scanned(data, max_rows)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _hidden_in(archive, scanned, {})
    except _BROKEN:
        return {}


def _hidden_in(archive: zipfile.ZipFile, scanned: Scanned | None, bodies: dict[str, bytes]) -> dict[str, set[int]]:
    if scanned is not None:
        return {name: set(hidden) for name, _rows, _columns, hidden in scanned if hidden}
    return _xlsx_hidden_rows(archive, set(archive.namelist()), bodies)


def _xlsx_hidden_rows(archive: zipfile.ZipFile, names: set[str], bodies: dict[str, bytes]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    rels = {}
    if "xl/_rels/workbook.xml.rels" in names:
        for match in _REL_TAG.finditer(archive.read("xl/_rels/workbook.xml.rels")):
            attrs = dict(_ATTR.findall(match.group(1)))
            target = attrs.get(b"Target", b"").decode("utf-8").lstrip("/")
            rels[attrs.get(b"Id", b"")] = target if target.startswith("xl/") else f"xl/{target}"
    for match in _SHEET_TAG.finditer(archive.read("xl/workbook.xml") if "xl/workbook.xml" in names else b""):
        attrs = dict(_ATTR.findall(match.group(1)))
        part = rels.get(attrs.get(b"r:id", b""))
        if part not in names:
            continue
        body = bodies[part] if part in bodies else archive.read(part)
        if b"hidden" not in body:  # no row of this sheet can say hidden="1"
            continue
        rows = {int(row[b"r"]) for row in (dict(_ATTR.findall(m.group(1)))
                                           for m in _ROW_TAG.finditer(body))
                if row.get(b"hidden") in (b"1", b"true") and row.get(b"r", b"").isdigit()}
        if rows:
            out[html.unescape(attrs.get(b"name", b"").decode("utf-8"))] = rows
    return out
