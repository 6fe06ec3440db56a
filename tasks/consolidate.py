"""Curated datasets: the latest accepted submission of each unit, per form, as parquet (spec §6).

Layout: `<home>/curated/<dataset>/period=YYYY-MM/data.parquet`, hive-partitioned so DuckDB and
pyarrow see `period` as a column. A partition is replaced atomically (written aside as a hidden
file, then renamed over the old one), so a crash mid-write leaves the previous data whole.
The column contract is in the README; keep it stable.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

COMMON = ["period", "unit_code", "source_sha256", "received_at", "on_time"]
COLUMNS: dict[str, list[str]] = {
    "indicators": ["indicator_code", "month_value", "cumulative", "last_year_cumulative", "reported_growth", "note"],
    "projects": ["project_code", "annual_plan", "month_investment", "cumulative_investment", "status",
                 "progress_text", "problems", "coordination"],
    "tasks": ["task_code", "progress_pct", "progress_text", "problems", "note"],
}


def curated_rows(form: str, frame: pd.DataFrame, accepted: pd.DataFrame, period: str) -> pd.DataFrame:
    """Rows of the accepted files, in the curated column contract, in a stable order.

    `accepted` has one row per unit: `file_id, unit_code, source_sha256, received_at, on_time`.
    """
    keep = frame.drop(columns=["unit_code"]).merge(accepted, on="file_id", how="inner")
    keep = keep.assign(period=period)[COMMON + COLUMNS[form]]
    code = COLUMNS[form][0]
    return keep.sort_values(["unit_code", code], ignore_index=True)


def partition_path(curated_dir: Path, dataset: str, period: str) -> Path:
    return Path(curated_dir) / dataset / f"period={period}" / "data.parquet"


def write_partition(curated_dir: Path, dataset: str, period: str, frame: pd.DataFrame) -> Path:
    """Replace one period of a dataset atomically; `period` lives in the folder name, not the file."""
    target = partition_path(curated_dir, dataset, period)
    target.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame.drop(columns=["period"], errors="ignore"), preserve_index=False)
    for stale in target.parent.glob(".data.parquet.*.tmp"):  # left by a run that was killed
        stale.unlink(missing_ok=True)
    aside = target.with_name(f".data.parquet.{os.getpid()}.tmp")
    pq.write_table(table, aside)
    os.replace(aside, target)
    return target


def read_partition(curated_dir: Path, dataset: str, period: str) -> pd.DataFrame | None:
    """One period of a dataset with its `period` column, or None when it was never written."""
    target = partition_path(curated_dir, dataset, period)
    if not target.exists():
        return None
    return pq.read_table(target).to_pandas().assign(period=period)
