"""Demo data: the units' submission workbooks and the demo inbox (spec §4).

Owns two things, deterministic given a seed (the month's figures are tasks/demo/figures.py's `generate_month`):
- `write_workbook` — one unit's workbook, laid out like shared/samples (openpyxl `.xlsx`, xlwt
  legacy `.xls`), `clean` or `messy`; messiness is a set of switches (`Messy`).
- `build_demo_inbox` — a demo district's months in `<home>/inbox/<period>/`, with file mtimes
  set to the arrival times (Asia/Shanghai). With the default periods 2020-03..2020-05:
  * 2020-03: every unit, clean, on time.
  * 2020-04 (the second-last period): `T01_2020-04.xlsx` and `D05_2020-04.xlsx` messy;
    `D02_2020-04.xlsx` REJECTED (`约500` in a required numeric cell), then
    `D02_2020-04_更正.xlsx` CORRECTED a few days later; `T04_2020-04.xlsx` LATE (after the 15th).
  * 2020-05 (the last period): T05 MISSING (no file); `D07_2020-05.xls` legacy format;
    `T03_2020-05.xlsx` messy (noisy headers and numbers as text only).
  Other files arrive on the 8th-14th of the following month at office hours.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo
from zoneinfo import ZoneInfo

import openpyxl
import xlwt
from openpyxl.styles import Alignment, Font
from openpyxl.writer.excel import ExcelWriter

from ..core import catalog
from ..core.forms import FORM_SPECS
from ..core.periods import chinese_name, period_parts, previous_period
from ..core.reference import Reference
from .figures import generate_month, seeded_random

TZ = ZoneInfo("Asia/Shanghai")
FOOTER = "单位负责人：王某  填报人：李某  联系电话：0737-0000000  报出日期：{d.year}年{d.month}月{d.day}日"
FULLWIDTH = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    numeric: bool = False
    suffix: str = ""  # measure written after full-width numbers in messy files


@dataclass(frozen=True)
class Form:
    sheet: str
    title: str
    columns: tuple[Column, ...]


# the forms as the contract (tasks/core/forms.py) has them; messy files append a column's 万元 to numbers
FORMS: dict[str, Form] = {
    form: Form(spec.sheet, spec.title, tuple(
        Column(c.field, c.header, c.numeric, c.measure if c.measure == "万元" else "")
        for c in spec.columns))
    for form, spec in FORM_SPECS.items()
}


@dataclass(frozen=True)
class Messy:
    """Switches of a messy workbook; `numbers` is plain|text (`1,234.5`)|fullwidth (`４９．１万元`)|mixed."""

    blank_first_row: bool = False
    blank_first_column: bool = False
    noisy_headers: bool = False  # leading spaces, `1-本月\n累计`, `同比增长（%）`
    numbers: str = "plain"
    dash_for_empty: bool = False
    blank_data_row: bool = False
    unit_name_only: bool = False
    instructions_sheet: bool = False
    hidden_sheet: bool = False


STYLES = {"clean": Messy(), "messy": Messy(True, True, True, "mixed", True, True, True, True, True)}


@dataclass
class Sheet:
    name: str
    grid: list[list]
    title_at: tuple[int, int, int] | None = None  # row, column (0-based), width
    hidden: bool = False


# ---------------------------------------------------------------- writing one workbook

def _header(text: str, index: int, sw: Messy) -> str:
    if not sw.noisy_headers:
        return text
    text = text.replace("(", "（").replace(")", "）")
    if text.startswith("1-本月"):
        return "1-本月\n" + text[4:]
    return " " + text if index % 2 else text


def _cell(value, column: Column, sw: Messy, row_index: int):
    if value is None or value == "":
        return "—" if sw.dash_for_empty and column.numeric else None
    if not column.numeric or isinstance(value, str) or sw.numbers == "plain":
        return value
    mode = sw.numbers if sw.numbers != "mixed" else ("text", "fullwidth")[row_index % 2]
    return f"{value:,.1f}" if mode == "text" else f"{value:.1f}".translate(FULLWIDTH) + column.suffix


def _form_sheet(form: Form, rows: list[dict], unit_text: str, period: str, day: date, sw: Messy) -> Sheet:
    width, top, left = len(form.columns), int(sw.blank_first_row), int(sw.blank_first_column)
    pad = lambda cells: cells + [None] * (width - len(cells))
    meta = [f"填报单位：{unit_text}", None, None, f"报告期：{chinese_name(period)}", None, "计量单位：万元、%"]
    grid = [pad([])] * top + [pad([form.title]), pad(meta),
                              [_header(c.header, i, sw) for i, c in enumerate(form.columns)]]
    for i, row in enumerate(rows):
        grid.append([_cell(row.get(c.field), c, sw, i) for c in form.columns])
        if sw.blank_data_row and i == 1 and len(rows) > 2:
            grid.append(pad([]))
    grid += [pad([]), pad([FOOTER.format(d=day)])]
    grid = [[None] * left + r for r in grid]
    return Sheet(form.sheet, grid, (top, left, width))


def _save_xlsx(path: Path, sheets: list[Sheet], stamp: datetime) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for s in sheets:
        ws = wb.create_sheet(s.name)
        for row in s.grid:
            ws.append(row)
        if s.title_at:
            r, c, w = s.title_at
            ws.merge_cells(start_row=r + 1, start_column=c + 1, end_row=r + 1, end_column=c + w)
            ws.cell(r + 1, c + 1).font = Font(bold=True, size=14)
            ws.cell(r + 1, c + 1).alignment = Alignment(horizontal="center")
        for col in range(1, len(s.grid[0]) + 1):
            ws.column_dimensions[openpyxl.utils.get_column_letter(col)].width = 13
        ws.sheet_state = "hidden" if s.hidden else "visible"
    wb.properties.created = wb.properties.modified = stamp
    ExcelWriter(wb, _FixedTimeZip(path, "w", ZIP_DEFLATED)).save()


class _FixedTimeZip(ZipFile):
    """A zip whose members carry a fixed timestamp, so equal workbooks are equal bytes."""

    def writestr(self, name, data, *args, **kwargs):
        if isinstance(name, str):
            name = ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            name.compress_type = ZIP_DEFLATED
        super().writestr(name, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):
        self.writestr(arcname or str(filename), Path(filename).read_bytes())


def _save_xls(path: Path, sheets: list[Sheet]) -> None:
    wb = xlwt.Workbook(encoding="utf-8")
    title_style = xlwt.easyxf("font: bold on, height 280; align: horiz center")
    for s in sheets:
        ws = wb.add_sheet(s.name)
        for r, row in enumerate(s.grid):
            for c, value in enumerate(row):
                if value is not None and (r, c) != (s.title_at or (0, 0))[:2]:
                    ws.write(r, c, value)
        if s.title_at:
            r, c, w = s.title_at
            ws.write_merge(r, r, c, c + w - 1, s.grid[r][c], title_style)
        ws.visibility = int(s.hidden)
    wb.save(str(path))


def write_workbook(path: str | Path, *, reference: Reference, unit_code: str, period: str,
                   indicators: list[dict] = (), projects: list[dict] = (), tasks: list[dict] = (),
                   style: str | Messy = "clean", fmt: str | None = None,
                   reported_on: datetime | None = None) -> Path:
    """Write one unit's workbook; a form's sheet only when it has rows. `fmt` defaults to the suffix."""
    path, sw = Path(path), STYLES[style] if isinstance(style, str) else style
    fmt = fmt or path.suffix.lstrip(".").lower()
    if fmt not in ("xlsx", "xls"):
        raise ValueError(f"fmt must be xlsx or xls, got {fmt!r}")
    year, month = period_parts(period)
    reported_on = reported_on or datetime(year + month // 12, month % 12 + 1, 10, 9, 0, tzinfo=TZ)
    name = reference.unit_name(unit_code)
    unit_text = name if sw.unit_name_only else f"{name}（{unit_code}）"
    by_form = {"indicators": indicators, "projects": projects, "tasks": tasks}
    sheets = [_form_sheet(FORMS[f], list(rows), unit_text, period, reported_on.date(), sw)
              for f, rows in by_form.items() if rows]
    if sw.instructions_sheet:
        sheets.insert(0, Sheet("填报说明", [["请于每月15日前报送上月数据。"]]))
    if sw.hidden_sheet:
        sheets.append(Sheet("隐藏参数", [["版本", "2020.1"], ["填报单位代码", unit_code]], hidden=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xls":
        _save_xls(path, sheets)
    else:
        stamp = reported_on.astimezone(UTC).replace(tzinfo=None) if reported_on.tzinfo else reported_on
        _save_xlsx(path, sheets, stamp)
    return path


# ---------------------------------------------------------------- the demo inbox

T01_LIKE = Messy(blank_first_row=True, noisy_headers=True, numbers="text", dash_for_empty=True, blank_data_row=True)
D05_LIKE = Messy(numbers="fullwidth", unit_name_only=True, instructions_sheet=True, hidden_sheet=True,
                 blank_first_column=True)
SCENARIO = [  # (which period: -2 = second-last, -1 = last; unit; kind; style)
    (-2, "T01", "messy", T01_LIKE), (-2, "D05", "messy", D05_LIKE), (-2, "D02", "rejected", "clean"),
    (-2, "T04", "late", "clean"), (-1, "T05", "missing", "clean"), (-1, "D07", "xls", "clean"),
    (-1, "T03", "messy", Messy(noisy_headers=True, numbers="text")),
]
ARRIVAL_DAYS = {"late": (17, 20), "rejected": (8, 10), "corrected": (12, 14)}


def _arrival(seed, period: str, unit: str, kind: str) -> datetime:
    r, (year, month) = seeded_random(seed, "arrival", period, unit, kind), period_parts(period)
    return datetime(year + month // 12, month % 12 + 1, r.randint(*ARRIVAL_DAYS.get(kind, (8, 14))),
                    r.choice([8, 9, 10, 11, 14, 15, 16, 17]), r.randint(0, 59), r.randint(0, 59), tzinfo=TZ)


def _spoil(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The same rows with `约500` in the first required numeric cell (a hard H05 failure)."""
    rows = {form: [dict(r) for r in form_rows] for form, form_rows in rows.items()}
    field = {"indicators": "cumulative", "projects": "cumulative_investment", "tasks": "progress_pct"}
    form = next(f for f in field if rows.get(f))
    rows[form][0][field[form]] = "约500"
    return rows


