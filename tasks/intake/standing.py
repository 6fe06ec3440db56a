"""The one owner of on time / late / 未报: each unit's standing in a period, and the period's counts.

A unit that must report has a status from its files (the `status --json` contract): `accepted` (its latest
accepted file counts), `received` (read, not yet checked), `rejected` (only rejected files) or `missing`
(nothing). `on_time` compares the counted file's arrival with the period's deadline (tasks/core/periods.py)
and is None without a usable file. Its standing (`standing_of`) follows: a unit with a usable file reported
on time or late; any other unit is 未报 (spec §8: a rejected-only unit counts as missing), either 退回 (only
rejected files) or nothing at all. `tally` counts a period's standings; the run's log line and artifact,
`status --json`, the metrics' headline and unit scores, the 专报, the 催报 list and the portal's board all
read them from here, so they give the same counts. Plain Python (no pandas: `status` and `ledger` import it);
the metrics' and the consolidation's frames of it are tasks/intake/standing_frames.py.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from ..checks.outcomes import MISSING, Outcome
from ..core.settings import Settings
from .registry import Submission, local

if TYPE_CHECKING:
    from ..core.reference import Reference
    from ..core.reference_index import ReferenceIndex

USABLE = (Outcome.ACCEPTED, Outcome.RECEIVED)  # a unit status whose file counts (received: merged once checked)


def arrived_on_time(settings: Settings, period: str, received_at: datetime) -> bool:
    """True when a file arrived at or before the period's deadline (the whole instant counts)."""
    return local(received_at, settings.tz) <= settings.deadline(period)


class Standing(StrEnum):
    """Where a unit stands in a period's counts."""

    ON_TIME = "on_time"  # 按时: a usable file arrived by the deadline
    LATE = "late"  # 逾期: its usable file arrived after the deadline
    REJECTED = "rejected"  # 退回: only rejected files — 未报 (spec §8)
    MISSING = "missing"  # nothing arrived — 未报

    @property
    def reported(self) -> bool:
        return self in (Standing.ON_TIME, Standing.LATE)


def standing_of(status: str, on_time: bool | float | None) -> Standing:
    """The standing of a unit from its status and `on_time` (True/False, or the scores' 1.0/0.0)."""
    if status in USABLE:
        return Standing.ON_TIME if on_time is True or on_time == 1 else Standing.LATE
    return Standing.REJECTED if status == Outcome.REJECTED else Standing.MISSING


@dataclass(frozen=True)
class Tally:
    """A period's units by standing (unit codes in the order given, units.csv's for a status)."""

    required: list[str]
    on_time: list[str]
    late: list[str]
    rejected: list[str]  # 退回: part of `unreported`
    missing: list[str]  # nothing arrived: part of `unreported`
    unreported: list[str]  # 未报: every unit without a usable file (rejected and missing, in order)

    @property
    def reported(self) -> int:
        return len(self.on_time) + len(self.late)

    @property
    def submission_rate(self) -> float | None:
        """报送率: units reported / units required (None when none is required)."""
        return self.reported / len(self.required) if self.required else None

    @property
    def on_time_rate(self) -> float | None:
        """按时报送率: units reported on time / units required."""
        return len(self.on_time) / len(self.required) if self.required else None

    def counts(self) -> dict[str, int]:
        """The counts as `status --json` gives them."""
        return {"required": len(self.required), "reported": self.reported, "on_time": len(self.on_time),
                "late": len(self.late), "unreported": len(self.unreported), "rejected": len(self.rejected),
                "missing": len(self.missing)}


def tally(units: Iterable[Mapping]) -> Tally:
    """Count units by standing; each unit is a mapping with unit_code, status and on_time (the status
    JSON's units, or the unit scores' rows)."""
    groups: dict[Standing, list[str]] = {s: [] for s in Standing}
    required, unreported = [], []
    for unit in units:
        standing = standing_of(unit["status"], unit["on_time"])
        groups[standing].append(unit["unit_code"])
        required.append(unit["unit_code"])
        if not standing.reported:
            unreported.append(unit["unit_code"])
    return Tally(required, groups[Standing.ON_TIME], groups[Standing.LATE], groups[Standing.REJECTED],
                 groups[Standing.MISSING], unreported)


@dataclass
class UnitStanding:
    """Where one unit that must report stands in a period."""

    unit_code: str
    status: str  # accepted | received | rejected | missing
    on_time: bool | None
    versions: int  # distinct submissions (distinct bytes)
    current: Submission | None  # the file that counts (latest accepted, else received, else latest)
    files: list[Submission] = field(default_factory=list)  # the unit's files, duplicates included

    @property
    def standing(self) -> Standing:
        return standing_of(self.status, self.on_time)


def standings(settings: Settings, period: str, rows: list[Submission],
              reference: Reference | ReferenceIndex) -> list[UnitStanding]:
    """One standing per unit that must report, in the order of units.csv (linear in units + files).

    A unit's standing changes only through its own files: a workbook that names one unit but was uploaded
    by another unit's account (rejected, H09) counts for the uploader, never for the unit it names."""
    by_unit: dict[str | None, list[Submission]] = {}
    for row in rows:
        by_unit.setdefault(row.account_unit or row.unit_code, []).append(row)
    out = []
    for code in reference.required_units(period):
        own = by_unit.get(code, [])
        distinct = [r for r in own if r.outcome != Outcome.DUPLICATE]
        current = ([r for r in distinct if r.outcome == Outcome.ACCEPTED]
                   or [r for r in distinct if r.outcome == Outcome.RECEIVED] or distinct)
        latest = current[-1] if current else None
        status = MISSING if latest is None else str(latest.outcome)
        on_time = arrived_on_time(settings, period, latest.received_at) if status in USABLE else None
        out.append(UnitStanding(code, status, on_time, len({r.sha256 for r in own}), latest, own))
    return out
