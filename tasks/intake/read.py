"""Read every registered file of a period and record what the registry learns from it.

A file that cannot be read (corrupt, encrypted, not a workbook, too large, or one that breaks the
reader: see tasks/intake/sandbox.py) is `rejected` here with a message for the clerk, once: the
outcome and message are stored and later runs do not read the file again (`settled_read`); a
readable file is `received` until the rules have spoken.

Reads are incremental: each file's WorkbookRead is kept under `<home>/cache/reads/`, keyed by the
file's sha256, the reader's version (a hash of workbook.py, normalise.py and archive.py), the
reference year's unit list and the size limit, so a rerun after a few late files reads only those.
The rules are not cached: the check runs over the whole period in one batch (cheap), so a change
to `expectations/*.json` rechecks every file.

Reading is split so it can be mapped over workers: `read_jobs` turns files into WorkbookReads and
touches neither the registry nor the cache (a pure function of the raw bytes, the reference and
the settings); `read_period` loads the cached reads, hands only the uncached files to `read_many`
(inline by default; the flow passes a mapper over its task runner, see tasks/runner.py), stores
the new reads and applies what they say to the registry in one transaction.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from sqlalchemy.orm import Session

from zhuanbao.tasks.core.reference import Reference
from zhuanbao.tasks.core.settings import Settings
from zhuanbao.tasks.intake.archive import ReadLimits
from zhuanbao.tasks.intake.collect import read_raw
from zhuanbao.tasks.intake.registry import Submission, submissions
from zhuanbao.tasks.intake.sandbox import read_sandboxed
from zhuanbao.tasks.intake.workbook import WorkbookRead, read_workbook


@lru_cache(maxsize=1)
def reader_version() -> str:
    """Changes whenever the reader's code changes, so old cached reads are never reused."""
    digest = hashlib.sha256()
    for name in ("workbook.py", "normalise.py", "archive.py"):
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


def reference_key(reference: Reference) -> str:
    """What of the reference a read depends on: its year and unit list (computed once per period)."""
    units = reference.units[["unit_code", "unit_name"]].to_csv(index=False)
    return f"{reference.year}|{hashlib.sha256(units.encode()).hexdigest()}"  # short: hashed again per file


def read_cache_path(settings: Settings, row: Submission, reference: Reference, ref_key: str | None = None) -> Path:
    ref_key = reference_key(reference) if ref_key is None else ref_key
    key = hashlib.sha256("|".join([row.sha256, reader_version(), ref_key,
                                   Path(row.file_name).suffix.lower(), str(settings.max_file_bytes),
                                   str(read_limits(settings))])
                         .encode()).hexdigest()[:24]
    return settings.home / "cache" / "reads" / row.sha256[:2] / f"{row.sha256}-{key}.pkl"


@dataclass(frozen=True)
class ReadJob:
    """One file to read, as a worker sees it: where its kept bytes are and the name it arrived under."""

    raw_path: str  # relative to the lake (`Submission.raw_path`)
    file_name: str


def read_limits(settings: Settings) -> ReadLimits:
    return ReadLimits(settings.max_rows, settings.max_columns, settings.max_inflated_bytes)


def read_jobs(settings: Settings, jobs: Sequence[ReadJob], reference: Reference) -> list[WorkbookRead]:
    """Read each file (in order) in a sandboxed child (tasks/intake/sandbox.py). Pure: no registry,
    no cache, no Prefect — safe on any worker."""
    limits = read_limits(settings)

    def read_one(job: ReadJob) -> WorkbookRead:
        return read_workbook(read_raw(settings, job.raw_path), reference, name=job.file_name,
                             max_bytes=settings.max_file_bytes, limits=limits)

    return read_sandboxed(jobs, read_one, lambda job: job.file_name,
                          memory_mb=settings.read_memory_mb, timeout_seconds=settings.read_timeout_seconds)


ReadMany = Callable[[list[ReadJob]], list[WorkbookRead]]


def cached_read(settings: Settings, row: Submission, reference: Reference,
                ref_key: str | None = None) -> WorkbookRead | None:
    """The file's read from the cache when these bytes were read before with the same reader."""
    try:
        with read_cache_path(settings, row, reference, ref_key).open("rb") as handle:
            return replace(pickle.load(handle), file_name=row.file_name)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, TypeError):
        return None


def settled_read(row: Submission) -> WorkbookRead | None:
    """A file already found unreadable (H00) is settled: its stored message stands, it is not read again.

    (A file that broke the reader would break it again; removing it is never needed to unblock a period.)
    """
    if row.outcome == "rejected" and row.rules == ["H00"] and row.messages:
        return WorkbookRead(file_name=row.file_name, error=row.messages[0])
    return None


def _store(path: Path, read: WorkbookRead) -> None:
    """Written aside then renamed: a reader never sees half a pickle."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
            pickle.dump(read, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
    except OSError:
        pass  # a cache that cannot be written only costs time


def read_period(settings: Settings, db: Session, period: str, reference: Reference,
                read_many: ReadMany | None = None) -> list[tuple[Submission, WorkbookRead]]:
    """Read each distinct submission of the period (duplicates share their first arrival's read).

    Cached reads are loaded here; the other files go to `read_many` in one batch (default: read
    inline). The registry learns each file's unit and H00 rejections, committed once.
    """
    rows = submissions(db, period)
    firsts = [row for row in rows if row.outcome != "duplicate"]
    ref_key = reference_key(reference)
    found = {row.id: settled_read(row) or cached_read(settings, row, reference, ref_key) for row in firsts}
    todo = [row for row in firsts if found[row.id] is None]
    if todo:
        jobs = [ReadJob(row.raw_path, row.file_name) for row in todo]
        fresh = (read_many or (lambda batch: read_jobs(settings, batch, reference)))(jobs)
        if len(fresh) != len(todo):
            raise RuntimeError(f"读取结果数（{len(fresh)}）与待读文件数（{len(todo)}）不符")
        for row, read in zip(todo, fresh):
            _store(read_cache_path(settings, row, reference, ref_key), read)
            found[row.id] = read
    reads: list[tuple[Submission, WorkbookRead]] = []
    by_id: dict[int, Submission] = {}
    for row in firsts:
        read = found[row.id]
        row.unit_code = read.unit_code
        if read.error:
            row.outcome, row.rules, row.messages = "rejected", ["H00"], [read.error]
        by_id[row.id] = row
        reads.append((row, read))
    for row in rows:
        if row.outcome == "duplicate" and row.duplicate_of in by_id:
            row.unit_code = by_id[row.duplicate_of].unit_code
    db.commit()
    return reads
