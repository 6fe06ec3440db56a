"""The shared data lake (raw/ and curated/) through fsspec: `ZHUANBAO_HOME=memory://…` stands in for s3://.

The local parts (inbox, reference, reports, SQLite registry) stay in ZHUANBAO_LOCAL_HOME.
"""
from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import fsspec
import pandas as pd
import pyarrow.parquet as pq
import pytest

from zhuanbao.tasks.core.settings import is_local_fs, load_settings
from zhuanbao.tasks.curated.consolidate import partition_path, read_partition, write_partition
from zhuanbao.tasks.intake.collect import collect_inbox, copy_into_inbox
from zhuanbao.tasks.intake.raw import read_raw
from zhuanbao.tasks.intake.registry import session, submissions

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def lake_settings(home, monkeypatch):
    """ZHUANBAO_HOME is an in-memory fsspec URL; the local home holds the reference and the inbox."""
    url = f"memory://zhuanbao-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("ZHUANBAO_HOME", url)
    monkeypatch.setenv("ZHUANBAO_LOCAL_HOME", str(home))
    monkeypatch.delenv("ZHUANBAO_DB_URL", raising=False)
    yield load_settings()
    fs, root = fsspec.core.url_to_fs(url)
    if fs.exists(root):
        fs.rm(root, recursive=True)


def frame(values) -> pd.DataFrame:
    return pd.DataFrame({"period": "2020-04", "unit_code": ["T01"] * len(values), "indicator_code": "I13",
                         "cumulative": values})


def test_a_url_home_puts_the_lake_there_and_the_local_parts_in_the_local_home(lake_settings, home):
    assert lake_settings.lake.startswith("memory://zhuanbao-")
    assert lake_settings.home == home and lake_settings.inbox_dir("2020-04") == home / "inbox" / "2020-04"
    assert lake_settings.db_url == f"sqlite:///{home / 'zhuanbao.sqlite'}"
    assert lake_settings.curated_dir == f"{lake_settings.lake}/curated"
    fs, root = lake_settings.fs
    assert not is_local_fs(fs) and "memory" in fs.protocol and root.endswith(lake_settings.lake.split("://")[1])


def test_a_local_home_is_unchanged(home):
    settings = load_settings(home=home)
    assert settings.lake is None and settings.curated_dir == home / "curated" and settings.raw_dir == home / "raw"
    assert settings.fs[1] == str(home)
    assert load_settings(home=f"file://{home}").home == home


def test_curated_partitions_round_trip_through_fsspec(lake_settings, home):
    curated = lake_settings.curated_dir
    assert read_partition(curated, "indicators", "2020-04") is None
    target = write_partition(curated, "indicators", "2020-04", frame([1.0, 2.0]))
    assert target == partition_path(curated, "indicators", "2020-04")
    assert target == f"{lake_settings.lake}/curated/indicators/period=2020-04/data.parquet"
    back = read_partition(curated, "indicators", "2020-04")
    assert back.cumulative.tolist() == [1.0, 2.0] and set(back.period) == {"2020-04"}
    fs, key = fsspec.core.url_to_fs(target)
    first = hashlib.sha256(fs.cat_file(key)).hexdigest()
    write_partition(curated, "indicators", "2020-04", frame([1.0, 2.0]))  # same rows, same bytes
    assert hashlib.sha256(fs.cat_file(key)).hexdigest() == first
    write_partition(curated, "indicators", "2020-04", frame([3.0]))  # replaced whole, nothing left aside
    assert read_partition(curated, "indicators", "2020-04").cumulative.tolist() == [3.0]
    assert fs.ls(key.rsplit("/", 1)[0], detail=False) == [key]
    assert not (home / "curated").exists()  # nothing landed on the local disk


def test_the_hive_layout_reads_as_one_dataset_through_fsspec(lake_settings):
    for period, values in (("2020-03", [1.0]), ("2020-04", [2.0, 3.0])):
        write_partition(lake_settings.curated_dir, "indicators", period, frame(values).assign(period=period))
    fs, root = fsspec.core.url_to_fs(f"{lake_settings.curated_dir}/indicators")
    table = pq.read_table(root, filesystem=fs, partitioning="hive").to_pandas()
    assert sorted(zip(table.period.astype(str), table.cumulative)) == [("2020-03", 1.0), ("2020-04", 2.0),
                                                                       ("2020-04", 3.0)]


def test_collect_keeps_the_raw_bytes_in_the_lake_once(lake_settings, home, samples):
    source = samples / "2020-04-messy" / "T01_2020-04.xlsx"
    arrival = datetime(2020, 5, 12, 10, tzinfo=SHANGHAI)
    copy_into_inbox(source, lake_settings, "2020-04", arrival)
    again = lake_settings.inbox_dir("2020-04") / "河坝镇（再发一次）.xlsx"
    again.write_bytes(source.read_bytes())
    with session(lake_settings.db_url) as db:
        result = collect_inbox(lake_settings, db, "2020-04")
        rows = submissions(db, "2020-04")
    assert len(result.registered) == 1 and len(result.duplicates) == 1
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    assert {r.raw_path for r in rows} == {f"raw/{sha[:2]}/{sha}.xlsx"}
    assert read_raw(lake_settings, rows[0].raw_path) == source.read_bytes()
    fs, root = lake_settings.fs
    assert fs.find(f"{root}/raw") == [f"{root}/raw/{sha[:2]}/{sha}.xlsx"]  # kept once, in the lake
    assert not (home / "raw").exists()
    assert Path(home / "zhuanbao.sqlite").exists()  # the registry stays local (or PostgreSQL by URL)


def test_a_month_runs_collect_to_metrics_on_the_lake(lake_settings, home, samples, monkeypatch):
    """collect → read → check → consolidate → metrics with raw/ and curated/ only in the lake."""
    from zhuanbao.tasks import steps
    from zhuanbao.tasks.intake import read as intake

    original = intake.read_workbook

    def read_through_lake(source, reference, **options):  # until tasks/intake.py calls read_raw itself
        if not isinstance(source, bytes):
            source = read_raw(lake_settings, Path(source).relative_to(lake_settings.home).as_posix())
        return original(source, reference, **options)

    monkeypatch.setattr(intake, "read_workbook", read_through_lake)
    for code in ("T01", "D05", "D02"):
        copy_into_inbox(samples / "2020-04-messy" / f"{code}_2020-04.xlsx", lake_settings, "2020-04",
                        datetime(2020, 5, 12, 10, tzinfo=SHANGHAI))
    with steps.recorded_run(lake_settings, "2020-04") as record:
        ctx = record.context
        steps.collect(ctx)
        reads = steps.read(ctx)
        assert steps.check(ctx, reads) == {"files": 3, "accepted": 2, "rejected": 1, "checked_now": 3}
        written = {**steps.consolidate(ctx, reads), **steps.metrics(ctx)}
    assert all(url.startswith(f"{lake_settings.lake}/curated/") for url in written.values())
    units = {code for form in ("indicators", "projects", "tasks")
             for code in read_partition(lake_settings.curated_dir, form, "2020-04").unit_code}
    assert units == {"T01", "D05"}  # D02 was rejected (约500)
    assert not (home / "raw").exists() and not (home / "curated").exists()
