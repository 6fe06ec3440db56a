"""The one owner of on time / late / missing: each unit's standing in a period, computed once.

A unit that must report is `accepted` (its latest accepted file counts), `received` (read, not yet
checked), `rejected` (only rejected files) or `missing` (nothing). `on_time` compares the counted
file's arrival with the period's deadline (tasks/core/periods.py) and is None without a usable file.
`period_status` (the `status --json` contract), the metrics' unit scores, the 专报 and the 催报 list
all read these rows; nothing else derives them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from zhuanbao.tasks.core.reference import Reference
from zhuanbao.tasks.core.settings import Settings
from zhuanbao.tasks.intake.registry import Submission, local

COLUMNS = ["unit_code", "status", "on_time"]


def arrived_on_time(settings: Settings, period: str, received_at: datetime) -> bool:
    """True when a file arrived at or before the period's deadline (the whole instant counts)."""
    return local(received_at, settings.tz) <= settings.deadline(period)


@dataclass
class UnitStanding:
    """Where one unit that must report stands in a period."""

    unit_code: str
    status: str  # accepted | received | rejected | missing
    on_time: bool | None
    versions: int  # distinct submissions (distinct bytes)
    current: Submission | None  # the file that counts (latest accepted, else received, else latest)
    files: list[Submission] = field(default_factory=list)  # the unit's files, duplicates included


def standings(settings: Settings, period: str, rows: list[Submission], reference: Reference) -> list[UnitStanding]:
    """One standing per unit that must report, in the order of units.csv (linear in units + files).

    A unit's standing changes only through its own files: a workbook that names one unit but was uploaded
    by another unit's account (rejected, H09) counts for the uploader, never for the unit it names."""
    by_unit: dict[str | None, list[Submission]] = {}
    for row in rows:
        by_unit.setdefault(row.account_unit or row.unit_code, []).append(row)
    out = []
    for code in reference.required_units(period):
        own = by_unit.get(code, [])
        distinct = [r for r in own if r.outcome != "duplicate"]
        current = ([r for r in distinct if r.outcome == "accepted"] or [r for r in distinct if r.outcome == "received"]
                   or distinct)
        latest = current[-1] if current else None
        status = "missing" if latest is None else latest.outcome
        on_time = arrived_on_time(settings, period, latest.received_at) if status in ("accepted", "received") else None
        out.append(UnitStanding(code, status, on_time, len({r.sha256 for r in own}), latest, own))
    return out


def standing_frame(units: list[dict]) -> pd.DataFrame:
    """The metrics' view of the status JSON's units: unit_code, status (accepted|rejected|missing), on_time.

    A file still `received` (read, not checked) counts as accepted for scoring, as it would be merged.
    """
    frame = pd.DataFrame(units, columns=COLUMNS)
    frame["status"] = frame["status"].replace({"received": "accepted"})
    return frame
