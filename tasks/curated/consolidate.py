"""Curated datasets: the latest accepted submission of each unit, per form, as parquet (spec §6).

Layout: `<home>/curated/<dataset>/period=YYYY-MM/data.parquet`, hive-partitioned so DuckDB and
pyarrow see `period` as a column. A partition is replaced atomically (written aside as a hidden
file, then renamed over the old one), so a crash mid-write leaves the previous data whole; the
partitions one step writes for a run are swapped in together (`write_partitions`, journalled).
`curated_dir` may also be an fsspec URL (`s3://bucket/zhuanbao/curated`): there the parquet bytes
are built in memory and stored with one `pipe_file` — a single PUT of a complete object, which
object stores make visible atomically (there is no rename on S3).
The column contract is in the README; keep it stable. The forms' columns come from tasks/core/forms.py
(`form_schema`); every other dataset is written in the schema its writer declares (`write_partitions`'
`schemas`: the flags in tasks/curated/flags.py, the metrics in tasks/metrics/compute.py), cast on write without
pandas' metadata, so a partition's bytes do not depend on the pandas that made it (tasks/core/tables.py).
Partitions written by earlier versions (`large_string` text, pandas metadata) still read (`plain`).
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..core.forms import FORM_SPECS, curated_fields
from ..core.settings import is_remote_url, lake_fs, local_path
from ..core.tables import TEXT, inferred, plain, set_aside, to_contract, unreadable

RUN_KEY = b"zhuanbao.run_id"
INPUTS_KEY = b"zhuanbao.inputs"  # a digest of what the partition was built from (tasks/steps.py decides what)
COMMON = ["period", "unit_code", "source_sha256", "received_at", "on_time"]
# a form's columns as the unit fills them (its code first); names and measures come from the reference
COLUMNS: dict[str, list[str]] = {form: curated_fields(form) for form in FORM_SPECS}


def curated_rows(form: str, frame: pd.DataFrame, accepted: pd.DataFrame, period: str) -> pd.DataFrame:
    """Rows of the accepted files, in the curated column contract, in a stable order.

    `accepted` has one row per unit: `file_id, unit_code, source_sha256, received_at, on_time`.
    """
    keep = frame.drop(columns=["unit_code"]).merge(accepted, on="file_id", how="inner")
    keep = keep.assign(period=period)[COMMON + COLUMNS[form]]
    code = COLUMNS[form][0]
    return keep.sort_values(["unit_code", code], ignore_index=True)


def form_table(form: str, rows: pd.DataFrame, timezone: str) -> pa.Table:
    """A form's curated rows as a table of the contract's fixed types (numbers float64, text string,
    `received_at` a timestamp in the office's zone), whatever pandas inferred, sorted by unit and code.

    Fixed types make a partition built in pieces (`merge_units`) the same bytes as one built whole.
    """
    return _sorted(form, to_contract(rows, form_schema(form, timezone)))


def form_schema(form: str, timezone: str) -> pa.Schema:
    """A form's curated partition: the source columns, then the form's (numbers float64, the rest text)."""
    spec = FORM_SPECS[form]
    return pa.schema(_source_fields(timezone) + [pa.field(c, pa.float64() if spec.column(c).numeric else TEXT)
                                                 for c in COLUMNS[form]])


def _sorted(form: str, table: pa.Table) -> pa.Table:
    return table.sort_by([("unit_code", "ascending"), (COLUMNS[form][0], "ascending")]).combine_chunks()


def merge_units(form: str, old: pa.Table, keep_units: set[str], new: pa.Table) -> pa.Table:
    """The old partition's rows of `keep_units` with the `new` rows (other units'), sorted as `form_table`."""
    kept = old.replace_schema_metadata(None).filter(
        pc.is_in(old["unit_code"], value_set=pa.array(sorted(keep_units), type=pa.string())))
    return _sorted(form, pa.concat_tables([kept.cast(new.schema), new]))


def _source_fields(timezone: str) -> list[pa.Field]:
    return [pa.field("unit_code", pa.string()), pa.field("source_sha256", pa.string()),
            pa.field("received_at", pa.timestamp("us", tz=timezone)), pa.field("on_time", pa.bool_())]


def consolidate_period(folder: Path | str, period: str, accepted: pd.DataFrame,
                       load_rows: Callable[[pd.Series], dict[str, pd.DataFrame]], *, base: str, inputs: str,
                       timezone: str, run_id: int | None = None, from_scratch: bool = False) -> dict[str, Path | str]:
    """Write the latest accepted submission of each unit (`accepted`, one row per unit) as the period's form
    partitions, built from `inputs` (`base/…`: the accepted files on a reader, reference and code `base`).

    Nothing is loaded when the partitions were built from exactly these inputs; when only some units' accepted
    files changed, only those files' rows are loaded (`load_rows(file_ids)` → tidy frames by form) and merged
    with the other units' rows already in the partitions (when these were built on the same `base`).
    """
    forms = list(FORM_SPECS)
    if not from_scratch and built_from(folder, forms, period, inputs):
        return {form: partition_path(folder, form, period) for form in forms}
    old = {} if from_scratch else {form: read_partition_table(folder, form, period, set_aside_damaged=True)
                                   for form in forms}
    if old and all(t is not None and (table_inputs(t) or "").startswith(f"{base}/") for t in old.values()):
        known = set().union(*(unit_sources(t, timezone) for t in old.values()))
        unchanged = {source[0] for source in unit_sources(accepted, timezone) & known}
    else:
        unchanged = set()
    changed = accepted[~accepted.unit_code.isin(unchanged)]
    frames = load_rows(changed.file_id)
    out = {}
    for form in forms:
        fresh = form_table(form, curated_rows(form, frames[form], changed, period), timezone)
        out[form] = merge_units(form, old[form], unchanged, fresh) if unchanged else fresh
    return write_partitions(folder, period, out, run_id, inputs=inputs)


def unit_sources(table: pa.Table | pd.DataFrame, timezone: str) -> set[tuple]:
    """(unit_code, source_sha256, received_at, on_time) of each unit in a curated form table, or in the
    accepted files (`outcomes.accepted_files`): a unit whose tuple is unchanged has the same rows."""
    fields = _source_fields(timezone)
    if isinstance(table, pd.DataFrame):
        table = to_contract(table, pa.schema(fields))
    return set(zip(*(table[f.name].to_pylist() for f in fields))) if table.num_rows else set()


def partition_path(curated_dir: Path | str, dataset: str, period: str) -> Path | str:
    """The partition's file: a local Path, or a URL when `curated_dir` is a remote fsspec URL."""
    if is_remote_url(curated_dir):
        return f"{str(curated_dir).rstrip('/')}/{dataset}/period={period}/data.parquet"
    return Path(local_path(curated_dir)) / dataset / f"period={period}" / "data.parquet"


