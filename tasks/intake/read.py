"""Read every registered file of a period and record what the registry learns from it.

A file that cannot be read (corrupt, encrypted, not a workbook, too large, or one that breaks the
reader: see tasks/intake/sandbox.py) is `rejected` here with a message for the clerk, once: the
outcome and message are stored and later runs do not read the file again (`settled_read`); a
readable file is `received` until the rules have spoken.

Reads are done once per file: each file's read is stored as data (tasks/core/results.py, kind
`reads`: one row per file with its unit, period, error and the tidy rows as JSON), keyed by the
file's sha256, the code's version (`code_version`: the installed version and every module of
zhuanbao.tasks — the reader follows the form contract and text rules of tasks/core too), the
reference year's unit list, the file's suffix and the read limits; a rerun after a few late files
reads only those. The store's columns are `READS` (text, whatever pandas wrote them). `PeriodReads` hands the period's reads to the steps that need them and loads a
stored read only when a step asks for it (a rerun that changes nothing loads none).

Reading is split so it can be mapped over workers: `read_jobs` turns files into WorkbookReads and
touches neither the registry nor the store (a pure function of the raw bytes, the reference and
the settings); `period_reads` finds the stored reads, hands only the other files to `read_many`
(inline by default; the flow passes a mapper over its task runner, see flows/runner.py), stores
the new reads in one batch and applies what they say to the registry in one transaction.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from ..checks.outcomes import UNREADABLE_RULE, Outcome
from ..core.reference import Reference
from ..core.results import KEY, FileResults, code_version, digest
from ..core.settings import Settings
from ..core.tables import TEXT, contract
from .archive import ReadLimits
from .raw import read_raw
from .registry import Submission, submissions
from .sandbox import read_sandboxed
from .workbook import WorkbookRead, read_workbook


def reader_version() -> str:
    """Changes whenever the code changes (any module of zhuanbao.tasks, or the installed version), so old
    stored reads are never reused."""
    return code_version()


def reference_key(reference: Reference) -> str:
    """What of the reference a read depends on: its year and unit list (computed once per period)."""
    units = reference.units[["unit_code", "unit_name"]].to_csv(index=False)
    return f"{reference.year}|{hashlib.sha256(units.encode()).hexdigest()}"  # short: hashed again per file


def read_key(settings: Settings, row: Submission, ref_key: str) -> str:
    """What a file's read depends on: its bytes, the reader, the reference's units, its suffix, the limits."""
    return digest(row.sha256, reader_version(), ref_key, Path(row.file_name).suffix.lower(),
                  settings.max_file_bytes, read_limits(settings))


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


def settled_read(row: Submission) -> WorkbookRead | None:
    """A file already found unreadable (H00) is settled: its stored message stands, it is not read again.

    (A file that broke the reader would break it again; removing it is never needed to unblock a period.)
    """
    if row.outcome == Outcome.REJECTED and row.rules == [UNREADABLE_RULE] and row.messages:
        return WorkbookRead(file_name=row.file_name, error=row.messages[0])
    return None


READ_COLUMNS = ["unit_code", "period", "error"]  # kept as columns beside the JSON, so the store can be queried
READS = contract(*((name, TEXT) for name in (KEY, "sha256", "file_name", *READ_COLUMNS, "payload")))


def payload(read: WorkbookRead) -> str:
    """A read as JSON text (everything but the file name it arrived under and the derived frames)."""
    fields = {f.name: getattr(read, f.name) for f in dataclasses.fields(read)
              if f.name not in ("file_name", "_frames")}
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def from_payload(text: str, file_name: str) -> WorkbookRead:
    return WorkbookRead(file_name=file_name, **json.loads(text))


class PeriodReads(Sequence):
    """The reads of a period's distinct files, in registry order, as (file_id, WorkbookRead).

    A stored read is loaded from the store only when asked for (`subset`, or iterating over all);
    `unit_codes` and `errors` are known without loading anything.
    """

    def __init__(self, store: FileResults, keys: dict[int, str], names: dict[int, str],
                 unit_codes: dict[int, str | None], errors: dict[int, str | None], loaded: dict[int, WorkbookRead],
                 fresh: set[int]):
        self.store, self.keys, self.names = store, keys, names
        self.unit_codes, self.errors, self.loaded = unit_codes, errors, loaded
        self.fresh = fresh  # the files read in this run

    @property
    def file_ids(self) -> list[int]:
        return list(self.keys)

    def subset(self, file_ids) -> list[tuple[int, WorkbookRead]]:
        """(file_id, read) of these files, in registry order, loading the stored ones in one pass."""
        chosen = set(file_ids)
        wanted = [fid for fid in self.keys if fid in chosen]
        missing = [fid for fid in wanted if fid not in self.loaded]
        if missing:
            rows = self.store.load({self.keys[fid] for fid in missing}).set_index(KEY)["payload"].to_dict()
            for fid in missing:
                self.loaded[fid] = from_payload(rows[self.keys[fid]], self.names[fid])
        return [(fid, self.loaded[fid]) for fid in wanted]

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, index):
        return self.subset(self.file_ids)[index]

    def __iter__(self):
        return iter(self.subset(self.file_ids))


def period_reads(settings: Settings, db: Session, period: str, reference: Reference,
                 read_many: ReadMany | None = None, *, from_scratch: bool = False) -> PeriodReads:
    """Read each distinct submission of the period (duplicates share their first arrival's read).

    Stored reads are found by key (not loaded); the other files go to `read_many` in one batch
    (default: read inline) and are stored. With `from_scratch` nothing stored is used. The registry
    learns each file's unit and H00 rejections, committed once.
    """
    rows = submissions(db, period)
    firsts = [row for row in rows if row.outcome != Outcome.DUPLICATE]
    store = FileResults(settings.home, "reads", period, READS)
    ref_key = reference_key(reference)
    keys = {row.id: read_key(settings, row, ref_key) for row in firsts}
    loaded = {row.id: read for row in firsts if (read := settled_read(row)) is not None}
    stored = store.index(READ_COLUMNS)
    if from_scratch:
        stored = stored.iloc[0:0]
    todo = [row for row in firsts if row.id not in loaded and keys[row.id] not in stored.index]
    if todo:
        jobs = [ReadJob(row.raw_path, row.file_name) for row in todo]
        fresh = (read_many or (lambda batch: read_jobs(settings, batch, reference)))(jobs)
        if len(fresh) != len(todo):
            raise RuntimeError(f"读取结果数（{len(fresh)}）与待读文件数（{len(todo)}）不符")
        loaded.update({row.id: read for row, read in zip(todo, fresh)})
        store.add(pd.DataFrame({KEY: [keys[row.id] for row in todo],
                                "sha256": [row.sha256 for row in todo],
                                "file_name": [row.file_name for row in todo],
                                **{c: [getattr(read, c) for read in fresh] for c in READ_COLUMNS},
                                "payload": [payload(read) for read in fresh]}))
    unit_codes, errors = {}, {}
    stored_units, stored_errors = stored["unit_code"].to_dict(), stored["error"].to_dict()
    for row in firsts:
        read = loaded.get(row.id)
        unit_codes[row.id] = read.unit_code if read else _none(stored_units[keys[row.id]])
        errors[row.id] = read.error if read else _none(stored_errors[keys[row.id]])
        row.unit_code = unit_codes[row.id]
        if errors[row.id]:
            row.outcome, row.rules, row.messages = Outcome.REJECTED, [UNREADABLE_RULE], [errors[row.id]]
    for row in rows:
        if row.outcome == Outcome.DUPLICATE and row.duplicate_of in unit_codes:
            row.unit_code = unit_codes[row.duplicate_of]
    db.commit()
    return PeriodReads(store, keys, {row.id: row.file_name for row in firsts}, unit_codes, errors, loaded,
                       {row.id for row in todo})


def _none(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def read_period(settings: Settings, db: Session, period: str, reference: Reference,
                read_many: ReadMany | None = None) -> list[tuple[Submission, WorkbookRead]]:
    """Every distinct submission of the period with its read, all loaded (see `period_reads`)."""
    reads = period_reads(settings, db, period, reference, read_many)
    rows = {row.id: row for row in submissions(db, period)}
    return [(rows[fid], read) for fid, read in reads]
