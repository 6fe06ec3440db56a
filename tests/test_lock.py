"""The period lock: one writer per month, across processes; the second waits, then refuses naming the holder."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.conftest import PROJECT_ROOT
from zhuanbao.tasks.intake.lock import PeriodLocked, current_holder, period_lock

HOLD = """
import sys, time
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.intake.lock import period_lock
with period_lock(load_settings(home=sys.argv[1]), sys.argv[2], who="计划运行 monthly（部署 monthly）"):
    print("held", flush=True)
    time.sleep(float(sys.argv[3]))
"""


def hold_in_other_process(home, period: str, seconds: float) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(home), period, str(seconds)], cwd=PROJECT_ROOT,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "held"
    return child


def test_second_writer_of_a_period_refuses_naming_period_and_holder(settings):
    child = hold_in_other_process(settings.home, "2020-04", 30)
    try:
        with pytest.raises(PeriodLocked) as caught, period_lock(settings, "2020-04", who="手动重跑", wait_seconds=0.5):
            pass
        message = str(caught.value)
        assert "2020-04" in message and "计划运行 monthly" in message and str(child.pid) in message
        assert current_holder(settings, "2020-04")["who"].startswith("计划运行 monthly")
    finally:
        child.kill()
        child.wait()


def test_second_writer_waits_until_the_first_finishes(settings):
    child = hold_in_other_process(settings.home, "2020-04", 1.0)
    start = time.monotonic()
    with period_lock(settings, "2020-04", who="手动重跑", wait_seconds=20) as holder:
        waited = time.monotonic() - start
        assert holder["who"] == "手动重跑"
        assert current_holder(settings, "2020-04")["who"] == "手动重跑"
    child.wait(5)
    assert 0.3 < waited < 15
    assert current_holder(settings, "2020-04") is None


def test_other_periods_are_not_blocked(settings):
    with period_lock(settings, "2020-04", who="A"), period_lock(settings, "2020-05", who="B", wait_seconds=0):
        assert current_holder(settings, "2020-05")["who"] == "B"


def test_lock_is_exclusive_within_one_process_too(settings):
    with (period_lock(settings, "2020-04", who="计划运行"), pytest.raises(PeriodLocked, match="计划运行"),
          period_lock(settings, "2020-04", who="重跑", wait_seconds=0.2)):
        pass
    with period_lock(settings, "2020-04", who="重跑", wait_seconds=0):
        pass


def test_a_crashed_holder_leaves_the_period_free(settings):
    child = hold_in_other_process(settings.home, "2020-04", 60)
    child.kill()
    child.wait()
    with period_lock(settings, "2020-04", who="重跑", wait_seconds=2):
        pass


def test_recovery_clears_the_holder_record_of_a_killed_process_nobody_reaped(settings):
    """A run killed with the server becomes a zombie when its parent dies first and PID 1 does not reap it
    (as in a container): it has released its lock, so recovery must clear its holder record."""
    import json
    import socket

    from zhuanbao.flows.recovery import recover_locks
    from zhuanbao.tasks.intake.lock import lock_paths

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        time.sleep(0.5)  # it has exited; not waited for, it stays a zombie
        _, holder_file = lock_paths(settings, "2020-03")
        holder_file.parent.mkdir(parents=True, exist_ok=True)
        holder_file.write_text(json.dumps({"period": "2020-03", "who": "月度汇总", "pid": child.pid,
                                           "host": socket.gethostname()}), "utf-8")
        cleared = recover_locks(settings)
        assert not holder_file.exists() and cleared and "2020-03" in cleared[0]
        assert current_holder(settings, "2020-03") is None
    finally:
        child.wait()
