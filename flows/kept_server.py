"""The Prefect server the CLI keeps between commands (and the warm checker beside it).

Without `zhuanbao serve`, every `zhuanbao run` used to start Prefect's temporary server and stop it
at exit: ≈ 8 s of a cold start paid by every command. Now the first command starts a small keeper
(`python -m zhuanbao.flows.kept_server <home> <minutes>`, its own session, outliving the command):
it starts the same server (flows/temporary_server.py's command, ephemeral mode, state in the home's
PREFECT_HOME), the home's warm checker (tasks/checks/warm.py, at a lower priority: it imports GX
while the first command runs) and the warm runner (flows/warm_runner.py: later commands skip their imports), records both in `catalog.kept_server_json` and stops them once no
command has used the server for `ZHUANBAO_SERVER_IDLE_MINUTES` (default 30; 0: no keeping, a
temporary server per command as before). A command that finds the record with a server that answers
uses it, says so, and marks itself in `kept-users/` while it runs, so a long run is never cut off.
`zhuanbao server stop` stops the keeper (and so the server and the checker) at once.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from ..tasks.core import catalog
from ..tasks.core.prefect_profile import RUNNER_ENV, prefect_settings
from ..tasks.core.processes import pid_alive
from .serve import free_port, healthy, stop_process

POLL_SECONDS = 5


def _record(home: Path) -> dict | None:
    try:
        return json.loads(catalog.kept_server_json(home).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _alive(pid) -> bool:
    """The recorded keeper's pid still runs (a zombie, our own exited child included, does not)."""
    try:
        return pid_alive(int(pid))
    except (ValueError, TypeError):
        return False


def _users_dir(home: Path) -> Path:
    return catalog.kept_server_json(home).with_name("kept-users")


def kept_server(home: Path, *, check_health: bool = True) -> dict | None:
    """The record of this home's kept server when its keeper lives (and its API answers, if asked)."""
    record = _record(home)
    if not record or not _alive(record.get("pid")):
        return None
    if check_health and not healthy(record.get("api_url", ""), timeout=2):
        return None
    return record


def use(home: Path) -> None:
    """Mark this process as a user of the kept server until it exits (and the server as just used)."""
    import atexit

    users = _users_dir(home)
    users.mkdir(parents=True, exist_ok=True)
    mark = users / str(os.getpid())
    mark.touch()
    os.utime(catalog.kept_server_json(home))

    def done() -> None:
        mark.unlink(missing_ok=True)
        try:
            os.utime(catalog.kept_server_json(home))  # idle time counts from the end of the last command
        except OSError:
            pass

    atexit.register(done)


def start(home: Path, idle_minutes: float) -> dict:
    """Start the keeper; returns the record it will write (the server is booting: wait for /api/health)."""
    from .temporary_server import server_env

    prefect_home = catalog.prefect_home(home)
    prefect_home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    record = {"url": url, "api_url": f"{url}/api", "idle_minutes": idle_minutes,
              "started_at": datetime.now().astimezone().isoformat(timespec="seconds")}
    # RUNNER_ENV: the warm runner imports Prefect with this command's settings (server_env's are the server's)
    env = {**server_env(prefect_home), "ZHUANBAO_HOME": str(home), RUNNER_ENV: json.dumps(prefect_settings(os.environ))}
    with open(prefect_home / "kept-server.log", "ab") as log:
        keeper = subprocess.Popen([sys.executable, "-m", "zhuanbao.flows.kept_server", str(home), str(idle_minutes),
                                   str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
    record["pid"] = keeper.pid
    path = catalog.kept_server_json(home)
    path.write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    return record


def wait_ready(record: dict, timeout: float) -> None:
    """Return once the kept server answers; a clear error if its keeper died or it hung."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if healthy(record["api_url"], timeout=1):
            return
        if not _alive(record["pid"]):
            raise RuntimeError(f"保留的 Prefect 服务器启动失败，请重新运行命令；日志：{record.get('log', 'kept-server.log')}")
        time.sleep(0.05)
    raise TimeoutError(f"保留的 Prefect 服务器在 {timeout:.0f} 秒内未就绪")


def stop(home: Path, timeout: float = 20) -> bool:
    """Stop this home's keeper (it stops the server and the checker); False when none was running."""
    record = _record(home)
    if not record or not _alive(record.get("pid")):
        catalog.kept_server_json(home).unlink(missing_ok=True)
        return False
    os.kill(int(record["pid"]), signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(record["pid"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return True


# ---- the keeper process ----------------------------------------------------------------------

def _idle(home: Path, idle_minutes: float, ready_at: float) -> bool:
    """No command marked as running, and none used the server for `idle_minutes` since it first answered."""
    users = _users_dir(home)
    if users.is_dir() and any(_alive(mark.name) for mark in users.iterdir()):
        return False
    try:
        last = catalog.kept_server_json(home).stat().st_mtime
    except OSError:
        return True  # the record is gone (`server stop` of an older keeper): nothing to keep
    return time.time() - max(last, ready_at) > idle_minutes * 60


def _children(home: Path, port: int) -> list[subprocess.Popen]:
    """The server and the warm checker, both dying with this keeper (the checker imports GX while the first
    command runs, which checks in its own process meanwhile; not niced: a niced checker starves on a busy PC)."""
    from .temporary_server import _dies_with_parent, _spawn

    prefect_home = catalog.prefect_home(home)
    server = _spawn(prefect_home, port, prefect_home / "temporary-server.log")
    with open(prefect_home / "checker.log", "ab") as log:
        checker = subprocess.Popen([sys.executable, "-m", "zhuanbao.tasks.checks.warm", str(home)],
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, preexec_fn=_dies_with_parent())  # noqa: PLW1509
    return [server, checker, *_runner(home, port)]


def _runner(home: Path, port: int) -> list[subprocess.Popen]:
    """The warm runner (flows/warm_runner.py), with Prefect's environment of the command that started the keeper."""
    from ..tasks.core.settings import load_settings
    from .temporary_server import _dies_with_parent

    if not load_settings(home=home).warm_runner:
        return []
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != RUNNER_ENV}
    env.update(json.loads(os.environ.get(RUNNER_ENV) or "{}"), PREFECT_API_URL=f"http://127.0.0.1:{port}/api")
    with open(catalog.prefect_home(home) / "runner.log", "ab") as log:
        return [subprocess.Popen([sys.executable, "-m", "zhuanbao.flows.warm_runner", str(home)], env=env, stdout=log,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                 preexec_fn=_dies_with_parent())]  # noqa: PLW1509


def keep(home: Path, idle_minutes: float, port: int) -> None:
    """The keeper's life: start the children, wait until idle (or SIGTERM), stop them, clear the record."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `server stop`: through the `finally` below
    children = _children(home, port)
    ready_at = float("inf")  # idle time counts once the server answers
    try:
        while children[0].poll() is None and not _idle(home, idle_minutes, ready_at):
            if ready_at == float("inf") and healthy(f"http://127.0.0.1:{port}/api", timeout=1):
                ready_at = time.time()
            time.sleep(POLL_SECONDS if ready_at < float("inf") else 0.5)
    finally:
        for child in children:
            stop_process(child, timeout=10)
        record = _record(home)
        if record and record.get("pid") == os.getpid():
            catalog.kept_server_json(home).unlink(missing_ok=True)


if __name__ == "__main__":
    keep(Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]))
