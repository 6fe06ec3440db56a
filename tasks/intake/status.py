"""Where a period stands: one line per unit that must report, one per file that arrived.

`period_status` builds the dictionary behind `zhuanbao status --json` (a contract for scripts,
documented in the README): units are `received|accepted|rejected|missing`, files carry their
outcome, rule ids and messages, `counts` the period's units by standing (tasks/intake/standing.py
`tally`: `unreported` is 未报, rejected-only units included — the 专报's and the 催报 list's count).
Plain Python over the registry's rows: no pandas.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from ..core.settings import Settings
from .registry import Submission, local, submissions
from .standing import UnitStanding, standings, tally

if TYPE_CHECKING:
    from ..core.reference import Reference
    from ..core.reference_index import ReferenceIndex


def _unit_entry(reference: Reference | ReferenceIndex, standing: UnitStanding) -> dict:
    latest = standing.current
    return {"unit_code": standing.unit_code, "unit_name": reference.unit_name(standing.unit_code),
            "status": standing.status, "on_time": standing.on_time, "versions": standing.versions,
            "rules": sorted(set(latest.rules)) if latest else []}


def _file_entry(settings: Settings, row: Submission) -> dict:
    return {"file": row.file_name, "sha256": row.sha256,
            "received_at": local(row.received_at, settings.tz).isoformat(timespec="seconds"),
            "unit_code": row.unit_code, "outcome": str(row.outcome), "rules": list(row.rules),
            "messages": list(row.messages)}


def period_status(settings: Settings, db: Session, period: str, reference: Reference | ReferenceIndex) -> dict:
    """The status JSON of a period (see the README's contract); the loaded reference or its index
    (tasks/core/reference_index.py: `status` reads it without pandas) give the same."""
    rows = submissions(db, period)
    units = [_unit_entry(reference, s) for s in standings(settings, period, rows, reference)]
    return {"period": period, "deadline": settings.deadline(period).isoformat(timespec="seconds"),
            "units": units, "counts": tally(units).counts(), "files": [_file_entry(settings, r) for r in rows]}
