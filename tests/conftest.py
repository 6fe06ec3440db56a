"""Shared fixtures: a fresh home with the demo district's reference, the demo district's home built once per
session (each test gets its own copy), the shared samples, a PDF stub, and one Prefect server per session."""
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
os.environ.setdefault("ZHUANBAO_SERVER_IDLE_MINUTES", "0")  # no test leaves a kept server behind (test_cold_start keeps one)


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
def built_demo_inbox(tmp_path_factory) -> Path:
    """The demo district's home as `zhuanbao demo` starts it (reference + three months in the inbox), built once.

    Read-only: tests take `demo_home`, their own copy."""
    from zhuanbao.tasks.demo.scenario import prepare_demo_home

    home = tmp_path_factory.mktemp("demo_inbox") / "home"
    prepare_demo_home(home)
    return home


@pytest.fixture(scope="session")
def built_demo_march(built_demo_inbox, tmp_path_factory) -> Path:
    """The demo home after March 2020 ran collect → metrics through the steps (no 专报), built once. Read-only."""
    from zhuanbao.tasks import steps

    home = tmp_path_factory.mktemp("demo_march") / "home"
    shutil.copytree(built_demo_inbox, home, symlinks=True)
    with steps.recorded_run(load_settings(home=home), "2020-03", as_of="2020-04-16T09:00:00+08:00") as record:
        steps.collect(record.context)
        reads = steps.read(record.context)
        steps.check(record.context, reads)
        steps.consolidate(record.context, reads)
        steps.metrics(record.context, steps.period_status(record.context))
    return home


def copy_home(built: Path, tmp_path: Path) -> Path:
    """A private copy of a session-built home (copy2 keeps the inbox's modification times: the arrivals)."""
    return Path(shutil.copytree(built, tmp_path / "demo_home", symlinks=True))


@pytest.fixture
def demo_home(built_demo_inbox, tmp_path) -> Path:
    """This test's own copy of the demo home with three months of workbooks in its inbox, nothing run yet."""
    return copy_home(built_demo_inbox, tmp_path)


@pytest.fixture
def demo_march_home(built_demo_march, tmp_path) -> Path:
    """This test's own copy of the demo home after March's run (registry, read cache, curated, metrics)."""
    return copy_home(built_demo_march, tmp_path)


@pytest.fixture
def fast_pdf(monkeypatch):
    """WeasyPrint replaced by a stub that writes `%PDF-stub` and the HTML it was given (registry, approval and
    notice tests need a file where the PDF goes, not a typeset PDF; tests/test_report_layout.py prints real ones)."""
    from zhuanbao.tasks.report import render

    def write_pdf(html: str, out, **_) -> Path:
        Path(out).write_bytes(b"%PDF-stub\n" + html.encode("utf-8"))
        return Path(out)

    monkeypatch.setattr(render, "write_pdf", write_pdf)


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


# The longest test files start first: with `--dist loadfile` each file runs on one worker, so a 90-second file
# collected last would run alone at the end of the suite while the other core idles.
LONGEST_FIRST = ("test_busy_month.py", "test_cadence_schedule.py", "test_prefect_operations.py", "test_incremental.py",
                 "test_cold_start.py", "test_warm_runner.py", "test_revisions.py", "test_year_cadences.py",
                 "test_dask_runner.py", "test_kill_points.py")


def pytest_collection_modifyitems(config, items):
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}

    def order(item):
        name = item.path.name
        if name in LONGEST_FIRST:
            return (0, LONGEST_FIRST.index(name))
        return (1 if item.path in slow_files else 2, 0)

    items.sort(key=order)  # stable: each file's tests stay together and in their order
