"""Read one submission workbook into tidy rows per form (spec §4). No check rules live here.

The reader finds each form's sheet (by name, else by its code header), the metadata cells above
the header (填报单位, 报告期), the header row wherever it sits, and the data rows below it up to
the footer. Cells are normalised (tasks/normalise.py); a number that cannot be read is kept as
text in `<field>_unparsed` so the rules can name it. See docs/contracts.md for the columns.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..core.forms import (  # SHEETS, HEADERS, … also importable from here, as before
    CODE_FIELD,
    HEADERS,
    MARKER_SHEET,
    NUMERIC,
    REQUIRED_HEADERS,
    SHEETS,
    marked_form,
    read_marker_sheet,
)
from ..core.reference import FORMS, Reference
from .archive import DAMAGED, TOO_LARGE, ZIP_MAGIC, ReadLimits, scan_archive
from .formats import cannot_open, in_its_words, suffix_problem
from .normalise import (
    header_key,
    nfc,
    normalise_code,
    parse_number,
    parse_period,
    split_label,
    unit_code_in,
)

FOOTER_MARKS = ("单位负责人", "填报人", "联系电话", "报出日期", "审核人")
HEADER_SCAN_ROWS = 30
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class WorkbookRead:
    """What one file said: metadata, the forms found, their tidy rows, or why it cannot be read."""

    file_name: str
    error: str | None = None
    unit_code: str | None = None
    unit_text: str | None = None
    period: str | None = None
    period_text: str | None = None
    meta_sheet: str | None = None
    meta_row: int | None = None
    sheets: dict[str, str] = field(default_factory=dict)
    missing_columns: dict[str, list[str]] = field(default_factory=dict)
    marker: dict[str, str] = field(default_factory=dict)  # a generated form's version, unit_code, period
    records: dict[str, list[dict]] = field(default_factory=dict)
    _frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def frames(self) -> dict[str, pd.DataFrame]:
        """The rows per form as DataFrames, built on first use (a period batch uses `tidy_frames`)."""
        for form, rows in self.records.items():
            if form not in self._frames:
                self._frames[form] = _frame(form, rows)
        return self._frames


_HEADER_KEYS = {form: {header_key(h): f for f, h in cols.items()} for form, cols in HEADERS.items()}
_SHEET_KEYS = {header_key(name): form for form, name in SHEETS.items()}


def empty_frame(form: str) -> pd.DataFrame:
    """A form frame with no rows but every column of the contract."""
    columns = ["sheet", "row", "unit_code", *HEADERS[form], *(f"{f}_unparsed" for f in NUMERIC[form])]
    return pd.DataFrame({c: pd.Series(dtype="float64" if c in NUMERIC[form] else "object") for c in columns})


def file_problem(data: bytes, name: str, max_bytes: int) -> str | None:
    """Why a file cannot be a submission workbook, in words a clerk understands; None if it may be."""
    suffix = Path(name).suffix.lower()
    if len(data) > max_bytes:
        return f"文件过大（{len(data) / 1048576:.1f} MiB），超过 {max_bytes / 1048576:.0f} MiB 上限，请删除多余内容后重报"
    if problem := suffix_problem(suffix):  # the formats units save: tasks/intake/formats.py
        return problem
    if data.startswith(OLE2_MAGIC) and "EncryptionInfo".encode("utf-16-le") in data:
        return "文件设置了打开密码（已加密），系统无法读取，请取消密码后重报"
    if not data.startswith((ZIP_MAGIC, OLE2_MAGIC)):
        return cannot_open(suffix)
    return None


def read_workbook(source: Path | bytes, reference: Reference, *, name: str | None = None,
                  max_bytes: int = 20 * 1024 * 1024, limits: ReadLimits | None = None) -> WorkbookRead:
    """Read one workbook (a path or its bytes). Never raises for a bad file: see `.error`.

    Run untrusted files through tasks/intake/sandbox.py: a file that breaks the reader itself
    (memory, time) can only be stopped from outside the process.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    name = name or (Path(source).name if not isinstance(source, bytes) else "workbook.xlsx")
    limits = limits or ReadLimits()
    result = WorkbookRead(file_name=name)
    result.error = file_problem(data, name, max_bytes)
    if result.error:
        return result
    problem, hidden = scan_archive(data, limits)  # the zip's directory read once for both
    result.error = in_its_words(problem, name)
    if result.error:
        return result
    try:
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = {m.name: m for m in book.sheets_metadata}
        grids = {n: book.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in book.sheet_names
                 if str(sheets[n].visible).endswith("Visible")}
        if MARKER_SHEET in sheets and MARKER_SHEET not in grids:
            result.marker = read_marker_sheet(book.get_sheet_by_name(MARKER_SHEET).to_python())
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # noqa: BLE001 — calamine raises many kinds (a Rust panic too); all mean "cannot open"
        text = str(exc).lower()
        result.error = ("文件设置了密码（已加密），系统无法读取，请取消密码后重报" if "password" in text or "encrypt" in text
                        else in_its_words(DAMAGED, name))
        return result
    for sheet_name, grid in grids.items():
        width = max((len(row) for row in grid), default=0)
        if len(grid) > limits.max_rows or width > limits.max_columns:
            result.error = (f"{TOO_LARGE}：工作表“{nfc(sheet_name)}”有 {len(grid)} 行 × {width} 列，超过 "
                            f"{limits.max_rows} 行 × {limits.max_columns} 列的上限，请删除多余的行列后重报")
            return result
    # a generated form's marked sheets first (renamed or not), then by sheet name or code header
    marked = {name: marked_form(grid) for name, grid in grids.items()}
    for sheet_name in sorted(grids, key=lambda name: marked[name] is None):
        grid = grids[sheet_name]
        form = marked[sheet_name][0] if marked[sheet_name] else _form_of(sheet_name, grid)
        if form and form not in result.sheets:
            result.sheets[form] = sheet_name
            _read_form(result, form, sheet_name, grid, reference, hidden.get(sheet_name, set()), marked[sheet_name])
    if result.marker and not result.unit_code and result.marker.get("unit_code") in reference.unit_names:
        result.unit_code = result.marker["unit_code"]  # the metadata cells were emptied: the marker still says
        for record in (r for rows in result.records.values() for r in rows):
            record["unit_code"] = result.unit_code
    return result


