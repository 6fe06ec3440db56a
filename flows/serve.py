"""The deployments of prefect.yaml, served from one process, and a local Prefect server to serve them to.

`zhuanbao serve` = `start_server()` (a `prefect server start` child process with its state in
`<home>/.prefect`) + `start_serving()`: a second child process (`python -m zhuanbao.flows.serve serve`)
that registers prefect.yaml's deployments, recovers from a crash (flows/recovery.py), starts a missed
monthly run once, then runs `prefect.serve(..., pause_on_shutdown=False)`: the schedules fire, the UI
can trigger `rerun`, no work pool is needed, and stopping never pauses a deployment or deletes its
planned runs. The deployments come from `<home>/prefect.yaml` when the office has one, else the
packaged file. Both children's output goes to rotated logs under `<home>/logs/`; the address is
recorded in `<home>/.prefect/serve.json` for `zhuanbao doctor` and the CLI.
"""
from __future__ import annotations

import json
import logging
import logging.handlers
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..tasks.core import catalog
from ..tasks.core.resources import PREFECT_YAML
from ..tasks.core.schedule import cadence_deployment_specs, deployment_specs, deployments_file

LOG_BYTES, LOG_BACKUPS = 5 * 1024 * 1024, 5
LEASES_ON_DISK = "prefect.server.concurrency.lease_storage.filesystem"


def load_entrypoint(entrypoint: str):
    """'zhuanbao.flows.monthly:monthly_consolidation' (or a file path 'flows/monthly.py:…') -> the flow object."""
    from importlib import import_module

    target, name = entrypoint.split(":")
    if target.endswith(".py"):
        target = "zhuanbao." + ".".join(Path(target).with_suffix("").parts)
    return getattr(import_module(target), name)


def runner_deployments(path: Path = PREFECT_YAML, timeout_minutes: float | None = None,
                       extra: list[dict] | None = None) -> list:
    """prefect.yaml's deployments (and `extra` specs of the same shape: the plan's cadences) as RunnerDeployments
    (same names, schedules, slugs, limits, timeout)."""
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    out = []
    for spec in [*deployment_specs(path), *(extra or [])]:
        schedules = [Cron(s["cron"], timezone=s.get("timezone"), slug=s.get("slug"), active=s.get("active", True))
                     for s in spec.get("schedules") or []]
        flow = load_entrypoint(spec["entrypoint"])
        if timeout_minutes:
            flow = flow.with_options(timeout_seconds=timeout_minutes * 60)
        out.append(flow.to_deployment(name=spec["name"], description=spec.get("description"),
                                      tags=spec.get("tags"), parameters=spec.get("parameters") or {},
                                      schedules=schedules or None,
                                      concurrency_limit=spec.get("concurrency_limit"),
                                      # the runner imports the flow as `zhuanbao.flows.…` (its imports are relative),
                                      # never as a script found by its file path
                                      entrypoint_type=EntrypointType.MODULE_PATH))
    return out


def serve_deployments(path: Path | None = None) -> None:
    """Register the deployments with the server at PREFECT_API_URL, recover, catch up, and run them (blocks)."""
    from prefect import serve

    from ..tasks.core.settings import load_settings
    from .recovery import catch_up, recover

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = load_settings()
    deployments = runner_deployments(path or deployments_file(settings.home), settings.flow_timeout_minutes,
                                     cadence_deployment_specs(settings.home))
    for deployment in deployments:
        deployment.apply()
    recover(settings, orphaned_all=True)  # nothing of ours runs before this process serves it
    catch_up(settings)
    serve(*deployments, pause_on_shutdown=False, print_starting_message=True)


# ---------------------------------------------------------------- the local server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def advertised_url(host: str, port: int) -> str:
    """The address other PCs use: the machine's name when listening on every interface."""
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{port}"


