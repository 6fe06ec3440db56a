"""Prefect's environment for zhuanbao, set before Prefect is first imported.

Prefect keeps its state in PREFECT_HOME; a run without a server starts a temporary one, which
needs a longer start-up timeout on a small PC and no analytics (there is no network).
"""
from __future__ import annotations

import os
from pathlib import Path


def prepare_prefect(home: Path) -> None:
    """Defaults only: anything the office set explicitly wins."""
    os.environ.setdefault("PREFECT_HOME", str(Path(home) / ".prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "0.3")
    os.environ.setdefault("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "false")
