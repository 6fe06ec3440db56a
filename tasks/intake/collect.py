"""Intake: every file that arrives is hashed, copied byte for byte into raw/ (tasks/intake/raw.py) and
registered once.

Arrival time of an inbox file is its modification time (what the mail gateway or upload sets);
a file handed to `zhuanbao submit` arrives when it is submitted unless told otherwise. The same
bytes arriving again for a period from the same sender are a `duplicate`; collecting the same inbox
twice changes nothing; the inbox itself is never modified.

Identity is (sender, bytes), not bytes alone: the sender is the uploading unit's account, or the
office (inbox, `zhuanbao submit`, an office account). A workbook another unit uploaded by mistake
(rejected, H09) never stands in for the unit it names: that unit's own upload of the same bytes is
checked on its own. A unit's upload of bytes the office already has is a duplicate of the office's copy.
A unique index (registry.py) keeps one first arrival per (period, sender, sha256) under concurrency.

Hostile or clumsy inboxes: an entry that is not a regular file (a symlink, a directory, a device)
is registered as `rejected` (H00) and never followed or copied; a file over the size limit is
rejected from its size alone, never read; other files are streamed into raw/ while hashed (never
held in memory whole). An arrival time more than a day after the collection is clamped to the
collection time and the receipt says so (`Submission.arrival_note`).
"""
from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..checks.outcomes import UNREADABLE_RULE, Outcome, arrival_outcome
from ..core.settings import Settings
from .raw import keep_file, raw_key, sha256_of, store_raw
from .registry import Submission, utc

IGNORED_PREFIXES = ("~$", ".", "Thumbs.db", "desktop.ini")
INSERT_ATTEMPTS = 3  # a lost race for the first arrival is retried as a duplicate of the winner


@dataclass
class CollectResult:
    """What one collect did: new arrivals, duplicates among them, and inbox files already known."""

    registered: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    already_known: int = 0


def identity(account_unit: str | None) -> str:
    """Whose copy of some bytes an arrival is: the uploading unit's code, or "" for the office (inbox,
    `zhuanbao submit`, an office account). The same bytes from two identities are two files, each checked
    on its own, so a file another unit sent by mistake never stands in for the unit it names."""
    return account_unit or ""


def first_arrivals(db: Session, period: str) -> dict[tuple[str, str], Submission]:
    """(identity, sha256) -> the first (non-duplicate) arrival of those bytes from that identity in the period."""
    rows = db.scalars(select(Submission).where(Submission.period == period, Submission.outcome != Outcome.DUPLICATE)
                      .order_by(Submission.id.desc()))
    return {(identity(row.account_unit), row.sha256): row for row in rows}


def first_of(seen: dict[tuple[str, str], Submission], sha: str, account_unit: str | None) -> Submission | None:
    """The arrival a new one duplicates: the same identity's, else (for a unit) the office's own copy."""
    mine = seen.get((identity(account_unit), sha))
    return mine if mine is not None or not account_unit else seen.get(("", sha))


def quota_problem(settings: Settings, db: Session, period: str, account_unit: str, sha: str, size: int) -> str | None:
    """Why a unit's new file is not kept: its period's raw storage (its distinct files) would pass
    ZHUANBAO_UNIT_QUOTA_MB. Bytes the unit already sent take no new space. None when it fits."""
    rows = db.execute(select(Submission.sha256, Submission.size).where(
        Submission.period == period, Submission.account_unit == account_unit, Submission.outcome != Outcome.DUPLICATE))
    kept = dict(rows.all())
    if sha in kept or sum(kept.values()) + size <= settings.unit_quota_bytes:
        return None
    mb = 1024 * 1024
    return (f"本单位 {period} 已上传 {sum(kept.values()) / mb:.1f} MB，加上本文件（{size / mb:.1f} MB）将超过每期 "
            f"{settings.unit_quota_bytes / mb:g} MB 的存储限额，文件未保存；请只上传本期报表，如确需更多空间请联系统计办")


def register(settings: Settings, db: Session, *, data: bytes, file_name: str, period: str,
             received_at: datetime, source: str, seen: dict[tuple[str, str], Submission] | None = None,
             account_unit: str | None = None) -> Submission:
    """Register one arrival given as bytes (the caller commits). Same bytes already in the period -> duplicate."""
    sha = sha256_of(data)
    store_raw(settings, data, sha, Path(file_name).suffix)
    return _record(settings, db, sha=sha, size=len(data), file_name=file_name, period=period,
                   received_at=received_at, source=source, seen=seen, account_unit=account_unit)


