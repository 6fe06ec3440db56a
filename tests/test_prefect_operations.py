"""Production operations on a real Prefect server, as they happen (slow).

`zhuanbao serve` runs as the office runs it (a child process with its own home and PREFECT_HOME):
- the scheduler creates a monthly run for a cron a minute ahead, the runner picks it up, and it
  completes with its period in its name, a summary artifact and a link to the 专报;
- SIGTERM then a restart keep the deployments active and their planned runs;
- a server killed mid-run: the restarted `serve` marks the run Crashed (Prefect and registry), frees
  the deployment's slot and the period's lock, and the next run completes.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tests.conftest import wait_for
from zhuanbao.flows.recovery import pid_alive
from zhuanbao.flows.serve import free_port
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.demo.scenario import prepare_demo_home
from zhuanbao.tasks.intake.registry import Run, session

pytestmark = pytest.mark.slow
TERMINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc (children that started their own session included)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


class Office:
    """One office PC: a home, `zhuanbao serve` started and stopped like a service manager would."""

    def __init__(self, root: Path):
        self.home = root / "home"
        prepare_demo_home(self.home)
        shutil.rmtree(self.home / "inbox" / "2020-05")  # only March and April arrive
        self.port, self.portal_port = free_port(), free_port()  # never the fixed 4200/8600: other runs may hold them
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.env = {**os.environ, "PREFECT_HOME": str(root / "prefect_home"),
                    "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
                    "PREFECT_RUNNER_POLL_FREQUENCY": "2", "PREFECT_API_URL": ""}
        self.env.pop("PREFECT_API_URL")
        self.process: subprocess.Popen | None = None
        self.api = httpx.Client(base_url=self.api_url, timeout=15)

    @property
    def logs(self) -> list[Path]:
        return [self.home / "logs" / "prefect-serve.log", self.home / "logs" / "prefect-server.log",
                self.home / "serve-cli.log"]

    def served_count(self) -> int:
        log = self.home / "logs" / "prefect-serve.log"
        return log.read_text(errors="replace").count("being served") if log.exists() else 0

    def start(self) -> None:
        before = self.served_count()
        out = open(self.home / "serve-cli.log", "ab")  # noqa: SIM115 — lives as long as the child
        self.process = subprocess.Popen([sys.executable, "-m", "zhuanbao.flows.cli", "--home", str(self.home),
                                         "serve", "--port", str(self.port), "--portal-port", str(self.portal_port)],
                                        env=self.env, stdout=out,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        # serving starts after the registration, the crash recovery and the catch-up of this start
        wait_for("the deployments served", lambda: self.served_count() > before and self.deployment("rerun"), 240,
                 self.logs)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        return self.process.wait(30)

    def kill_everything(self) -> None:
        """kill -9 the CLI, the server, the serving process and every process they started (the flow run's
        own process included), as a power cut or a crash would."""
        doomed = descendants(self.process.pid) | {self.process.pid}
        for pid in doomed:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(10)

    def get(self, url: str, **kwargs):
        try:
            response = self.api.request("GET" if "json" not in kwargs else "POST", url, **kwargs)
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code in (200, 201) else None

    def deployment(self, name: str) -> dict | None:
        flow = {"monthly": "月度汇总", "reminders": "催报名单", "rerun": "重跑"}[name]
        return self.get(f"/deployments/name/{flow}/{name}")

    def runs(self, deployment: dict, states: list[str] | None = None) -> list[dict]:
        body = {"deployments": {"id": {"any_": [deployment["id"]]}}, "sort": "EXPECTED_START_TIME_ASC"}
        if states:
            body["flow_runs"] = {"state": {"type": {"any_": states}}}
        return self.get("/flow_runs/filter", json=body) or []

    def create_run(self, deployment: str, parameters: dict) -> dict:
        """A new flow run of a deployment; asked again while a busy server does not answer (one idempotency key,
        so a request that did arrive is not run twice)."""
        key = f"test-{deployment}-{uuid.uuid4()}"
        return wait_for(f"a {deployment} run to be created", lambda: (found := self.deployment(deployment)) and self.get(
            f"/deployments/{found['id']}/create_flow_run", json={"parameters": parameters, "idempotency_key": key}),
            60, self.logs)

    def run(self, run_id: str) -> dict | None:
        return self.get(f"/flow_runs/{run_id}")

    def state(self, run_id: str) -> str | None:
        """The run's state type; None while Prefect has not given the new run a state yet."""
        return ((self.run(run_id) or {}).get("state") or {}).get("type")

    def finished(self, run_id: str, timeout: float) -> dict:
        return wait_for(f"flow run {run_id} to finish",
                        lambda: self.state(run_id) in TERMINAL and self.run(run_id), timeout, self.logs)

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.stop()
        self.api.close()


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    office = Office(tmp_path_factory.mktemp("office"))
    office.start()
    yield office
    office.close()


