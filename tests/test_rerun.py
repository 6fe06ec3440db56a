"""Reruns, backfill and the schedule's period: incremental reads, reason recorded, lock respected.

The flow runs for real, every task of it, on the shared Prefect test server (so these tests are slow)
and on a small home: two units' real workbooks. The PDF is a stub (`fast_pdf`; the 专报's typesetting
has its own tests).
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from zhuanbao.tasks.curated.consolidate import read_partition
from zhuanbao.tasks.demo.generate import generate_month, write_workbook
from zhuanbao.tasks.intake import read as intake
from zhuanbao.tasks.intake.collect import copy_into_inbox
from zhuanbao.tasks.intake.registry import Run, session

TZ = ZoneInfo("Asia/Shanghai")


_ROWS: dict[str, dict] = {}


def _month_rows(reference, period: str) -> dict:
    if period not in _ROWS:
        _ROWS[period] = generate_month(reference, period, rng_seed=2020)[0]
    return _ROWS[period]


def put(settings, reference, tmp_path, unit: str, period: str, day: int, month: int = 5) -> None:
    """The unit's real figures for the period (the demo generator's), arriving on `day` of `month` at 10:00."""
    arrival = datetime(2020, month, day, 10, 0, tzinfo=TZ)
    rows = {form: [dict(r) for r in form_rows] for form, form_rows in _month_rows(reference, period)[unit].items()}
    path = write_workbook(tmp_path / "out" / f"{unit}_{period}.xlsx", reference=reference, unit_code=unit,
                          period=period, reported_on=arrival, **rows)
    copy_into_inbox(path, settings, period, arrival)


@pytest.fixture
def flow(monkeypatch, settings, prefect_harness, fast_pdf):
    """The monthly flow module, on the shared Prefect test server, with the test's home as ZHUANBAO_HOME."""
    from zhuanbao.flows import monthly

    monkeypatch.setenv("ZHUANBAO_HOME", str(settings.home))
    return monthly


def runs(settings) -> list[Run]:
    with session(settings.db_url) as db:
        return list(db.scalars(select(Run).order_by(Run.id)))


def count_reads(monkeypatch) -> list[str]:
    """Names of the files handed to the reader (seen here: the reading itself runs in a sandboxed child)."""
    seen: list[str] = []
    real = intake.read_sandboxed

    def spy(jobs, read_one, name_of, **kwargs):
        seen.extend(name_of(job) for job in jobs)
        return real(jobs, read_one, name_of, **kwargs)

    monkeypatch.setattr(intake, "read_sandboxed", spy)
    return seen


@pytest.mark.slow
def test_rerun_reads_only_the_late_file_and_records_its_reason(flow, settings, reference, tmp_path, monkeypatch):
    from zhuanbao.flows.rerun import rerun_period

    put(settings, reference, tmp_path, "T01", "2020-04", 12)
    put(settings, reference, tmp_path, "T04", "2020-04", 18)  # late
    seen = count_reads(monkeypatch)
    first = flow.monthly_consolidation(period="2020-04", as_of="2020-05-16T09:00:00+08:00")
    assert (first["new_files"], seen) == (1, ["T01_2020-04.xlsx"])
    seen.clear()
    second = rerun_period(period="2020-04", reason="北洲子镇逾期报送，补录后修订")
    assert second["new_files"] == 1 and second["files"] == 2
    assert seen == ["T04_2020-04.xlsx"]  # T01 came from the read cache
    # the draft nobody signed yet is redone in place, carrying the reason, now with T04's figures
    assert (second["outputs"]["created"], second["outputs"]["issue_no"]) == (True, first["outputs"]["issue_no"])
    saved = json.loads(Path(second["outputs"]["json"]).read_text("utf-8"))
    assert saved["issue"]["reason"] == "北洲子镇逾期报送，补录后修订"
    assert "T04" in set(read_partition(settings.curated_dir, "tasks", "2020-04").unit_code)  # its late figures
    history = runs(settings)
    assert [(r.period, r.reason, r.status) for r in history] == [
        ("2020-04", None, "completed"), ("2020-04", "北洲子镇逾期报送，补录后修订", "completed")]
    assert history[1].counts["late"] == 1


