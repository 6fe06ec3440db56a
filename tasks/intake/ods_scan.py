"""What an .ods's content.xml says before calamine opens it: each table's range and its hidden rows.

OpenDocument writes a run of equal rows or cells once with `table:number-rows-repeated` /
`table:number-columns-repeated`; a few bytes can ask a reader for a billion cells, and calamine expands
a repeated cell or row that holds a value (trailing empty runs, which LibreOffice writes to square a
sheet off, cost nothing). So the range counted here is the one calamine builds: up to the farthest row
and column that hold a value, repeats included; a table past the row or column limit is refused like an
.xlsx's declared `<dimension>` (tasks/intake/archive.py). A row with `table:visibility="collapse"` or
`"filter"` is hidden (as Excel's hidden or filtered-out rows) and is not read as data.

The part is parsed as a stream (expat: no tree is built); no cell value is decoded.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from xml.parsers import expat

TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_T, _O = TABLE_NS + " ", OFFICE_NS + " "
CELLS = {_T + "table-cell", _T + "covered-table-cell"}
HIDDEN = {"collapse", "filter"}


@dataclass
class TableScan:
    """One table's range as calamine builds it (rows, columns: counts from A1) and its hidden rows (1-based)."""

    name: str
    rows: int = 0
    columns: int = 0
    hidden_rows: set[int] = field(default_factory=set)


def _repeat(attrs: dict, name: str) -> int:
    try:
        return max(int(attrs.get(_T + name, "1")), 1)
    except ValueError:
        return 1


class _Scanner:
    """expat handlers keeping the current table, row and column position."""

    def __init__(self, max_hidden: int):
        self.tables: list[TableScan] = []
        self.depth = 0  # nested tables (a table in a cell) are not sheets
        self.row = self.column = self.repeat = self.row_end = 0
        self.max_hidden = max_hidden

    def start(self, tag: str, attrs: dict) -> None:
        if tag == _T + "table":
            self.depth += 1
            if self.depth == 1:
                self.tables.append(TableScan(attrs.get(_T + "name", "")))
                self.row = 0
        elif self.depth != 1:
            return
        elif tag == _T + "table-row":
            self.repeat, self.column, self.row_end = _repeat(attrs, "number-rows-repeated"), 0, 0
            if attrs.get(_T + "visibility") in HIDDEN:
                first = self.row + 1
                self.tables[-1].hidden_rows.update(range(first, min(first + self.repeat, self.max_hidden + 1)))
        elif tag in CELLS:
            span = _repeat(attrs, "number-columns-repeated")
            if _O + "value-type" in attrs or _T + "formula" in attrs:
                self.row_end = self.column + span
            self.column += span

    def end(self, tag: str) -> None:
        if tag == _T + "table":
            self.depth -= 1
        elif self.depth == 1 and tag == _T + "table-row":
            table = self.tables[-1]
            if self.row_end:
                table.rows, table.columns = self.row + self.repeat, max(table.columns, self.row_end)
            self.row += self.repeat


def _no_doctype(*_args) -> None:
    raise ValueError("content.xml declares a DOCTYPE")


def scan_ods(archive: zipfile.ZipFile, max_hidden: int) -> list[TableScan]:
    """Every table of content.xml in order, with its range and hidden rows (hidden rows past `max_hidden`
    are not kept). Raises KeyError without content.xml, expat.ExpatError on broken XML, ValueError on a DOCTYPE."""
    scanner = _Scanner(max_hidden)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler, parser.EndElementHandler = scanner.start, scanner.end
    parser.StartDoctypeDeclHandler = _no_doctype  # content.xml has none; one could declare expanding entities
    with archive.open("content.xml") as stream:
        parser.ParseFile(stream)
    return scanner.tables