def test_the_scheduler_creates_the_monthly_run_and_it_completes(office):
    monthly = office.deployment("monthly")
    assert not monthly["paused"]
    # a second schedule on the served deployment, a minute or two ahead, for the demo district's month
    office.cron_at = (datetime.now(UTC) + timedelta(seconds=80)).replace(second=0, microsecond=0)
    schedule = [{"schedule": {"cron": f"{office.cron_at.minute} {office.cron_at.hour} * * *", "timezone": "UTC"},
                 "active": True, "parameters": {"period": "2020-04"}, "slug": "test-next-minute"}]
    added = wait_for("the schedule to be added", lambda: (r := office.api.post(
        f"/deployments/{monthly['id']}/schedules", json=schedule)).status_code == 201 and r, 30)
    assert added.status_code == 201

    def scheduled_for_the_minute():
        for run in office.runs(monthly):
            start = datetime.fromisoformat(run["expected_start_time"])
            if abs((start - office.cron_at).total_seconds()) < 1:
                return run
        return None

    run = wait_for("the scheduler to create the run for the next minute", scheduled_for_the_minute, 100,
                   office.logs)
    assert "auto-scheduled" in run["tags"]
    done = office.finished(run["id"], 150)
    assert done["state"]["type"] == "COMPLETED", office.logs[0].read_text(errors="replace")[-3000:]
    assert done["name"] == "月度汇总-2020-04" and "period:2020-04" in done["tags"]
    artifacts = office.get("/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run["id"]]}}})
    assert {a["key"] for a in artifacts} == {"zhuanbao-2020-04-summary", "zhuanbao-2020-04-report"}
    summary = next(a for a in artifacts if a["key"].endswith("summary"))["data"]
    assert "报送率" in summary and "未报送" in summary
    assert list((office.home / "reports" / "2020-04").glob("专报_2020-04_第*期*.pdf"))
    # the real planned run: the next 16th, 09:00 Asia/Shanghai
    planned = office.runs(monthly, ["SCHEDULED"])
    sixteenth = [r for r in planned if "T01:00:00" in r["expected_start_time"]
                 and datetime.fromisoformat(r["expected_start_time"]).day == 16]
    assert sixteenth, [r["expected_start_time"] for r in planned]


def next_sixteenth_0900_utc(now: datetime) -> datetime:
    """When the monthly deployment's next run is due: the 16th, 09:00 Asia/Shanghai (01:00 UTC)."""
    candidate = now.replace(day=16, hour=1, minute=0, second=0, microsecond=0)
    if candidate <= now:
        year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
        candidate = candidate.replace(year=year, month=month)
    return candidate


def planned_at(office: Office, when: datetime) -> list[dict]:
    return [r for r in office.runs(office.deployment("monthly"), ["SCHEDULED"])
            if datetime.fromisoformat(r["expected_start_time"]) == when]


def test_sigterm_and_restart_keep_the_deployments_active_and_the_month_planned(office):
    due = next_sixteenth_0900_utc(datetime.now(UTC))
    assert wait_for("the next 16th to be planned", lambda: planned_at(office, due), 90, office.logs)
    assert office.stop(signal.SIGTERM) == 0  # a clean stop, as systemd or Ctrl+C does it
    office.start()
    assert not office.deployment("monthly")["paused"] and not office.deployment("reminders")["paused"]
    assert wait_for("the next 16th planned after the restart", lambda: planned_at(office, due), 90, office.logs)


def _holders(home: Path) -> list[dict]:
    """The period locks' holder records now (one may vanish while read: its lock was just released)."""
    found = []
    for path in (home / "locks").glob("*.holder.json"):
        try:
            found.append(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError):
            pass
    return found


def _process_state(pid) -> str:
    """What became of the process a lock's holder record names (for the failure message)."""
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].splitlines()[0].strip() + \
            " " + Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")[:200]
    except OSError:
        return f"process {pid} gone"


