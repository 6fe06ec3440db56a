"""The stores of per-file results and the curated partitions (issue 22, "the month never breaks").

Whatever pandas wrote a file (its string dtype on, as pandas 3 does, or off, as pandas 2 did) every file is
written in one declared schema, so batches merge and partitions compare; files written by the earlier
version still read; a damaged store file is set aside and its files read again; and stored results name
the code that made them, so an edited module reads every file again.
"""
from __future__ import annotations

import logging
import shutil
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.test_rerun import count_reads, put
from zhuanbao.tasks.checks.incremental import CHECKS, rules_version
from zhuanbao.tasks.core import results
from zhuanbao.tasks.core.resources import EXPECTATIONS_DIR
from zhuanbao.tasks.core.results import COMPACT_AFTER, KEY, FileResults
from zhuanbao.tasks.intake import read as intake
from zhuanbao.tasks.intake.collect import collect_inbox
from zhuanbao.tasks.intake.read import READS
from zhuanbao.tasks.intake.registry import session


@contextmanager
def string_dtype(on: bool):
    """pandas' string dtype on (pandas 3's default: text columns are `str`) or off (pandas 2: `object`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas 3 deprecates the option it still honours
        with pd.option_context("future.infer_string", on):
            yield


def reads_rows(keys: list[str], tag: str) -> pd.DataFrame:
    return pd.DataFrame({KEY: keys, "sha256": [f"sha-{k}" for k in keys], "file_name": [f"{k}.xlsx" for k in keys],
                         "unit_code": ["T01"] * len(keys), "period": ["2020-04"] * len(keys),
                         "error": [None] * len(keys), "payload": [f"{tag}:{k}" for k in keys]})


def landed_batch(store: FileResults, frame: pd.DataFrame, name: str) -> Path:
    """A batch as the landed version wrote it: pandas' own inference (large_string, object, null) and metadata."""
    store.folder.mkdir(parents=True, exist_ok=True)
    path = store.folder / f"{time.time_ns():020d}-{name}.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, compression="zstd")
    return path


@pytest.mark.parametrize("reading_on", [True, False], ids=["read-with-str", "read-with-object"])
def test_batches_written_with_and_without_the_string_dtype_merge_and_keep_their_latest_values(tmp_path, reading_on):
    store = FileResults(tmp_path, "reads", "2020-04", READS)
    expected = {}
    for n in range(2 * COMPACT_AFTER + 5):  # past the threshold twice, then a few more batches
        keys = [f"k{n}", f"k{n + 1}"]  # each batch writes the previous batch's second key again: the later wins
        with string_dtype(n % 2 == 0):
            store.add(reads_rows(keys, f"b{n}"))
        expected.update({k: f"b{n}:{k}" for k in keys})
    batches = sorted(store.folder.glob("*.parquet"))
    assert 1 <= len(batches) <= COMPACT_AFTER  # merged, not piling up
    assert {pq.read_schema(p).field("payload").type for p in batches} == {pa.string()}
    with string_dtype(reading_on):
        index = store.index(["unit_code", "error"])
        loaded = store.load(list(expected))
    assert sorted(index.index) == sorted(expected) and set(index.unit_code) == {"T01"}
    assert index.error.isna().all()
    assert len(loaded) == len(expected) and dict(zip(loaded[KEY], loaded.payload)) == expected


