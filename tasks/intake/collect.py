"""Intake: every file that arrives is hashed, copied byte for byte into raw/ and registered once.

Arrival time of an inbox file is its modification time (what the mail gateway or upload sets);
a file handed to `zhuanbao submit` arrives when it is submitted unless told otherwise. The same
bytes arriving again for a period are a `duplicate`; collecting the same inbox twice changes
nothing; the inbox itself is never modified.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuanbao.tasks.core.settings import Settings, lake_fs
from zhuanbao.tasks.intake.registry import Submission, utc

IGNORED_PREFIXES = ("~$", ".", "Thumbs.db", "desktop.ini")


@dataclass
class CollectResult:
    """What one collect did: new arrivals, duplicates among them, and inbox files already known."""

    registered: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    already_known: int = 0


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def raw_key(sha256: str, suffix: str) -> str:
    """Where a file's bytes are kept, relative to the lake: raw/<sha[:2]>/<sha><suffix>."""
    return f"raw/{sha256[:2]}/{sha256}{suffix.lower()}"


def store_raw(settings: Settings, data: bytes, sha256: str, suffix: str) -> Path | str:
    """Keep the bytes under raw/<sha[:2]>/<sha><suffix>; written aside then renamed, never changed.

    In a remote lake (`ZHUANBAO_HOME=s3://…`) the bytes go up in one `pipe_file` (one PUT of the
    whole object, atomic on object stores) and the URL is returned.
    """
    if settings.lake is not None:
        target = f"{settings.lake.rstrip('/')}/{raw_key(sha256, suffix)}"
        fs, key = lake_fs(target)
        if not fs.exists(key):
            fs.pipe_file(key, data)
        return target
    target = settings.home / raw_key(sha256, suffix)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
        handle.write(data)
    os.replace(handle.name, target)
    os.chmod(target, 0o444)
    return target


def read_raw(settings: Settings, raw_path: str) -> bytes:
    """The kept bytes of a submission (`Submission.raw_path`, relative to the lake), local or remote."""
    if settings.lake is None:
        return (settings.home / raw_path).read_bytes()
    fs, key = lake_fs(f"{settings.lake.rstrip('/')}/{raw_path}")
    return fs.cat_file(key)


def first_arrivals(db: Session, period: str) -> dict[str, Submission]:
    """sha256 -> the first (non-duplicate) arrival of those bytes in the period."""
    rows = db.scalars(select(Submission).where(Submission.period == period, Submission.outcome != "duplicate")
                      .order_by(Submission.id.desc()))
    return {row.sha256: row for row in rows}


def register(settings: Settings, db: Session, *, data: bytes, file_name: str, period: str,
             received_at: datetime, source: str, seen: dict[str, Submission] | None = None,
             account_unit: str | None = None) -> Submission:
    """Register one arrival (the caller commits). Same bytes already in the period -> duplicate.

    `seen` (from `first_arrivals`, kept up to date here) saves a query per file in a big inbox.
    """
    sha = sha256_of(data)
    seen = first_arrivals(db, period) if seen is None else seen
    first = seen.get(sha)
    store_raw(settings, data, sha, Path(file_name).suffix)
    row = Submission(period=period, file_name=file_name, sha256=sha, size=len(data),
                     received_at=utc(received_at), source=source, raw_path=raw_key(sha, Path(file_name).suffix),
                     outcome="duplicate" if first else "received", duplicate_of=first.id if first else None,
                     unit_code=first.unit_code if first else None, rules=[],
                     messages=[f"与 {first.file_name} 内容完全相同，按同一份报送处理"] if first else [],
                     registered_at=utc(datetime.now(settings.tz)), account_unit=account_unit)
    db.add(row)
    db.flush()
    seen.setdefault(sha, row)
    return row


def inbox_files(settings: Settings, period: str) -> list[Path]:
    """Files waiting in inbox/<period>/, oldest first; office lock files and hidden files skipped."""
    folder = settings.inbox_dir(period)
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(IGNORED_PREFIXES)]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def arrival_of(path: Path, settings: Settings) -> datetime:
    """An inbox file's arrival: its modification time, in the office's time zone."""
    return datetime.fromtimestamp(path.stat().st_mtime, tz=settings.tz)


def collect_inbox(settings: Settings, db: Session, period: str, as_of: datetime | None = None) -> CollectResult:
    """Register every inbox file of the period not registered before (same name and bytes).

    With `as_of`, files that arrived later are left for a later run (a run "as of" the 16th).
    """
    result = CollectResult()
    rows = list(db.scalars(select(Submission).where(Submission.period == period, Submission.source == "inbox")))
    known = {(r.file_name, r.sha256) for r in rows}
    unchanged = {(r.file_name, r.size, r.received_at) for r in rows}  # same name, size and time: not re-read
    seen = first_arrivals(db, period)
    for path in inbox_files(settings, period):
        arrival = arrival_of(path, settings)
        if as_of is not None and arrival > as_of:
            continue
        if (path.name, path.stat().st_size, utc(arrival)) in unchanged:
            result.already_known += 1
            continue
        data = path.read_bytes()
        if (path.name, sha256_of(data)) in known:
            result.already_known += 1
            continue
        row = register(settings, db, data=data, file_name=path.name, period=period,
                       received_at=arrival, source="inbox", seen=seen)
        known.add((path.name, row.sha256))
        (result.duplicates if row.outcome == "duplicate" else result.registered).append(row.id)
    db.commit()
    return result


def submit_file(settings: Settings, db: Session, path: Path, period: str,
                received_at: datetime | None = None, *, source: str = "submit",
                account_unit: str | None = None) -> Submission:
    """Register a file handed over directly (upload, mail): it arrives now unless told otherwise.

    `account_unit` is the unit of the portal account that uploaded it: the check (rule H08) rejects
    a workbook that names another unit.
    """
    moment = received_at or datetime.now(settings.tz)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings.tz)
    row = register(settings, db, data=Path(path).read_bytes(), file_name=Path(path).name, period=period,
                   received_at=moment, source=source, account_unit=account_unit)
    db.commit()
    return row


def copy_into_inbox(src: Path, settings: Settings, period: str, arrival: datetime) -> Path:
    """Put a file into the inbox with its arrival time as mtime (the demo's and tests' mail gateway)."""
    target = settings.inbox_dir(period) / src.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, target)
    os.utime(target, (arrival.timestamp(), arrival.timestamp()))
    return target
