"""Per-file results kept as data: what reading and checking one file found, stored once, reused by key.

A store is a folder of parquet files, one per batch of results written together (one run's new
files): `<home>/cache/<kind>/period=YYYY-MM/<batch>.parquet`. Every row carries `key`, a digest of
everything its result depends on (the file's bytes, the code that made it — `code_version`: the
installed version and every module of `zhuanbao.tasks` —, the reference, ...), so a result is reused
only while all of that is unchanged; a later batch wins for a key written twice (a `--from-scratch`
run writes its results again). The folder can be deleted at any time: the next run recomputes what it
needs. Files are written aside then renamed; when a period has gathered many small batches (portal
uploads add one each) they are merged into one.

Each store declares its schema (tasks/core/tables.py): every batch is cast to it on write and on read,
whatever pandas wrote it. A batch that cannot be read is set aside (`<batch>.parquet.damaged-<time>`,
logged) and its files' results are computed again.

Anyone can open these with pandas, DuckDB or pyarrow: they are tables, not pickles.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import catalog
from .tables import conform, set_aside, to_contract, unreadable

KEY = "key"
COMPACT_AFTER = 32  # batches in one period before they are merged
CODE_ROOT = Path(__file__).resolve().parent.parent  # the zhuanbao.tasks package
NULLABLE = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}  # stored ints and flags may be missing


def digest(*parts: object) -> str:
    """A short, stable key from the parts' text (None as empty)."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def json_digest(value) -> str:
    """sha256 of a JSON-able value written canonically (sorted keys, compact, text as text): the digest of a
    document's inputs that decides whether it is written again (the 专报, the 通报, the 考核通报)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def files_version(paths: Iterable[Path]) -> str:
    """A digest of files' names and bytes, in the order given: results made from changed files are not reused."""
    hashed = hashlib.sha256()
    for path in paths:
        hashed.update(Path(path).name.encode() + b"\0" + Path(path).read_bytes())
    return hashed.hexdigest()[:32]


def tree_version(root: Path) -> str:
    """A digest of every `*.py` under `root` (recursively, sorted): names relative to `root`, and bytes."""
    root = Path(root)
    hashed = hashlib.sha256()
    for path in sorted(root.rglob("*.py"), key=lambda p: p.relative_to(root).as_posix()):
        name = path.relative_to(root).as_posix()
        hashed.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return hashed.hexdigest()[:32]


def installed_version() -> str:
    try:
        return metadata.version("zhuanbao")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


@lru_cache(maxsize=1)
def code_version() -> str:
    """The code every stored result was made by: the installed version and every module of `zhuanbao.tasks`
    (computed once per process). An upgrade, or any edited module, makes every stored result stale."""
    return f"{installed_version()}+{tree_version(CODE_ROOT)}"


class FileResults:
    """The stored results of one kind (`reads`, `checks`) for one period, every batch in `schema` (`key` first)."""

    def __init__(self, home: Path, kind: str, period: str, schema: pa.Schema):
        self.folder = catalog.cache_dir(home, kind, period)
        if schema.names[0] != KEY:
            raise ValueError(f"a store's schema starts with {KEY!r}: {schema.names}")
        self.schema = schema

    def _batches(self) -> list[Path]:
        return sorted(self.folder.glob("*.parquet")) if self.folder.is_dir() else []

    def _read(self, path: Path, columns: list[str] | None) -> pa.Table | None:
        """One batch in the declared schema; None when it is gone (merged meanwhile) or damaged (set aside)."""
        try:
            return conform(pq.read_table(path, columns=columns), self.schema, columns)
        except FileNotFoundError:
            return None  # merged into a newer batch by another process meanwhile
        except Exception as exc:
            if not unreadable(exc):
                raise
            set_aside(path, exc)  # only lost work: its files' results are computed again
            return None

    def _table(self, columns: list[str] | None = None, keys: Iterable[str] | None = None) -> pa.Table | None:
        tables = []
        wanted = pa.array(sorted(set(keys)), type=pa.string()) if keys is not None else None
        for order, path in enumerate(self._batches()):
            table = self._read(path, columns)
            if table is None:
                continue
            if wanted is not None:
                table = table.filter(pc.is_in(table[KEY], value_set=wanted))
            tables.append(table.append_column("_batch", pa.array([order] * len(table), type=pa.int32())))
        if not tables:
            return None
        return pa.concat_tables(tables)

    def _frame(self, table: pa.Table) -> pd.DataFrame:
        return table.to_pandas(types_mapper=NULLABLE.get)

    def _empty(self, columns: list[str]) -> pd.DataFrame:
        return self._frame(self.schema.empty_table().select(columns))

    def index(self, columns: list[str]) -> pd.DataFrame:
        """One row per stored key with the given columns, from the latest batch that wrote it."""
        table = self._table([KEY, *columns])
        if table is None:
            return self._empty([KEY, *columns]).set_index(KEY)
        frame = self._frame(table)
        return frame.drop_duplicates(KEY, keep="last").drop(columns="_batch").set_index(KEY)

    def load(self, keys: Iterable[str]) -> pd.DataFrame:
        """Every stored row of these keys (a key may have several rows), from the latest batch of each key."""
        keys = list(keys)
        table = self._table(keys=keys) if keys else None
        if table is None:
            return self._empty(self.schema.names)
        frame = self._frame(table)
        latest = frame.groupby(KEY)["_batch"].transform("max")
        return frame[frame._batch == latest].drop(columns="_batch").reset_index(drop=True)

    def _write(self, table: pa.Table) -> None:
        """A new batch file, already in the store's schema."""
        name = f"{time.time_ns():020d}-{os.getpid()}"
        aside = self.folder / f".{name}.tmp"
        pq.write_table(table, aside, compression="zstd")
        os.replace(aside, self.folder / f"{name}.parquet")

    def add(self, frame: pd.DataFrame) -> None:
        """Write one batch in the store's schema (written aside, then renamed); merge the period's batches
        when there are many."""
        if frame.empty:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write(to_contract(frame, self.schema))
        if len(self._batches()) > COMPACT_AFTER:
            self.compact()

    def compact(self) -> None:
        """Merge the period's batches into one, keeping only each key's latest rows."""
        batches = self._batches()
        table = self._table()
        if table is None:
            return
        frame = self._frame(table)
        latest = frame.groupby(KEY)["_batch"].transform("max")
        self._write(to_contract(frame[frame._batch == latest], self.schema))
        for path in batches:
            path.unlink(missing_ok=True)