def build_demo_inbox(home: Path, reference: Reference, periods: list[str] = ("2020-03", "2020-04", "2020-05"),
                     seed: int = 2020) -> list[dict]:
    """Write the demo months into `<home>/inbox/<period>/` (see the module docstring); the manifest."""
    periods, manifest, state = list(periods), [], None
    plan = {(periods[max(len(periods) + i, 0)], unit): (kind, style) for i, unit, kind, style in SCENARIO}
    for period in periods:
        prev = state if state and state["period"] == previous_period(period) else None
        rows_by_unit, state = generate_month(reference, period, rng_seed=seed, prev_state=prev)
        for unit, rows in rows_by_unit.items():
            kind, style = plan.get((period, unit), ("ok", "clean"))
            files = {"missing": [], "xls": [(f"{unit}_{period}.xls", kind, rows)],
                     "rejected": [(f"{unit}_{period}.xlsx", "rejected", _spoil(rows)),
                                  (f"{unit}_{period}_更正.xlsx", "corrected", rows)]}
            for name, file_kind, file_rows in files.get(kind, [(f"{unit}_{period}.xlsx", kind, rows)]):
                manifest.append(_arrive(home, reference, period, unit, name, file_kind, file_rows, style, seed))
    return sorted(manifest, key=lambda e: (e["period"], e["arrival"], e["file"]))


