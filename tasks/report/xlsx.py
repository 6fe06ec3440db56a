"""A streaming .xlsx writer for the 附表: one pass, one string per cell, straight into the zip.

openpyxl (even write-only) builds a Python cell object with styles per value: at a province's
size that was most of the report step. The 附表 needs little of Excel — text, numbers, date-times,
a few fixed styles (title, header, one number format per column), column widths, a frozen header,
an auto-filter and a print setup (A4 landscape, fit to one page wide, title and header rows on every page) — so each sheet is written here as SpreadsheetML text:

- every string is a shared string (`t="s"`): shown as text, never a formula (no `<f>` is ever written),
  and cleaned by tasks/core/text.clean_text like every string we write into a workbook;
- numbers as `<v>`, non-finite ones left empty; `datetime` as Excel serial days with its format;
- the zip's timestamps are fixed, so the same 附表 gives the same bytes.
"""
from __future__ import annotations

import hashlib
import io
import math
import zipfile
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from ..core.text import clean_text

TITLE, HEADER = 1, 2  # cellXfs of the title row and the header row; number formats follow from 3
EPOCH = datetime(1899, 12, 30)
_FIXED = (1980, 1, 1, 0, 0, 0)
# printed: A4 landscape, all columns on one page's width (as many pages down as needed), 2 cm margins
PRINT_SETUP = ('<printOptions horizontalCentered="1"/>'
               '<pageMargins left="0.6" right="0.6" top="0.8" bottom="0.8" header="0.3" footer="0.3"/>'
               '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>')
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class SheetWriter:
    """Rows of one sheet, streamed into its part of the zip (`XlsxWriter.sheet`)."""

    def __init__(self, book: XlsxWriter, stream, columns: int):
        self._book, self._stream, self._letters = book, stream, [column_letter(i + 1) for i in range(columns)]
        self.rows = 0

    def row(self, values: list, styles: list[int] | int = 0, text_style: int | None = None) -> None:
        """One row: str → shared text, int/float → number, datetime → date-time, None or '' → empty cell.
        `styles`: one style for the row or one per column; `text_style`, if given, for its strings."""
        self.rows += 1
        n, parts = self.rows, [f'<row r="{self.rows}">']
        for i, value in enumerate(values):
            if value is None or value == "":  # an empty cell, as openpyxl leaves an empty string
                continue
            style = styles if isinstance(styles, int) else styles[i]
            ref, s = f"{self._letters[i]}{n}", f' s="{style}"' if style else ""
            if isinstance(value, str):
                s = f' s="{text_style}"' if text_style else "" if text_style is not None else s
                parts.append(f'<c r="{ref}"{s} t="s"><v>{self._book.string(value)}</v></c>')
            elif isinstance(value, datetime):
                days = (value.replace(tzinfo=None) - EPOCH).total_seconds() / 86400
                parts.append(f'<c r="{ref}"{s}><v>{days!r}</v></c>')
            elif isinstance(value, bool):
                parts.append(f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, (int, float)) and math.isfinite(value):
                parts.append(f'<c r="{ref}"{s}><v>{value!r}</v></c>')
        parts.append("</row>")
        self._stream.write("".join(parts).encode("utf-8"))


