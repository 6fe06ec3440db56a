"""After a crash: runs whose process is gone, slots they held, stale locks, and the month's missed run.

`recover()` is what `zhuanbao serve` does at start and `zhuanbao doctor --fix` does on demand:

- Prefect flow runs of zhuanbao's deployments left Running/Pending/Cancelling by a process that is
  gone are set Crashed (at serve start every such run is orphaned: serve is what executes them);
  the registry's `running` rows of those runs, and rows whose process is gone from this host,
  become `crashed`.
- A deployment's concurrency slot still counted as taken with nothing running is released
  (the server's leases also survive restarts: serve keeps them on disk, see flows/serve.py).
- A period lock's holder file whose process is gone is removed (the OS lock itself died with it).

`missed_monthly_periods()` finds the months whose scheduled monthly run (`periods.due_at`: prefect.yaml's
monthly cron, the 16th 09:00) has passed without a completed monthly run in the registry and without a run
planned or under way in Prefect;
`catch_up()` starts each of them once, logging why.
"""
from __future__ import annotations

import json
import logging
import socket
from datetime import datetime, timedelta

from ..tasks.core import catalog
from ..tasks.core.processes import pid_alive
from ..tasks.core.settings import Settings

log = logging.getLogger("zhuanbao.recovery")
ACTIVE = ("RUNNING", "PENDING", "CANCELLING")
MONTHLY = "月度汇总/monthly"




def _deployment_ids(client) -> dict:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterTags

    found = client.read_deployments(deployment_filter=DeploymentFilter(tags=DeploymentFilterTags(all_=["zhuanbao"])))
    return {d.id: d for d in found}


def _active_runs(client, deployment_ids: list) -> list:
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    if not deployment_ids:
        return []
    states = FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType[s] for s in ACTIVE]))
    return client.read_flow_runs(flow_run_filter=FlowRunFilter(state=states),
                                 deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=deployment_ids)))


def _registry_rows_alive(settings: Settings, flow_run_id: str) -> bool:
    """True when the registry knows a running row of this flow run whose process still lives here."""
    from sqlalchemy import select

    from ..tasks.intake.registry import Run, session

    with session(settings.db_url) as db:
        rows = list(db.scalars(select(Run).where(Run.flow_run_id == flow_run_id, Run.status == "running")))
    return any(r.host == socket.gethostname() and pid_alive(r.pid) for r in rows)


