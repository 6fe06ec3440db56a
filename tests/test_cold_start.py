"""A faster cold start (issue 28): the CLI keeps Prefect's server (and the warm checker) between commands
for an idle time, the second command reuses it, `zhuanbao server stop` ends it, and a kept server never
outlives its idle time nor stops under a command that is still running."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zhuanbao.flows import kept_server
from zhuanbao.flows.serve import healthy
from zhuanbao.tasks.checks import warm
from zhuanbao.tasks.core import catalog

PROJECT_ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # each test boots a Prefect server


def _gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not kept_server._alive(pid):  # reaps it when it is this process's child
            return True
        time.sleep(0.2)
    return False


def _cli(home: Path, *args: str, idle: str = "30") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    done = subprocess.run([sys.executable, "-m", "zhuanbao.flows.cli", "--home", str(home), *args], capture_output=True,
                          text=True, cwd=PROJECT_ROOT, env={**env, "COLUMNS": "200", "ZHUANBAO_SERVER_IDLE_MINUTES": idle},
                          check=False, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def test_the_second_command_uses_the_server_the_first_kept_and_server_stop_ends_it(home, samples):
    inbox = home / "inbox" / "2020-04"
    inbox.mkdir(parents=True)
    (inbox / "T01_2020-04.xlsx").write_bytes((samples / "2020-04-messy" / "T01_2020-04.xlsx").read_bytes())
    try:
        first = _cli(home, "run", "-p", "2020-04")
        used = next(line for line in first.stdout.splitlines() if line.startswith("使用"))
        assert used.startswith("使用随本命令启动并保留的 Prefect 服务器 http://127.0.0.1:"), used
        record = json.loads(catalog.kept_server_json(home).read_text("utf-8"))
        assert healthy(record["api_url"]), "the server did not outlive the command that started it"
        second = _cli(home, "rerun", "-p", "2020-04", "--reason", "复核")
        again = next(line for line in second.stdout.splitlines() if line.startswith("使用"))
        assert again.startswith(f"使用保留的 Prefect 服务器 {record['url']}（空闲 30 分钟后关闭"), again
        assert json.loads(catalog.kept_server_json(home).read_text("utf-8"))["pid"] == record["pid"]
        assert warm.wait_ready(home, timeout=180), "the kept server's warm checker never answered"
        assert "运行中" in _cli(home, "server", "status").stdout
        stopped = _cli(home, "server", "stop")
        assert "已关闭" in stopped.stdout
        assert _gone(record["pid"], 30) and not healthy(record["api_url"], timeout=1)
        assert not catalog.kept_server_json(home).exists() and warm.ping(home) is None
        assert "没有正在运行" in _cli(home, "server", "stop").stdout
    finally:
        kept_server.stop(home)


def test_a_kept_server_stops_by_itself_once_idle(home):
    record = kept_server.start(home, idle_minutes=0.02)  # 1.2 s
    try:
        kept_server.wait_ready(record, timeout=120)
        assert kept_server.kept_server(home)["pid"] == record["pid"]
        assert _gone(record["pid"], 60), "the kept server outlived its idle time"
        assert not healthy(record["api_url"], timeout=1)
        assert not catalog.kept_server_json(home).exists()
    finally:
        kept_server.stop(home)


def test_a_command_still_running_keeps_the_server_past_its_idle_time(home):
    record = kept_server.start(home, idle_minutes=0.01)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    mark = catalog.kept_server_json(home).with_name("kept-users") / str(sleeper.pid)
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.touch()
    try:
        kept_server.wait_ready(record, timeout=120)
        time.sleep(2.5 * kept_server.POLL_SECONDS)
        assert healthy(record["api_url"]), "the server stopped under a running command"
        sleeper.kill()
        sleeper.wait()
        assert _gone(record["pid"], 60), "the server was kept after the last command ended"
    finally:
        sleeper.kill()
        kept_server.stop(home)
