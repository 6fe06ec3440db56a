"""The portal's audit log and the login delay (both read the same `portal_audit` rows).

Failed logins slow the next attempt instead of refusing it: once a login has failed `FREE_FAILURES`
times since its last successful login (within `WINDOW_MINUTES`), or an address `FREE_FAILURES_PER_ADDRESS`
times, each further attempt waits 1 s, 2 s, 4 s … (at most `login_delay_max_seconds`) *before* its
password is checked — the right password still gets in, so nobody can lock a unit out by typing
wrong passwords for it, and guessing costs up to that many seconds a try. The address count is not
reset by a success (an attacker cannot clear it by logging into their own account).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.settings import Settings
from ..intake.registry import utc
from .models import AuditEvent

FREE_FAILURES = 5
FREE_FAILURES_PER_ADDRESS = 20
WINDOW_MINUTES = 15


def record(settings: Settings, db: Session, login: str, action: str, address: str, **detail) -> None:
    """One row of the log, committed together with whatever the session changed before it."""
    db.add(AuditEvent(at=utc(datetime.now(settings.tz)), login=login[:64], action=action,
                      address=(address or "")[:64], detail=detail))
    db.commit()


def _delay(failures: int, free: int, cap: float) -> float:
    return 0.0 if failures < free else min(2.0 ** min(failures - free, 30), cap)


def login_delay(settings: Settings, db: Session, login: str, address: str) -> float:
    """Seconds this login attempt waits before its password is checked (0 when nothing failed lately)."""
    login, address = login[:64], (address or "")[:64]
    since = utc(datetime.now(settings.tz) - timedelta(minutes=WINDOW_MINUTES))
    last_ok = db.scalar(select(func.max(AuditEvent.at)).where(AuditEvent.action == "login", AuditEvent.login == login))
    failed = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "login_failed")
    by_login = db.scalar(failed.where(AuditEvent.login == login, AuditEvent.at >= max(since, last_ok or since))) or 0
    by_address = db.scalar(failed.where(AuditEvent.address == address, AuditEvent.at >= since)) or 0
    cap = settings.login_delay_max_seconds
    return max(_delay(by_login, FREE_FAILURES, cap), _delay(by_address, FREE_FAILURES_PER_ADDRESS, cap))


def recent(db: Session, limit: int = 100) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))
