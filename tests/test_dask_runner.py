"""Scale-out: the monthly flow on a Dask LocalCluster gives the same data as the default runner."""
from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from tests.same_results import curated_files, registry_outcomes
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.curated.consolidate import read_partition
from zhuanbao.tasks.demo.scenario import prepare_demo_home

PERIODS = [("2020-03", "2020-04-16T09:00:00+08:00"), ("2020-04", "2020-05-16T09:00:00+08:00")]


def run_demo(home: Path, monkeypatch, runner: str) -> tuple[list[dict], float]:
    """The demo district's 2020-03 and 2020-04 in a fresh home, on `runner`; (summaries, seconds)."""
    from zhuanbao.flows.monthly import flow_for

    monkeypatch.setenv("ZHUANBAO_HOME", str(home))
    monkeypatch.setenv("ZHUANBAO_TASK_RUNNER", runner)
    monkeypatch.setenv("ZHUANBAO_DASK_WORKERS", "2")
    monkeypatch.setenv("ZHUANBAO_READ_CHUNK", "4")  # 18 files → 5 chunks, so both workers get some
    prepare_demo_home(home)
    settings = load_settings()
    assert settings.task_runner == runner
    started = time.perf_counter()
    summaries = [flow_for(settings)(period=period, as_of=as_of) for period, as_of in PERIODS]
    return summaries, time.perf_counter() - started


def curated(home: Path) -> dict[tuple[str, str], pd.DataFrame]:
    """Every dataset's partition under curated/ (indicators…, metrics_*), by (dataset, period)."""
    base = load_settings(home=home).curated_dir
    found = {}
    for folder in sorted(p for p in Path(base).glob("*/period=*") if p.is_dir()):
        dataset, period = folder.parent.name, folder.name.split("=", 1)[1]
        found[(dataset, period)] = read_partition(base, dataset, period)
    return found


def status(home: Path, period: str) -> dict:
    from zhuanbao.tasks.core.reference import reference_for
    from zhuanbao.tasks.intake.registry import session
    from zhuanbao.tasks.intake.status import period_status

    settings = load_settings(home=home)
    with session(settings.db_url) as db:
        return period_status(settings, db, period, reference_for(settings, period))


@pytest.mark.slow
def test_the_flow_on_a_dask_local_cluster_gives_the_default_runners_data(tmp_path, prefect_harness, monkeypatch):
    from zhuanbao.flows import runner

    sent = []
    on_dask = runner._on_dask

    def spy(client, settings, batches, reference):
        pids = set(client.run(os.getpid).values()) - {os.getpid()}  # worker processes, not this one
        sent.append((len(batches), sum(len(b) for b in batches), len(pids)))
        return on_dask(client, settings, batches, reference)

    default, default_seconds = run_demo(tmp_path / "thread", monkeypatch, "thread")
    monkeypatch.setattr(runner, "_on_dask", spy)
    dask, dask_seconds = run_demo(tmp_path / "dask", monkeypatch, "dask")
    # 2020-03: 18 files in 5 chunks; 2020-04: its 18 new files (the read cache is per home) on 2 worker processes
    assert sent == [(5, 18, 2), (5, 18, 2)]
    print(f"demo 2020-03 + 2020-04: default runner {default_seconds:.1f} s, Dask LocalCluster {dask_seconds:.1f} s")

    strip = lambda s: {k: v for k, v in s.items() if k not in ("run_id", "outputs")}
    assert [strip(s) for s in dask] == [strip(s) for s in default]
    assert [s["outputs"].keys() for s in dask] == [s["outputs"].keys() for s in default]
    expected, got = curated(tmp_path / "thread"), curated(tmp_path / "dask")
    assert len(expected) > 10 and any(name.startswith("metrics_") for name, _ in expected)
    assert got.keys() == expected.keys()
    for key, frame in expected.items():
        pd.testing.assert_frame_equal(got[key], frame, check_exact=True, obj=str(key))
    # byte for byte: each home's runs are its runs 1 and 2, so even the run id in the files' metadata agrees
    thread_files, dask_files = (curated_files(load_settings(home=tmp_path / name)) for name in ("thread", "dask"))
    assert len(thread_files) == len(expected) and dask_files.keys() == thread_files.keys()
    assert [path for path in thread_files if dask_files[path] != thread_files[path]] == []
    outcomes = registry_outcomes(load_settings(home=tmp_path / "thread"))
    assert {row[9] for row in outcomes} >= {"accepted", "rejected"}
    assert registry_outcomes(load_settings(home=tmp_path / "dask")) == outcomes
    for period, _ in PERIODS:
        assert status(tmp_path / "dask", period) == status(tmp_path / "thread", period)


def test_the_dask_setting_chooses_the_task_runner(monkeypatch, tmp_path):
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    from zhuanbao.flows.runner import task_runner_for

    monkeypatch.delenv("ZHUANBAO_TASK_RUNNER", raising=False)
    assert isinstance(task_runner_for(load_settings(home=tmp_path)), ThreadPoolTaskRunner)
    monkeypatch.setenv("ZHUANBAO_TASK_RUNNER", "dask")
    monkeypatch.setenv("ZHUANBAO_DASK_ADDRESS", "tcp://scheduler.example:8786")
    remote = task_runner_for(load_settings(home=tmp_path))
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://scheduler.example:8786"
    monkeypatch.setenv("ZHUANBAO_DASK_ADDRESS", "")
    monkeypatch.setenv("ZHUANBAO_DASK_WORKERS", "3")
    local = task_runner_for(load_settings(home=tmp_path))
    assert local.address is None and local.cluster_kwargs["n_workers"] == 3
    monkeypatch.setenv("ZHUANBAO_TASK_RUNNER", "spark")
    with pytest.raises(ValueError, match="ZHUANBAO_TASK_RUNNER"):
        task_runner_for(load_settings(home=tmp_path))


def test_only_uncached_files_are_sent_to_the_reader_in_one_batch(settings, reference, built_demo_inbox):
    from zhuanbao.flows.runner import chunks
    from zhuanbao.tasks.intake.collect import register
    from zhuanbao.tasks.intake.read import read_jobs, read_period
    from zhuanbao.tasks.intake.registry import session

    files = sorted((built_demo_inbox / "inbox" / "2020-03").glob("*.xls*"))[:5]  # only read, never written
    assert len(files) == 5
    batches: list[list[str]] = []

    def read_many(jobs):
        batches.append([job.file_name for job in jobs])
        return [read for chunk in chunks(jobs, 2) for read in read_jobs(settings, chunk, reference)]

    with session(settings.db_url) as db:
        for path in files[:3]:
            register(settings, db, data=path.read_bytes(), file_name=path.name, period="2020-03",
                     received_at=datetime(2020, 4, 10, tzinfo=settings.tz), source="upload")
        db.commit()
        first = read_period(settings, db, "2020-03", reference, read_many)
        for path in files[3:]:
            register(settings, db, data=path.read_bytes(), file_name=path.name, period="2020-03",
                     received_at=datetime(2020, 4, 11, tzinfo=settings.tz), source="upload")
        db.commit()
        second = read_period(settings, db, "2020-03", reference, read_many)
    assert batches == [[p.name for p in files[:3]], [p.name for p in files[3:]]]
    assert [r.unit_code for _, r in second[:3]] == [r.unit_code for _, r in first]
    assert all(r.unit_code for _, r in second)
