"""What the portal's pages show, computed from the registry (no HTML here).

Each unit's standing and the board's counts come from tasks/intake/standing.py (`standings`, `tally`),
the one place on time / late / 未报 are derived: the board's 未报 is the 专报's and the 催报 list's (rejected-only
units included, 退回 a part of it). 待说明 counts each unit's unexplained soft flags of the period
(`curated/flags`, written by the check step).

The current period is the month before today (units report last month's figures) when its year's
reference tables exist, else the latest period in the registry (a demo home of 2020).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import distinct, select

from ...tasks.access.models import Account
from ...tasks.checks.outcomes import LABELS, MISSING, RECEIPT_LABELS, Outcome
from ...tasks.checks.receipts import chinese_time
from ...tasks.core.periods import chinese_name, period_before, period_parts, reminder_period
from ...tasks.core.reference import reference_for
from ...tasks.core.settings import Settings
from ...tasks.curated.consolidate import read_partition
from ...tasks.intake.registry import Submission, local, session, submissions
from ...tasks.intake.standing import Standing, arrived_on_time, standings, tally
from ...tasks.steps import FLAGS
from .uploads import rows_for, visible_to

FILTERS = {"on_time": "按时", "late": "逾期", "missing": "未报", "rejected": "退回", "needs_explanation": "待说明"}
TAGS = {Standing.ON_TIME: {"on_time"}, Standing.LATE: {"late"}, Standing.REJECTED: {"missing", "rejected"},
        Standing.MISSING: {"missing"}}  # the board's filters of each standing: 退回 is part of 未报


def known_periods(settings: Settings, account: Account) -> list[str]:
    with session(settings.db_url) as db:
        found = db.scalars(select(distinct(Submission.period)).where(visible_to(account)))
        return sorted(set(found), reverse=True)


def current_period(settings: Settings) -> str | None:
    now = period_before(datetime.now(settings.tz), settings.timezone)
    if (settings.reference_dir(period_parts(now)[0]) / "units.csv").exists():
        return now
    with session(settings.db_url) as db:
        return db.scalar(select(Submission.period).order_by(Submission.period.desc()).limit(1))


def open_periods(settings: Settings, unit_code: str | None, now: datetime | None = None) -> list[str]:
    """Every period still open at `now` that `unit_code` owes: the month before (until its deadline) and, for each
    cadence of that year's plan.toml, the period that ended last while its deadline is ahead."""
    now = now or datetime.now(settings.tz)
    month = period_before(now, settings.timezone)
    try:
        reference = reference_for(settings, month)
    except (ValueError, OSError):
        return []
    candidates = [month] if now <= settings.deadline(month) else []
    for cadence in reference.plan.cadences:
        label = reminder_period(cadence.every, now.astimezone(settings.tz).date(), cadence.deadline_days)
        candidates += [label] if label else []
    return [p for p in candidates if unit_code in reference_for(settings, p).required_units(p)]


def countdown(settings: Settings, period: str) -> str:
    """截止时间 and how long is left (or how long it has passed)."""
    closing = settings.deadline(period)
    left = closing - datetime.now(settings.tz)
    when = chinese_time(closing)
    if left.total_seconds() >= 0:
        return f"截止 {when}，还剩 {left.days} 天 {left.seconds // 3600} 小时"
    late = -left
    return f"截止 {when}，已过截止时间 {late.days} 天 {late.seconds // 3600} 小时（现在报送记为逾期）"


def file_entries(settings: Settings, rows: list[Submission]) -> list[dict]:
    return [{"id": r.id, "file_name": r.file_name, "period": r.period,
             "received": chinese_time(local(r.received_at, settings.tz)),
             "on_time": arrived_on_time(settings, r.period, r.received_at), "outcome": r.outcome,
             "outcome_text": RECEIPT_LABELS.get(r.outcome, r.outcome), "rules": " ".join(r.rules or []),
             "unit_code": r.unit_code or "", "source": r.source} for r in rows]


def unit_view(settings: Settings, account: Account, period: str) -> dict:
    """A unit's page: its standing, the deadline, its files of the period and its other periods."""
    reference = reference_for(settings, period)
    with session(settings.db_url) as db:
        rows = submissions(db, period)
    standing = next((s for s in standings(settings, period, rows, reference) if s.unit_code == account.unit_code),
                    None)
    mine = rows_for(settings, account, period)
    owed_now = open_periods(settings, account.unit_code)
    return {"period": period, "period_name": chinese_name(period), "unit_name": reference.unit_name(account.unit_code),
            "open": [{"period": p, "name": chinese_name(p), "countdown": countdown(settings, p)} for p in owed_now],
            "owes": standing is not None, "status": standing.status if standing else MISSING,
            "status_text": LABELS[standing.status if standing else MISSING],
            "on_time": standing.on_time if standing else None, "countdown": countdown(settings, period),
            "files": file_entries(settings, mine),
            "periods": sorted(set(known_periods(settings, account)) | {period} | set(owed_now), reverse=True)}


def unexplained_flags(settings: Settings, period: str) -> dict[str, int]:
    """unit_code -> soft flags on its accepted file not yet explained (none before the period is checked)."""
    flags = read_partition(settings.curated_dir, FLAGS, period)
    if flags is None or flags.empty:
        return {}
    return flags.loc[~flags["explained"].fillna(False).astype(bool)].groupby("unit_code").size().to_dict()


def board(settings: Settings, period: str, show: str | None = None) -> dict:
    """The month's board: every unit that owes the period with its standing, counts and the 催报 list."""
    reference = reference_for(settings, period)
    with session(settings.db_url) as db:
        rows = submissions(db, period)
    found = standings(settings, period, rows, reference)
    waiting = unexplained_flags(settings, period)
    units = []
    for s in found:
        unexplained = int(waiting.get(s.unit_code, 0)) if s.status == Outcome.ACCEPTED else 0
        tags = TAGS[s.standing] | ({"needs_explanation"} if unexplained else set())
        units.append({"unit_code": s.unit_code, "unit_name": reference.unit_name(s.unit_code), "status": s.status,
                      "status_text": LABELS.get(s.status, s.status), "on_time": s.on_time,
                      "versions": s.versions, "unexplained": unexplained, "tags": sorted(tags),
                      "latest": file_entries(settings, [s.current])[0] if s.current else None})
    counted = tally({"unit_code": s.unit_code, "status": s.status, "on_time": s.on_time} for s in found)
    counts = {"on_time": len(counted.on_time), "late": len(counted.late), "missing": len(counted.unreported),
              "rejected": len(counted.rejected),
              "needs_explanation": sum("needs_explanation" in u["tags"] for u in units)}
    return {"period": period, "countdown": countdown(settings, period), "total": len(units), "counts": counts,
            "units": [u for u in units if not show or show in u["tags"]], "show": show or "",
            "chase": [u for u in units if "missing" in u["tags"]]}