def test_findings_keep_missing_rows_and_explanations_through_a_merge(tmp_path):
    store = FileResults(tmp_path, "checks", "2020-04", CHECKS)
    for n in range(COMPACT_AFTER + 3):
        with string_dtype(n % 2 == 1):
            frame = pd.DataFrame({KEY: [f"f{n}", f"f{n}", f"clean{n}"], "sheet": ["表1 指标", None, None],
                                  "row": pd.array([7, None, None], dtype="Int64"), "column": ["本月", None, None],
                                  "value": ["约500", None, None], "rule_id": ["H03", "S01", None],
                                  "severity": ["hard", "soft", None], "message": ["不是数字", "请说明", None],
                                  "code": ["GDP", "", None], "explained": pd.array([None, True, None], dtype="boolean")})
            store.add(frame)
    assert len(list(store.folder.glob("*.parquet"))) < COMPACT_AFTER
    found = store.load(["f3", "clean3"]).sort_values(["rule_id"], na_position="last", ignore_index=True)
    assert found[KEY].tolist() == ["f3", "f3", "clean3"]
    assert found.row.tolist()[0] == 7 and found.row.isna().tolist() == [False, True, True]
    assert found.explained.isna().tolist() == [True, False, True] and found.explained.tolist()[1] is True
    assert found.rule_id.tolist()[:2] == ["H03", "S01"] and pd.isna(found.rule_id[2])


def test_files_written_by_the_landed_version_still_read_and_merge(tmp_path):
    store = FileResults(tmp_path, "reads", "2020-04", READS)
    with string_dtype(True):
        large = landed_batch(store, reads_rows(["a", "b"], "old-str"), "str")
    with string_dtype(False):
        plain = landed_batch(store, reads_rows(["b", "c"], "old-object"), "object")
    assert pq.read_schema(large).field("payload").type == pa.large_string()
    assert pq.read_schema(plain).field("payload").type == pa.string()
    assert pq.read_schema(plain).field("error").type == pa.null()  # a column with no value at all
    checks = FileResults(tmp_path, "checks", "2020-04", CHECKS)
    landed_batch(checks, pd.DataFrame({KEY: ["a"], "sheet": ["表1 指标"], "row": pd.array([3], dtype="Int64"),
                                       "column": ["本月"], "value": ["x"], "rule_id": ["H03"], "severity": ["hard"],
                                       "message": ["m"], "code": ["GDP"], "explained": pd.array([None], "boolean")}),
                 "checks")
    assert store.load(["a", "b", "c"]).set_index(KEY).payload.to_dict() == {
        "a": "old-str:a", "b": "old-object:b", "c": "old-object:c"}
    assert checks.load(["a"]).row.tolist() == [3]
    for n in range(COMPACT_AFTER):  # new batches on top of the old ones, merged with them
        store.add(reads_rows([f"n{n}"], "new"))
    assert not large.exists() and not plain.exists()  # merged into one batch of the declared schema
    assert store.index(["unit_code"]).shape[0] == COMPACT_AFTER + 3
    assert store.load(["a", "c"]).payload.tolist() == ["old-str:a", "old-object:c"]


def test_a_damaged_batch_is_set_aside_with_a_message_naming_it(tmp_path, caplog):
    store = FileResults(tmp_path, "reads", "2020-04", READS)
    store.add(reads_rows(["a"], "first"))
    store.add(reads_rows(["b"], "second"))
    store.add(reads_rows(["c"], "third"))
    damaged, wrong = sorted(store.folder.glob("*.parquet"))[:2]
    damaged.write_bytes(damaged.read_bytes()[:200])  # cut short (a full disk, a copy interrupted)
    pq.write_table(pa.table({KEY: ["b"], "payload": [1]}), wrong)  # not this store's columns
    with caplog.at_level(logging.WARNING, logger="zhuanbao.stores"):
        index = store.index(["unit_code"])
    assert list(index.index) == ["c"]  # a and b are computed again
    aside = sorted(p.name for p in store.folder.iterdir() if ".damaged-" in p.name)
    assert [name.split(".damaged-")[0] for name in aside] == [damaged.name, wrong.name]
    assert len(list(store.folder.glob("*.parquet"))) == 1  # only the readable batch is left in the store
    messages = [r.getMessage() for r in caplog.records]
    assert any("无法读取" in m and damaged.name in m and "set aside" in m for m in messages)
    assert any(wrong.name in m for m in messages)


