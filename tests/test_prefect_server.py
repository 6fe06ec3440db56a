"""A real Prefect server: prefect.yaml's deployments served, `rerun` triggered through the API, run completes.

Starts `prefect server start` on a free loopback port with its own PREFECT_HOME, serves the
deployments the way `zhuanbao serve` does, creates a `rerun` flow run through the REST API and
waits for COMPLETED; then checks the registry recorded the rerun and its reason.
"""
from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from zhuanbao.flows.serve import start_server, start_serving, stop_process
from zhuanbao.tasks.demo.generate import write_workbook
from zhuanbao.tasks.intake.collect import copy_into_inbox
from zhuanbao.tasks.intake.registry import Run, session

pytestmark = pytest.mark.slow
TZ = ZoneInfo("Asia/Shanghai")


def wait_for(what: str, probe, timeout: float, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


def call(api: httpx.Client, method: str, url: str, **kwargs) -> httpx.Response:
    """One API call, retried while the server answers 503 (its SQLite is busy right after start-up)."""
    for _ in range(20):
        response = api.request(method, url, **kwargs)
        if response.status_code != 503:
            return response
        time.sleep(0.5)
    return response


def test_rerun_deployment_runs_on_a_real_server(settings, reference, tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect_home"))
    arrival = datetime(2020, 5, 12, 10, 0, tzinfo=TZ)
    book = write_workbook(tmp_path / "T01_2020-04.xlsx", reference=reference, unit_code="T01", period="2020-04",
                          reported_on=arrival, indicators=[{"indicator_code": "GDP", "cumulative": 100.0}])
    copy_into_inbox(book, settings, "2020-04", arrival)
    server = start_server(settings.home, timeout=60, log=tmp_path / "server.log")
    served = None
    try:
        served = start_serving(settings.home, server.api_url, log=tmp_path / "serve.log")
        api = httpx.Client(base_url=server.api_url, timeout=10)

        def deployment(flow: str, name: str):
            response = call(api, "GET", f"/deployments/name/{flow}/{name}")
            return response.json() if response.status_code == 200 else None

        rerun = wait_for("the served deployments", lambda: deployment("rerun_period", "rerun"), 40,
                         tmp_path / "serve.log")
        monthly = deployment("monthly_consolidation", "monthly")
        schedule = monthly["schedules"][0]
        assert (schedule["slug"], schedule["schedule"]["cron"], schedule["schedule"]["timezone"]) == (
            "monthly-16th-0900", "0 9 16 * *", "Asia/Shanghai")
        assert deployment("submission_reminders", "reminders")["schedules"][0]["schedule"]["cron"] == "0 9 10-15 * *"
        assert rerun["schedules"] == [] and rerun["global_concurrency_limit"]["limit"] == 1

        created = call(api, "POST", f"/deployments/{rerun['id']}/create_flow_run",
                           json={"parameters": {"period": "2020-04", "reason": "河坝镇更正数据后重跑"}})
        assert created.status_code == 201, (created.status_code, created.text, created.headers)
        run_id = created.json()["id"]

        def finished():
            response = call(api, "GET", f"/flow_runs/{run_id}")
            if response.status_code != 200:
                return None
            state = response.json()["state"]
            return state if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None

        state = wait_for("the rerun flow run to finish", finished, 75, tmp_path / "serve.log")
        assert state["type"] == "COMPLETED", (tmp_path / "serve.log").read_text(errors="replace")[-3000:]
    finally:
        if served is not None:
            stop_process(served)
        server.stop()
    with session(settings.db_url) as db:
        runs = list(db.scalars(select(Run)))
    assert [(r.period, r.reason, r.status) for r in runs] == [("2020-04", "河坝镇更正数据后重跑", "completed")]
    assert runs[0].counts["files"] == 1
