"""The ledger (台账) of a year: per unit, the periods it reported on time, late, not at all (未报: missing, or
rejected only) and those it corrected after the 专报 was signed.

The periods are those of every cadence of the plan (months, halves, weeks, …: tasks/year/calendar.py), each with
the units it was owed by (a half month's project units only).
Each period's standing is tasks/intake/standing.py's (the one owner of on time / late / 未报): nothing here
compares an arrival with a deadline. The units and who owed each period are the reference's index
(tasks/core/reference_index.py): no pandas unless a correction's figures are compared. `corrected_after_signing` is tasks/year/corrections.py's. The JSON is the
contract of `zhuanbao ledger --year Y --json` (district-plan.md):

    {"year": 2020, "periods": [...], "names": {period: 2020年5月上半月, …}, "units": [{"unit_code", "unit_name", "unit_kind",
      "on_time": {"count", "periods"}, "late": {...}, "missing": {...}, "rejected": {...},
      "corrected_after_signing": {"count", "periods", "downward": [periods], "records": [...]}}]}
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..core import periods
from ..core.reference_index import ReferenceIndex, reference_index_for
from ..core.settings import Settings
from ..intake.registry import submissions
from ..intake.standing import standings
from .calendar import period_text, signed_at, year_periods
from .corrections import Correction, corrections

KEYS = ("on_time", "late", "missing", "rejected", "corrected_after_signing")
LABELS = {"on_time": "按时", "late": "逾期（延误上报）", "missing": "未报（漏报）", "rejected": "退回未补（未报）",
          "corrected_after_signing": "签发后更正"}


def _empty_unit(reference: ReferenceIndex, code: str) -> dict:
    return {"unit_code": code, "unit_name": reference.unit_name(code), "unit_kind": reference.unit_kinds.get(code, ""),
            **{key: {"count": 0, "periods": []} for key in KEYS[:4]},
            "corrected_after_signing": {"count": 0, "periods": [], "downward": [], "records": []}}


def _add(entry: dict, key: str, period: str) -> None:
    entry[key]["periods"].append(period)
    entry[key]["count"] = len(entry[key]["periods"])


def _add_correction(entry: dict, fix: Correction) -> None:
    _add(entry, "corrected_after_signing", fix.period)
    entry["corrected_after_signing"]["records"].append(fix.as_dict())
    if fix.downward:
        entry["corrected_after_signing"]["downward"].append(fix.period)


def build_ledger(settings: Settings, db: Session, year: int, through: str | None = None,
                 now: datetime | None = None) -> dict:
    """The year's ledger (see the module's docstring), units in the order of the year's units.csv."""
    chosen = year_periods(settings, db, year, through, now)
    units: dict[str, dict] = {}
    order: list[str] = []
    for period in chosen:
        reference = reference_index_for(settings, period)
        if not order:
            order = list(reference.unit_codes)
        rows = submissions(db, period)
        for standing in standings(settings, period, rows, reference):
            entry = units.setdefault(standing.unit_code, _empty_unit(reference, standing.unit_code))
            _add(entry, standing.standing.value, period)
        for fix in corrections(settings, db, period, rows, signed_at(settings, db, period)):
            if fix.unit_code in units:
                _add_correction(units[fix.unit_code], fix)
    place = {code: i for i, code in enumerate(order)}
    ranked = sorted(units.values(), key=lambda u: (place.get(u["unit_code"], len(place)), u["unit_code"]))
    return {"year": year, "through": through, "periods": chosen, "names": {p: period_text(p) for p in chosen},
            "units": ranked}


def unit_ledger(ledger: dict, unit_code: str) -> dict | None:
    """One unit's line of the ledger (the portal shows a unit its own only)."""
    return next((u for u in ledger["units"] if u["unit_code"] == unit_code), None)


def unreported(entry: dict) -> list[str]:
    """The periods a unit did not report (未报: nothing arrived, or only rejected files), in order."""
    return sorted(entry["missing"]["periods"] + entry["rejected"]["periods"], key=periods.sort_key)
