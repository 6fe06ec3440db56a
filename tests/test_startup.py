"""Start-up is paid only where needed: the quick commands never load the heavy libraries, a run starts
its temporary Prefect server early and is still an ordinary Prefect flow run with its task runs."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

HEAVY = ("great_expectations", "weasyprint", "matplotlib", "docxtpl")

# Runs the command exactly as `python -m zhuanbao.flows.cli …` does, then reports what it loaded.
PROBE = """
import json, runpy, sys
sys.argv = ["zhuanbao", *json.loads(sys.argv[1])]
try:
    runpy.run_module("zhuanbao.flows.cli", run_name="__main__")
except SystemExit as exit:
    code = exit.code or 0
else:
    code = 0
print("LOADED " + json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
sys.exit(code)
"""


def command_loads(*args: str, env: dict | None = None) -> tuple[set[str], str]:
    """The top-level packages a `zhuanbao` command imported, and its output."""
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, env={**os.environ, "COLUMNS": "200", **(env or {})}, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("LOADED "))
    return set(json.loads(line.removeprefix("LOADED "))), done.stdout


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"]], ids=["help", "run-help"])
def test_help_loads_neither_prefect_nor_the_report_and_rule_libraries(args):
    loaded, output = command_loads(*args)
    assert "zhuanbao" in output
    assert loaded.isdisjoint({*HEAVY, "prefect", "pandas", "sqlalchemy"}), loaded & {*HEAVY, "prefect", "pandas"}


def test_submit_and_status_load_neither_prefect_nor_the_report_and_rule_libraries(home, samples):
    workbook = samples / "2020-04-messy" / "D05_2020-04.xlsx"
    loaded, output = command_loads("--home", str(home), "submit", str(workbook), "-p", "2020-04",
                                   "--received-at", "2020-05-12T10:00")
    assert "已登记 D05_2020-04.xlsx" in output
    assert loaded.isdisjoint({*HEAVY, "prefect"}), loaded & {*HEAVY, "prefect"}
    loaded, output = command_loads("--home", str(home), "status", "-p", "2020-04")
    assert "D05_2020-04.xlsx" in output
    assert loaded.isdisjoint({*HEAVY, "prefect"}), loaded & {*HEAVY, "prefect"}


def test_the_flow_and_its_modules_import_no_rule_or_report_library_before_a_step_needs_it(home):
    """Nothing on the way to the first task imports GX (a run with nothing to check never pays for it)."""
    probe = ("import sys; from zhuanbao.flows.prefect_env import prepare_prefect; "
             f"prepare_prefect({str(home)!r}); from zhuanbao.flows.monthly import flow_for; "
             "import zhuanbao.flows.rerun, zhuanbao.flows.reminders, zhuanbao.tasks.steps; "
             f"print(sorted(set({HEAVY!r}) & {{m.split('.')[0] for m in sys.modules}}))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    assert loaded.stdout.strip() == "[]", loaded.stdout + loaded.stderr


def test_a_server_set_in_the_prefect_profile_is_used_not_a_temporary_one(home, monkeypatch):
    from zhuanbao.flows.prefect_env import prepare_prefect

    monkeypatch.setattr(os, "environ", dict(os.environ))  # prepare_prefect sets its defaults in there
    for name in ("PREFECT_API_URL", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(home / ".prefect"))
    (home / ".prefect").mkdir()
    (home / ".prefect" / "profiles.toml").write_text(
        'active = "office"\n[profiles.office]\nPREFECT_API_URL = "http://prefect.office:4200/api"\n', "utf-8")
    assert prepare_prefect(home, start_server=True) == "Prefect 服务器 http://prefect.office:4200/api（Prefect 配置文件中设定）"
    assert "PREFECT_API_URL" not in os.environ  # Prefect reads its profile itself


@pytest.mark.slow
def test_a_run_starts_its_own_temporary_server_and_is_recorded_as_a_flow_run_with_its_tasks(home, samples):
    """`zhuanbao run` with no server: says which server it used, the run and its six steps are in
    <home>/.prefect/prefect.db, and no server process outlives the command."""
    inbox = home / "inbox" / "2020-04"
    inbox.mkdir(parents=True)
    (inbox / "T01_2020-04.xlsx").write_bytes((samples / "2020-04-messy" / "T01_2020-04.xlsx").read_bytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    done = subprocess.run([sys.executable, "-m", "zhuanbao.flows.cli", "--home", str(home), "run", "-p", "2020-04"],
                          capture_output=True, text=True, cwd=PROJECT_ROOT, env={**env, "COLUMNS": "200"}, check=False,
                          timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    used = next(line for line in done.stdout.splitlines() if line.startswith("使用"))
    assert used.startswith("使用临时 Prefect 服务器 http://127.0.0.1:"), used
    port = used.split("127.0.0.1:")[1].split("（")[0]
    with sqlite3.connect(Path(home) / ".prefect" / "prefect.db") as db:
        (flow_run_id, state), = db.execute("SELECT id, state_type FROM flow_run WHERE name = '月度汇总-2020-04'")
        tasks = {name.rsplit("-", 1)[0]: task_state for name, task_state in
                 db.execute("SELECT name, state_type FROM task_run WHERE flow_run_id = ?", (flow_run_id,))}
    assert state == "COMPLETED"
    assert tasks == dict.fromkeys(["收取文件", "读取工作簿", "审核规则", "汇总入库", "计算指标", "生成专报"], "COMPLETED")
    still = subprocess.run(["pgrep", "-f", "--", f"--port {port} "], capture_output=True, text=True, check=False)
    assert still.stdout.strip() == "", f"the temporary server still runs: {still.stdout}"
