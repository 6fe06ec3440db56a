"""Running the portal: in this process with uvicorn (`zhuanbao portal`), or as a child process of
`zhuanbao serve` (`start_portal_process`). One worker process: the GX context is warmed once in it,
and uploads of a period are serialised by the period lock anyway.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ...tasks.core.settings import Settings


def run_portal(settings: Settings, host: str = "127.0.0.1", port: int = 8600) -> None:
    """Serve the portal until interrupted; X-Forwarded-* believed only from `portal_trusted_proxies`."""
    import uvicorn

    from .app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=True,
                forwarded_allow_ips=settings.portal_trusted_proxies, server_header=False, log_level="info",
                timeout_keep_alive=5)


def start_portal_process(settings: Settings, host: str, port: int, log: Path) -> subprocess.Popen:
    """`zhuanbao --home <home> portal --host … --port …` as a child process, its output in `log` (rotated)."""
    from ..serve import spawn

    log = Path(log)
    log.parent.mkdir(parents=True, exist_ok=True)
    home = settings.lake or str(settings.home)
    command = [sys.executable, "-m", "zhuanbao.flows.cli", "--home", home, "portal", "--host", host, "--port", str(port)]
    return spawn(command, dict(os.environ), log)