def recover_prefect(settings: Settings, *, orphaned_all: bool) -> list[str]:
    """Crash the runs whose process is gone and free their deployments' slots. Needs PREFECT_API_URL."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
    from prefect.states import Crashed

    from ..tasks.steps import mark_flow_run

    done = []
    with get_client(sync_client=True) as client:
        deployments = _deployment_ids(client)
        for run in _active_runs(client, list(deployments)):
            if not orphaned_all and _registry_rows_alive(settings, str(run.id)):
                continue
            message = "进程已不存在（服务器或运行进程意外终止），由 zhuanbao 标记为崩溃"
            client.set_flow_run_state(run.id, Crashed(message=message), force=True)
            mark_flow_run(settings, str(run.id), "crashed", message)
            done.append(f"流程运行 {run.name}（{run.state_name}）已标记为崩溃")
        still = {r.deployment_id for r in _active_runs(client, list(deployments))}
        for deployment in deployments.values():
            limit = deployment.global_concurrency_limit
            if limit is not None and limit.active_slots and deployment.id not in still:
                client.update_global_concurrency_limit(limit.name, GlobalConcurrencyLimitUpdate(active_slots=0))
                done.append(f"部署 {deployment.name} 的并发名额已释放（{limit.active_slots} 个被已终止的运行占用）")
    return done


def recover_registry(settings: Settings) -> list[str]:
    """Registry rows still `running` whose process on this host is gone become `crashed`."""
    from sqlalchemy import select

    from ..tasks.intake.registry import Run, session, utc

    done = []
    with session(settings.db_url) as db:
        for run in db.scalars(select(Run).where(Run.status == "running")):
            if run.host == socket.gethostname() and not pid_alive(run.pid):
                run.status, run.finished_at = "crashed", utc(datetime.now(settings.tz))
                run.counts = {**(run.counts or {}), "error": f"进程 {run.pid} 已不存在"}
                done.append(f"登记簿运行 #{run.id}（{run.period}，{run.kind or '月度'}）已标记为崩溃")
        db.commit()
    return done


def recover_locks(settings: Settings) -> list[str]:
    """Remove holder files of period locks whose process is gone (the OS released the lock itself)."""
    done = []
    folder = catalog.locks_dir(settings.home)
    for holder_file in sorted(folder.glob("*.holder.json")) if folder.is_dir() else []:
        try:
            holder = json.loads(holder_file.read_text("utf-8"))
        except (OSError, ValueError):
            holder = {}
        if holder.get("host") in (None, socket.gethostname()) and not pid_alive(holder.get("pid")):
            holder_file.unlink(missing_ok=True)
            done.append(f"报告期 {holder_file.name.split('.')[0]} 的过期锁记录已清除（进程 {holder.get('pid')} 已不存在）")
    return done


def recover(settings: Settings, *, with_prefect: bool = True, orphaned_all: bool = False) -> list[str]:
    """Everything above; returns one Chinese line per action (empty when nothing needed fixing)."""
    done = recover_registry(settings) + recover_locks(settings)
    if with_prefect:
        done = recover_prefect(settings, orphaned_all=orphaned_all) + done
    for line in done:
        log.warning(line)
    return done


def missed_monthly_periods(settings: Settings, now: datetime | None = None, months_back: int = 1) -> list[str]:
    """Periods whose monthly run was due (16th 09:00) in the last `months_back` months and never completed."""
    from sqlalchemy import select

    from ..tasks.core.periods import due_at, period_of, shift
    from ..tasks.intake.registry import Run, session

    now = now or datetime.now(settings.tz)
    this_month = period_of(now, settings.timezone)
    candidates = [shift(this_month, -k) for k in range(1, months_back + 1)]
    due = [p for p in candidates if due_at(p, tz=settings.tz, home=settings.home) <= now
           and settings.reference_dir(int(p[:4])).is_dir()]
    if not due:
        return []
    with session(settings.db_url) as db:
        completed = set(db.scalars(select(Run.period).where(Run.period.in_(due), Run.status == "completed",
                                                            Run.kind == "monthly")))
    return [p for p in due if p not in completed]


def planned_or_running(client, deployment_id, period: str, tz) -> bool:
    """A run of the monthly deployment for `period` is scheduled, late, pending or running."""
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    from ..tasks.core.periods import period_before

    states = FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED, StateType.PENDING,
                                                                  StateType.RUNNING]))
    runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(state=states),
                                 deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])))
    for run in runs:
        wanted = (run.parameters or {}).get("period")
        moment = run.expected_start_time
        if wanted == period or (not wanted and moment and period_before(moment, str(tz)) == period
                                and moment <= datetime.now(moment.tzinfo) + timedelta(minutes=1)):
            return True
    return False


def catch_up(settings: Settings, now: datetime | None = None) -> list[str]:
    """Start the monthly run once for each missed period (needs the deployments registered)."""
    from prefect.client.orchestration import get_client

    done = []
    periods = missed_monthly_periods(settings, now)
    if not periods:
        return done
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(MONTHLY)
        for period in periods:
            if planned_or_running(client, deployment.id, period, settings.timezone):
                continue
            run = client.create_flow_run_from_deployment(deployment.id, parameters={"period": period},
                                                         tags=[f"period:{period}", "kind:monthly", "catch-up"])
            done.append(f"{period} 的月度汇总应于计划时间运行但没有完成记录（服务当时未运行或运行中断），"
                        f"现补跑一次：流程运行 {run.name}")
    for line in done:
        log.warning(line)
    return done
