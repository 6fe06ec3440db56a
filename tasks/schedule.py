"""Which period a scheduled run serves, from the run's scheduled time — never from the clock.

A run scheduled for 2020-05-16 09:00 Asia/Shanghai builds 2020-04, even if it starts late (the PC
was off) or is retried on the 20th. The reminders scheduled 10th–15th chase the same month.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def period_before(moment: datetime, timezone: str = "Asia/Shanghai") -> str:
    """The calendar month before `moment`'s month, in the office's time zone: 2020-05-16 -> '2020-04'."""
    local = moment.astimezone(ZoneInfo(timezone)) if moment.tzinfo else moment
    year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
    return f"{year}-{month:02d}"


def scheduled_period(timezone: str = "Asia/Shanghai") -> str:
    """The period of the current flow run: the month before its scheduled start.

    Outside a flow run (or for a run without a scheduled time) Prefect falls back to its start
    time, which is the same thing for a run triggered by hand without a period.
    """
    from prefect.runtime import flow_run

    moment = flow_run.scheduled_start_time
    if moment is None:
        raise RuntimeError("没有指定报告期，且当前不在计划运行中，无法推算报告期；请用 --period 指定")
    return period_before(moment, timezone)
