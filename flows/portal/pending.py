"""Files received while their period was busy are checked as soon as the period's lock frees.

An upload that finds the period locked (a monthly run, a rerun, another upload) waits
`ZHUANBAO_UPLOAD_LOCK_WAIT_SECONDS` (default 5) and then answers 已收到，正在汇总，稍后自动审核; it asks
`check_when_free` to check the period later. One daemon thread per period and portal process waits
for the lock (as long as it takes), reads and checks the period exactly as an upload does, and
goes round again while uploads kept arriving, so a file registered before the request counts.
"""
from __future__ import annotations

import logging
import threading

from ...tasks.core.settings import Settings

log = logging.getLogger(__name__)
_STATE_LOCK = threading.Lock()
_WAITING: dict[tuple[str, str], bool] = {}  # (home, period) -> another round asked for since the last one began
_THREADS: dict[tuple[str, str], threading.Thread] = {}


def check_period(settings: Settings, period: str, who: str, reason: str, wait_seconds: float) -> dict:
    """Read and check the period under its lock, as `zhuanbao validate` does (raises PeriodLocked)."""
    from ...tasks import steps
    from ...tasks.intake.lock import period_lock

    with period_lock(settings, period, who=who, wait_seconds=wait_seconds), \
            steps.recorded_run(settings, period, kind="upload", reason=reason) as record:
        counts = steps.check(record.context, steps.read(record.context))
        record.counts.update(counts)
        return counts


def check_when_free(settings: Settings, period: str) -> None:
    """Have the period checked once its lock frees (a thread starts unless one is already waiting)."""
    key = (str(settings.home), period)
    with _STATE_LOCK:
        _WAITING[key] = True
        thread = _THREADS.get(key)
        if thread is not None and thread.is_alive():
            return
        thread = threading.Thread(target=_rounds, args=(settings, period, key), daemon=True,
                                  name=f"zhuanbao-pending-{period}")
        _THREADS[key] = thread
        thread.start()


def _rounds(settings: Settings, period: str, key: tuple[str, str]) -> None:
    from ...tasks.intake.lock import PeriodLocked

    while True:
        with _STATE_LOCK:
            if not _WAITING.get(key):
                _THREADS.pop(key, None)
                return
            _WAITING[key] = False  # an upload registered after this line asks for another round
        while True:
            try:
                check_period(settings, period, who="填报门户（运行期间收到的文件）",
                             reason="审核运行期间收到的上传文件", wait_seconds=max(settings.lock_wait_seconds, 1))
                break
            except PeriodLocked:
                continue  # still busy: keep waiting
            except Exception:
                log.exception("报告期 %s 待审文件的审核失败", period)
                break


def resume(settings: Settings) -> list[str]:
    """At start-up: have every period that still holds a `received` file checked (a file kept while its period
    was busy, when the portal stopped before checking it); the periods asked for."""
    from sqlalchemy import select

    from ...tasks.checks.outcomes import Outcome
    from ...tasks.intake.registry import Submission, session

    with session(settings.db_url) as db:
        periods = sorted(set(db.scalars(select(Submission.period).where(Submission.outcome == Outcome.RECEIVED))))
    for period in periods:
        check_when_free(settings, period)
    return periods
