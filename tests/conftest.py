"""Shared fixtures: a fresh home with the demo district's reference, and the shared samples."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from zhuanbao.tasks.core.reference import load_reference
from zhuanbao.tasks.core.resources import DEMO_REFERENCE_DIR
from zhuanbao.tasks.core.settings import load_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent

SAMPLES = Path(os.environ.get("ZHUANBAO_SAMPLES", PROJECT_ROOT.parent / "shared" / "samples"))

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty ZHUANBAO_HOME holding the demo district's reference tables."""
    target = tmp_path / "home"
    shutil.copytree(DEMO_REFERENCE_DIR, target / "reference", ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    return target


@pytest.fixture
def settings(home: Path):
    return load_settings(home=home)


@pytest.fixture(scope="session")
def reference():
    return load_reference(load_settings(home=DEMO_REFERENCE_DIR.parent), 2020)


@pytest.fixture(scope="session")
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"shared samples not found at {SAMPLES}")
    return SAMPLES


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory):
    """One temporary Prefect server for the whole test session (starting one costs 10–25 s)."""
    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect_home"))
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def wait_for(what: str, probe, timeout: float, logs: list[Path] = (), every: float = 0.5):
    """`probe()`'s first truthy value within `timeout` seconds; else fail naming `what`, with the logs' tails."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(every)
    tails = "\n".join(f"--- {p}\n{p.read_text(errors='replace')[-2500:]}" for p in logs if p.exists())
    raise AssertionError(f"timed out waiting for {what}\n{tails}")
