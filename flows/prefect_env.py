"""Prefect's environment for zhuanbao, set before Prefect is first imported.

Prefect keeps its state in PREFECT_HOME; a run without a server starts a temporary one, which
needs a longer start-up timeout on a small PC and no analytics (there is no network). When
`zhuanbao serve` is running for this home (it records its address in `<home>/.prefect/serve.json`)
and PREFECT_API_URL is not set, the CLI's runs go to that server instead: they show in its UI and
skip the temporary server's start-up.
"""
from __future__ import annotations

import os
from pathlib import Path


def prepare_prefect(home: Path) -> str:
    """Defaults only: anything the office set explicitly wins. Returns which server runs will use."""
    if not os.environ.get("PREFECT_API_URL"):
        from zhuanbao.flows.serve import recorded_server

        running = recorded_server(home)
        if running:
            os.environ["PREFECT_API_URL"] = running["api_url"]
    os.environ.setdefault("PREFECT_HOME", str(Path(home) / ".prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "0.3")
    os.environ.setdefault("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "false")
    url = os.environ.get("PREFECT_API_URL")
    return f"Prefect 服务器 {url}" if url else "临时 Prefect 服务器（本进程内启动，首次约十余秒）"
