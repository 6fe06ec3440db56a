"""The frames of tasks/intake/standing.py's answers the metrics and the consolidation read (pandas).

`standing_frame` is the metrics' view of the status JSON's units; `accepted_files` the files that count, one
per unit with an accepted file. Which file counts and whether on time is standing.py's (`arrived_on_time`).
"""
from __future__ import annotations

import pandas as pd

from ..checks.outcomes import Outcome
from ..core.settings import Settings
from .registry import Submission, local
from .standing import arrived_on_time

COLUMNS = ["unit_code", "status", "on_time"]


def standing_frame(units: list[dict]) -> pd.DataFrame:
    """The metrics' view of the status JSON's units: unit_code, status (accepted|rejected|missing), on_time.

    A file still `received` (read, not checked) counts as accepted for scoring, as it would be merged.
    """
    frame = pd.DataFrame(units, columns=COLUMNS)
    frame["status"] = frame["status"].replace({Outcome.RECEIVED.value: Outcome.ACCEPTED.value})
    return frame


def accepted_files(settings: Settings, period: str, rows: list[Submission]) -> pd.DataFrame:
    """The files that count: one row per unit with an accepted file (file_id, unit_code, source_sha256,
    received_at, on_time) — what the consolidation merges."""
    rows = [{"file_id": row.id, "unit_code": row.unit_code, "source_sha256": row.sha256,
             "received_at": local(row.received_at, settings.tz),
             "on_time": arrived_on_time(settings, period, row.received_at)}
            for row in rows if row.outcome == Outcome.ACCEPTED]
    frame = pd.DataFrame(rows, columns=["file_id", "unit_code", "source_sha256", "received_at", "on_time"])
    frame["received_at"] = pd.to_datetime(frame["received_at"]).dt.tz_convert(settings.timezone) if len(frame) else \
        pd.Series(dtype=f"datetime64[us, {settings.timezone}]")
    return frame.astype({"file_id": "int64", "on_time": "bool"})
