"""`zhuanbao doctor`: is this installation ready to run the month? One line per check, ✓ or ✗ with the fix.

Checks: the home is writable; this year's reference tables load; the fonts of the 专报; the registry
opens; the Prefect server answers (PREFECT_API_URL, or the one `zhuanbao serve` recorded in the home);
its log shows no scheduler errors; the deployments exist, none is paused, and the monthly run is
planned; no concurrency slot is held by a run that is gone; no registry run or period lock is left
by a dead process; no notice failed to reach its recipient in the last days (the latest failures, masked).
`--fix` runs flows/recovery.py's recover() first.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..tasks.core import catalog
from ..tasks.core.schedule import planned_cadences
from ..tasks.core.settings import Settings

SCHEDULER_ERROR = re.compile(r"(scheduler|Scheduler).*(Error|Traceback|Exception)|InvalidRequestError")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def check_home(settings: Settings) -> Check:
    home = settings.home
    ok = home.is_dir() and os.access(home, os.W_OK)
    return Check("数据目录", ok, str(home) if ok else f"{home} 不存在或不可写：用 zhuanbao init 创建，或检查 --home")


def check_reference(settings: Settings, year: int) -> Check:
    from ..tasks.core.reference import ReferenceError, load_reference

    try:
        reference = load_reference(settings, year)
    except (ReferenceError, FileNotFoundError, OSError) as exc:
        return Check(f"{year} 年基础表", False, str(exc))
    detail = f"{len(reference.units)} 个单位，{settings.reference_dir(year)}"
    if reference.plan is not None and not reference.plan.declared:  # a home made before plan.toml: works, said
        detail += (f"；没有 plan.toml：专报标题“{reference.plan.title}”，印发机关为设置项 office，"
                   "无活动和里程碑（见统计员手册“为本区建立参考表”）")
    return Check(f"{year} 年基础表", True, detail)


def check_fonts(settings: Settings) -> Check:
    from ..tasks.report.fonts import find_office_fonts, sans_font_path

    office = find_office_fonts(settings.home)
    sans = sans_font_path(settings.home)
    if sans is None:
        return Check("字体", False, "找不到中文字体：请安装 fonts-noto-cjk（scripts/setup.sh）")
    names = "、".join(f.family for f in office.values()) or "未放入公文字体，使用开源字体"
    return Check("字体", True, names)


def check_registry(settings: Settings) -> Check:
    from sqlalchemy import func, select

    from ..tasks.intake.registry import Submission, session

    try:
        with session(settings.db_url) as db:
            count = db.scalar(select(func.count()).select_from(Submission))
    except Exception as exc:  # noqa: BLE001 — any failure to open the registry is the finding
        return Check("登记簿", False, f"无法打开 {settings.db_url}：{type(exc).__name__}: {exc}"[:300])
    return Check("登记簿", True, f"{count} 个文件记录")


def api_url(settings: Settings) -> str | None:
    from .serve import recorded_server

    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    record = recorded_server(settings.home)
    return record["api_url"] if record else None


def check_scheduler_log(settings: Settings) -> Check:
    log = catalog.logs_dir(settings.home) / "prefect-server.log"
    if not log.is_file():
        return Check("调度服务日志", True, "暂无日志（服务器未由 zhuanbao serve 启动）")
    tail = log.read_bytes()[-200_000:].decode("utf-8", "replace").splitlines()
    errors = [line for line in tail if SCHEDULER_ERROR.search(line)]
    if errors:
        return Check("调度服务日志", False, f"调度服务报错 {len(errors)} 次，最近：{errors[-1][:200]}（检查 SQLAlchemy 版本）")
    return Check("调度服务日志", True, f"{log} 无调度错误")


def prefect_checks(settings: Settings, url: str) -> list[Check]:
    """Deployments, pauses, planned runs and held slots, from the server's API."""
    from prefect.client.orchestration import get_client

    from .recovery import _active_runs, _deployment_ids

    checks = []
    with get_client(sync_client=True) as client:
        deployments = _deployment_ids(client)
        names = sorted(d.name for d in deployments.values())
        checks.append(Check("部署", {"monthly", "reminders", "rerun"} <= set(names),
                            "、".join(names) or "没有部署：运行 zhuanbao serve（或 prefect deploy --all）"))
        paused = [d.name for d in deployments.values() if d.paused]
        checks.append(Check("部署未暂停", not paused,
                            "全部启用" if not paused else f"已暂停：{'、'.join(paused)}（在界面中恢复，或重新 zhuanbao serve）"))
        checks += next_runs(settings, client, deployments)
        active = {r.deployment_id for r in _active_runs(client, list(deployments))}
        held = [d.name for d in deployments.values() if d.global_concurrency_limit is not None
                and d.global_concurrency_limit.active_slots and d.id not in active]
        checks.append(Check("并发名额", not held, "无占用" if not held else
                            f"{'、'.join(held)} 的名额被已不存在的运行占用：运行 zhuanbao doctor --fix"))
    return checks


