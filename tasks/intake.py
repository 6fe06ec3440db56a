"""Read every registered file of a period and record what the registry learns from it.

A file that cannot be read (corrupt, encrypted, not a workbook, too large) is `rejected` here
with a message for the clerk; a readable file is `received` until the rules have spoken.

Reads are incremental: each file's WorkbookRead is kept under `<home>/cache/reads/`, keyed by the
file's sha256, the reader's version (a hash of tasks/workbook.py and tasks/normalise.py), the
reference year's unit list and the size limit, so a rerun after a few late files reads only those.
The rules are not cached: the check runs over the whole period in one batch (cheap), so a change
to `expectations/*.json` rechecks every file.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from sqlalchemy.orm import Session

from tasks.reference import Reference
from tasks.registry import Submission, submissions
from tasks.settings import Settings
from tasks.workbook import WorkbookRead, read_workbook


@lru_cache(maxsize=1)
def reader_version() -> str:
    """Changes whenever the reader's code changes, so old cached reads are never reused."""
    digest = hashlib.sha256()
    for name in ("workbook.py", "normalise.py"):
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


def read_cache_path(settings: Settings, row: Submission, reference: Reference) -> Path:
    units = reference.units[["unit_code", "unit_name"]].to_csv(index=False)
    key = hashlib.sha256("|".join([row.sha256, reader_version(), str(reference.year), units,
                                   Path(row.file_name).suffix.lower(), str(settings.max_file_bytes)])
                         .encode()).hexdigest()[:24]
    return settings.home / "cache" / "reads" / row.sha256[:2] / f"{row.sha256}-{key}.pkl"


def read_submission(settings: Settings, row: Submission, reference: Reference) -> WorkbookRead:
    """The file's read, from the cache when these bytes were read before with the same reader."""
    cached = read_cache_path(settings, row, reference)
    try:
        with cached.open("rb") as handle:
            return replace(pickle.load(handle), file_name=row.file_name)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, TypeError):
        pass
    read = read_workbook(Path(settings.home) / row.raw_path, reference, name=row.file_name,
                         max_bytes=settings.max_file_bytes)
    _store(cached, read)
    return read


def _store(path: Path, read: WorkbookRead) -> None:
    """Written aside then renamed: a reader never sees half a pickle."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
            pickle.dump(read, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
    except OSError:
        pass  # a cache that cannot be written only costs time


def read_period(settings: Settings, db: Session, period: str,
                reference: Reference) -> list[tuple[Submission, WorkbookRead]]:
    """Read each distinct submission of the period (duplicates share their first arrival's read)."""
    rows = submissions(db, period)
    reads: list[tuple[Submission, WorkbookRead]] = []
    by_id: dict[int, Submission] = {}
    for row in rows:
        if row.outcome == "duplicate":
            continue
        read = read_submission(settings, row, reference)
        row.unit_code = read.unit_code
        if read.error:
            row.outcome, row.rules, row.messages = "rejected", ["H00"], [read.error]
        elif row.outcome == "rejected" and row.rules == ["H00"]:  # the file was replaced by a readable one
            row.outcome, row.rules, row.messages = "received", [], []
        by_id[row.id] = row
        reads.append((row, read))
    for row in rows:
        if row.outcome == "duplicate" and row.duplicate_of in by_id:
            row.unit_code = by_id[row.duplicate_of].unit_code
    db.commit()
    return reads