def _record(settings: Settings, db: Session, *, sha: str, size: int, file_name: str, period: str,
            received_at: datetime, source: str, seen: dict[tuple[str, str], Submission] | None = None,
            refusal: str | None = None, arrival_note: str | None = None,
            account_unit: str | None = None, flush: bool = True) -> Submission:
    """The registry row of an arrival whose bytes are kept (or, with `refusal`, refused unread).

    An arrival duplicates the first arrival of the same bytes from the same identity (`first_of`); the
    registry's unique index (registry.py) makes that hold under concurrent uploads too (`submit_file`).
    `seen` (from `first_arrivals`, kept up to date here) saves a query per file in a big inbox.
    `flush=False` leaves the INSERT for the caller's one flush of the whole batch (`collect_inbox`):
    the row has no id yet, and a duplicate of a row of the same batch is linked to it by `_link`.
    """
    seen = first_arrivals(db, period) if seen is None else seen
    first = None if refusal else first_of(seen, sha, account_unit)
    row = Submission(period=period, file_name=file_name, sha256=sha, size=size,
                     received_at=utc(received_at), source=source,
                     raw_path="" if refusal else raw_key(sha, Path(file_name).suffix),
                     outcome=arrival_outcome(refused=bool(refusal), duplicates=first is not None),
                     duplicate_of=first.id if first is not None else None,
                     unit_code=first.unit_code if first else None, rules=[UNREADABLE_RULE] if refusal else [],
                     messages=[refusal] if refusal else [f"与 {first.file_name} 内容完全相同，按同一份报送处理"] if first
                     else [], registered_at=utc(datetime.now(settings.tz)), arrival_note=arrival_note,
                     account_unit=account_unit)
    db.add(row)
    if flush:
        db.flush()
    if not refusal:
        seen.setdefault((identity(account_unit), sha), row)
    return row


def _link(db: Session, rows: list[Submission], seen: dict[tuple[str, str], Submission]) -> None:
    """Flush a batch of new rows in one go, then point duplicates at first arrivals of the same batch."""
    db.flush()
    pending = [row for row in rows if row.outcome == Outcome.DUPLICATE and row.duplicate_of is None]
    for row in pending:
        row.duplicate_of = first_of(seen, row.sha256, row.account_unit).id
    if pending:
        db.flush()


def refusal_of(path: Path, info: os.stat_result, settings: Settings) -> str | None:
    """Why an inbox entry is refused without reading it, in a clerk's words; None for a file we keep."""
    mode = info.st_mode
    if stat.S_ISLNK(mode):
        return "收件箱中的这一项是符号链接（快捷方式），不是报送文件本身，已拒收：请放入文件本身"
    if stat.S_ISDIR(mode):
        return "收件箱中的这一项是文件夹，不是报送文件，已拒收：请放入工作簿文件本身"
    if not stat.S_ISREG(mode):
        return "收件箱中的这一项不是普通文件（设备、管道等），已拒收"
    if info.st_size > settings.max_file_bytes:
        return (f"文件过大（{info.st_size / 1048576:.1f} MiB），超过 {settings.max_file_bytes / 1048576:.0f} MiB 上限，"
                "请删除多余内容后重报")
    return None


def refused_key(name: str, info: os.stat_result) -> str:
    """A stable stand-in for the sha256 of an entry that is refused unread (same entry, same key)."""
    return sha256_of(f"refused|{name}|{info.st_mode}|{info.st_size}|{info.st_mtime_ns}".encode())


def inbox_files(settings: Settings, period: str) -> list[Path]:
    """Entries waiting in inbox/<period>/, oldest first (by their own lstat: links are not followed);
    office lock files and hidden files skipped. Not only regular files: the rest are refused at collect."""
    folder = settings.inbox_dir(period)
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if not p.name.startswith(IGNORED_PREFIXES)]
    return sorted(files, key=lambda p: (p.lstat().st_mtime, p.name))


FUTURE_SLACK = timedelta(days=1)


def arrival_of(path: Path, settings: Settings, now: datetime | None = None) -> tuple[datetime, str | None]:
    """An inbox entry's arrival (its own modification time, in the office's time zone) and a note when
    that time is more than a day after `now` (a wrong clock): then the arrival is `now`."""
    moment = datetime.fromtimestamp(path.lstat().st_mtime, tz=settings.tz)
    now = now or datetime.now(settings.tz)
    if moment > now + FUTURE_SLACK:
        note = (f"文件时间 {moment:%Y-%m-%d %H:%M:%S} 晚于收集时间一天以上（时钟有误），"
                f"到达时间按收集时间 {now:%Y-%m-%d %H:%M:%S} 记录")
        return now, note
    return moment, None