def test_a_file_whose_stored_read_is_damaged_is_read_again_and_the_period_goes_on(settings, reference, tmp_path,
                                                                                  monkeypatch, caplog):
    put(settings, reference, tmp_path, "T01", "2020-04", 12)
    put(settings, reference, tmp_path, "T02", "2020-04", 13)
    with session(settings.db_url) as db:
        collect_inbox(settings, db, "2020-04")
        seen = count_reads(monkeypatch)
        intake.read_period(settings, db, "2020-04", reference)
        assert len(seen) == 2
        (batch,) = (settings.home / "cache" / "reads" / "period=2020-04").glob("*.parquet")
        batch.write_bytes(b"PAR1" + b"\0" * 64)
        with caplog.at_level(logging.WARNING, logger="zhuanbao.stores"):
            again = intake.read_period(settings, db, "2020-04", reference)
        assert len(seen) == 4 and sorted(read.unit_code for _, read in again) == ["T01", "T02"]
        intake.read_period(settings, db, "2020-04", reference)
    assert len(seen) == 4  # stored again: the next run reads nothing
    assert any(batch.name in r.getMessage() for r in caplog.records)
    assert list(batch.parent.glob(f"{batch.name}.damaged-*"))


def findings() -> pd.DataFrame:
    """A month's findings on three files: soft ones on accepted files 1 and 2, a hard one on file 3."""
    return pd.DataFrame({
        "file_id": [1, 1, 2, 3], "sheet": ["表1 指标", "表2 项目", None, "表1 指标"],
        "row": pd.array([7, None, None, 9], dtype="Int64"), "column": ["本月", None, None, "说明"],
        "value": ["12", None, None, ""], "rule_id": ["S01", "S05", "S02", "H03"],
        "severity": ["soft", "soft", "soft", "hard"], "message": ["偏高", "缺项目", "请核实", "不是数字"],
        "code": ["GDP", "", None, "GDP"], "explained": pd.array([True, None, False, None], dtype="boolean")})


def test_curated_partitions_are_the_same_bytes_whatever_the_pandas_string_mode(built_demo_inbox, tmp_path):
    """The demo's first month for one unit of each kind (forms, flags, metrics) and a month's soft flags, written
    once with pandas' string dtype on and once with it off."""
    kept = ("T01_", "D01_", "P01_", "E01_")  # a township, a department, the park, a state enterprise
    from tests.test_incremental import run_month
    from zhuanbao.tasks.core.settings import load_settings
    from zhuanbao.tasks.curated.consolidate import write_partition
    from zhuanbao.tasks.curated.flags import FLAGS_SCHEMA, soft_flags

    def curated(on: bool) -> dict[str, bytes]:
        home = shutil.copytree(built_demo_inbox, tmp_path / ("on" if on else "off"), symlinks=True)
        for path in (home / "inbox" / "2020-03").iterdir():
            if not path.name.startswith(kept):
                path.unlink()
        with string_dtype(on):
            run_month(load_settings(home=home), "2020-03", "2020-04-16T09:00:00+08:00", None, report=False)
            write_partition(home / "curated", "flags", "2020-05", soft_flags(findings(), {1: "T01", 2: "T02"}), 7,
                            schema=FLAGS_SCHEMA)
        return {str(p.relative_to(home)): p.read_bytes() for p in sorted((home / "curated").rglob("*.parquet"))}

    on, off = curated(True), curated(False)
    assert any("metrics_unit_scores" in name for name in on) and "curated/flags/period=2020-05/data.parquet" in on
    assert sorted(on) == sorted(off)
    assert [name for name in on if on[name] != off[name]] == []
    flags = pq.read_table(tmp_path / "on" / "curated/flags/period=2020-05/data.parquet")
    assert flags["row"].to_pylist() == [7, None, None] and flags["sheet"].type == pa.string()
    text = {f.type for name in on for f in pq.read_schema(tmp_path / "on" / name) if pa.types.is_string(f.type)
            or pa.types.is_large_string(f.type) or pa.types.is_null(f.type)}
    assert text == {pa.string()}


