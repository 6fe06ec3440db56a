"""What an .xlsx's zip says before any reader opens it: its size unzipped, each sheet's declared
`<dimension>`, and which rows are hidden.

A workbook can declare (or hold) a range that makes a reader allocate hundreds of GiB, or inflate
from kilobytes to gigabytes; both are refused here from the zip directory and the first bytes of
each sheet part (`archive_problem`). Hidden rows (`hidden_rows`) are not what the unit shows, so
the reader skips them. Both work on the bytes only; nothing here parses cells.
"""
from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass

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


def archive_problem(data: bytes, limits: ReadLimits) -> str | None:
    """An .xlsx whose parts would inflate too far, or whose sheets declare too many rows or columns,
    before any reader sees it (the zip directory and each sheet's `<dimension>` are read, nothing more)."""
    if not data.startswith(ZIP_MAGIC):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            inflated = sum(p.file_size for p in parts)
            if inflated > limits.max_inflated_bytes:
                return (f"{TOO_LARGE}：解压后约 {inflated / 1048576:.0f} MB，超过 "
                        f"{limits.max_inflated_bytes / 1048576:.0f} MB 上限，请删除多余内容后重报")
            sheets = [p for p in parts if p.filename.startswith("xl/worksheets/") and p.filename.endswith(".xml")]
            for number, part in enumerate(sheets, 1):
                with archive.open(part) as stream:
                    head = stream.read(16384)
                match = _DIMENSION.search(head)
                if not match:
                    continue
                rows = int(match.group(4) or match.group(2) or 0)
                columns = _column_number((match.group(3) or match.group(1) or b"A").decode("ascii"))
                if rows > limits.max_rows or columns > limits.max_columns:
                    return (f"{TOO_LARGE}：第{number}张工作表的范围为 {rows} 行 × {columns} 列，超过 "
                            f"{limits.max_rows} 行 × {limits.max_columns} 列的上限，请删除多余的行列后重报")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return "文件已损坏，无法打开，请重新导出后报送"
    return None


_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
_REL_TAG = re.compile(rb"<Relationship\b([^>]*)/?>")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')


def hidden_rows(data: bytes) -> dict[str, set[int]]:
    """Sheet name → the 1-based numbers of its hidden rows, from an .xlsx's sheet XML ({} for .xls)."""
    if not data.startswith(ZIP_MAGIC):
        return {}
    out: dict[str, set[int]] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
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
                rows = {int(row[b"r"]) for row in (dict(_ATTR.findall(m.group(1)))
                                                   for m in _ROW_TAG.finditer(archive.read(part)))
                        if row.get(b"hidden") in (b"1", b"true") and row.get(b"r", b"").isdigit()}
                if rows:
                    out[html.unescape(attrs.get(b"name", b"").decode("utf-8"))] = rows
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError):
        return {}
    return out
