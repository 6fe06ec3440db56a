"""Where a period stands: one line per unit that must report, one per file that arrived.

`period_status` builds the dictionary behind `zhuanbao status --json` (a contract for scripts,
documented in the README): units are `received|accepted|rejected|missing`, files carry their
outcome, rule ids and messages.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from zhuanbao.tasks.core.reference import Reference
from zhuanbao.tasks.core.settings import Settings
from zhuanbao.tasks.intake.registry import Submission, local, submissions


def _unit_entry(settings: Settings, period: str, code: str, name: str, own: list[Submission]) -> dict:
    """`own`: the unit's submissions of the period, in the registry's order."""
    distinct = [r for r in own if r.outcome != "duplicate"]
    current = ([r for r in distinct if r.outcome == "accepted"] or [r for r in distinct if r.outcome == "received"]
               or distinct)
    latest = current[-1] if current else None
    status = "missing" if latest is None else latest.outcome
    on_time = None
    if status in ("accepted", "received"):
        on_time = local(latest.received_at, settings.tz) <= settings.deadline(period)
    return {"unit_code": code, "unit_name": name, "status": status, "on_time": on_time,
            "versions": len({r.sha256 for r in own}), "rules": sorted(set(latest.rules)) if latest else []}


def _file_entry(settings: Settings, row: Submission) -> dict:
    return {"file": row.file_name, "sha256": row.sha256,
            "received_at": local(row.received_at, settings.tz).isoformat(timespec="seconds"),
            "unit_code": row.unit_code, "outcome": row.outcome, "rules": list(row.rules),
            "messages": list(row.messages)}


def period_status(settings: Settings, db: Session, period: str, reference: Reference) -> dict:
    """The status JSON of a period (see the README's contract)."""
    rows = submissions(db, period)
    required = reference.required_units(period)
    by_unit: dict[str, list[Submission]] = {}
    for row in rows:  # grouped once: linear in units + files, not units × files
        by_unit.setdefault(row.unit_code, []).append(row)
    units = [_unit_entry(settings, period, code, reference.unit_name(code), by_unit.get(code, []))
             for code in required]
    return {"period": period, "deadline": settings.deadline(period).isoformat(timespec="seconds"),
            "units": units, "files": [_file_entry(settings, r) for r in rows]}
