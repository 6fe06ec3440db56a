"""The parquet contract: every table written under `cache/` and `curated/` has one declared pyarrow schema.

pandas decides a column's arrow type from its dtype, and that differs between pandas versions and options
(pandas 3's `str` dtype gives `large_string`, an `object` column gives `string`, a column of only
missing values gives `null`); files written by two of them cannot be combined. So each writer declares
its schema once, beside itself, and every file is cast to it on write (`to_contract`, without pandas'
own metadata, so the bytes do not depend on the pandas that made them), and cast to it again on read
(`conform`), so files written by an earlier version (`large_string`, `null`, object columns) still read.

A file that cannot be read or cast is damaged: `set_aside` renames it out of the way
(`<name>.damaged-<time>`), next to where it was, and logs which file and why; what it held is computed again.
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa

log = logging.getLogger("zhuanbao.stores")
TEXT = pa.string()
PANDAS_KEY = b"pandas"


class ContractError(ValueError):
    """A stored table lacks a declared column or holds one that cannot be cast to the declared type."""


def contract(*fields: tuple[str, pa.DataType] | pa.Field) -> pa.Schema:
    """A declared schema from (name, type) pairs or fields, in column order."""
    return pa.schema([f if isinstance(f, pa.Field) else pa.field(*f) for f in fields])


def inferred(frame: pd.DataFrame) -> pa.Schema:
    """The schema of a frame written without a declared one: pandas' types, but text (and a column of
    only missing values) as `string` whatever pandas inferred — so the pandas options do not matter."""
    fields = []
    for field in pa.Schema.from_pandas(frame, preserve_index=False):
        text = pa.types.is_large_string(field.type) or pa.types.is_null(field.type)
        fields.append(field.with_type(TEXT) if text else field)
    return pa.schema(fields)


def to_contract(data: pd.DataFrame | pa.Table, schema: pa.Schema, metadata: dict[bytes, bytes] | None = None,
                ) -> pa.Table:
    """Cast on write: exactly the schema's columns, in its order and types, with only `metadata` (no pandas
    metadata). A frame lacking a declared column or holding one that cannot be cast is a programming error
    and raises."""
    present = set(data.column_names if isinstance(data, pa.Table) else data.columns)
    missing = [name for name in schema.names if name not in present]
    if missing:
        raise ContractError(f"表缺少约定的列 / table lacks declared columns: {missing}")
    if isinstance(data, pa.Table):
        table = data.select(schema.names).cast(schema.remove_metadata())
    else:
        table = pa.Table.from_pandas(data[schema.names], schema=schema.remove_metadata(), preserve_index=False)
    return table.replace_schema_metadata(metadata or None)


def conform(table: pa.Table, schema: pa.Schema, columns: list[str] | None = None) -> pa.Table:
    """Cast on read: a stored table (perhaps written by an earlier version) to the declared schema, or to
    `columns` of it; its own metadata is kept but pandas'. Raises ContractError when it cannot be."""
    fields = [schema.field(name) for name in (schema.names if columns is None else columns)]
    arrays = []
    for field in fields:
        if field.name not in table.column_names:
            raise ContractError(f"缺少列 / missing column {field.name!r}")
        try:
            arrays.append(table[field.name].cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            raise ContractError(f"列 {field.name!r} 无法转换为 / cannot be cast to {field.type}: {exc}") from exc
    metadata = {k: v for k, v in (table.schema.metadata or {}).items() if k != PANDAS_KEY}
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=metadata or None))


def unreadable(exc: BaseException) -> bool:
    """The error of a damaged file (not one that is merely gone: a merge may have removed it meanwhile)."""
    return isinstance(exc, (OSError, pa.ArrowException, ContractError)) and not isinstance(exc, FileNotFoundError)


def set_aside(path: Path, error: BaseException) -> Path | None:
    """Rename a damaged store file to `<name>.damaged-<time>` beside it and log it; the new path (None when
    it could not be moved, e.g. it is already gone)."""
    path = Path(path)
    target = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 10**9:09d}")
    try:
        os.replace(path, target)
    except OSError as exc:
        log.warning("存储文件无法读取，也无法移开（%s），其结果将重新计算：%s（%s） / "
                    "store file unreadable and could not be set aside (%s), its results are recomputed: %s (%s)",
                    exc, path, error, exc, path, error)
        return None
    log.warning("存储文件无法读取，已移到一旁（%s），其结果将重新计算：%s（%s） / "
                "store file unreadable, set aside as %s, its results are recomputed: %s (%s)",
                target.name, path, error, target.name, path, error)
    return target


def columns_contract(columns: list[str], types: dict[str, pa.DataType]) -> pa.Schema:
    """A schema of `columns` in order: the types given, text for every other column."""
    unknown = set(types) - set(columns)
    if unknown:
        raise ValueError(f"types for columns that are not declared: {sorted(unknown)}")
    return pa.schema([pa.field(name, types.get(name, TEXT)) for name in columns])


def plain(table: pa.Table) -> pa.Table:
    """A stored table read without its schema at hand: text (`large_string`, or `null` when a column held no
    value) as `string`, as every file is written now; pandas' metadata dropped, the file's own kept."""
    schema = pa.schema([f.with_type(TEXT) if pa.types.is_large_string(f.type) or pa.types.is_null(f.type) else f
                        for f in table.schema])
    metadata = {k: v for k, v in (table.schema.metadata or {}).items() if k != PANDAS_KEY}
    return table.cast(schema).replace_schema_metadata(metadata or None)