def test_an_edited_form_contract_module_reads_every_file_again(settings, reference, tmp_path, monkeypatch):
    """An upgrade simulated on a copy of the installed package: `code_version` hashes that copy's modules."""
    copy = tmp_path / "installed" / "tasks"
    shutil.copytree(results.CODE_ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(results, "CODE_ROOT", copy)
    results.code_version.cache_clear()
    put(settings, reference, tmp_path, "T01", "2020-04", 12)
    put(settings, reference, tmp_path, "T02", "2020-04", 13)
    try:
        with session(settings.db_url) as db:
            collect_inbox(settings, db, "2020-04")
            seen = count_reads(monkeypatch)
            intake.read_period(settings, db, "2020-04", reference)
            intake.read_period(settings, db, "2020-04", reference)
            assert len(seen) == 2  # stored: the second run reads nothing
            rules_before = rules_version(EXPECTATIONS_DIR)
            with (copy / "core" / "forms.py").open("a", encoding="utf-8") as module:
                module.write("\n# 表1 的列说明已修订\n")
            results.code_version.cache_clear()  # the upgraded code runs in a new process
            reads = intake.read_period(settings, db, "2020-04", reference)
            rules_after = rules_version(EXPECTATIONS_DIR)
    finally:  # nothing after this may compute the version: it would stay cached from the copy for later tests
        results.code_version.cache_clear()
    assert sorted(seen[2:]) == sorted(seen[:2])  # every file read again
    assert sorted(read.unit_code for _, read in reads) == ["T01", "T02"]
    assert rules_after != rules_before  # and every file checked again


def test_the_code_version_names_the_installed_release(monkeypatch):
    results.code_version.cache_clear()
    try:
        now = results.code_version()
        monkeypatch.setattr(results.metadata, "version", lambda name: "99.0")
        results.code_version.cache_clear()
        assert results.code_version().startswith("99.0+") and results.code_version() != now
    finally:
        results.code_version.cache_clear()


def test_a_damaged_curated_partition_is_set_aside_and_built_again_by_the_next_run(demo_march_home, caplog):
    from tests.test_incremental import run_month
    from zhuanbao.tasks.core.settings import load_settings

    home = demo_march_home  # March already ran (collect → metrics)
    settings = load_settings(home=home)
    partition = home / "curated" / "indicators" / "period=2020-03" / "data.parquet"
    before = pq.read_table(partition).replace_schema_metadata(None)
    partition.write_bytes(partition.read_bytes()[: len(partition.read_bytes()) // 2])
    with caplog.at_level(logging.WARNING, logger="zhuanbao.stores"):
        counts = run_month(settings, "2020-03", "2020-04-16T09:00:00+08:00", "数据文件损坏后重跑", report=False)
    assert counts["fresh_reads"] == 0  # the files' stored reads rebuilt it
    assert pq.read_table(partition).replace_schema_metadata(None).equals(before)
    assert list(partition.parent.glob("data.parquet.damaged-*"))
    assert any("indicators" in r.getMessage() and "set aside" in r.getMessage() for r in caplog.records)


def test_a_batch_merged_away_by_another_process_while_reading_is_no_damage(tmp_path, monkeypatch, caplog):
    store = FileResults(tmp_path, "reads", "2020-04", READS)
    store.add(reads_rows(["a"], "first"))
    store.add(reads_rows(["b"], "second"))
    listed = store._batches()
    listed[0].unlink()  # another process merged it after this one listed the folder
    monkeypatch.setattr(store, "_batches", lambda: listed)
    with caplog.at_level(logging.WARNING, logger="zhuanbao.stores"):
        assert list(store.index(["unit_code"]).index) == ["b"]
    assert caplog.records == [] and not list(store.folder.glob("*.damaged-*"))
