"""Read every registered file of a period and record what the registry learns from it.

A file that cannot be read (corrupt, encrypted, not a workbook, too large) is `rejected` here
with a message for the clerk; a readable file is `received` until the rules have spoken.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from tasks.reference import Reference
from tasks.registry import Submission, submissions
from tasks.settings import Settings
from tasks.workbook import WorkbookRead, read_workbook


def read_submission(settings: Settings, row: Submission, reference: Reference) -> WorkbookRead:
    return read_workbook(Path(settings.home) / row.raw_path, reference, name=row.file_name,
                         max_bytes=settings.max_file_bytes)


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
