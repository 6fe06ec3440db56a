"""A checked reference year as the quick commands need it — its units and who owes what — kept as plain data.

`status`, `ledger` and the like need only the units (code, name, kind, in the order of units.csv) and which
units owe which form; loading the tables through pandas (tasks/core/reference.py, the one loader and checker)
costs them more than the rest of their work. `reference_index_for(settings, period)` answers a
`ReferenceIndex` from `<home>/cache/reference/<year>.json` when that file was written from the same bytes of
every file of the year's folder by the same loader code; otherwise it loads the year through `reference_for`
(which checks, and refuses a bad table with its usual message), writes the file again and answers from it.
Which units owe a period is tasks/core/owing.py's, for both.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from . import catalog
from .owing import check_cadence, forms_collected, units_owing
from .periods import is_quarter_end, period_parts
from .plan import Plan
from .plan_files import load_plan
from .settings import Settings

if TYPE_CHECKING:
    from .reference import Reference

FORMAT = 1
# the code whose answers the index keeps: a change to any of them makes every index stale
_CODE = ("reference.py", "reference_files.py", "owing.py", "reference_index.py", "plan.py", "plan_files.py",
         "plan_cadences.py", "periods.py")


@dataclass(frozen=True)
class ReferenceIndex:
    """A year's units (code, name, kind, short name; units.csv's order) and, per form, the units owing it."""

    year: int
    units: tuple[tuple[str, str, str, str], ...]
    owing_month: dict[str, list[str]]  # form -> units owing it in a month that is not a quarter's end
    owing_quarter_end: dict[str, list[str]]
    plan: Plan | None = field(default=None, compare=False)

    @cached_property
    def unit_codes(self) -> list[str]:
        return [u[0] for u in self.units]

    @cached_property
    def unit_names(self) -> dict[str, str]:
        return {u[0]: u[1] for u in self.units}

    @cached_property
    def unit_kinds(self) -> dict[str, str]:
        return {u[0]: u[2] for u in self.units}

    def unit_name(self, unit_code: str) -> str:
        return self.unit_names.get(unit_code, unit_code)

    def forms_of(self, period: str) -> tuple[str, ...]:
        return forms_collected(self.plan, period)

    def required_units(self, period: str) -> list[str]:
        """Units that must report in `period`, in the order of units.csv (as `Reference.required_units`)."""
        owing = self.owing_quarter_end if is_quarter_end(period) else self.owing_month
        return units_owing(self.unit_codes, owing, self.forms_of(period))

    def as_json(self, key: str) -> dict:
        return {"format": FORMAT, "key": key, "year": self.year, "units": [list(u) for u in self.units],
                "owing_month": self.owing_month, "owing_quarter_end": self.owing_quarter_end}


def index_of(reference: Reference) -> ReferenceIndex:
    """The index of a loaded `Reference`."""
    units = tuple((str(c), str(n), str(k), str(s)) for c, n, k, s in
                  reference.units[["unit_code", "unit_name", "unit_kind", "short_name"]].itertuples(index=False))
    return ReferenceIndex(reference.year, units, reference.owing(False), reference.owing(True), reference.plan)


def folder_key(folder: Path) -> str:
    """A digest of every file of the year's folder (name and bytes) and of the loader's code."""
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    here = Path(__file__).parent
    for name in _CODE:
        digest.update(name.encode() + b"\0" + (here / name).read_bytes())
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_file():
                try:
                    digest.update(b"\1" + path.name.encode() + b"\0" + path.read_bytes())
                except OSError:  # unreadable: the loader says so if it is a table it reads
                    digest.update(b"\2" + path.name.encode())
    return digest.hexdigest()


def _read(path: Path, key: str) -> ReferenceIndex | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("key") != key:
        return None
    try:
        return ReferenceIndex(int(data["year"]), tuple(tuple(u) for u in data["units"]), data["owing_month"],
                              data["owing_quarter_end"])
    except (KeyError, TypeError, ValueError):
        return None


def _write(path: Path, index: ReferenceIndex, key: str) -> None:
    """Written aside and moved into place; a home that cannot be written just goes without."""
    aside = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        aside.write_text(json.dumps(index.as_json(key), ensure_ascii=False), encoding="utf-8")
        os.replace(aside, path)
    except OSError:
        with contextlib.suppress(OSError):
            aside.unlink(missing_ok=True)


def reference_index_for(settings: Settings, period: str) -> ReferenceIndex:
    """The index of `period`'s year; refused as `reference_for` refuses (a bad table, an undeclared cadence)."""
    year, _ = period_parts(period)
    folder = settings.reference_dir(year)
    key = folder_key(folder)
    path = catalog.reference_index_file(settings.home, year)
    index = _read(path, key)
    if index is not None:  # the tables were checked when it was written: the plan is read as the loader reads it
        plan = load_plan(folder, district=settings.district, office=settings.issuing_office)
        check_cadence(plan, period, folder)
        return replace(index, plan=plan)
    from .reference import reference_for  # the loader and checker: only when the index is stale or missing

    index = index_of(reference_for(settings, period))
    _write(path, index, key)
    return index
