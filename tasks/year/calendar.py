"""The periods of a year the office has dealt with, in order, and the moment each period's 专报 was first signed.

Periods of every cadence count (`2020-04`, `2020-04-H1`, `2020-W15`, …): a period belongs to year Y when its
label starts with "Y-" (a week's ISO year), and is part of the year's record once the registry knows it (a file
arrived, a run ran or a 专报 was made for it) and its deadline has passed. Deadlines are the settings'; the
order is tasks/core/periods.py's `sort_key` (by last day, the shorter first: 2020-W22, 2020-05-H2, 2020-05) and
`through` keeps the periods ending by its last day (periods.py's `ends_by`), whatever the cadence of either.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import periods
from ..core.settings import Settings
from ..intake.registry import ReportIssue, Run, Submission, local
from ..report.approval_log import REPORT, ApprovalEvent


def period_text(period: str, short: bool = False) -> str:
    """A period as an office writes it: 2020-04 → 2020年4月, 2020-05-H1 → 2020年5月上半月, 2020-W15 →
    2020年第15周（4月6日—12日）; short (within its year) without the year: 4月, 5月上半月, 第15周（…）."""
    try:
        name = periods.chinese_name(period)
    except ValueError:
        return period
    year = f"{periods.parse(period).year}年"
    return name.removeprefix(year) if short else name


def _deadline_passed(settings: Settings, period: str, now: datetime) -> bool:
    try:
        return settings.deadline(period) < now
    except ValueError:  # a label the deadline arithmetic does not know: the registry's knowing it is enough
        return True


def _parses(label: str) -> bool:
    try:
        periods.parse(label)
    except ValueError:  # not a period of any cadence (never written by zhuanbao): not part of the year's record
        return False
    return True


def year_periods(settings: Settings, db: Session, year: int, through: str | None = None,
                 now: datetime | None = None) -> list[str]:
    """The periods of `year` the registry knows whose deadline has passed, in order (up to `through`)."""
    now = now or datetime.now(settings.tz)
    prefix = f"{year}-"
    known: set[str] = set()
    for column in (Submission.period, Run.period, ReportIssue.period):
        known.update(p for p in db.scalars(select(column).where(column.like(f"{prefix}%")).distinct()) if p)
    known = {p for p in known if _parses(p)}
    chosen = sorted((p for p in known if _deadline_passed(settings, p, now)), key=periods.sort_key)
    if through is not None:
        chosen = [p for p in chosen if periods.ends_by(p, through)]
    return chosen


def signed_at(settings: Settings, db: Session, period: str) -> datetime | None:
    """When the period's 专报 was first signed (its first 签发; a revision with no history predates approval
    and counts as signed when made), in the office's time zone; None while never signed."""
    mine = (ApprovalEvent.period == period, ApprovalEvent.document == REPORT)
    first = db.scalars(select(ApprovalEvent.at).where(*mine, ApprovalEvent.action == "sign")
                       .order_by(ApprovalEvent.at)).first()
    with_history = set(db.scalars(select(ApprovalEvent.issue_id).where(*mine)))
    legacy = [row.created_at for row in db.scalars(select(ReportIssue).where(ReportIssue.period == period))
              if row.id not in with_history]
    moments = [m for m in (first, *legacy) if m is not None]
    return local(min(moments), settings.tz) if moments else None