def _arrive(home: Path, reference: Reference, period: str, unit: str, name: str, kind: str, rows: dict,
            style: str | Messy, seed: int) -> dict:
    """One workbook written into the period's inbox with its arrival time as mtime; its manifest entry."""
    arrival = _arrival(seed, period, unit, kind)
    path = write_workbook(catalog.inbox_dir(home, period) / name, reference=reference, unit_code=unit,
                          period=period, style=style, reported_on=arrival, **rows)
    os.utime(path, (arrival.timestamp(), arrival.timestamp()))
    return {"period": period, "unit_code": unit, "file": name, "arrival": arrival.isoformat(), "kind": kind}


def build_clean_month(home: Path, reference: Reference, chain: list[str], seed: int = 2020) -> list[dict]:
    """The last month of `chain` (consecutive months from the demo's first): every unit clean and on time, its
    figures continuing those `build_demo_inbox` generated for the earlier months (same seed). The demo's June."""
    state, rows_by_unit = None, {}
    for period in chain:
        rows_by_unit, state = generate_month(reference, period, rng_seed=seed, prev_state=state)
    period = chain[-1]
    return [_arrive(home, reference, period, unit, f"{unit}_{period}.xlsx", "ok", rows, "clean", seed)
            for unit, rows in rows_by_unit.items()]
