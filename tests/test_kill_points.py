"""Killing the monthly run at random points (SIGKILL, no clean-up) never corrupts the home.

A child process runs the monthly steps (tasks/steps.py, as flows/monthly.py does) while the test
kills it at a random moment; a new corrected file arrives before each attempt so every step has
work to do. Afterwards: every registered file's bytes are in raw/, each step's curated partitions
come from one run, no issue number is used twice, no half-written 专报 sits under a final name,
and the next run succeeds.
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.test_hostile_input import run_month
from zhuanbao.tasks.core.reference import FORMS, load_reference
from zhuanbao.tasks.core.resources import DEMO_REFERENCE_DIR
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.curated.consolidate import partition_run
from zhuanbao.tasks.demo.figures import generate_month
from zhuanbao.tasks.demo.generate import build_demo_inbox, write_workbook
from zhuanbao.tasks.intake.registry import ReportIssue, Submission, session
from zhuanbao.tasks.steps import METRICS

PERIOD = "2020-03"
TZ = ZoneInfo("Asia/Shanghai")
ATTEMPTS = 4


def _in_child(settings) -> int:
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            run_month(settings)
            code = 0
        finally:
            os._exit(code)
    return pid


def _check_home(settings) -> None:
    with session(settings.db_url) as db:
        files = list(db.scalars(select(Submission)))
        issues = list(db.scalars(select(ReportIssue)))
    missing = [f.file_name for f in files if f.raw_path and not (settings.home / f.raw_path).exists()]
    assert not missing, f"registered but not in raw/: {missing}"
    forms = {partition_run(settings.curated_dir, form, PERIOD) for form in FORMS}
    metrics = {partition_run(settings.curated_dir, f"metrics_{name}", PERIOD) for name in METRICS}
    assert len(forms) == 1 and len(metrics) == 1, (forms, metrics)
    assert len({i.issue_no for i in issues}) <= 1  # one period: one number, however many revisions
    assert len({(i.issue_no, i.revision) for i in issues}) == len(issues)
    folder = settings.reports_dir(PERIOD)
    numbers = {p.name.split("_第")[1].split("期")[0] for p in folder.glob("专报_*.json")}
    assert len(numbers) <= 1 and numbers <= {"1"}  # the period's one number, on disk as in the registry


@pytest.mark.slow
def test_killing_the_monthly_run_at_random_points_leaves_a_home_the_next_run_completes(tmp_path):
    from zhuanbao.tasks.checks.suites import gx_context

    gx_context()  # imported once here; each forked run starts warm
    home = tmp_path / "home"
    shutil.copytree(DEMO_REFERENCE_DIR, home / "reference", ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    settings = load_settings(home=home)
    reference = load_reference(settings, 2020)
    build_demo_inbox(home, reference, [PERIOD])
    rows, _ = generate_month(reference, PERIOD, rng_seed=7)
    started = time.monotonic()
    pid = _in_child(settings)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    full = time.monotonic() - started
    chance = random.Random(os.environ.get("ZHUANBAO_KILL_SEED", "12"))
    units = sorted(rows)
    for attempt in range(ATTEMPTS):
        unit = units[attempt % len(units)]
        arrival = datetime(2020, 4, 14, 8, tzinfo=TZ) + timedelta(hours=attempt)
        path = write_workbook(settings.inbox_dir(PERIOD) / f"{unit}_更正{attempt}.xlsx", reference=reference,
                              unit_code=unit, period=PERIOD, reported_on=arrival, **rows[unit])
        os.utime(path, (arrival.timestamp(), arrival.timestamp()))
        pid = _in_child(settings)
        time.sleep(chance.uniform(0.05, full))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        _check_home(settings)
    result = run_month(settings)
    _check_home(settings)
    assert result["issue_no"] == 1 and os.path.getsize(result["pdf"]) > 0
    assert not list(settings.reports_dir(PERIOD).glob(".staging-*"))