def _table(frame: pd.DataFrame | pa.Table, schema: pa.Schema | None, run_id: int | None,
           inputs: str | None = None) -> pa.Table:
    """The partition as written: in `schema` (a table's own, else one inferred with text as `string`), the
    `period` column left to the folder name, the run id and inputs digest as the only metadata."""
    if isinstance(frame, pd.DataFrame):
        frame = frame.drop(columns=["period"], errors="ignore")
    schema = schema or (frame.schema if isinstance(frame, pa.Table) else inferred(frame))
    extra = {RUN_KEY: str(run_id).encode()} if run_id is not None else {}
    if inputs is not None:
        extra[INPUTS_KEY] = inputs.encode()
    return to_contract(frame, schema, extra)


def write_partition(curated_dir: Path | str, dataset: str, period: str, frame: pd.DataFrame,
                    run_id: int | None = None, schema: pa.Schema | None = None) -> Path | str:
    """Replace one period of a dataset atomically; `period` lives in the folder name, not the file."""
    return write_partitions(curated_dir, period, {dataset: frame}, run_id,
                            schemas={dataset: schema} if schema is not None else None)[dataset]


def write_partitions(curated_dir: Path | str, period: str, frames: dict[str, pd.DataFrame | pa.Table],
                     run_id: int | None = None, inputs: str | None = None,
                     schemas: dict[str, pa.Schema] | None = None) -> dict[str, Path | str]:
    """Publish one run's partitions of a period together: all written aside, then swapped in.

    Each frame is written in its dataset's declared schema (`schemas`; a pyarrow table in its own); a frame
    without one in a schema inferred with text as `string` (tasks/core/tables.py).

    The swap is journalled (`curated/.swap-<period>.json` lists the files written aside): a run killed
    during the swap is finished by the next reader or writer of the period (`finish_swap`), so the
    datasets of one step are never left from two runs. The run id is kept in each file's metadata.
    When every dataset already holds exactly these rows nothing is written (a rerun on the same
    inputs leaves the files byte for byte as they were). `inputs` (a digest of what the frames were
    built from) is kept in each file's metadata: `built_from` lets the next run skip the work.
    """
    targets = {name: partition_path(curated_dir, name, period) for name in frames}
    tables = {name: _table(frame, (schemas or {}).get(name), run_id, inputs) for name, frame in frames.items()}
    if is_remote_url(curated_dir):  # one PUT per object; object stores have no rename
        for name, table in tables.items():
            fs, key = lake_fs(targets[name])
            sink = pa.BufferOutputStream()
            pq.write_table(table, sink)
            fs.pipe_file(key, sink.getvalue().to_pybytes())
        return targets
    finish_swap(curated_dir, period)
    if all(_same(targets[name], table, inputs) for name, table in tables.items()):
        return targets  # nothing changed: the files (and the run that wrote them) stay as they are
    pairs = []
    for name in frames:
        target = targets[name]
        target.parent.mkdir(parents=True, exist_ok=True)
        for stale in target.parent.glob(".data.parquet.*.tmp"):  # left by a run that was killed
            stale.unlink(missing_ok=True)
        aside = target.with_name(f".data.parquet.{os.getpid()}.tmp")
        pq.write_table(tables[name], aside)
        pairs.append([str(aside), str(target)])
    journal = _journal(curated_dir, period)
    written = journal.with_name(journal.name + ".tmp")
    written.write_text(json.dumps(pairs), encoding="utf-8")
    os.replace(written, journal)  # the commit point: from here the swap is finished by whoever comes next
    finish_swap(curated_dir, period)
    return targets