def prefect_env(home: Path, api_url: str | None = None) -> dict[str, str]:
    """The environment for the server and the served flows: state in <home>/.prefect, no analytics,
    concurrency leases kept on disk (a slot held by a run survives a server restart and then expires)."""
    env = dict(os.environ)
    env.setdefault("PREFECT_HOME", str(catalog.prefect_home(home)))
    env["ZHUANBAO_HOME"] = str(home)
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env.setdefault("PREFECT_UI_ENABLED", "true")
    env.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "0.3")
    env.setdefault("PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE", LEASES_ON_DISK)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def rotated_log(process: subprocess.Popen, path: Path) -> threading.Thread:
    """Copy a child's output into `path`, rotated at 5 MB (five old files kept)."""
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS,
                                                   encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))

    def pump() -> None:
        for line in iter(process.stdout.readline, b""):
            handler.emit(logging.makeLogRecord({"msg": line.decode("utf-8", "replace").rstrip("\n")}))
        handler.close()

    thread = threading.Thread(target=pump, name=f"log {path.name}", daemon=True)
    thread.start()
    return thread


def spawn(args: list[str], env: dict, log: Path | None) -> subprocess.Popen:
    """A child in its own session, its output copied into the rotated `log` (or discarded)."""
    out = subprocess.PIPE if log else subprocess.DEVNULL
    process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    if log:
        rotated_log(process, log)
    return process


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


def healthy(url: str, timeout: float = 2) -> bool:
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def wait_healthy(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Prefect 服务器启动失败（退出码 {process.returncode}）")
        if healthy(f"{url}/api"):
            return
        time.sleep(0.5)
    raise TimeoutError(f"Prefect 服务器在 {timeout:.0f} 秒内未就绪：{url}")


def start_server(home: Path, port: int | None = None, *, host: str = "127.0.0.1", timeout: float = 90,
                 log: Path | None = None, extra_env: dict[str, str] | None = None) -> Server:
    """`prefect server start` as a child process; returns once /api/health answers.

    An office's own PREFECT_UI_API_URL (e.g. behind a reverse proxy) is kept; otherwise the UI is told
    the address other PCs can reach (the machine's name when listening on 0.0.0.0).
    """
    port = port or free_port()
    local_url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    env = {**prefect_env(home), **(extra_env or {})}
    env["PREFECT_SERVER_API_HOST"], env["PREFECT_SERVER_API_PORT"] = host, str(port)
    env.setdefault("PREFECT_UI_API_URL", f"{advertised_url(host, port)}/api")
    Path(env["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    process = spawn([sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port)],
                     env, log)
    try:
        wait_healthy(local_url, process, timeout)
    except BaseException:
        stop_process(process)
        raise
    return Server(process, local_url)


def start_serving(home: Path, api_url: str, *, log: Path | None = None,
                  extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """`python -m zhuanbao.flows.serve serve` as a child process, against the server at `api_url`."""
    return spawn([sys.executable, "-m", "zhuanbao.flows.serve", "serve"],
                  {**prefect_env(home, api_url), **(extra_env or {})}, log)


def start_checker(home: Path, *, log: Path | None = None) -> subprocess.Popen:
    """The warm checker of this home (tasks/checks/warm.py) as a child process; it records its own address
    beside serve.json once GX is imported and the suites compiled (runs check in process until then)."""
    return spawn([sys.executable, "-m", "zhuanbao.tasks.checks.warm", str(home)], prefect_env(home), log)


def record_serving(home: Path, server: Server, served: subprocess.Popen, ui_url: str) -> Path:
    """Write `<home>/.prefect/serve.json`: where the running server is (for doctor and the CLI)."""
    path = catalog.serve_json(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"api_url": server.api_url, "ui_url": ui_url, "server_pid": server.process.pid,
                                "serve_pid": served.pid, "host": socket.gethostname(),
                                "started_at": datetime.now().astimezone().isoformat(timespec="seconds")},
                               ensure_ascii=False, indent=1), "utf-8")
    return path


def recorded_server(home: Path) -> dict | None:
    """The server `zhuanbao serve` recorded in this home, if it still answers."""
    path = catalog.serve_json(home)
    try:
        record = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return record if healthy(record.get("api_url", "")) else None


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve_deployments(Path(sys.argv[2]) if len(sys.argv) > 2 else None)
    else:
        sys.exit("usage: python -m zhuanbao.flows.serve serve [prefect.yaml]")
