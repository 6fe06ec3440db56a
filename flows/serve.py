"""The deployments of prefect.yaml, served from one process, and a local Prefect server to serve them to.

`zhuanbao serve` = `start_server()` (a `prefect server start` child process with its state in
`<home>/.prefect`) + `serve_deployments()` in a second child process that reads prefect.yaml and
runs `prefect.serve(...)`: the schedules fire, the UI can trigger `rerun`, no work pool is needed.

    python -m zhuanbao.flows.serve serve      # serve prefect.yaml's deployments to PREFECT_API_URL
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

from zhuanbao.tasks.core.resources import PREFECT_YAML


def deployment_specs(path: Path = PREFECT_YAML) -> list[dict]:
    """The `deployments:` entries of prefect.yaml."""
    return yaml.safe_load(Path(path).read_text("utf-8"))["deployments"]


def load_entrypoint(entrypoint: str):
    """'zhuanbao.flows.monthly:monthly_consolidation' (or a file path 'flows/monthly.py:…') -> the flow object."""
    from importlib import import_module

    target, name = entrypoint.split(":")
    if target.endswith(".py"):
        target = "zhuanbao." + ".".join(Path(target).with_suffix("").parts)
    return getattr(import_module(target), name)


def runner_deployments(path: Path = PREFECT_YAML) -> list:
    """prefect.yaml's deployments as RunnerDeployments (same names, schedules, slugs, limits)."""
    from prefect.schedules import Cron

    out = []
    for spec in deployment_specs(path):
        schedules = [Cron(s["cron"], timezone=s.get("timezone"), slug=s.get("slug"), active=s.get("active", True))
                     for s in spec.get("schedules") or []]
        flow = load_entrypoint(spec["entrypoint"])
        out.append(flow.to_deployment(name=spec["name"], description=spec.get("description"),
                                      tags=spec.get("tags"), parameters=spec.get("parameters") or {},
                                      schedules=schedules or None,
                                      concurrency_limit=spec.get("concurrency_limit")))
    return out


def serve_deployments(path: Path = PREFECT_YAML) -> None:
    """Register prefect.yaml's deployments with the server at PREFECT_API_URL and run them (blocks)."""
    from prefect import serve

    serve(*runner_deployments(path), print_starting_message=True)


# ---------------------------------------------------------------- the local server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prefect_env(home: Path, api_url: str | None = None) -> dict[str, str]:
    """The environment for the server and the served flows: state in <home>/.prefect, no analytics."""
    env = dict(os.environ)
    env.setdefault("PREFECT_HOME", str(Path(home) / ".prefect"))
    env["ZHUANBAO_HOME"] = str(home)
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env.setdefault("PREFECT_UI_ENABLED", "true")
    env.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "0.3")
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


@dataclass
class Server:
    process: subprocess.Popen
    url: str

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def stop(self, timeout: float = 15) -> None:
        stop_process(self.process, timeout)


def stop_process(process: subprocess.Popen, timeout: float = 15) -> None:
    """Terminate a child we started (and its own children: it leads its process group)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, 15)
    except (ProcessLookupError, PermissionError, AttributeError):
        process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, 9)
        except (ProcessLookupError, PermissionError, AttributeError):
            process.kill()
        process.wait(5)


def wait_healthy(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Prefect 服务器启动失败（退出码 {process.returncode}）")
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"Prefect 服务器在 {timeout:.0f} 秒内未就绪：{url}")


def start_server(home: Path, port: int | None = None, *, host: str = "127.0.0.1", timeout: float = 90,
                 log: Path | None = None) -> Server:
    """`prefect server start` as a child process; returns once /api/health answers."""
    port = port or free_port()
    url = f"http://{host}:{port}"
    env = prefect_env(home)
    env["PREFECT_SERVER_API_HOST"], env["PREFECT_SERVER_API_PORT"] = host, str(port)
    env["PREFECT_UI_API_URL"] = f"{url}/api"
    Path(env["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 — lives as long as the child
    process = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port",
                                str(port)], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_healthy(url, process, timeout)
    except BaseException:
        stop_process(process)
        raise
    return Server(process, url)


def start_serving(home: Path, api_url: str, *, log: Path | None = None) -> subprocess.Popen:
    """`python -m flows.deploy serve` as a child process, against the server at `api_url`."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen([sys.executable, "-m", "zhuanbao.flows.serve", "serve"],
                            env=prefect_env(home, api_url), stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        serve_deployments()
    else:
        sys.exit("usage: python -m zhuanbao.flows.serve serve")