def test_a_server_killed_mid_run_is_recovered_at_the_next_start(office):
    created = office.create_run("rerun", {"period": "2020-03", "reason": "断电测试"})
    settings = load_settings(home=office.home)

    def ours():  # the registry's rows of this rerun (written by its monthly subflow, under the subflow's run id)
        with session(settings.db_url) as db:
            return list(db.scalars(select(Run).where(Run.period == "2020-03", Run.reason == "断电测试")))

    def writing() -> bool:
        """The rerun holds the period's lock and its run is open in the registry: mid-run, not before it."""
        return bool(list((office.home / "locks").glob("2020-03.holder.json"))
                    and any(r.status == "running" for r in ours()))

    wait_for("the rerun to be running", lambda: office.state(created["id"]) == "RUNNING", 60, office.logs)
    wait_for("the rerun to be writing the period", writing, 90, office.logs, every=0.1)
    office.kill_everything()
    office.start()
    crashed = office.finished(created["id"], 120)
    assert crashed["state"]["type"] == "CRASHED"
    rows = ours()
    assert rows and all(r.status == "crashed" for r in rows), [(r.status, r.flow_run_id) for r in rows]
    # no stale lock: a holder record left now names a live process (the restarted portal checking the files the
    # killed run left received, flows/portal/pending.py), and that lock frees by itself
    stale = [(holder, _process_state(holder.get("pid"))) for holder in _holders(office.home)
             if not pid_alive(holder.get("pid"))]
    assert not stale, stale
    wait_for("the period's lock to free", lambda: not list((office.home / "locks").glob("*.holder.json")), 120,
             office.logs)
    rerun = wait_for("the rerun deployment", lambda: office.deployment("rerun"), 60, office.logs)
    assert not (rerun["global_concurrency_limit"] or {}).get("active_slots")
    again = office.create_run("rerun", {"period": "2020-03", "reason": "恢复后重跑"})
    finished = office.finished(again["id"], 120)
    assert finished and finished["state"]["type"] == "COMPLETED", (office.run(again["id"]),
                                                                  office.logs[0].read_text(errors="replace")[-3000:])


def test_prefect_cli_deploys_and_a_process_worker_runs_the_month_in_the_home(tmp_path):
    """The worker path: `prefect deploy --all` from prefect.yaml, a process worker, outputs in the home."""
    from zhuanbao.flows.serve import PREFECT_YAML, start_server

    home = tmp_path / "home"
    prepare_demo_home(home)
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(PREFECT_YAML, project / "prefect.yaml")
    server = start_server(home, timeout=240, log=tmp_path / "server.log",
                          extra_env={"PREFECT_HOME": str(tmp_path / "prefect_home")})
    env = {**os.environ, "PREFECT_API_URL": server.api_url, "PREFECT_HOME": str(tmp_path / "prefect_home"),
           "ZHUANBAO_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("ZHUANBAO_DB_URL", None)

    def prefect(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "prefect", *args], cwd=project, env=env, capture_output=True,
                              text=True, timeout=timeout, check=False)
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
        return done

    try:
        prefect("work-pool", "create", "zhuanbao", "--type", "process")
        deployed = prefect("deploy", "--all", timeout=240)
        for name in ("月度汇总/monthly", "催报名单/reminders", "重跑/rerun"):
            assert name in deployed.stdout, deployed.stdout[-2000:]
        listing = prefect("deployment", "ls").stdout
        assert "monthly" in listing and "reminders" in listing and "rerun" in listing
        prefect("work-pool", "ls")
        prefect("deployment", "run", "月度汇总/monthly", "-p", "period=2020-03")
        prefect("flow-run", "ls")
        prefect("worker", "start", "--pool", "zhuanbao", "--run-once", timeout=300)
    finally:
        server.stop()
    reports = list((home / "reports" / "2020-03").glob("专报_2020-03_第*期.pdf"))
    assert reports, "the worker's run did not write the 专报 into the home"
    assert (home / "zhuanbao.sqlite").is_file() and not (project / "data_lake").exists()
    settings = load_settings(home=home)
    with session(settings.db_url) as db:
        assert [(r.period, r.status) for r in db.scalars(select(Run))] == [("2020-03", "completed")]
