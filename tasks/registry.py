"""The registry: every received file, every run and every issue of the 专报, through SQLAlchemy.

SQLite inside the home by default; any SQLAlchemy URL (PostgreSQL in production) by setting.
Times are stored as UTC and handed out in the office's time zone.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

from sqlalchemy import JSON, DateTime, Integer, String, Text, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

OUTCOMES = ("received", "accepted", "rejected", "superseded", "duplicate")


class Base(DeclarativeBase):
    pass


class Submission(Base):
    """One arrival of a file for a period: its bytes are in raw/ under its sha256."""

    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    file_name: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(DateTime)  # UTC, naive
    source: Mapped[str] = mapped_column(String(16))  # inbox | submit
    raw_path: Mapped[str] = mapped_column(String(1024))
    unit_code: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="received")
    duplicate_of: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rules: Mapped[list] = mapped_column(JSON, default=list)
    messages: Mapped[list] = mapped_column(JSON, default=list)
    registered_at: Mapped[datetime] = mapped_column(DateTime)


class Run(Base):
    """One run of the monthly flow for a period (scheduled, manual or rerun)."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="running")
    counts: Mapped[dict] = mapped_column(JSON, default=dict)


class ReportIssue(Base):
    """One published issue (期) of the 专报, or a revision of it."""

    __tablename__ = "report_issues"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    issue_no: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    inputs_digest: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    folder: Mapped[str] = mapped_column(String(1024))


@lru_cache(maxsize=8)
def engine_for(db_url: str) -> Engine:
    """One engine per URL per process, with the schema created."""
    engine = create_engine(db_url, future=True)
    Base.metadata.create_all(engine)
    return engine


def session(db_url: str) -> Session:
    return Session(engine_for(db_url), expire_on_commit=False)


def utc(moment: datetime) -> datetime:
    """An aware datetime as naive UTC, as stored."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def local(stored: datetime, tz) -> datetime:
    """A stored naive-UTC datetime in the office's time zone."""
    return stored.replace(tzinfo=timezone.utc).astimezone(tz)


def submissions(db: Session, period: str) -> list[Submission]:
    """Every arrival of a period, in arrival order."""
    query = select(Submission).where(Submission.period == period)
    return list(db.scalars(query.order_by(Submission.received_at, Submission.id)))
