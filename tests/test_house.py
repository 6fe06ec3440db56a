"""The house: one installable package under one namespace, its data shipped, commands reachable, runs recorded."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import PROJECT_ROOT
from zhuanbao.flows.cli import app
from zhuanbao.tasks import steps
from zhuanbao.tasks.checks.suites import SuiteError, load_suites
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.intake.collect import copy_into_inbox
from zhuanbao.tasks.intake.registry import Run, session

ARRIVAL = datetime(2020, 5, 12, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
COMMANDS = {"collect", "submit", "status", "validate", "run", "rerun", "backfill", "reminders", "demo", "preview",
            "lint-templates", "serve", "doctor"}


def command_names(help_text: str) -> set[str]:
    """The names in click's plain help (`TYPER_USE_RICH=0`): the two-space indented lines under `Commands:`."""
    listing = help_text.split("\nCommands:\n", 1)[1]
    return {line.split()[0] for line in listing.splitlines() if line.startswith("  ") and line[2:3] != " "}


def test_python_m_lists_every_command_the_console_script_lists():
    listed = subprocess.run([sys.executable, "-m", "zhuanbao.flows.cli", "--help"], capture_output=True, text=True,
                            check=True, env={"TYPER_USE_RICH": "0", "COLUMNS": "200", "PATH": "/usr/bin:/bin"}).stdout
    names = command_names(listed)
    assert COMMANDS <= names, COMMANDS - names
    registered = {c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands}
    registered |= {g.name for g in app.registered_groups}
    assert registered <= names, registered - names


def test_nothing_installs_a_bare_tasks_or_flows_package():
    for bare in ("tasks", "flows"):
        probe = subprocess.run([sys.executable, "-c", f"import {bare}"], capture_output=True, text=True,
                               cwd="/", check=False)
        assert probe.returncode != 0, f"`import {bare}` works outside the project: a bare package is installed"


def test_an_empty_rules_folder_is_an_error_not_a_run_without_rules(tmp_path):
    (tmp_path / "rules").mkdir()
    with pytest.raises(SuiteError, match="没有任何规则文件"):
        load_suites(tmp_path / "rules")


