"""The history of each revision of a document: its states and every change of state, in the registry.

This module owns the `report_approvals` table (`ApprovalEvent`: which document, who, when, from which
state to which, the comment) and the states themselves. A record's `document` says what it approves:
a period's 专报 (`REPORT`, its `issue_id` a `report_issues` row) or a year's 考核通报 (`ASSESSMENT`, an
`assessment_issues` row: tasks/year/signing.py); every reader below takes the kind, 专报 by default. The state of a revision is its last event's; a revision
with no history predates approval and counts as signed. Both writers use it: tasks/report/publish.py
records the run's own events (`record_draft`, `record_redraft`) when it writes a draft, and
tasks/report/approval.py the office's (review, sign, return, publish). It imports neither of them.
"""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..intake.registry import Base, ReportIssue, utc

DRAFT, REVIEWED, SIGNED, ISSUED = "草稿", "已审核", "已签发", "已印发"
STATES = (DRAFT, REVIEWED, SIGNED, ISSUED)
DRAFT_MAKER = "月度流程"
REPORT, ASSESSMENT = "专报", "考核通报"  # the documents approved (ApprovalEvent.document)


class ApprovalEvent(Base):
    """One change of state of one revision of a 专报 or a 考核通报 (the run's draft included)."""

    __tablename__ = "report_approvals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[str] = mapped_column(String(16), default=REPORT, server_default=REPORT)  # 专报 | 考核通报
    issue_id: Mapped[int] = mapped_column(Integer, index=True)  # report_issues.id (one revision)
    period: Mapped[str] = mapped_column(String(7), index=True)
    issue_no: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # draft | review | sign | return | publish
    from_state: Mapped[str | None] = mapped_column(String(8), nullable=True)
    to_state: Mapped[str] = mapped_column(String(8))
    by: Mapped[str] = mapped_column(String(128))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime)  # UTC, naive


def events(db: Session, issue_id: int, document: str = REPORT) -> list[ApprovalEvent]:
    """The history of one revision, oldest first."""
    return list(db.scalars(select(ApprovalEvent).where(ApprovalEvent.issue_id == issue_id,
                                                       ApprovalEvent.document == document)
                           .order_by(ApprovalEvent.id)))


def state_of(db: Session, issue_id: int, document: str = REPORT) -> str:
    """The revision's state: its last event's (草稿 before any)."""
    history = events(db, issue_id, document)
    return history[-1].to_state if history else DRAFT


def record_event(db: Session, row: ReportIssue, action: str, before: str | None, after: str, by: str,
                 comment: str | None, at: datetime, document: str = REPORT) -> ApprovalEvent:
    """Add one change of state of `row` (the caller commits); `row` is a `ReportIssue` or, for a 考核通报, an
    `AssessmentIssue` (it has the same id, period, issue_no and revision)."""
    event = ApprovalEvent(document=document, issue_id=row.id, period=row.period, issue_no=row.issue_no, revision=row.revision,
                          action=action, from_state=before, to_state=after, by=by, comment=comment, at=utc(at))
    db.add(event)
    return event


def after_last(db: Session, period: str, at: datetime, document: str = REPORT) -> datetime:
    """`at`, or the time of the period's last event when that is later: the run's draft of a revision is
    dated at its report's moment, which may precede the signing of the revision it revises, and the
    log must read in time order."""
    last = db.scalars(select(ApprovalEvent.at).where(ApprovalEvent.period == period, ApprovalEvent.document == document)
                      .order_by(ApprovalEvent.id.desc()).limit(1)).first()
    if last is None:
        return at
    return max(at, last.replace(tzinfo=UTC).astimezone(at.tzinfo or UTC))


def record_draft(db: Session, row: ReportIssue, at: datetime, document: str = REPORT,
                 maker: str = DRAFT_MAKER) -> None:
    """The run made the draft of a new revision: its history starts with 草稿 (caller commits)."""
    record_event(db, row, "draft", None, DRAFT, maker, None, after_last(db, row.period, at, document), document)


def never_signed(db: Session, row: ReportIssue, document: str = REPORT) -> bool:
    """A revision still inside the office (its history started as a draft and has no signing).
    A revision with no history at all predates approval: it was published directly, so it counts as signed."""
    history = events(db, row.id, document)
    return bool(history) and not any(e.action == "sign" for e in history)


def record_redraft(db: Session, row: ReportIssue, at: datetime, reason: str | None, document: str = REPORT,
                   maker: str = DRAFT_MAKER) -> None:
    """The inputs of an unsigned draft changed: the run redid it, and it goes back to 草稿 (caller commits)."""
    comment = "输入有变化，草稿已重新生成" + (f"：{reason}" if reason else "")
    record_event(db, row, "redraft", state_of(db, row.id, document), DRAFT, maker, comment,
                 after_last(db, row.period, at, document), document)
