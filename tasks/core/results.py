"""Per-file results kept as data: what reading and checking one file found, stored once, reused by key.

A store is a folder of parquet files, one per batch of results written together (one run's new
files): `<home>/cache/<kind>/period=YYYY-MM/<batch>.parquet`. Every row carries `key`, a digest of
everything its result depends on (the file's bytes, the code that made it, the reference, ...),
so a result is reused only while all of that is unchanged; a later batch wins for a key written
twice (a `--from-scratch` run writes its results again). The folder can be deleted at any time:
the next run recomputes what it needs. Files are written aside then renamed; when a period has
gathered many small batches (portal uploads add one each) they are merged into one.

Anyone can open these with pandas, DuckDB or pyarrow: they are tables, not pickles.
"""
from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

KEY = "key"
COMPACT_AFTER = 32  # batches in one period before they are merged


def digest(*parts: object) -> str:
    """A short, stable key from the parts' text (None as empty)."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def files_version(paths: Iterable[Path]) -> str:
    """A digest of files' names and bytes, in the order given: results made from changed files are not reused."""
    hashed = hashlib.sha256()
    for path in paths:
        hashed.update(Path(path).name.encode() + b"\0" + Path(path).read_bytes())
    return hashed.hexdigest()[:32]


def source_version(folder: Path, *names: str) -> str:
    """A digest of source files (every `*.py` of `folder` without names): results made by changed code are not reused."""
    return files_version([Path(folder) / n for n in names] if names else sorted(Path(folder).glob("*.py")))


class FileResults:
    """The stored results of one kind (`reads`, `checks`) for one period."""

    def __init__(self, home: Path, kind: str, period: str):
        self.folder = Path(home) / "cache" / kind / f"period={period}"

    def _batches(self) -> list[Path]:
        return sorted(self.folder.glob("*.parquet")) if self.folder.is_dir() else []

    def _table(self, columns: list[str] | None = None, keys: Iterable[str] | None = None) -> pa.Table | None:
        tables = []
        wanted = pa.array(sorted(set(keys)), type=pa.string()) if keys is not None else None
        for order, path in enumerate(self._batches()):
            try:
                table = pq.read_table(path, columns=columns)
            except (OSError, pa.ArrowInvalid):
                continue  # a damaged batch is only lost work: its files are computed again
            if wanted is not None:
                table = table.filter(pc.is_in(table[KEY], value_set=wanted))
            tables.append(table.append_column("_batch", pa.array([order] * len(table), type=pa.int32())))
        if not tables:
            return None
        return pa.concat_tables(tables, promote_options="default")

    def index(self, columns: list[str]) -> pd.DataFrame:
        """One row per stored key with the given columns, from the latest batch that wrote it."""
        table = self._table([KEY, *columns])
        if table is None:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in [KEY, *columns]}).set_index(KEY)
        frame = table.to_pandas()
        return frame.drop_duplicates(KEY, keep="last").drop(columns="_batch").set_index(KEY)

    def load(self, keys: Iterable[str]) -> pd.DataFrame:
        """Every stored row of these keys (a key may have several rows), from the latest batch of each key."""
        keys = list(keys)
        table = self._table(keys=keys) if keys else None
        if table is None:
            return pd.DataFrame({KEY: pd.Series(dtype=object)})
        frame = table.to_pandas()
        latest = frame.groupby(KEY)["_batch"].transform("max")
        return frame[frame._batch == latest].drop(columns="_batch").reset_index(drop=True)

    def add(self, frame: pd.DataFrame) -> None:
        """Write one batch (written aside, then renamed); merge the period's batches when there are many."""
        if frame.empty:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{os.getpid()}"
        aside = self.folder / f".{name}.tmp"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), aside, compression="zstd")
        os.replace(aside, self.folder / f"{name}.parquet")
        if len(self._batches()) > COMPACT_AFTER:
            self.compact()

    def compact(self) -> None:
        """Merge the period's batches into one, keeping only each key's latest rows."""
        batches = self._batches()
        table = self._table()
        if table is None:
            return
        frame = table.to_pandas()
        latest = frame.groupby(KEY)["_batch"].transform("max")
        merged = frame[frame._batch == latest].drop(columns="_batch")
        name = f"{time.time_ns():020d}-{os.getpid()}"
        aside = self.folder / f".{name}.tmp"
        pq.write_table(pa.Table.from_pandas(merged, preserve_index=False), aside, compression="zstd")
        os.replace(aside, self.folder / f"{name}.parquet")
        for path in batches:
            path.unlink(missing_ok=True)
