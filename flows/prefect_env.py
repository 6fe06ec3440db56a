"""Prefect's environment for zhuanbao, set before Prefect is first imported.

Prefect keeps its state in PREFECT_HOME; a run without a server starts a temporary one, which
needs a longer start-up timeout on a small PC and no analytics (there is no network). When
`zhuanbao serve` is running for this home (it records its address in `<home>/.prefect/serve.json`)
and PREFECT_API_URL is not set, the CLI's runs go to that server instead: they show in its UI and
skip the temporary server's start-up. Otherwise the CLI uses the server an earlier command kept
(flows/kept_server.py: ZHUANBAO_SERVER_IDLE_MINUTES, default 30) or starts one to keep, before importing
Prefect, so that it boots while the flow's modules load; with 0 minutes it starts a temporary server
of its own that ends with the command (flows/temporary_server.py). `prefect_ready()` waits for either
before the first API call.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ..tasks.core import catalog
from ..tasks.core.prefect_profile import configured_api_url

_temporary: dict = {}  # the temporary server this process started (at most one; reused by every run)


def prepare_prefect(home: Path, *, start_server: bool = False, keep_minutes: float = 0) -> str:
    """Defaults only: anything the office set explicitly wins. Returns which server runs will use.

    `start_server`: with no server configured or recorded, start the temporary one now (the CLI);
    callers then call `prefect_ready()` before running a flow. `keep_minutes` > 0: use the server kept
    by an earlier command, or start one that outlives this command by that idle time (flows/kept_server.py).
    """
    if not os.environ.get("PREFECT_API_URL"):
        from .serve import recorded_server

        running = recorded_server(home)
        if running:
            os.environ["PREFECT_API_URL"] = running["api_url"]
    with_defaults(os.environ, home)
    if "server" in _temporary and os.environ.get("PREFECT_API_URL") == _temporary["server"].api_url:
        return f"临时 Prefect 服务器 {_temporary['server'].url}（随本命令启动，命令结束时关闭）"
    if "kept" in _temporary and os.environ.get("PREFECT_API_URL") == _temporary["kept"]["api_url"]:
        return _kept_text(_temporary["kept"])
    url = os.environ.get("PREFECT_API_URL")
    if url:
        return f"Prefect 服务器 {url}"
    configured = configured_api_url()
    if configured:
        return f"Prefect 服务器 {configured}（Prefect 配置文件中设定）"
    allowed = os.environ.get("PREFECT_SERVER_EPHEMERAL_ENABLED",
                             os.environ.get("PREFECT_SERVER_ALLOW_EPHEMERAL_MODE", "true")).lower() not in ("false", "0")
    # a warm runner's child imported Prefect pointed at the kept server (flows/warm_runner.py)
    fresh = "prefect" not in sys.modules or bool(os.environ.get("ZHUANBAO_IN_WARM_RUNNER"))
    if start_server and allowed and fresh and keep_minutes > 0:
        return _use_kept_server(home, keep_minutes)
    if start_server and allowed and "prefect" not in sys.modules:  # once imported, Prefect has read its settings
        from . import temporary_server

        _temporary["server"] = temporary_server.start(Path(os.environ["PREFECT_HOME"]))
        os.environ["PREFECT_API_URL"] = _temporary["server"].api_url
        return f"临时 Prefect 服务器 {_temporary['server'].url}（随本命令启动，命令结束时关闭）"
    return "临时 Prefect 服务器（由 Prefect 在首次调用时启动）"


def with_defaults(env, home: Path):
    """Prefect's settings for zhuanbao where the office set none (in `env`, which is returned)."""
    env.setdefault("PREFECT_HOME", str(catalog.prefect_home(home)))
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    env.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "0.3")
    env.setdefault("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "false")
    return env


def _use_kept_server(home: Path, keep_minutes: float) -> str:
    from . import kept_server

    record = kept_server.kept_server(home, check_health=False)  # a keeper alive: its server is up or booting
    started = record is None
    record = record or kept_server.start(home, keep_minutes)
    kept_server.use(home)
    os.environ["PREFECT_API_URL"] = record["api_url"]
    _temporary["kept"] = record
    return _kept_text(record, started)


def _kept_text(record: dict, started: bool = False) -> str:
    how = "随本命令启动并保留的" if started else "保留的"
    return (f"{how} Prefect 服务器 {record['url']}（空闲 {record['idle_minutes']:g} 分钟后关闭；"
            f"zhuanbao server stop 立即关闭）")


def prefect_ready() -> None:
    """Wait until the server `prepare_prefect(start_server=True)` started or found answers (no-op otherwise)."""
    timeout = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90"))
    kept = _temporary.get("kept")
    if kept is not None and _temporary.get("ready") is not kept:
        from . import kept_server

        kept_server.wait_ready(kept, timeout)
        _temporary["ready"] = kept
        return
    server = _temporary.get("server")
    if server is None or _temporary.get("ready") is server:
        return
    server.wait_ready(timeout)
    _temporary["ready"] = server
