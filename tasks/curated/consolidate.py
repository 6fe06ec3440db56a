"""Curated datasets: the latest accepted submission of each unit, per form, as parquet (spec §6).

Layout: `<home>/curated/<dataset>/period=YYYY-MM/data.parquet`, hive-partitioned so DuckDB and
pyarrow see `period` as a column. A partition is replaced atomically (written aside as a hidden
file, then renamed over the old one), so a crash mid-write leaves the previous data whole.
`curated_dir` may also be an fsspec URL (`s3://bucket/zhuanbao/curated`): there the parquet bytes
are built in memory and stored with one `pipe_file` — a single PUT of a complete object, which
object stores make visible atomically (there is no rename on S3).
The column contract is in the README; keep it stable.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from zhuanbao.tasks.core.settings import is_remote_url, lake_fs, local_path

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


def partition_path(curated_dir: Path | str, dataset: str, period: str) -> Path | str:
    """The partition's file: a local Path, or a URL when `curated_dir` is a remote fsspec URL."""
    if is_remote_url(curated_dir):
        return f"{str(curated_dir).rstrip('/')}/{dataset}/period={period}/data.parquet"
    return Path(local_path(curated_dir)) / dataset / f"period={period}" / "data.parquet"


def write_partition(curated_dir: Path | str, dataset: str, period: str, frame: pd.DataFrame) -> Path | str:
    """Replace one period of a dataset atomically; `period` lives in the folder name, not the file."""
    target = partition_path(curated_dir, dataset, period)
    table = pa.Table.from_pandas(frame.drop(columns=["period"], errors="ignore"), preserve_index=False)
    if isinstance(target, str):
        fs, key = lake_fs(target)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        fs.pipe_file(key, sink.getvalue().to_pybytes())
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(".data.parquet.*.tmp"):  # left by a run that was killed
        stale.unlink(missing_ok=True)
    aside = target.with_name(f".data.parquet.{os.getpid()}.tmp")
    pq.write_table(table, aside)
    os.replace(aside, target)
    return target


def read_partition(curated_dir: Path | str, dataset: str, period: str) -> pd.DataFrame | None:
    """One period of a dataset with its `period` column, or None when it was never written."""
    target = partition_path(curated_dir, dataset, period)
    if isinstance(target, str):
        fs, key = lake_fs(target)
        try:
            data = fs.cat_file(key)
        except FileNotFoundError:
            return None
        return pq.read_table(pa.BufferReader(data)).to_pandas().assign(period=period)
    if not target.exists():
        return None
    return pq.read_table(target).to_pandas().assign(period=period)
