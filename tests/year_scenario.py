"""A year of the demo district with the cases the ledger and the assessment must see (tests/test_ledger.py,
tests/test_assess.py): the demo's own (T04 late in April, T05 missing in May, D02 rejected then corrected in
time), plus E01's only May file rejected, and after April's 专报 was signed two corrections of April: T02's
first task's progress one point down (虚报) and D01's 累计 up. Every run is reviewed and signed as the demo does.

`expected_standings` works the figures out from the files alone (arrival times, which files are spoilt),
not through zhuanbao's code.
"""
from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl

from tests.test_incremental import run_month
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.demo.scenario import DEMO_APPROVALS, DEMO_RUNS, approve_demo_run

SHANGHAI = ZoneInfo("Asia/Shanghai")
PERIODS = ["2020-03", "2020-04", "2020-05"]
SPOILT = {"D02_2020-04.xlsx", "E01_2020-05.xlsx"}  # rejected files (the demo's D02, ours E01)
APRIL_SIGNED = datetime(2020, 5, 17, 10, 0, tzinfo=SHANGHAI)  # the demo's first signing of April
# unit → (file, the figure changed, by how much, arrival): T02's first task one point lower, D01's first 累计 higher
CORRECTIONS = {"T02": ("T02_2020-04_签发后更正.xlsx", "完成进度(%)", -1, "2020-05-22T10:00:00+08:00"),
               "D01": ("D01_2020-04_签发后更正.xlsx", "1-本月累计", 500, "2020-05-23T10:00:00+08:00")}
APRIL_RERUN = ("2020-04", "2020-05-25T09:00:00+08:00", "签发后两单位更正4月数据")


def _figure_cell(book, headers: tuple[str, ...]):
    """The first data cell under the first of `headers` found in any sheet."""
    for header in headers:
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.value == header:
                        return sheet.cell(row=cell.row + 1, column=cell.column)
    raise AssertionError(f"none of {headers}")


FIGURES = ("1-本月累计", "1-本月累计完成投资(万元)", "完成进度(%)")


def _keep_time(path: Path, moment: float) -> None:
    os.utime(path, (moment, moment))


def spoil_e01(home: Path) -> None:
    """E01's May workbook gets `约500` in its 本月累计: rejected, and E01 sends nothing else for May."""
    path = home / "inbox" / "2020-05" / "E01_2020-05.xlsx"
    moment = path.stat().st_mtime
    book = openpyxl.load_workbook(path)
    _figure_cell(book, FIGURES).value = "约500"
    book.save(path)
    _keep_time(path, moment)


def correct_april(home: Path) -> None:
    """T02 and D01 correct April after its 专报 was signed (T02 down, D01 up)."""
    inbox = home / "inbox" / "2020-04"
    for unit, (name, header, change, moment) in CORRECTIONS.items():
        book = openpyxl.load_workbook(inbox / f"{unit}_2020-04.xlsx")
        cell = _figure_cell(book, (header,))
        cell.value = cell.value + change
        book.save(inbox / name)
        _keep_time(inbox / name, datetime.fromisoformat(moment).timestamp())


def build_year(built: Path, home: Path) -> Path:
    """The demo's runs, signed, with E01 spoilt, then April corrected after signing and run again."""
    shutil.copytree(built, home, symlinks=True)
    (home / "zhuanbao.toml").write_text('assess_leaders = 2\n\n[assess_weights]\n"2020-05" = 2.0\n', encoding="utf-8")
    spoil_e01(home)
    settings = load_settings(home=home)
    for (period, as_of, reason), (reviewed_at, signed_at) in zip(DEMO_RUNS, DEMO_APPROVALS, strict=True):
        run_month(settings, period, as_of, reason)
        approve_demo_run(settings, period, reviewed_at, signed_at)
    correct_april(home)
    run_month(settings, *APRIL_RERUN)
    return home


def deadline(period: str) -> datetime:
    year, month = int(period[:4]), int(period[5:])
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return datetime(year, month, 15, 23, 59, 59, tzinfo=SHANGHAI)


def expected_standings(home: Path, units: list[str]) -> dict[str, dict[str, list[str]]]:
    """unit → {on_time, late, missing, rejected, corrected, downward: [periods]} from the inbox's files."""
    out = {u: {k: [] for k in ("on_time", "late", "missing", "rejected", "corrected", "downward")} for u in units}
    for period in PERIODS:
        files: dict[str, list[tuple[float, str]]] = {}
        for path in (home / "inbox" / period).iterdir():
            files.setdefault(path.name.split("_")[0], []).append((path.stat().st_mtime, path.name))
        for unit in units:
            arrived = sorted(files.get(unit, []))
            good = [(t, n) for t, n in arrived if n not in SPOILT]
            if good:
                late = datetime.fromtimestamp(good[-1][0], SHANGHAI) > deadline(period)
                out[unit]["late" if late else "on_time"].append(period)
            else:
                out[unit]["rejected" if arrived else "missing"].append(period)
    for unit, (_, _, change, _) in CORRECTIONS.items():
        out[unit]["corrected"].append("2020-04")
        if change < 0:
            out[unit]["downward"].append("2020-04")
    return out
