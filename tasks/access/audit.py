"""The portal's audit log and login throttling (both read the same `portal_audit` rows).

A login is refused for `LOCK_MINUTES` after `MAX_FAILURES` failed attempts on that login, or
`MAX_FAILURES_PER_ADDRESS` from one address, within the window; a success does not erase the
failures (an attacker cannot reset the count by logging into their own account).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhuanbao.tasks.access.models import AuditEvent
from zhuanbao.tasks.core.settings import Settings
from zhuanbao.tasks.intake.registry import utc

MAX_FAILURES = 5
MAX_FAILURES_PER_ADDRESS = 20
LOCK_MINUTES = 15


def record(settings: Settings, db: Session, login: str, action: str, address: str, **detail) -> None:
    db.add(AuditEvent(at=utc(datetime.now(settings.tz)), login=login[:64], action=action,
                      address=(address or "")[:64], detail=detail))
    db.commit()


def login_throttled(settings: Settings, db: Session, login: str, address: str) -> bool:
    """True when this login or this address failed too often in the last LOCK_MINUTES."""
    since = utc(datetime.now(settings.tz) - timedelta(minutes=LOCK_MINUTES))
    failed = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "login_failed",
                                                                  AuditEvent.at >= since)
    by_login = db.scalar(failed.where(AuditEvent.login == login[:64])) or 0
    by_address = db.scalar(failed.where(AuditEvent.address == (address or "")[:64])) or 0
    return by_login >= MAX_FAILURES or by_address >= MAX_FAILURES_PER_ADDRESS


def recent(db: Session, limit: int = 100) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))
