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
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

# modules that declare their own tables on `Base`: imported before the schema is created, so every
# table exists whichever module opened the registry first
TABLE_MODULES = ("zhuanbao.tasks.report.approval", "zhuanbao.tasks.notices")


class Base(DeclarativeBase):
    pass


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


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _json_dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def engine_for(db_url: str) -> Engine:
    """One engine per URL per process, with the schema created."""
    engine = _ENGINES.get(db_url)
    if engine is not None:
        return engine
    with _ENGINES_LOCK:
        if db_url not in _ENGINES:
            options = {} if db_url.startswith("sqlite") else {"pool_pre_ping": True}
            engine = create_engine(db_url, json_serializer=_json_dumps, **options)
            _create_schema(engine)
            _ENGINES[db_url] = engine
        return _ENGINES[db_url]


def _create_schema(engine: Engine) -> None:
    """create_all, tolerating another process creating the same tables at the same moment (PostgreSQL),
    then add the nullable columns a registry made by an earlier version lacks."""
    import importlib

    for module in TABLE_MODULES:
        importlib.import_module(module)
    try:
        Base.metadata.create_all(engine)
    except (IntegrityError, ProgrammingError):
        Base.metadata.create_all(engine)  # the other process won; now every table exists
    _add_missing_columns(engine)
    _add_first_arrival_index(engine)


# One first arrival per (period, identity, sha256): the same bytes from the same unit (or from the office,
# account_unit NULL) are registered once; concurrent uploads that lose the race become duplicates
# (collect.submit_file catches the IntegrityError). Partial and on an expression, which SQLite (≥ 3.9) and
# PostgreSQL both support; IF NOT EXISTS so that a registry made by an earlier version gains it in place.
FIRST_ARRIVAL_INDEX = (
    "CREATE UNIQUE INDEX IF NOT EXISTS uq_submissions_first_arrival "
    "ON submissions (period, COALESCE(account_unit, ''), sha256) WHERE outcome <> 'duplicate'")


def _add_first_arrival_index(engine: Engine) -> None:
    """Add the first-arrival index; an old registry whose rows already break it (three rows registered by the
    race this index prevents) keeps working without it, with a warning naming the fix."""
    import logging

    from sqlalchemy import text

    try:
        with engine.begin() as connection:
            connection.execute(text(FIRST_ARRIVAL_INDEX))
    except IntegrityError as exc:
        if "pg_class" in str(exc):  # PostgreSQL: another process created it at the same moment
            return
        logging.getLogger(__name__).warning(
            "登记库中已有同一单位同一内容的多条首次报送记录，未能建立唯一索引 uq_submissions_first_arrival；"
            "请将多余记录的 outcome 改为 duplicate 后重新打开登记库")
    except ProgrammingError as exc:  # another process created it at the same moment (PostgreSQL)
        if "exist" not in str(exc).lower() and "duplicate" not in str(exc).lower():
            raise


def _add_missing_columns(engine: Engine) -> None:
    """Additive migration: every mapped column missing from an existing table is added (all are nullable)."""
    from sqlalchemy import inspect, text

    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present and column.nullable:
                kind = column.type.compile(dialect=engine.dialect)
                try:
                    with engine.begin() as connection:
                        connection.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
                except (ProgrammingError, Exception) as exc:  # another process added it first
                    if "exist" not in str(exc).lower() and "duplicate" not in str(exc).lower():
                        raise


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
