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

from tasks.registry import Submission, utc
from tasks.settings import Settings

IGNORED_PREFIXES = ("~$", ".", "Thumbs.db", "desktop.ini")


@dataclass
class CollectResult:
    """What one collect did: new arrivals, duplicates among them, and inbox files already known."""

    registered: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    already_known: int = 0


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_raw(settings: Settings, data: bytes, sha256: str, suffix: str) -> Path:
    """Keep the bytes under raw/<sha[:2]>/<sha><suffix>; written aside then renamed, never changed."""
    target = settings.raw_dir / sha256[:2] / f"{sha256}{suffix.lower()}"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
        handle.write(data)
    os.replace(handle.name, target)
    os.chmod(target, 0o444)
    return target


def register(settings: Settings, db: Session, *, data: bytes, file_name: str, period: str,
             received_at: datetime, source: str) -> Submission:
    """Register one arrival (the caller commits). Same bytes already in the period -> duplicate."""
    sha = sha256_of(data)
    first = db.scalars(select(Submission).where(
        Submission.period == period, Submission.sha256 == sha, Submission.outcome != "duplicate")
        .order_by(Submission.id)).first()
    raw = store_raw(settings, data, sha, Path(file_name).suffix)
    row = Submission(period=period, file_name=file_name, sha256=sha, size=len(data),
                     received_at=utc(received_at), source=source, raw_path=str(raw.relative_to(settings.home)),
                     outcome="duplicate" if first else "received", duplicate_of=first.id if first else None,
                     unit_code=first.unit_code if first else None, rules=[],
                     messages=[f"与 {first.file_name} 内容完全相同，按同一份报送处理"] if first else [],
                     registered_at=utc(datetime.now(settings.tz)))
    db.add(row)
    db.flush()
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
    known = {(s.file_name, s.sha256) for s in db.scalars(
        select(Submission).where(Submission.period == period, Submission.source == "inbox"))}
    for path in inbox_files(settings, period):
        if as_of is not None and arrival_of(path, settings) > as_of:
            continue
        data = path.read_bytes()
        if (path.name, sha256_of(data)) in known:
            result.already_known += 1
            continue
        row = register(settings, db, data=data, file_name=path.name, period=period,
                       received_at=arrival_of(path, settings), source="inbox")
        known.add((path.name, row.sha256))
        (result.duplicates if row.outcome == "duplicate" else result.registered).append(row.id)
    db.commit()
    return result


def submit_file(settings: Settings, db: Session, path: Path, period: str,
                received_at: datetime | None = None) -> Submission:
    """Register a file handed over directly (upload, mail): it arrives now unless told otherwise."""
    moment = received_at or datetime.now(settings.tz)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings.tz)
    row = register(settings, db, data=Path(path).read_bytes(), file_name=Path(path).name, period=period,
                   received_at=moment, source="submit")
    db.commit()
    return row


def copy_into_inbox(src: Path, settings: Settings, period: str, arrival: datetime) -> Path:
    """Put a file into the inbox with its arrival time as mtime (the demo's and tests' mail gateway)."""
    target = settings.inbox_dir(period) / src.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, target)
    os.utime(target, (arrival.timestamp(), arrival.timestamp()))
    return target
