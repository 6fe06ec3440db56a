"""The warm runner (issue 28, "cold"): beside a kept server, `zhuanbao run` runs in a fork of a process that has the
run's libraries imported — the same documents, receipts, data, flow run, tags and artifacts as a run in the command's
own process — and only when it runs the same code with the same Prefect settings."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from zhuanbao.flows import kept_server
from zhuanbao.flows.warm_runner import runner_address, source_stamp
from zhuanbao.tasks.core import catalog
from zhuanbao.tasks.core.prefect_profile import prefect_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2020-05-16T09:00:00+08:00"


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ZHUANBAO_"))}
    return {**env, "COLUMNS": "200", "ZHUANBAO_HOME": str(home), "ZHUANBAO_SERVER_IDLE_MINUTES": "30", **extra}


def _cli(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "zhuanbao.flows.cli", "--home", str(home), *args], capture_output=True,
                          text=True, cwd=PROJECT_ROOT, env=_env(home, **extra), check=False, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def _keep_server(home: Path) -> None:
    """Start the home's kept server as a command does (its keeper starts the checker and the warm runner)."""
    code = ("from pathlib import Path; import sys; from zhuanbao.flows.prefect_env import prepare_prefect\n"
            "prepare_prefect(Path(sys.argv[1]), start_server=True, keep_minutes=30)")
    subprocess.run([sys.executable, "-c", code, str(home)], env=_env(home), cwd=PROJECT_ROOT, check=True, timeout=60)
    deadline = time.monotonic() + 300
    while not catalog.runner_json(home).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert catalog.runner_json(home).exists(), (catalog.prefect_home(home) / "runner.log").read_text("utf-8")


def _files(home: Path) -> dict[str, bytes]:
    """What a run leaves for people: receipts, the 专报's HTML/JSON/附表 text, curated parquet (bytes)."""
    found = {}
    for folder in ("reports/2020-04", "curated"):
        for path in sorted((home / folder).rglob("*")):
            if path.is_file() and path.suffix in {".json", ".html", ".parquet", ".md"}:
                found[str(path.relative_to(home))] = path.read_bytes()
    return found


def _flow_run(home: Path) -> tuple[dict, list[str]]:
    api = json.loads(catalog.kept_server_json(home).read_text("utf-8"))["api_url"]
    runs = httpx.post(f"{api}/flow_runs/filter", json={"flow_runs": {"name": {"any_": ["月度汇总-2020-04"]}}}).json()
    (run,) = runs
    artifacts = httpx.post(f"{api}/artifacts/filter",
                           json={"artifacts": {"flow_run_id": {"any_": [run["id"]]}}}).json()
    return run, sorted(a["key"] for a in artifacts)


@pytest.mark.slow  # boots two Prefect servers and renders two 专报
def test_a_run_handed_to_the_warm_runner_leaves_what_a_run_in_its_own_process_leaves(demo_march_home, tmp_path):
    here, warm = tmp_path / "here", tmp_path / "warm"
    shutil.copytree(demo_march_home, here, symlinks=True)
    shutil.copytree(demo_march_home, warm, symlinks=True)
    try:
        _cli(here, "run", "-p", "2020-04", "--as-of", AS_OF, ZHUANBAO_WARM_RUNNER="0")
        assert not catalog.runner_json(here).exists()  # turned off: the keeper started none
        _keep_server(warm)
        done = _cli(warm, "run", "-p", "2020-04", "--as-of", AS_OF)
        assert "使用保留的 Prefect 服务器" in done.stdout and "专报第" in done.stdout  # in this command's output
        log = catalog.prefect_home(warm) / "runner.log"
        deadline = time.monotonic() + 10
        while "退出码 0" not in log.read_text("utf-8") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "退出码 0" in log.read_text("utf-8"), "the command did not run in the warm runner"
        assert _files(warm) == _files(here)
        (run_here, artifacts_here), (run_warm, artifacts_warm) = _flow_run(here), _flow_run(warm)
        assert sorted(run_warm["tags"]) == sorted(run_here["tags"]) and "period:2020-04" in run_warm["tags"]
        assert run_warm["state_type"] == "COMPLETED" and artifacts_warm == artifacts_here
        assert artifacts_warm == ["zhuanbao-2020-04-report", "zhuanbao-2020-04-summary"]
        failed = subprocess.run([sys.executable, "-m", "zhuanbao.flows.cli", "--home", str(warm), "run", "-p", "2031-04"],
                                capture_output=True, text=True, cwd=PROJECT_ROOT, env=_env(warm), timeout=300, check=False)
        assert failed.returncode == 2 and "2031" in failed.stdout, failed.stdout + failed.stderr  # its one line, its code
        deadline = time.monotonic() + 10
        while "退出码 2" not in log.read_text("utf-8") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "退出码 2" in log.read_text("utf-8")  # it failed in the warm runner, and said so here
    finally:
        kept_server.stop(here)
        kept_server.stop(warm)


def test_the_warm_runner_is_used_only_with_this_code_and_these_prefect_settings(tmp_path):
    home = tmp_path / "home"
    address = catalog.runner_socket(home)
    address.parent.mkdir(parents=True)
    env = {"PREFECT_HOME": str(home / ".prefect"), "PREFECT_LOGGING_LEVEL": "WARNING", "PATH": "/usr/bin"}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listening:
        listening.bind(str(address))

        def record(**changes) -> Path | None:
            catalog.runner_json(home).write_text(json.dumps(
                {"socket": str(address), "pid": os.getpid(), "code": source_stamp(),
                 "prefect_env": prefect_settings(env), **changes}), "utf-8")
            return runner_address(home, env)

        assert record() == address
        assert record(prefect_env={**prefect_settings(env), "PREFECT_LOGGING_LEVEL": "DEBUG"}) is None
        assert record(code="older code") is None
        assert record(pid=2 ** 22 + 7) is None  # its process is gone
    catalog.runner_json(home).unlink()
    assert runner_address(home, env) is None
