"""The temporary Prefect server of a CLI run, started before Prefect is imported.

With no server configured, Prefect starts one itself on the first API call: it imports its whole
server package (FastAPI, the ORM models: 3–5 s of CPU on a small PC) into the flow's own process just to find the
class that starts it, then waits for a child process that imports the same package again. Here the
CLI starts that same child (the command Prefect runs: uvicorn on `prefect.server.api.server:create_app`,
ephemeral mode: no UI, only the ephemeral services) *first*, so it boots while the CLI imports Prefect,
pandas and the flow, and points PREFECT_API_URL at it: the run is an ordinary flow run with its task
runs, recorded in `<home>/.prefect/prefect.db` like before. Two start-up costs are skipped:

- block auto-registration (it imports every Prefect collection, i.e. prefect-dask and distributed,
  to hash the block registry), once the home's PREFECT_HOME has registered the blocks once;
- py-key-value's runtime type checks of Prefect's task queue (`PY_KEY_VALUE_DISABLE_BEARTYPE`).

Migrations still run on every start (at head they cost ~0.1 s). The child leads its own session (a
Ctrl+C in the terminal reaches the run, which then still reports to the server) and dies with the
CLI's process; it is stopped when the process exits.
"""
from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .serve import free_port, healthy, stop_process


@dataclass
class TemporaryServer:
    process: subprocess.Popen
    url: str
    log: Path

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def wait_ready(self, timeout: float) -> None:
        """Return once /api/health answers; a clear error (with the log's tail) if the server died or hung."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:  # exit code 3: its port was taken meanwhile (rare: run again)
                raise RuntimeError(f"临时 Prefect 服务器启动失败（退出码 {self.process.returncode}），请重新运行命令；"
                                   f"日志 {self.log}：{self._tail()}")
            if healthy(self.api_url, timeout=1):
                return
            time.sleep(0.05)
        raise TimeoutError(f"临时 Prefect 服务器在 {timeout:.0f} 秒内未就绪（可调大 "
                           f"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS）：{self._tail()}")

    def stop(self) -> None:
        stop_process(self.process, timeout=5)

    def _tail(self) -> str:
        try:
            return self.log.read_text("utf-8", errors="replace")[-1500:].strip() or f"（日志 {self.log} 为空）"
        except OSError:
            return f"（无日志 {self.log}）"


def _dies_with_parent():
    """Linux: a preexec_fn that has the server killed when the CLI's process dies, even by SIGKILL."""
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (resolved here: nothing to import after fork)


def server_env(prefect_home: Path) -> dict[str, str]:
    """The environment Prefect gives its own temporary server, plus the start-up costs it can skip."""
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
    env.setdefault("PY_KEY_VALUE_DISABLE_BEARTYPE", "true")
    memo = prefect_home / "memo_store.toml"
    if memo.is_file() and "block_auto_registration" in memo.read_text("utf-8", errors="replace"):
        env.setdefault("PREFECT_API_BLOCKS_REGISTER_ON_START", "false")
        env.setdefault("PREFECT_MEMOIZE_BLOCK_AUTO_REGISTRATION", "false")
    env.pop("PREFECT_API_URL", None)
    return env


def _spawn(prefect_home: Path, port: int, log: Path) -> subprocess.Popen:
    import importlib.util

    prefect_dir = Path(importlib.util.find_spec("prefect").origin).parent  # without importing prefect
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect_dir.parent), "--factory",
             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "error", "--lifespan", "on"],
            env=server_env(prefect_home), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            # preexec_fn: one ctypes call resolved beforehand, no import or lock in the child (and the CLI
            # starts the server before Prefect starts any thread)
            start_new_session=True, preexec_fn=_dies_with_parent() if sys.platform == "linux" else None)  # noqa: PLW1509


def start(prefect_home: Path) -> TemporaryServer:
    """Start the server's process (returns at once; `wait_ready` before the first API call)."""
    prefect_home.mkdir(parents=True, exist_ok=True)
    log = prefect_home / "temporary-server.log"
    port = free_port()
    server = TemporaryServer(_spawn(prefect_home, port, log), f"http://127.0.0.1:{port}", log)
    atexit.register(server.stop)
    return server
