"""The reminders flow (催报): during the window, who still owes the period's report.

Scheduled daily at 09:00 from the 10th to the 15th (prefect.yaml). It collects and checks what
has arrived (units get their receipts, so a rejected file is known before the deadline), then
writes reports/<period>/催报名单.md/.json and logs the list; each owing unit with a recipient of its
own (its group robot or clerk: `notices recipients add --role unit --unit …`) is sent its own 催报 —
what it owes, by when, where to send it; three days before the deadline the list is also sent to the
office (tasks/notices/). A notice that cannot be delivered never fails the run. It holds the period's lock like
the monthly run, so it never writes while the month is being built.
"""
from __future__ import annotations

from prefect import flow, get_run_logger

from ..tasks import steps
from ..tasks.core.settings import load_settings
from . import run_support


@flow(name="催报名单", flow_run_name=run_support.run_name("催报名单"), log_prints=True,
      on_failure=[run_support.notify_failure], on_crashed=[run_support.notify_failure])
def submission_reminders(period: str | None = None, check: bool = True, home: str | None = None,
                         notify_units: bool = True, cadence: str | None = None, deadline_days: int = 3) -> dict:
    """Collect, read (and check) what arrived for the period, write the 催报 list and tell the owing units; a
    cadence's deployment (`cadence`, `deadline_days`) reminds for the cadence's period whose window holds the run's
    day."""
    from ..tasks.core.periods import normalise_label, scheduled_period
    from ..tasks.intake.lock import period_lock
    from ..tasks.intake.registry import session
    from ..tasks.intake.reminders import log_lines, reminder_list

    logger = get_run_logger()
    settings = load_settings(**({"home": home} if home else {}))
    if period or cadence is None:
        period = normalise_label(period) if period else scheduled_period(settings.timezone)
    else:
        period = _window_period(settings, cadence, deadline_days)
        if period is None:
            logger.info(f"今天不在{cadence}调度任何一期的催报时段内")
            return {"period": None, "owing": [], "files": {}}
    run_support.label_run(period, "reminders")
    with period_lock(settings, period, who=f"催报名单（{period}）"), \
            steps.recorded_run(settings, period, kind="reminders", reason="催报",
                               flow_run_id=run_support.flow_run_id()) as record:
        ctx = record.context
        record.counts.update(steps.collect(ctx))
        reads = steps.read(ctx)
        if check and reads:
            record.counts.update(steps.check(ctx, reads))
        with session(settings.db_url) as db:
            entries, paths = reminder_list(settings, db, period, ctx.reference)
        record.counts["owing"] = len(entries)
    from ..tasks.notices import deadline_reminder, unit_reminders

    told = unit_reminders(settings, period, entries) if notify_units else {}  # each owing unit its own list
    deadline_reminder(settings, period, entries)  # three days before the deadline: the list to the office
    for line in log_lines(period, entries):
        logger.info(line)
    if told:
        logger.info(f"催报通知：{told['units_told']} 家单位已送达，{told['units_kept']} 家一个也未送达（存入 outbox），"
                    f"{told['units_without_recipient']} 家未登记收件人")
    return {"period": period, "owing": [e["unit_code"] for e in entries], "units": told,
            "files": {k: str(v) for k, v in paths.items()}}


def _window_period(settings, cadence: str, deadline_days: int) -> str | None:
    """The cadence's period whose 催报 window (after its end, up to its deadline) holds the run's scheduled day."""
    from datetime import datetime

    from prefect.runtime import flow_run

    from ..tasks.core.periods import reminder_period

    moment = flow_run.scheduled_start_time or datetime.now(settings.tz)
    return reminder_period(cadence, moment.astimezone(settings.tz).date(), deadline_days)
