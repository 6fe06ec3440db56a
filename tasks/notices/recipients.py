"""The recipients of notices, per role: the office, the leaders, and each unit's own group robot or clerk.

`add` takes an e-mail address or an Apprise URL (see urls.py); a recipient is identified by its role, its
unit and its URL, so adding it again only updates the name. Listing never shows a URL whole (`masked`).
A role with nobody registered falls back to ZHUANBAO_NOTIFY_TO (addresses or URLs, comma-separated);
units have no fallback: a unit without a recipient of its own is phoned from the 催报名单.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..core.settings import Settings
from ..intake.registry import session, utc
from .models import Recipient
from .urls import email_of, masked, normalise

ROLES = {"office": "办公室（审核、印发）", "leader": "领导（签发）", "unit": "报送单位（催报）"}


@dataclass(frozen=True)
class Target:
    """One place a notice goes: the stored URL (secret) and how it is named in lists and records."""

    url: str
    name: str = ""

    @property
    def shown(self) -> str:
        return masked(self.url)

    @property
    def label(self) -> str:
        return self.name or self.shown


def _checked(role: str, unit: str | None) -> str | None:
    if role not in ROLES:
        raise ValueError(f"未知的角色“{role}”：应为 {'、'.join(ROLES)}")
    unit = (unit or "").strip() or None
    if role == "unit" and unit is None:
        raise ValueError("单位收件人须指明单位代码：--unit 单位代码")
    if role != "unit" and unit is not None:
        raise ValueError(f"只有 unit 角色的收件人属于某个单位，{role} 不需要 --unit")
    return unit


def add_recipient(settings: Settings, role: str, target: str, name: str | None = None, *,
                  unit: str | None = None) -> bool:
    """Register an address or URL for `role` (the name updated when already there); False when unchanged."""
    unit = _checked(role, unit)
    url = normalise(target)
    name = (name or "").strip() or None
    with session(settings.db_url) as db:
        row = db.scalar(select(Recipient).where(Recipient.role == role, Recipient.url == url,
                                                Recipient.unit_code.is_(None) if unit is None
                                                else Recipient.unit_code == unit))
        if row is not None and (row.name == name or name is None):
            return False
        if row is None:
            db.add(Recipient(role=role, url=url, name=name, unit_code=unit, added_at=utc(datetime.now(settings.tz))))
        else:
            row.name = name
        db.commit()
    return True


def remove_recipient(settings: Settings, role: str, target: str | None = None, *, name: str | None = None,
                     unit: str | None = None) -> int:
    """Remove the recipients of `role` matching the address/URL, the name and the unit given; the count removed."""
    if target is None and name is None and unit is None:
        raise ValueError("请指明要删除的收件人：--email、--url、--name 或 --unit")
    url = normalise(target) if target else None
    with session(settings.db_url) as db:
        rows = [r for r in db.scalars(select(Recipient).where(Recipient.role == role))
                if (url is None or r.url == url) and (name is None or r.name == name.strip())
                and (unit is None or r.unit_code == unit.strip())]
        for row in rows:
            db.delete(row)
        db.commit()
    return len(rows)


def list_recipients(settings: Settings) -> list[dict]:
    """Every recipient for display: role, unit, name, service and the masked URL (never the URL itself)."""
    with session(settings.db_url) as db:
        rows = list(db.scalars(select(Recipient).order_by(Recipient.role, Recipient.unit_code, Recipient.id)))
    return [{"role": r.role, "unit_code": r.unit_code or "", "name": r.name or "", "email": email_of(r.url) or "",
             "target": masked(r.url)} for r in rows]


def names_of(settings: Settings, role: str) -> set[str]:
    """The registered names of a role (who may review or sign)."""
    with session(settings.db_url) as db:
        return {n for n in db.scalars(select(Recipient.name).where(Recipient.role == role)) if n}


def targets(settings: Settings, role: str, unit: str | None = None) -> list[Target]:
    """Where a role's notices go (a unit's: its own recipients); ZHUANBAO_NOTIFY_TO when an office role has none."""
    with session(settings.db_url) as db:
        query = select(Recipient).where(Recipient.role == role)
        if unit is not None:
            query = query.where(Recipient.unit_code == unit)
        mine = [Target(r.url, r.name or "") for r in db.scalars(query.order_by(Recipient.id))]
    if mine or role == "unit":
        return mine
    return [Target(url) for url in _fallback(settings)]


def _fallback(settings: Settings) -> list[str]:
    """ZHUANBAO_NOTIFY_TO as stored URLs; an entry that is neither an address nor a URL is skipped, and said."""
    urls = []
    for entry in (t for t in settings.notify_to if t.strip()):
        try:
            urls.append(normalise(entry))
        except ValueError as exc:
            logging.getLogger("zhuanbao.notices").warning("ZHUANBAO_NOTIFY_TO 中有一项被跳过：%s", exc)
    return urls


def recipients(settings: Settings, role: str) -> list[str]:
    """The e-mail addresses and masked URLs of a role, for display (the old API's list of addresses)."""
    return [email_of(t.url) or t.shown for t in targets(settings, role)]
