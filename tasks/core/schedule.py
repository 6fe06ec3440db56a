"""The schedule facts, read from their one source: prefect.yaml's deployments (the office's `<home>/prefect.yaml`
when it has one, else the packaged flows/prefect.yaml).

`serve.py` registers the deployments from `deployment_specs`; `monthly_schedule` gives the monthly run's day, time
and zone (the cron `0 9 16 * *`, Asia/Shanghai: the 16th at 09:00), which `periods.due_at` turns into the planned
run of a period — used by the receipts (a rejected file's correction is due by then) and by recovery (a missed
run is started). Changing the cron in prefect.yaml changes all three.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from . import catalog
from .plan import Cadence
from .plan_files import load_plan
from .resources import PREFECT_YAML

MONTHLY = "monthly"  # the deployment of the monthly run
DEFAULT_TIMEZONE = "Asia/Shanghai"  # the office's zone when neither prefect.yaml nor the settings name one


class ScheduleError(ValueError):
    """prefect.yaml's monthly schedule is missing or not a plain monthly cron (the message says which)."""


@dataclass(frozen=True)
class MonthlySchedule:
    """When the monthly run starts: day of the month, hour and minute, in `timezone`."""

    day: int
    hour: int
    minute: int
    timezone: str


def deployments_file(home: Path | str | None = None) -> Path:
    """The office's `<home>/prefect.yaml` when it has one, else the packaged prefect.yaml."""
    own = catalog.prefect_yaml(home) if home is not None else None
    return own if own is not None and own.is_file() else PREFECT_YAML


def deployment_specs(path: Path = PREFECT_YAML) -> list[dict]:
    """The `deployments:` entries of prefect.yaml."""
    return yaml.safe_load(Path(path).read_text("utf-8"))["deployments"]


def monthly_schedule(home: Path | str | None = None) -> MonthlySchedule:
    """The monthly deployment's (first, active) cron in the deployments file of `home`."""
    path = deployments_file(home)
    return _monthly_schedule(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _monthly_schedule(path: str, _mtime: int) -> MonthlySchedule:
    spec = next((d for d in deployment_specs(Path(path)) if d.get("name") == MONTHLY), None)
    schedules = [s for s in (spec or {}).get("schedules") or [] if s.get("active", True) and s.get("cron")]
    if not schedules:
        raise ScheduleError(f"{path} 中没有部署 {MONTHLY} 的定时计划（schedules 的 cron），无法推算月度运行时间")
    cron = schedules[0]["cron"]
    fields = cron.split()
    if len(fields) != 5 or fields[3:] != ["*", "*"] or not all(f.isdigit() for f in fields[:3]):
        raise ScheduleError(f"{path} 中部署 {MONTHLY} 的 cron“{cron}”应为每月一次的“分 时 日 * *”（如 0 9 16 * *）")
    minute, hour, day = (int(f) for f in fields[:3])
    return MonthlySchedule(day, hour, minute, schedules[0].get("timezone") or DEFAULT_TIMEZONE)


@dataclass(frozen=True)
class CadenceSchedule:
    """A cadence's Prefect schedules: its run the day after each period's deadline, at the monthly run's hour and
    minute, and its 催报 window (each day after the period's end up to its deadline; None when `deadline_days` is 0)."""

    every: str
    cron: str
    reminder_cron: str | None
    timezone: str


def cadence_schedule(every: str, deadline_days: int, home: Path | str | None = None) -> CadenceSchedule:
    """The crons of a cadence (plan.toml `every`, `deadline_days`): week and two-weeks weekly (a two-week run on
    its off week builds nothing), half-month twice a month, quarter in the month after each quarter."""
    monthly = monthly_schedule(home)
    at, dd = f"{monthly.minute} {monthly.hour}", deadline_days
    window = f"1-{dd}" if dd > 1 else str(dd)
    crons = {
        "week": (f"{at} * * {(dd + 1) % 7}", f"{at} * * {window}" if dd else None),
        "two-weeks": (f"{at} * * {(dd + 1) % 7}", f"{at} * * {window}" if dd else None),
        "half-month": (f"{at} {dd + 1},{dd + 16} * *", f"{at} {window},{16 if dd == 1 else f'16-{15 + dd}'} * *"
                       if dd else None),
        "quarter": (f"{at} {dd + 1} 1,4,7,10 *", f"{at} {window} 1,4,7,10 *" if dd else None),
    }
    if every not in crons:
        raise ScheduleError(f"调度频次“{every}”没有定时计划（应为 week、two-weeks、half-month 或 quarter）")
    cron, reminder = crons[every]
    return CadenceSchedule(every, cron, reminder, monthly.timezone)


def planned_cadences(home: Path | str) -> tuple[Cadence, ...]:
    """The cadences the plan of the home's latest reference year declares (none when it has no readable plan)."""
    root = catalog.reference_root(home)
    years = sorted(int(p.name) for p in root.iterdir() if p.name.isdigit()) if root.is_dir() else []
    if not years:
        return ()
    try:
        return load_plan(catalog.reference_dir(home, years[-1]), district="", office="").cadences
    except ValueError:  # `reference check` and `doctor` name the plan's problem
        return ()


def cadence_deployment_specs(home: Path | str) -> list[dict]:
    """For each planned cadence, prefect.yaml-style entries: `cadence-<every>` (the period's run the day after its
    deadline) and `reminders-<every>` (its 催报 window), one run at a time each."""
    specs = []
    for cadence in planned_cadences(home):
        plan = cadence_schedule(cadence.every, cadence.deadline_days, home)
        parameters = {"cadence": cadence.every, "deadline_days": cadence.deadline_days}
        common = {"tags": ["zhuanbao", "scheduled", f"cadence:{cadence.every}"], "parameters": parameters,
                  "concurrency_limit": 1}
        specs.append({"name": f"cadence-{cadence.every}", "entrypoint": "zhuanbao.flows.monthly:monthly_consolidation",
                      "description": f"{cadence.name}：每期截止（期末后{cadence.deadline_days}天）次日运行该期流程，生成{cadence.report}。",
                      "schedules": [{"cron": plan.cron, "timezone": plan.timezone, "slug": f"cadence-{cadence.every}"}],
                      **common})
        if plan.reminder_cron:
            specs.append({"name": f"reminders-{cadence.every}", "entrypoint": "zhuanbao.flows.reminders:submission_reminders",
                          "description": f"{cadence.name}：期末后至截止日每天生成该期的催报名单。",
                          "schedules": [{"cron": plan.reminder_cron, "timezone": plan.timezone,
                                         "slug": f"reminders-{cadence.every}"}], **common})
    return specs