def collect_inbox(settings: Settings, db: Session, period: str, as_of: datetime | None = None) -> CollectResult:
    """Register every inbox entry of the period not registered before (same name and bytes).

    With `as_of`, files that arrived later are left for a later run (a run "as of" the 16th). An office
    upload of the same bytes registered at the same moment (the first-arrival index) makes it start again once.
    """
    for attempt in range(INSERT_ATTEMPTS):
        try:
            return _collect_inbox(settings, db, period, as_of)
        except IntegrityError:
            db.rollback()
            if attempt == INSERT_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _collect_inbox(settings: Settings, db: Session, period: str, as_of: datetime | None) -> CollectResult:
    result = CollectResult()
    rows = list(db.scalars(select(Submission).where(Submission.period == period, Submission.source == "inbox")))
    known = {(r.file_name, r.sha256) for r in rows}
    unchanged = {(r.file_name, r.size, r.received_at) for r in rows}  # same name, size and time: not re-read
    seen = first_arrivals(db, period)
    now = datetime.now(settings.tz)
    added: list[Submission] = []
    for path in inbox_files(settings, period):
        info = path.lstat()
        arrival, note = arrival_of(path, settings, now)
        if as_of is not None and arrival > as_of:
            continue
        refusal = refusal_of(path, info, settings)
        size = 0 if refusal and not stat.S_ISREG(info.st_mode) else info.st_size
        if (path.name, size, utc(arrival)) in unchanged or (path.name, refused_key(path.name, info)) in known:
            result.already_known += 1
            continue
        if refusal:
            row = _record(settings, db, sha=refused_key(path.name, info), size=size, file_name=path.name,
                          period=period, received_at=arrival, source="inbox", refusal=refusal, arrival_note=note,
                          flush=False)
            known.add((path.name, row.sha256))
            added.append(row)
            continue
        try:
            sha, size = keep_file(settings, path, path.suffix)
        except (FileNotFoundError, IsADirectoryError, OSError):
            continue  # gone or swapped for something else since the listing: the next collect sees it
        if (path.name, sha) in known:
            result.already_known += 1
            continue
        row = _record(settings, db, sha=sha, size=size, file_name=path.name, period=period,
                      received_at=arrival, source="inbox", seen=seen, arrival_note=note, flush=False)
        known.add((path.name, row.sha256))
        added.append(row)
    _link(db, added, seen)  # the registry rows of the whole inbox in one transaction
    for row in added:
        (result.duplicates if row.outcome == Outcome.DUPLICATE else result.registered).append(row.id)
    db.commit()
    return result


def submit_file(settings: Settings, db: Session, path: Path, period: str,
                received_at: datetime | None = None, *, source: str = "submit",
                account_unit: str | None = None) -> Submission:
    """Register a file handed over directly (upload, mail): it arrives now unless told otherwise.

    `account_unit` is the unit of the portal account that uploaded it: the check (rule H09) rejects
    a workbook that names another unit.
    """
    moment = received_at or datetime.now(settings.tz)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings.tz)
    path = Path(path)
    info = path.lstat()
    refusal = refusal_of(path, info, settings)
    if refusal:
        row = _record(settings, db, sha=refused_key(path.name, info), size=info.st_size, file_name=path.name,
                      period=period, received_at=moment, source=source, refusal=refusal, account_unit=account_unit)
        db.commit()
        return row
    sha, size = keep_file(settings, path, path.suffix)
    for attempt in range(INSERT_ATTEMPTS):
        row = _record(settings, db, sha=sha, size=size, file_name=path.name, period=period,
                      received_at=moment, source=source, account_unit=account_unit, flush=False)
        try:
            db.commit()
            return row
        except IntegrityError:  # the same bytes from the same identity registered at this moment by another upload
            db.rollback()
            if attempt == INSERT_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def copy_into_inbox(src: Path, settings: Settings, period: str, arrival: datetime) -> Path:
    """Put a file into the inbox with its arrival time as mtime (the demo's and tests' mail gateway)."""
    target = settings.inbox_dir(period) / src.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, target)
    os.utime(target, (arrival.timestamp(), arrival.timestamp()))
    return target