def test_a_broken_suite_in_the_home_stops_the_check_naming_the_file(settings, samples):
    own = settings.home / "expectations"
    shutil.copytree(PROJECT_ROOT / "expectations", own, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (own / "indicators.json").write_text('{"name": "indicators", "expectations": [', "utf-8")
    copy_into_inbox(samples / "2020-04-messy" / "T01_2020-04.xlsx", settings, "2020-04", ARRIVAL)
    with pytest.raises(SuiteError, match="indicators.json"), \
            steps.recorded_run(settings, "2020-04", kind="validate") as record:
        steps.collect(record.context)
        steps.check(record.context, steps.read(record.context))
    with session(settings.db_url) as db:
        run = db.scalars(select(Run)).one()
    assert run.status == "failed" and "indicators.json" in run.counts["error"]


def test_the_homes_own_rules_replace_the_packaged_ones(settings, samples):
    """An office that removes H05 from its copy of the suites no longer rejects 约500."""
    own = settings.home / "expectations"
    shutil.copytree(PROJECT_ROOT / "expectations", own, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for path in own.glob("*.json"):
        body = json.loads(path.read_text("utf-8"))
        body["expectations"] = [e for e in body["expectations"] if e["meta"]["rule_id"] != "H05"]
        path.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    copy_into_inbox(samples / "2020-04-messy" / "D02_2020-04.xlsx", settings, "2020-04", ARRIVAL)
    result = CliRunner().invoke(app, ["--home", str(settings.home), "validate", "--period", "2020-04"])
    assert result.exit_code == 0, result.output
    status = json.loads(CliRunner().invoke(app, ["--home", str(settings.home), "status", "-p", "2020-04",
                                                  "--json"]).output)
    assert "H05" not in status["files"][0]["rules"]


def test_validate_closes_its_run(settings, samples):
    copy_into_inbox(samples / "2020-04-messy" / "T01_2020-04.xlsx", settings, "2020-04", ARRIVAL)
    result = CliRunner().invoke(app, ["--home", str(settings.home), "validate", "--period", "2020-04"])
    assert result.exit_code == 0, result.output
    with session(settings.db_url) as db:
        runs = list(db.scalars(select(Run)))
    assert [(r.kind, r.status, r.counts.get("files")) for r in runs] == [("validate", "completed", 1)]


def test_the_offices_time_zone_reaches_the_receipt(home, samples, monkeypatch):
    monkeypatch.setenv("ZHUANBAO_TIMEZONE", "Europe/Berlin")
    settings = load_settings(home=home)
    copy_into_inbox(samples / "2020-04-messy" / "T01_2020-04.xlsx", settings, "2020-04",
                    datetime(2020, 5, 12, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))  # 04:00 in Berlin
    with steps.recorded_run(settings, "2020-04", kind="validate") as record:
        steps.collect(record.context)
        steps.check(record.context, steps.read(record.context))
    receipt = next((home / "reports" / "2020-04" / "receipts").glob("*.html")).read_text("utf-8")
    assert "2020年5月12日 04:00" in receipt and "10:00" not in receipt


def test_settings_come_from_the_homes_toml_and_the_environment_wins(home, monkeypatch):
    (home / "zhuanbao.toml").write_text('deadline_day = 20\noffice = "某区统计局"\n', "utf-8")
    assert (load_settings(home=home).deadline_day, load_settings(home=home).issuing_office) == (20, "某区统计局")
    monkeypatch.setenv("ZHUANBAO_DEADLINE_DAY", "18")
    assert load_settings(home=home).deadline_day == 18


@pytest.mark.slow
def test_a_wheel_in_a_fresh_venv_ships_rules_templates_and_the_demo_reference(tmp_path, samples):
    """pip wheel . → a fresh venv → from an empty folder: rules fire (约500 rejected H05), templates lint clean."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"),
                    str(PROJECT_ROOT)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("zhuanbao-*.whl"))
    venv.create(tmp_path / "venv", system_site_packages=True, with_pip=True)  # dependencies from this machine
    python = tmp_path / "venv" / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, capture_output=True)
    empty = tmp_path / "elsewhere"
    empty.mkdir()

    def zhuanbao(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([python, "-m", "zhuanbao.flows.cli", *args], cwd=empty, capture_output=True,
                              text=True, check=False, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})

    where = subprocess.run([python, "-c", "import zhuanbao.tasks.steps as s; print(s.__file__)"], cwd=empty,
                           capture_output=True, text=True, check=True).stdout
    assert str(tmp_path / "venv") in where, where  # the wheel's copy, not the project's folder
    home = empty / "home"
    shutil.copytree(Path(where).parent.parent / "demo_reference", home / "reference",
                    ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    inbox = home / "inbox" / "2020-04"
    inbox.mkdir(parents=True)
    shutil.copy(samples / "2020-04-messy" / "D02_2020-04.xlsx", inbox)
    validated = zhuanbao("--home", str(home), "validate", "--period", "2020-04")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    status = json.loads(zhuanbao("--home", str(home), "status", "-p", "2020-04", "--json").stdout)
    assert status["files"][0]["outcome"] == "rejected" and "H05" in status["files"][0]["rules"]
    linted = zhuanbao("--home", str(home), "lint-templates")
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_the_command_line_starts_without_the_heavy_libraries():
    """`zhuanbao --help`, `status` and `submit` must not pay for GX, WeasyPrint, matplotlib, docxtpl or Prefect."""
    probe = ("import sys, zhuanbao.flows.cli; "
             "print(','.join(m for m in ('great_expectations', 'weasyprint', 'matplotlib', 'docxtpl', 'prefect',"
             " 'fastapi') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "", f"imported at start-up: {loaded}"
