"""What an .ods's content.xml says before calamine opens it: each table's range and its hidden rows.

OpenDocument writes a run of equal rows or cells once with `table:number-rows-repeated` /
`table:number-columns-repeated`; a few bytes can ask a reader for a billion cells, and calamine expands
a repeated cell or row that holds a value (trailing empty runs, which LibreOffice writes to square a
sheet off, cost nothing). So the range counted here is the one calamine builds: up to the farthest row
and column that hold a value, repeats included; a table past the row or column limit is refused like an
.xlsx's declared `<dimension>` (tasks/intake/archive.py). A row with `table:visibility="collapse"` or
`"filter"` is hidden (as Excel's hidden or filtered-out rows) and is not read as data.

The part is scanned for the tags calamine reads (`table:table`, `table:table-row`, `table:table-cell`,
`table:covered-table-cell`, with calamine's prefixes); no tree is built and no cell value is decoded.
"""
from __future__ import annotations

import html
import re
import zipfile
from dataclasses import dataclass, field

# the tags calamine reads, by their prefixed names as calamine matches them (quoted `>` allowed in attributes)
_TAG = re.compile(rb"""<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])((?:[^>"']|"[^"]*"|'[^']*')*)>""")
_REPEAT = re.compile(rb'table:number-(?:rows|columns)-repeated\s*=\s*["\']\s*(\d+)')
_HIDDEN = re.compile(rb'table:visibility\s*=\s*["\'](?:collapse|filter)["\']')
_NAME = re.compile(rb'table:name\s*=\s*"([^"]*)"|table:name\s*=\s*\'([^\']*)\'')


@dataclass
class TableScan:
    """One table's range as calamine builds it (rows, columns: counts from A1) and its hidden rows (1-based)."""

    name: str
    rows: int = 0
    columns: int = 0
    hidden_rows: set[int] = field(default_factory=set)


def _repeat(attrs: bytes) -> int:
    match = _REPEAT.search(attrs) if b"repeated" in attrs else None
    return max(int(match.group(1)), 1) if match else 1


def _name(attrs: bytes) -> str:
    match = _NAME.search(attrs)
    return html.unescape((match.group(1) or match.group(2) or b"").decode("utf-8", "replace")) if match else ""


def scan_ods(archive: zipfile.ZipFile, max_hidden: int) -> list[TableScan]:
    """Every table of content.xml in order, with its range and hidden rows (hidden rows past `max_hidden`
    are not kept). Raises KeyError without content.xml, ValueError on a DOCTYPE (which could declare
    entities that expand)."""
    content = archive.read("content.xml")  # the zip's inflated size was checked first
    if b"<!DOCTYPE" in content[:4096].upper():
        raise ValueError("content.xml declares a DOCTYPE")
    tables: list[TableScan] = []
    depth = row = column = repeat = row_end = 0
    for match in _TAG.finditer(content):
        closing, tag, attrs = match.group(1), match.group(2), match.group(3)
        if tag == b"table":
            depth += -1 if closing else (0 if attrs.endswith(b"/") else 1)
            if not closing and depth == 1 and not attrs.endswith(b"/"):
                tables.append(TableScan(_name(attrs)))
                row = 0
            continue
        if depth != 1:  # a table inside a cell is not a sheet
            continue
        if tag == b"table-row" and not closing:
            repeat, column, row_end = _repeat(attrs), 0, 0
            if b"visibility" in attrs and _HIDDEN.search(attrs):
                tables[-1].hidden_rows.update(range(row + 1, min(row + repeat, max_hidden) + 1))
        if tag == b"table-row" and (closing or attrs.endswith(b"/")):
            if row_end:
                tables[-1].rows, tables[-1].columns = row + repeat, max(tables[-1].columns, row_end)
            row += repeat
        elif tag != b"table-row" and not closing:
            span = _repeat(attrs)
            if b"office:value-type" in attrs or b"table:formula" in attrs:
                row_end = column + span
            column += span
    return tables