def _same(target: Path, table: pa.Table, inputs: str | None = None) -> bool:
    """The partition already holds exactly these rows, built from the same inputs (its run id aside)."""
    try:
        if not target.exists():
            return False
        stored = pq.read_table(target)
        return stored.equals(table, check_metadata=False) and (
            inputs is None or (stored.schema.metadata or {}).get(INPUTS_KEY) == inputs.encode())
    except (OSError, pa.ArrowInvalid):
        return False


def partition_inputs(curated_dir: Path | str, dataset: str, period: str) -> str | None:
    """The digest of what a partition was built from (its metadata), None if unknown or absent."""
    target = partition_path(curated_dir, dataset, period)
    try:
        if isinstance(target, str):
            fs, key = lake_fs(target)
            with fs.open(key, "rb") as handle:
                metadata = pq.read_schema(handle).metadata or {}
        else:
            finish_swap(curated_dir, period)
            metadata = pq.read_schema(target).metadata or {}
    except (OSError, pa.ArrowInvalid):
        return None
    return _inputs(metadata)


def table_inputs(table: pa.Table) -> str | None:
    """The digest of what a partition already read (`read_partition_table`) was built from."""
    return _inputs(table.schema.metadata or {})


def _inputs(metadata: dict) -> str | None:
    value = metadata.get(INPUTS_KEY)
    return value.decode() if value else None


def built_from(curated_dir: Path | str, datasets, period: str, inputs: str) -> bool:
    """Every one of these partitions exists and was built from `inputs`."""
    return all(partition_inputs(curated_dir, name, period) == inputs for name in datasets)


def _journal(curated_dir: Path | str, period: str) -> Path:
    return Path(local_path(curated_dir)) / f".swap-{period}.json"


def finish_swap(curated_dir: Path | str, period: str) -> None:
    """Complete a journalled swap of the period's partitions (a no-op when there is none)."""
    journal = _journal(curated_dir, period)
    if not journal.exists():
        return
    try:
        pairs = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pairs = []
    for aside, target in pairs:
        if os.path.exists(aside):
            os.replace(aside, target)
    journal.unlink(missing_ok=True)


def partition_run(curated_dir: Path | str, dataset: str, period: str) -> int | None:
    """The id of the run that wrote a partition (from its metadata), None if unknown or absent."""
    target = partition_path(curated_dir, dataset, period)
    if isinstance(target, str) or not target.exists():
        return None
    value = (pq.read_schema(target).metadata or {}).get(RUN_KEY)
    return int(value) if value else None


def read_partition(curated_dir: Path | str, dataset: str, period: str) -> pd.DataFrame | None:
    """One period of a dataset with its `period` column, or None when it was never written."""
    table = read_partition_table(curated_dir, dataset, period)
    return None if table is None else table.to_pandas().assign(period=period)


def read_partition_table(curated_dir: Path | str, dataset: str, period: str, *,
                         set_aside_damaged: bool = False) -> pa.Table | None:
    """One period of a dataset as stored (no `period` column), or None when it was never written.

    A local partition that cannot be read raises, or with `set_aside_damaged` (its writer is about to
    build it again) is set aside as `data.parquet.damaged-<time>`, logged, and counts as never written.
    """
    target = partition_path(curated_dir, dataset, period)
    if isinstance(target, str):
        fs, key = lake_fs(target)
        try:
            data = fs.cat_file(key)
        except FileNotFoundError:
            return None
        return plain(pq.read_table(pa.BufferReader(data)))
    finish_swap(curated_dir, period)
    if not target.exists():
        return None
    try:
        return plain(pq.read_table(target))
    except Exception as exc:
        if not (set_aside_damaged and unreadable(exc)):
            raise
        set_aside(target, exc)
        return None
