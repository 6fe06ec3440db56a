"""Outcomes of a period's files from the findings: accepted, rejected, superseded (spec §5, §6).

Any hard finding rejects a file. The latest accepted file of a unit supersedes its earlier
accepted files; history stays in the registry. `accepted_files` is the one row per unit that the
consolidation reads.
"""
from __future__ import annotations

import pandas as pd

from zhuanbao.tasks.checks.receipts import findings_by_file
from zhuanbao.tasks.core.settings import Settings
from zhuanbao.tasks.curated.submissions import arrived_on_time
from zhuanbao.tasks.intake.registry import Submission, local
from zhuanbao.tasks.intake.workbook import WorkbookRead


def settle_outcomes(reads: list[tuple[Submission, WorkbookRead | str | None]], findings: pd.DataFrame) -> None:
    """Set outcome, rules and messages of every read file from its findings (the caller commits).

    Each file comes with its read, or only with its read's error (None when it could be read)."""
    by_file = findings_by_file(findings[["file_id", "rule_id", "message", "severity"]])
    for row, read in reads:
        mine = by_file.get(row.id, [])
        row.rules = sorted({f["rule_id"] for f in mine})
        row.messages = [f["message"] for f in mine]
        error = read.error if isinstance(read, WorkbookRead) else read
        row.outcome = "rejected" if error or any(f["severity"] == "hard" for f in mine) else "accepted"
    latest: dict[str, Submission] = {}
    for row, _ in sorted(reads, key=lambda pair: (pair[0].received_at, pair[0].id)):
        if row.outcome == "accepted" and row.unit_code:
            if row.unit_code in latest:
                latest[row.unit_code].outcome = "superseded"
            latest[row.unit_code] = row


def accepted_files(settings: Settings, period: str, reads: list[tuple[Submission, WorkbookRead]]) -> pd.DataFrame:
    """One row per unit with an accepted file: file_id, unit_code, source_sha256, received_at, on_time."""
    rows = [{"file_id": row.id, "unit_code": row.unit_code, "source_sha256": row.sha256,
             "received_at": local(row.received_at, settings.tz),
             "on_time": arrived_on_time(settings, period, row.received_at)}
            for row, _ in reads if row.outcome == "accepted"]
    frame = pd.DataFrame(rows, columns=["file_id", "unit_code", "source_sha256", "received_at", "on_time"])
    frame["received_at"] = pd.to_datetime(frame["received_at"]).dt.tz_convert(settings.timezone) if len(frame) else \
        pd.Series(dtype=f"datetime64[us, {settings.timezone}]")
    return frame.astype({"file_id": "int64", "on_time": "bool"})
