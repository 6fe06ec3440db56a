"""The warm checker (issue 28): one process per home runs the rule suites for the others, with the same
findings, byte for byte, as checking in process; a socket only the owner can open; a checker that is
down or dies means checking in process, never a failed run."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.checker_process import start_checker
from tests.test_validate import PREVIOUS, edited, ref, workbook  # noqa: F401 — `ref` is a fixture
from zhuanbao.tasks.checks import warm
from zhuanbao.tasks.checks.validate import check_period
from zhuanbao.tasks.core import catalog

pytestmark = pytest.mark.slow  # the checker imports Great Expectations in its own process


@pytest.fixture(scope="module")
def checker(tmp_path_factory):
    """A warm checker for a home whose suites are a copy of the packaged ones (a test may edit them)."""
    home = tmp_path_factory.mktemp("warm-home")
    suites, process = start_checker(home, stderr=subprocess.PIPE)
    try:
        assert warm.wait_ready(home, timeout=180), process.stderr.read().decode() if process.poll() is not None else ""
        yield home, suites, process
    finally:
        process.terminate()
        process.wait(20)


def _reads():
    """Files with hard and soft findings, a clean one, one of another unit, one naming an unknown unit."""
    return list(enumerate([
        workbook(forms=edited({"indicators": {"I15": {"cumulative": -5.0}}})),
        workbook(forms=edited({"tasks": {"K01": {"progress_pct": 20.0, "note": "口径调整"}}})),
        workbook(),
        workbook(unit="D02", forms={"indicators": [{"indicator_code": "I10", "month_value": 1.0, "cumulative": 1.0}],
                                    "tasks": [{"task_code": "K01", "progress_pct": None, "progress_pct_unparsed": "过半"}]}),
        workbook(unit="Z99"),
    ], 1))


def _frame_bytes(found: pd.DataFrame) -> bytes:
    return found.to_csv(index=False).encode() + str(found.dtypes.to_dict()).encode()


def test_the_warm_checker_gives_the_in_process_findings_byte_for_byte(checker, ref):  # noqa: F811
    home, suites, _ = checker
    runner = warm.runner_for(home)
    assert runner is not None
    before = warm.ping(home)["answered"]
    remote = check_period("2020-04", _reads(), ref, PREVIOUS(), suites_dir=suites, runner=runner)
    local = check_period("2020-04", _reads(), ref, PREVIOUS(), suites_dir=suites)
    assert warm.ping(home)["answered"] == before + 1  # it really went through the checker
    assert len(local) >= 3 and set(local.severity) == {"hard", "soft"}
    pd.testing.assert_frame_equal(remote, local)
    assert _frame_bytes(remote) == _frame_bytes(local)


def test_the_socket_is_the_owners_only_and_its_address_is_recorded_beside_serve_json(checker):
    home, _, process = checker
    record = json.loads(catalog.checker_json(home).read_text("utf-8"))
    assert catalog.checker_json(home).parent == catalog.serve_json(home).parent
    assert record["pid"] == process.pid
    mode = os.stat(record["socket"]).st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600


def test_an_edited_suite_is_compiled_again_and_its_new_threshold_applies(checker, ref):  # noqa: F811
    home, suites, _ = checker
    runner = warm.runner_for(home)
    reads = [(1, workbook(forms=edited({"tasks": {"K01": {"progress_pct": 101.0}}})))]
    assert "H" in "".join(check_period("2020-04", reads, ref, suites_dir=suites, runner=runner).rule_id)
    key = warm.ping(home)["rules"]
    path = suites / "tasks.json"
    original = path.read_text("utf-8")
    body = json.loads(original)
    for exp in body["expectations"]:
        if exp["kwargs"].get("column") == "progress_pct" and "max_value" in exp["kwargs"]:
            exp["kwargs"]["max_value"] = 200
    try:
        path.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
        from zhuanbao.tasks.checks.suites import _suites_version

        _suites_version.cache_clear()
        remote = check_period("2020-04", reads, ref, suites_dir=suites, runner=runner)
        local = check_period("2020-04", reads, ref, suites_dir=suites)
        assert warm.ping(home)["rules"] != key
        assert _frame_bytes(remote) == _frame_bytes(local)
        assert "101" not in set(remote.value)
    finally:
        path.write_text(original, "utf-8")
        _suites_version.cache_clear()


def test_without_a_checker_or_with_a_dead_one_the_check_runs_in_process(tmp_path, ref):  # noqa: F811
    assert warm.runner_for(tmp_path) is None
    record = catalog.checker_json(tmp_path)
    record.parent.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    record.write_text(json.dumps({"socket": str(tmp_path / "gone.sock"), "pid": dead.pid}), "utf-8")
    assert warm.runner_for(tmp_path) is None and warm.ping(tmp_path) is None
    found = check_period("2020-04", _reads(), ref, runner=warm.runner_for(tmp_path))
    assert set(found.file_id) >= {1, 4, 5}


def test_a_checker_that_stops_answering_mid_run_leaves_the_check_to_this_process(tmp_path, ref):  # noqa: F811
    address = Path(tmp_path / "c.sock")
    import socket

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(address))
    listener.listen(1)
    record = catalog.checker_json(tmp_path)
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps({"socket": str(address), "pid": os.getpid()}), "utf-8")
    runner = warm.runner_for(tmp_path)
    assert runner is not None
    import threading

    def hang_up():
        connection, _ = listener.accept()
        connection.recv(16)
        connection.close()

    threading.Thread(target=hang_up, daemon=True).start()
    found = check_period("2020-04", _reads(), ref, runner=runner)
    listener.close()
    pd.testing.assert_frame_equal(found, check_period("2020-04", _reads(), ref))


def test_output_checks_through_the_checker_pass_and_fail_as_in_process(checker, reference):
    from tests.test_output_checks import outputs
    from zhuanbao.tasks.checks.outputs import OutputCheckError, check_outputs, output_suites

    home, _, _ = checker
    runner, suites = warm.runner_for(home), output_suites()
    frames = outputs(reference)
    before = warm.ping(home)["answered"]
    check_outputs("2020-04", reference, frames, suites, runner=runner)  # the demo's figures pass
    broken = dict(frames)
    broken["tasks"] = pd.concat([frames["tasks"], frames["tasks"].head(1)], ignore_index=True)  # a duplicated key
    messages = []
    for run in (runner, None):
        with pytest.raises(OutputCheckError) as caught:
            check_outputs("2020-04", reference, broken, suites, runner=run)
        messages.append(str(caught.value))
    assert warm.ping(home)["answered"] == before + 2  # the pass and the failure went through the checker
    assert messages[0] == messages[1] and "O01" in messages[0]
