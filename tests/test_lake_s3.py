"""The lake on real S3: `ZHUANBAO_HOME=s3://…` against an S3-compatible server this test starts on 127.0.0.1.

moto's server mode answers the S3 API over HTTP; s3fs finds it through AWS_ENDPOINT_URL (read by
botocore when a client is made, so Dask worker processes started later inherit it too).
"""
from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

import pytest

from tests.same_results import curated_files, registry_outcomes
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.demo.scenario import prepare_demo_home

pytest.importorskip("s3fs")
pytest.importorskip("moto.server")

PERIOD, AS_OF = "2020-04", "2020-05-16T09:00:00+08:00"  # a rejected file, its correction and a missing unit


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 on 127.0.0.1, on a port the system chose; its URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, monkeypatch):
    """A fresh bucket on that server, with dummy credentials and the endpoint in the environment; a boto3 client."""
    import boto3
    import s3fs

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": s3_endpoint,
                        "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}.items():
        monkeypatch.setenv(name, value)
    s3fs.S3FileSystem.clear_instance_cache()  # a cached instance would keep another endpoint
    name = f"zhuanbao-{uuid.uuid4().hex[:8]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.create_bucket(Bucket=name)
    yield name, client
    s3fs.S3FileSystem.clear_instance_cache()


def keys(client, bucket: str, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def run_month(monkeypatch, lake: str | None, local_home: Path) -> dict:
    """The demo district's PERIOD through the real monthly flow; the lake at `lake` (None: in the local home)."""
    from zhuanbao.flows.monthly import flow_for

    monkeypatch.setenv("ZHUANBAO_HOME", lake or str(local_home))
    monkeypatch.setenv("ZHUANBAO_LOCAL_HOME", str(local_home))
    monkeypatch.setenv("ZHUANBAO_TASK_RUNNER", "thread")
    monkeypatch.delenv("ZHUANBAO_DB_URL", raising=False)
    prepare_demo_home(local_home)
    return flow_for(load_settings())(period=PERIOD, as_of=AS_OF)


@pytest.mark.slow
def test_a_month_on_s3_keeps_raw_and_curated_in_the_bucket_and_matches_a_local_run(
        bucket, tmp_path, prefect_harness, monkeypatch):
    name, client = bucket
    on_s3 = run_month(monkeypatch, f"s3://{name}/zhuanbao", tmp_path / "s3")
    s3_settings = load_settings()
    on_disk = run_month(monkeypatch, None, tmp_path / "local")
    local_settings = load_settings()
    assert s3_settings.lake == f"s3://{name}/zhuanbao" and local_settings.lake is None

    strip = lambda summary: {k: v for k, v in summary.items() if k != "outputs"}
    assert strip(on_s3) == strip(on_disk)
    assert (on_s3["files"], on_s3["accepted"], on_s3["rejected"], on_s3["missing"]) == (18, 17, 1, 1)

    # the raw bytes: one object per distinct file, where the registry says, and nothing on the local disk
    outcomes = registry_outcomes(s3_settings)
    assert outcomes == registry_outcomes(local_settings)
    raw_paths = {row[7] for row in outcomes if row[7]}
    assert len(raw_paths) == 18 and keys(client, name, "zhuanbao/raw/") == sorted(f"zhuanbao/{p}" for p in raw_paths)
    assert not (tmp_path / "s3" / "raw").exists() and not (tmp_path / "s3" / "curated").exists()

    # curated/: hive partitions in the bucket, byte for byte those of the local run
    stored = keys(client, name, "zhuanbao/curated/")
    assert stored and all(key.endswith(f"/period={PERIOD}/data.parquet") for key in stored)
    assert {key.split("/")[2] for key in stored} >= {"indicators", "projects", "tasks", "flags",
                                                     "metrics_unit_scores"}
    in_bucket, local = curated_files(s3_settings), curated_files(local_settings)
    assert sorted(f"zhuanbao/curated/{path}" for path in in_bucket) == stored
    assert in_bucket.keys() == local.keys()
    assert [path for path in local if in_bucket[path] != local[path]] == []

    # receipts and the 专报 are written in the local home, the same as the local run's
    for home, summary in ((tmp_path / "s3", on_s3), (tmp_path / "local", on_disk)):
        assert Path(summary["outputs"]["pdf"]).is_file() and Path(summary["outputs"]["pdf"]).is_relative_to(home)
    assert on_s3["outputs"]["digest"] == on_disk["outputs"]["digest"]
    receipts = lambda home: {p.name: p.read_bytes() for p in (home / "reports" / PERIOD / "receipts").iterdir()
                             if p.suffix in (".html", ".json")}  # beside them: .receipts-index, which ones changed
    assert len(receipts(tmp_path / "s3")) == 2 * 18  # .json + .html per file
    assert receipts(tmp_path / "s3") == receipts(tmp_path / "local")
    report = lambda summary: Path(summary["outputs"]["html"]).read_text("utf-8")
    assert report(on_s3) == report(on_disk)


@pytest.mark.slow
def test_dask_worker_processes_read_the_kept_files_from_the_bucket(bucket, tmp_path, monkeypatch):
    """The scale-out path on S3: workers get only the settings and the raw paths, and fetch the bytes themselves."""
    from distributed import Client, LocalCluster

    from zhuanbao.flows.runner import _on_dask, chunks
    from zhuanbao.tasks.core.reference import load_reference
    from zhuanbao.tasks.intake.collect import collect_inbox
    from zhuanbao.tasks.intake.read import ReadJob, read_jobs
    from zhuanbao.tasks.intake.registry import session, submissions

    name, client = bucket
    monkeypatch.setenv("ZHUANBAO_HOME", f"s3://{name}/zhuanbao")
    monkeypatch.setenv("ZHUANBAO_LOCAL_HOME", str(tmp_path / "local"))
    monkeypatch.delenv("ZHUANBAO_DB_URL", raising=False)
    prepare_demo_home(tmp_path / "local")
    settings = load_settings()
    reference = load_reference(settings, 2020)
    with session(settings.db_url) as db:
        collect_inbox(settings, db, PERIOD)
        db.commit()
        jobs = [ReadJob(row.raw_path, row.file_name) for row in submissions(db, PERIOD) if row.raw_path]
    assert len(jobs) == 19 and len(keys(client, name, "zhuanbao/raw/")) == 19  # T04's late file too
    assert not (tmp_path / "local" / "raw").exists()  # the bucket holds the only copy

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as dask:
        workers = set(dask.run(os.getpid).values())
        on_workers = [read for batch in _on_dask(dask, settings, chunks(jobs, 5), reference) for read in batch]
    assert len(workers) == 2 and os.getpid() not in workers
    said = lambda reads: [(r.file_name, r.error, r.unit_code, r.period, r.records) for r in reads]
    assert said(on_workers) == said(read_jobs(settings, jobs, reference))
    assert sum(r.error is None for r in on_workers) >= 18 and all(r.records for r in on_workers if r.error is None)