class XlsxWriter:
    """A workbook written sheet by sheet: `with XlsxWriter(path, formats) as book: with book.sheet(...)`.

    `formats`: the number formats the sheets use; style id of format k is `3 + k` (`style_of`).
    """

    def __init__(self, path: Path, formats: list[str]):
        self.path, self.formats = Path(path), list(formats)
        self._zip = zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED, compresslevel=6)
        self._strings: dict[str, int] = {}
        self._state = hashlib.sha256()  # the shared strings so far: a sheet's part depends on them
        self._sheets: list[tuple[str, str | None]] = []  # name, auto-filter range
        self._titles: list[tuple[str, int]] = []  # name, rows repeated at the top of each printed page

    def style_of(self, number_format: str | None) -> int:
        return 0 if number_format is None else 3 + self.formats.index(number_format)

    def string(self, value: str) -> int:
        return self._intern(clean_text(value))

    def _intern(self, text: str) -> int:
        index = self._strings.get(text)
        if index is None:
            index = self._strings[text] = len(self._strings)
            self._state.update(text.encode("utf-8", "surrogatepass") + b"\0")
        return index

    def strings_state(self) -> str:
        """A digest of the shared strings so far, in order: with the same rows, a sheet written after the same
        strings gets the same part (tasks/report/appendix_parts.py keys the parts kept for reuse by it)."""
        return self._state.copy().hexdigest()

    def strings_since(self, count: int) -> list[str]:
        """The shared strings added after the first `count` (those a sheet brought in)."""
        return list(self._strings)[count:]

    def string_count(self) -> int:
        return len(self._strings)

    def _part(self, name: str, text: str) -> None:
        self._zip.writestr(zipfile.ZipInfo(name, _FIXED), text.encode("utf-8"), zipfile.ZIP_DEFLATED)

    def sheet(self, name: str, widths: list[float], frozen_rows: int = 0, filter_row: int | None = None,
              rows: int = 0, keep: io.BytesIO | None = None):
        """Context manager yielding a SheetWriter; `filter_row` (1-based) heads an auto-filter over `rows` rows.
        `keep`: the part's XML is also written there (kept for reuse, `add_sheet`)."""
        book = self

        class _Open:
            def __enter__(self):
                self.stream = _Tee(book._open_sheet(), keep)
                pane = (f'<pane ySplit="{frozen_rows}" topLeftCell="A{frozen_rows + 1}" activePane="bottomLeft" '
                        f'state="frozen"/><selection pane="bottomLeft"/>' if frozen_rows else "")
                cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                               for i, w in enumerate(widths, start=1))
                self.stream.write((f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS} {_REL_NS}>'
                                   '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
                                   f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
                                   f'<sheetFormatPr defaultRowHeight="15"/>' + (f"<cols>{cols}</cols>" if cols else "")
                                   + "<sheetData>").encode("utf-8"))
                self.writer = SheetWriter(book, self.stream, len(widths))
                book._add(name, widths, frozen_rows, filter_row, rows)
                return self.writer

            def __exit__(self, *exc):
                ref = book._sheets[-1][1]
                self.stream.write(("</sheetData>" + (f'<autoFilter ref="{ref}"/>' if ref else "")
                                   + PRINT_SETUP + "</worksheet>").encode("utf-8"))
                self.stream.close()
                return False

        return _Open()

    def _open_sheet(self):
        info = zipfile.ZipInfo(f"xl/worksheets/sheet{len(self._sheets) + 1}.xml", _FIXED)
        info.compress_type = zipfile.ZIP_DEFLATED
        return self._zip.open(info, "w")

    def _add(self, name: str, widths: list[float], frozen_rows: int, filter_row: int | None, rows: int) -> None:
        ref = f"A{filter_row}:{column_letter(len(widths))}{filter_row + rows}" if filter_row and widths else None
        self._sheets.append((name, ref))
        self._titles.append((name, frozen_rows))

    def add_sheet(self, name: str, widths: list[float], part: bytes, strings: list[str], frozen_rows: int = 0,
                  filter_row: int | None = None, rows: int = 0) -> None:
        """A sheet whose part was written before (`sheet(..., keep=…)`) after the same shared strings: its XML
        copied as it is, the strings it brought in added in their order — the same bytes as writing it again."""
        for text in strings:
            self._intern(text)
        with self._open_sheet() as stream:
            stream.write(part)
        self._add(name, widths, frozen_rows, filter_row, rows)

    def close(self) -> None:
        n = len(self._sheets)
        sheets = "".join(f'<sheet name={quoteattr(name)} sheetId="{i}" r:id="rId{i}"/>'
                         for i, (name, _) in enumerate(self._sheets, start=1))
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"{escape(_quoted(name))}!{_absolute(ref)}</definedName>"
            for i, (name, ref) in enumerate(self._sheets) if ref)
        names += "".join(  # the title and header rows printed at the top of every page
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">{escape(_quoted(name))}!$1:${rows}</definedName>'
            for i, (name, rows) in enumerate(self._titles) if rows)
        self._part("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   f'<workbook {_NS} {_REL_NS}><bookViews><workbookView/></bookViews><sheets>{sheets}</sheets>'
                   + (f"<definedNames>{names}</definedNames>" if names else "") + "</workbook>")
        rels = "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                       f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1))
        rels += (f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 f'relationships/styles" Target="styles.xml"/>'
                 f'<Relationship Id="rId{n + 2}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 f'relationships/sharedStrings" Target="sharedStrings.xml"/>')
        self._part("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f"{rels}</Relationships>")
        self._part("xl/styles.xml", self._styles())
        strings = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in self._strings)
        self._part("xl/sharedStrings.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   f'<sst {_NS} count="{len(self._strings)}" uniqueCount="{len(self._strings)}">{strings}</sst>')
        sheet_types = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, n + 1))
        self._part("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/styles.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                   '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                   f"{sheet_types}</Types>")
        self._part("_rels/.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        self._zip.close()

    def _styles(self) -> str:
        formats = "".join(f'<numFmt numFmtId="{164 + k}" formatCode={quoteattr(f)}/>' for k, f in enumerate(self.formats))
        xfs = ('<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
               '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
               '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" '
               'applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>'
               + "".join(f'<xf numFmtId="{164 + k}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
                         for k in range(len(self.formats))))
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<styleSheet {_NS}>'
                + (f'<numFmts count="{len(self.formats)}">{formats}</numFmts>' if self.formats else "")
                + '<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
                  '<font><b/></font>'
                  '<font><b/><sz val="14"/><name val="Calibri"/><family val="2"/></font></fonts>'
                  '<fills count="3"><fill><patternFill patternType="none"/></fill>'
                  '<fill><patternFill patternType="gray125"/></fill>'
                  '<fill><patternFill patternType="solid"><fgColor rgb="00DDEBF7"/></patternFill></fill></fills>'
                  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                  f'<cellXfs count="{3 + len(self.formats)}">{xfs}</cellXfs>'
                  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                  "</styleSheet>")

    def __enter__(self):
        return self

    def __exit__(self, kind, *exc):
        if kind is None:
            self.close()
        else:
            self._zip.close()
        return False


class _Tee:
    """The zip entry's stream, and a copy of what is written into it when a sheet's part is kept."""

    def __init__(self, stream, copy: io.BytesIO | None):
        self._stream, self._copy = stream, copy

    def write(self, data: bytes) -> None:
        self._stream.write(data)
        if self._copy is not None:
            self._copy.write(data)

    def close(self) -> None:
        self._stream.close()


def _quoted(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _absolute(ref: str) -> str:
    start, end = ref.split(":")
    return ":".join("$" + "".join(c for c in part if c.isalpha()) + "$" + "".join(c for c in part if c.isdigit())
                    for part in (start, end))
