"""The registry: every received file, every run and every issue of the 专报, through SQLAlchemy.

SQLite inside the home by default; any SQLAlchemy URL (PostgreSQL in production,
`postgresql+psycopg://user:pw@host/zhuanbao`) by setting. Times are stored as naive UTC and handed
out in the office's time zone; JSON columns hold Chinese text as is (not \\u-escaped), so a clerk
reading the table in psql sees 河坝镇. One engine per URL per process; a forked child (a Dask or
multiprocessing worker) opens its own connections instead of sharing the parent's sockets.
"""
from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String, Text, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from . import migrate


class Base(DeclarativeBase):
    """The one MetaData of every registry table (here, report/approval_log.py, notices/models.py, access/models.py);
    the schema itself is made by the Alembic migrations in tasks/intake/migrations/ (tasks/intake/migrate.py)."""


class Submission(Base):
    """One arrival of a file for a period: its bytes are in raw/ under its sha256."""

    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    file_name: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)  # PostgreSQL's INTEGER stops at 2 GiB
    received_at: Mapped[datetime] = mapped_column(DateTime)  # UTC, naive
    source: Mapped[str] = mapped_column(String(16))  # inbox | submit
    raw_path: Mapped[str] = mapped_column(String(1024))
    unit_code: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="received")
    duplicate_of: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rules: Mapped[list] = mapped_column(JSON, default=list)
    messages: Mapped[list] = mapped_column(JSON, default=list)
    registered_at: Mapped[datetime] = mapped_column(DateTime)
    account_unit: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the uploading account's unit
    arrival_note: Mapped[str | None] = mapped_column(Text, nullable=True)  # e.g. a future mtime clamped


class Run(Base):
    """One run of the monthly flow for a period (scheduled, manual or rerun)."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | completed | failed | crashed
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)  # monthly | validate | reminders
    flow_run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the Prefect flow run, if any
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)


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
    snapshot: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # typed facts the next 修订说明 compares


class AssessmentIssue(Base):
    """One revision of a year's 考核通报 (up to `through`, "" for the whole year): reviewed and signed as a 专报
    (tasks/year/signing.py); its approval records are `report_approvals` rows of document 考核通报."""

    __tablename__ = "assessment_issues"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    through: Mapped[str] = mapped_column(String(16), default="")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    inputs_digest: Mapped[str] = mapped_column(String(64))  # sha256 of the assessment's data
    created_at: Mapped[datetime] = mapped_column(DateTime)
    folder: Mapped[str] = mapped_column(String(1024))

    @property
    def period(self) -> str:
        """What its approval records file it under: the year (never a period label)."""
        return str(self.year)

    @property
    def issue_no(self) -> int:
        return 0


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _json_dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def engine_for(db_url: str) -> Engine:
    """One engine per URL per process, the registry migrated to the newest schema when it is first made."""
    engine = _ENGINES.get(db_url)
    if engine is not None:
        return engine
    with _ENGINES_LOCK:
        if db_url not in _ENGINES:
            options = {} if db_url.startswith("sqlite") else {"pool_pre_ping": True}
            engine = create_engine(db_url, json_serializer=_json_dumps, **options)
            migrate.upgrade(engine)
            _ENGINES[db_url] = engine
        return _ENGINES[db_url]


def _forget_engines_after_fork() -> None:
    """In a forked child, drop the parent's pooled connections without closing the parent's sockets."""
    global _ENGINES_LOCK
    _ENGINES_LOCK = threading.Lock()  # a lock held by another thread at fork time would never be released
    for engine in _ENGINES.values():
        engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_engines_after_fork)


def session(db_url: str) -> Session:
    return Session(engine_for(db_url), expire_on_commit=False)


def utc(moment: datetime) -> datetime:
    """An aware datetime as naive UTC, as stored."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def local(stored: datetime, tz) -> datetime:
    """A stored naive-UTC datetime in the office's time zone."""
    return stored.replace(tzinfo=UTC).astimezone(tz)


def submissions(db: Session, period: str) -> list[Submission]:
    """Every arrival of a period, in arrival order."""
    query = select(Submission).where(Submission.period == period)
    return list(db.scalars(query.order_by(Submission.received_at, Submission.id)))
