"""Which forms a period collects and which units owe them: the one answer, as plain data (no pandas).

`Reference` (tasks/core/reference.py, the loader and checker of a year's tables) works out what each unit owes
(`Reference.owing`: per form, the units owing it, in a month or in a quarter's end); `forms_collected` says which
forms a period collects (all three in a month, a declared cadence's `tables` otherwise), `units_owing` the units
that must report, in the order of units.csv, and `check_cadence` refuses a period whose cadence plan.toml does not
declare. Both `Reference` and the quick commands' index of it (tasks/core/reference_index.py) ask here.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from .periods import cadence_of, chinese_name, is_monthly
from .plan import Plan
from .reference_files import ReferenceError

FORMS = ("indicators", "projects", "tasks")


def forms_collected(plan: Plan | None, period: str) -> tuple[str, ...]:
    """The forms collected in `period`: all three in a month, a declared cadence's `tables` otherwise."""
    if is_monthly(period):
        return FORMS
    cadence = plan.cadence(cadence_of(period)) if plan is not None else None
    return cadence.tables if cadence is not None else ()


def units_owing(unit_order: Iterable[str], owing: Mapping[str, Iterable[str]], forms: Iterable[str]) -> list[str]:
    """The units that owe any of `forms` (`owing`: form -> units owing it), in `unit_order` (units.csv's)."""
    owed = {unit for form in forms for unit in owing.get(form, ())}
    return [u for u in unit_order if u in owed]


def check_cadence(plan: Plan | None, period: str, folder: Path) -> None:
    """Refuse a period of a cadence the year's plan.toml does not declare (one line naming the file)."""
    if not is_monthly(period) and plan is not None and plan.cadence(cadence_of(period)) is None:
        raise ReferenceError(f"报告期 {period}（{chinese_name(period)}）的调度频次 {cadence_of(period)} 未在 "
                             f"{folder / 'plan.toml'} 的 [[cadences]] 中声明")
