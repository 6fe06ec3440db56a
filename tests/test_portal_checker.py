"""The portal and the home's warm checker (issue 28): with the checker up, the portal starts without importing
Great Expectations and its uploads are checked there; when the checker dies, the next upload still gets its
receipt, checked in the portal's own process."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

import pytest

from tests.test_portal import PERIOD, portal_settings, workbook
from zhuanbao.tasks.access.accounts import add_account, issue_token
from zhuanbao.tasks.checks import warm
from zhuanbao.tasks.intake.registry import engine_for, session

pytestmark = pytest.mark.slow  # a checker process and GX imported in the portal's after it dies

PORTAL = textwrap.dedent("""
    import json, os, signal, sys, threading, time
    from pathlib import Path
    from fastapi.testclient import TestClient
    from zhuanbao.flows.portal import create_app
    from zhuanbao.tasks.checks.warm import ping
    from zhuanbao.tasks.core.settings import load_settings

    home, token, checker, first, second = sys.argv[1:]
    settings = load_settings(home=Path(home), portal_allowed_hosts=("testserver",))
    seen = {}

    def post(path):
        answer = client.post(f"/api/v1/periods/{PERIOD}/submissions", files={"file": (Path(path).name, Path(path).read_bytes())})
        return [answer.status_code, answer.json().get("outcome")]

    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {token}"}) as client:  # start-up runs
        time.sleep(1)  # a warm-up thread would be importing GX by now
        seen["threads"] = [t.name for t in threading.enumerate()]
        seen["gx_at_start"] = "great_expectations" in sys.modules
        seen["first"] = post(first)
        seen["gx_after_first"] = "great_expectations" in sys.modules
        seen["answered"] = ping(Path(home))["answered"]
        os.kill(int(checker), signal.SIGKILL)  # the checker dies: its record and socket stay behind
        time.sleep(0.5)
        seen["second"] = post(second)
        seen["gx_after_second"] = "great_expectations" in sys.modules
    print("SEEN " + json.dumps(seen))
""").replace("{PERIOD}", PERIOD)


def test_with_the_checker_up_the_portal_never_imports_gx_and_an_upload_after_it_dies_still_gets_its_receipt(
        home, tmp_path):
    settings = portal_settings(home)
    engine_for(settings.db_url)
    with session(settings.db_url) as db:
        add_account(settings, db, "gateway", name="邮件网关", role="office")
        token = issue_token(settings, db, "gateway")
    first, second = workbook(tmp_path, settings, "T01"), workbook(tmp_path, settings, "D02", spoil="约500")
    checker = subprocess.Popen([sys.executable, "-m", "zhuanbao.tasks.checks.warm", str(home)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert warm.wait_ready(home, timeout=300)
        answered = warm.ping(home)["answered"]
        run = subprocess.run([sys.executable, "-c", PORTAL, str(home), token, str(checker.pid), str(first), str(second)],
                             capture_output=True, text=True, timeout=600, check=False)
        assert run.returncode == 0, run.stderr[-3000:]
    finally:
        if checker.poll() is None:
            checker.send_signal(signal.SIGTERM)
        checker.wait(30)
    seen = json.loads(run.stdout.split("SEEN ", 1)[1])
    assert "gx-warm-up" not in seen["threads"] and not seen["gx_at_start"]
    assert seen["first"] == [201, "accepted"] and not seen["gx_after_first"]  # checked by the checker
    assert seen["answered"] == answered + 1
    assert seen["second"] == [201, "rejected"] and seen["gx_after_second"]  # checked here, the 约500 found


def test_without_a_checker_the_portal_warms_gx_at_start_up(home):
    run = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import sys, threading
        from pathlib import Path
        from fastapi.testclient import TestClient
        from zhuanbao.flows.portal import create_app
        from zhuanbao.tasks.core.settings import load_settings

        settings = load_settings(home=Path(sys.argv[1]), portal_allowed_hosts=("testserver",))
        with TestClient(create_app(settings)):
            print("WARMING", "gx-warm-up" in [t.name for t in threading.enumerate()] or "great_expectations" in sys.modules)
    """), str(home)], capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "WARMING True" in run.stdout