def next_runs(settings: Settings, client, deployments: dict) -> list[Check]:
    """The next planned run of the monthly deployment and of each cadence's (`cadence-<every>`, from plan.toml)."""
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    checks = []
    scheduled = FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
    planned_names = ["monthly", *(f"cadence-{c.every}" for c in planned_cadences(settings.home))]
    by_name = {d.name: d for d in deployments.values()}
    for name in planned_names:
        label = "下次月度汇总" if name == "monthly" else f"下次{name.removeprefix('cadence-')}调度"
        if name not in by_name:
            if name != "monthly":
                checks.append(Check(label, False, f"没有部署 {name}：重新运行 zhuanbao serve 以按 plan.toml 登记"))
            continue
        planned = client.read_flow_runs(flow_run_filter=FlowRunFilter(state=scheduled),
                                        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[by_name[name].id])),
                                        sort=FlowRunSort.EXPECTED_START_TIME_ASC, limit=1)
        when = planned[0].expected_start_time.astimezone(settings.tz) if planned else None
        checks.append(Check(label, when is not None,
                            f"{when:%Y-%m-%d %H:%M}（{settings.timezone}）" if when else "没有计划中的运行：调度服务未工作"))
    return checks


def stale_checks(settings: Settings) -> list[Check]:
    from sqlalchemy import select

    from ..tasks.intake.registry import Run, session
    from .recovery import pid_alive

    with session(settings.db_url) as db:
        running = list(db.scalars(select(Run).where(Run.status == "running")))
    import socket

    dead = [r for r in running if r.host == socket.gethostname() and not pid_alive(r.pid)]
    locks = catalog.locks_dir(settings.home)
    stale = []
    for holder in sorted(locks.glob("*.holder.json")) if locks.is_dir() else []:
        import json

        try:
            pid = json.loads(holder.read_text("utf-8")).get("pid")
        except (OSError, ValueError):
            pid = None
        if not pid_alive(pid):
            stale.append(holder.name.split(".")[0])
    return [Check("登记簿中的运行", not dead, "无中断的运行" if not dead else
                  f"{len(dead)} 个运行的进程已不存在仍显示运行中：运行 zhuanbao doctor --fix"),
            Check("报告期锁", not stale, "无过期锁" if not stale else f"过期锁：{'、'.join(stale)}（zhuanbao doctor --fix）")]


NOTICE_FAILURE_DAYS = 7  # failed deliveries older than this no longer turn the check red


def check_notices(settings: Settings, now: datetime | None = None) -> list[Check]:
    """Recipients registered, and the failed deliveries of the last days (who, which notice, why; no secret)."""
    from datetime import timedelta

    from ..tasks.notices import last_failures, list_recipients

    people = list_recipients(settings)
    where = f"{len(people)} 个收件人" if people else "未登记收件人，通知写入 outbox（zhuanbao notices recipients add）"
    since = (now or datetime.now(settings.tz)) - timedelta(days=NOTICE_FAILURE_DAYS)
    failures = [f for f in last_failures(settings, 5) if datetime.fromisoformat(f["at"]) >= since]
    if not failures:
        return [Check("通知送达", True, f"{where}；近{NOTICE_FAILURE_DAYS}天无失败")]
    shown = [f"{f['at'].replace('T', ' ')} {f['recipient']}（{f['target']}）{f['notice']}：{f['reason'] or '发送失败'}"
             for f in failures[:3]]
    return [Check("通知送达", False, f"近{NOTICE_FAILURE_DAYS}天有通知未送达（已存入 outbox），最近："
                  + "；".join(shown) + "（zhuanbao notices deliveries --failed；zhuanbao notices test）")]


def run_checks(settings: Settings, now: datetime | None = None) -> list[Check]:
    year = (now or datetime.now(settings.tz)).year
    checks = [check_home(settings)]
    if not checks[0].ok:
        return checks
    checks += [check_reference(settings, year), check_fonts(settings), check_registry(settings)]
    url = api_url(settings)
    if url is None:
        checks.append(Check("Prefect 服务器", False, "未运行：用 zhuanbao serve 启动（或设置 PREFECT_API_URL）"))
    else:
        from .serve import healthy

        up = healthy(url)
        checks.append(Check("Prefect 服务器", up, url if up else f"{url} 无响应"))
        if up:
            from prefect.settings import PREFECT_API_URL, temporary_settings

            with temporary_settings(updates={PREFECT_API_URL: url}):
                checks += [check_scheduler_log(settings), *prefect_checks(settings, url)]
    if checks[3].ok:
        checks += stale_checks(settings) + check_notices(settings, now)
    return checks


def log_files(settings: Settings) -> list[Path]:
    folder = catalog.logs_dir(settings.home)
    return sorted(folder.glob("*.log*")) if folder.is_dir() else []
