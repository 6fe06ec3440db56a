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