def test_a_new_reader_version_reads_everything_again(settings, reference, tmp_path, monkeypatch):
    from zhuanbao.tasks.intake.collect import collect_inbox

    put(settings, reference, tmp_path, "T01", "2020-04", 12)
    with session(settings.db_url) as db:
        collect_inbox(settings, db, "2020-04")
        seen = count_reads(monkeypatch)
        intake.read_period(settings, db, "2020-04", reference)
        intake.read_period(settings, db, "2020-04", reference)
        assert len(seen) == 1
        monkeypatch.setattr(intake, "reader_version", lambda: "next-version")
        reads = intake.read_period(settings, db, "2020-04", reference)
    assert len(seen) == 2 and reads[0][1].unit_code == "T01"


@pytest.mark.slow
def test_rerun_refuses_while_the_period_is_being_written(flow, settings, monkeypatch):
    from zhuanbao.flows.cli import app
    from zhuanbao.tasks.intake.lock import period_lock

    monkeypatch.setenv("ZHUANBAO_LOCK_WAIT_SECONDS", "0.3")
    with period_lock(settings, "2020-04", who="流程运行 monthly（部署 monthly）"):
        result = CliRunner().invoke(app, ["rerun", "--period", "2020-04", "--reason", "更正"])
    assert result.exit_code == 3, result.output
    assert "报告期 2020-04 正在由另一次运行处理" in result.output and "部署 monthly" in result.output
    assert runs(settings) == []  # refused before anything was written


def test_rerun_needs_a_reason():
    from zhuanbao.flows.cli import app

    result = CliRunner().invoke(app, ["rerun", "--period", "2020-04", "--reason", " "])
    assert result.exit_code != 0 and "原因" in result.output


@pytest.mark.slow
def test_backfill_runs_the_months_in_order(flow, settings):
    from zhuanbao.flows.cli import app

    result = CliRunner().invoke(app, ["backfill", "--from", "2020-03", "--to", "2020-05"])
    assert result.exit_code == 0, result.output
    assert [(r.period, r.reason, r.status) for r in runs(settings)] == [
        ("2020-03", "补跑", "completed"), ("2020-04", "补跑", "completed"), ("2020-05", "补跑", "completed")]


def test_backfill_months_cross_the_year():
    from zhuanbao.flows.cli.runs import _months

    assert _months("2019-11", "2020-02") == ["2019-11", "2019-12", "2020-01", "2020-02"]


@pytest.mark.slow
def test_scheduled_run_builds_the_month_before_its_scheduled_start(flow, settings, monkeypatch):
    from prefect.runtime import flow_run

    # a run scheduled for 16 May but started (or retried) on 2 June still builds April
    scheduled = datetime(2020, 5, 16, 9, 0, tzinfo=TZ)
    monkeypatch.setitem(flow_run.FIELDS, "scheduled_start_time", lambda: scheduled)
    summary = flow.monthly_consolidation()
    assert summary["period"] == "2020-04"


def test_prefect_yaml_describes_the_three_deployments():
    from zhuanbao.flows.serve import deployment_specs, runner_deployments

    specs = {d["name"]: d for d in deployment_specs()}
    assert specs["monthly"]["schedules"] == [{"cron": "0 9 16 * *", "timezone": "Asia/Shanghai",
                                              "slug": "monthly-16th-0900", "active": True}]
    assert specs["reminders"]["schedules"][0]["cron"] == "0 9 10-15 * *"
    assert specs["rerun"]["schedules"] == [] and specs["rerun"]["entrypoint"] == "zhuanbao.flows.rerun:rerun_period"
    assert all(d["concurrency_limit"] == 1 for d in specs.values())
    built = {d.name: d for d in runner_deployments()}
    assert built["monthly"].schedules[0].slug == "monthly-16th-0900"
    assert built["monthly"].schedules[0].schedule.timezone == "Asia/Shanghai"
    assert set(built["rerun"]._parameter_openapi_schema.required) == {"period", "reason"}


@pytest.mark.slow
def test_validate_and_run_refuse_while_the_period_is_being_written(flow, settings, monkeypatch):
    from zhuanbao.flows.cli import app
    from zhuanbao.tasks.intake.lock import period_lock

    monkeypatch.setenv("ZHUANBAO_LOCK_WAIT_SECONDS", "0.3")
    with period_lock(settings, "2020-04", who="流程运行 monthly（部署 monthly）"):
        for args in (["validate", "--period", "2020-04"], ["run", "--period", "2020-04"]):
            result = CliRunner().invoke(app, args)
            assert result.exit_code == 3, (args, result.output)
            assert "报告期 2020-04 正在由另一次运行处理" in result.output
    assert runs(settings) == []  # neither wrote anything