def _form_of(sheet_name: str, grid: list[list]) -> str | None:
    key = header_key(sheet_name)
    if key in _SHEET_KEYS:
        return _SHEET_KEYS[key]
    for form in _HEADER_KEYS:  # a renamed sheet still counts if its code header is there
        code_key = header_key(HEADERS[form][next(iter(HEADERS[form]))])
        if any(header_key(c) == code_key for row in grid[:HEADER_SCAN_ROWS] for c in row):
            return form
    return None


def _header_row(form: str, grid: list[list], marked: tuple[str, int] | None) -> int | None:
    """The header row's index: the marked row of a generated form's sheet (`marked_form`, found once per sheet),
    else the first of the top rows holding the form's code header."""
    if marked and marked[0] == form:
        return marked[1]
    code_key = header_key(next(iter(HEADERS[form].values())))
    for index, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        if any(header_key(c) == code_key for c in row):
            return index
    return None


def _read_meta(result: WorkbookRead, sheet: str, grid: list[list], upto: int, reference: Reference) -> None:
    if result.meta_sheet is not None:
        return
    for index, row in enumerate(grid[:upto]):
        for pos, cell in enumerate(row):
            pair = split_label(cell)
            if not pair:
                continue
            label, value = pair
            if not value and pos + 1 < len(row):  # `填报单位：` | `河坝镇（T01）` in the next cell
                value = nfc(row[pos + 1])
            if label == "填报单位":
                result.unit_text = value
                result.unit_code = unit_code_in(value) or reference.resolve_unit(value)
                if result.unit_code and result.unit_code not in reference.unit_names:
                    result.unit_code = reference.resolve_unit(value.split("（")[0].split("(")[0])
                result.meta_sheet, result.meta_row = sheet, index + 1
            elif label == "报告期":
                result.period_text, result.period = value, parse_period(value)


def _read_form(result: WorkbookRead, form: str, sheet: str, grid: list[list], reference: Reference,
               hidden: set[int] = frozenset(), marked: tuple[str, int] | None = None) -> None:
    header_at = _header_row(form, grid, marked)
    if header_at is None:
        result.missing_columns[form] = [HEADERS[form][f] for f in REQUIRED_HEADERS[form]]
        return
    _read_meta(result, sheet, grid, header_at, reference)
    columns = {}
    for pos, cell in enumerate(grid[header_at]):
        fld = _HEADER_KEYS[form].get(header_key(cell))
        if fld and fld not in columns:
            columns[fld] = pos
    missing = [HEADERS[form][f] for f in REQUIRED_HEADERS[form] if f not in columns]
    if missing:
        result.missing_columns[form] = missing
    records = []
    for index in range(header_at + 1, len(grid)):
        if index + 1 in hidden:  # a hidden row is not what the unit shows: never data
            continue
        row = grid[index]
        cells = {f: (row[p] if p < len(row) else None) for f, p in columns.items()}
        if not any(nfc(v) for v in cells.values()):  # a blank row (stops at the first text)
            continue
        if _is_footer(row):
            break
        record = _tidy_row(form, cells, sheet, index + 1, result.unit_code)
        if records and _is_note_row(form, record):
            _append_note(records[-1], record)
            continue
        records.append(record)
    result.records[form] = records


def _is_footer(row: list) -> bool:
    """A signature line (单位负责人, 填报人, …) in the row's first three cells: the data ends above it."""
    heads = [nfc(c) for c in row[:3]]
    return any(mark in text for text in heads for mark in FOOTER_MARKS)


NOTE_FIELDS = ("note", "problems", "coordination")  # 说明, 存在问题, 需协调事项: free text a unit may continue


def _is_note_row(form: str, record: dict) -> bool:
    """A row that only continues the text of the row above: no code, no figure, text only in note columns."""
    notes = [f for f in NOTE_FIELDS if f in HEADERS[form]]
    if not notes or record[CODE_FIELD[form]] or not any(record[f] for f in notes):
        return False
    if any(record[f] is not None or record[f"{f}_unparsed"] is not None for f in NUMERIC[form]):
        return False
    return not any(record[f] for f in HEADERS[form] if f not in notes and f not in NUMERIC[form])


def _append_note(above: dict, note: dict) -> None:
    """Keep a note row's text as part of the row above it (a new line in the same column)."""
    for fld in NOTE_FIELDS:
        if note.get(fld):
            above[fld] = f"{above[fld]}\n{note[fld]}" if above.get(fld) else note[fld]


def _frame(form: str, records: list[dict]) -> pd.DataFrame:
    columns = empty_frame(form).columns
    frame = pd.DataFrame.from_records(records, columns=columns) if records else empty_frame(form)
    frame[list(NUMERIC[form])] = frame[list(NUMERIC[form])].astype("float64")
    return frame


def _tidy_row(form: str, cells: dict, sheet: str, excel_row: int, unit_code: str | None) -> dict:
    record: dict = {"sheet": sheet, "row": excel_row, "unit_code": unit_code}
    code_field = next(iter(HEADERS[form]))
    for fld in HEADERS[form]:
        value = cells.get(fld)
        if fld in NUMERIC[form]:
            record[fld], record[f"{fld}_unparsed"] = parse_number(value)
        elif fld == code_field:
            record[fld] = normalise_code(value)
        else:
            record[fld] = nfc(value)
    return record


def tidy_frames(reads: list[tuple[int, WorkbookRead]]) -> dict[str, pd.DataFrame]:
    """All files' rows of a period, per form, with `file_id` first: the batch the suites check.

    Built once per form from every file's records (one DataFrame for the period, not one per file).
    """
    out = {}
    for form in FORMS:
        records = [{**rec, "file_id": fid} for fid, r in reads for rec in r.records.get(form, ())]
        parts = [_frame(form, records).assign(file_id=[rec["file_id"] for rec in records])] if records else []
        parts += [r._frames[form].assign(file_id=fid) for fid, r in reads  # frames set directly (tests)
                  if form not in r.records and form in r._frames and len(r._frames[form])]
        frame = (pd.concat(parts, ignore_index=True) if parts
                 else empty_frame(form).assign(file_id=pd.Series(dtype="int64")))
        out[form] = frame[["file_id", *empty_frame(form).columns]]
    return out
