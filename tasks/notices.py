"""Notices to the office: a run that failed, a draft waiting, units to chase.

Every notice is an e-mail. With `ZHUANBAO_SMTP_HOST` set it is sent through that server; without it
(or when sending fails) it is written to `<home>/outbox/` as an .eml file a person can open, so a
notice is never lost. Recipients per role in the registry (`Recipient`: `office` — the office
head and clerks, `leader` — who signs; `zhuanbao notices recipients add`); a role with nobody
registered falls back to `ZHUANBAO_NOTIFY_TO` (comma-separated addresses).

Each notice is also a Prefect event (`zhuanbao.draft.waiting`, `zhuanbao.run.failed`,
`zhuanbao.deadline.near`, `zhuanbao.report.<action>`; resource `zhuanbao.period.<P>`) so an office
can add Prefect automations; emitted only where a Prefect server is reachable (inside a flow run,
or with PREFECT_API_URL set) — never starting one.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from sqlalchemy import DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from .core import catalog
from .core.settings import Settings
from .intake.registry import Base, session, utc

ROLES = {"office": "办公室（审核、印发）", "leader": "领导（签发）"}
DEADLINE_NOTICE_DAYS = 3


class Recipient(Base):
    """Who is told what: an address for a role, with the person's name (who may act in that role)."""

    __tablename__ = "notice_recipients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(16), index=True)  # office | leader
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    added_at: Mapped[datetime] = mapped_column(DateTime)


def add_recipient(settings: Settings, role: str, email: str, name: str | None = None) -> bool:
    """Register `email` for `role` (the name updated when already there); False when it was there unchanged."""
    if role not in ROLES:
        raise ValueError(f"未知的角色“{role}”：应为 {'、'.join(ROLES)}")
    email = email.strip()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+", email):
        raise ValueError(f"“{email}”不是电子邮件地址")
    name = (name or "").strip() or None
    with session(settings.db_url) as db:
        row = db.scalar(select(Recipient).where(Recipient.role == role, Recipient.email == email))
        if row is not None and (row.name == name or name is None):
            return False
        if row is None:
            db.add(Recipient(role=role, email=email, name=name, added_at=utc(datetime.now(settings.tz))))
        else:
            row.name = name
        db.commit()
    return True


def remove_recipient(settings: Settings, role: str, email: str) -> int:
    with session(settings.db_url) as db:
        rows = list(db.scalars(select(Recipient).where(Recipient.role == role, Recipient.email == email.strip())))
        for row in rows:
            db.delete(row)
        db.commit()
    return len(rows)


def list_recipients(settings: Settings) -> list[dict]:
    with session(settings.db_url) as db:
        rows = db.scalars(select(Recipient).order_by(Recipient.role, Recipient.id))
        return [{"role": r.role, "email": r.email, "name": r.name or ""} for r in rows]


def recipients(settings: Settings, role: str) -> list[str]:
    """The addresses of a role; ZHUANBAO_NOTIFY_TO when nobody is registered for it."""
    mine = [r["email"] for r in list_recipients(settings) if r["role"] == role]
    return mine or list(settings.notify_to)


def emit(event: str, period: str | None, payload: dict) -> None:
    """A Prefect event about a period, when a Prefect server is reachable; otherwise nothing."""
    try:
        from prefect.context import FlowRunContext
        from prefect.settings import PREFECT_API_URL

        if FlowRunContext.get() is None and not PREFECT_API_URL.value():
            return
        from prefect.events import emit_event

        emit_event(event=event, resource={"prefect.resource.id": f"zhuanbao.period.{period or 'unknown'}",
                                          "prefect.resource.name": f"专报 {period or ''}".strip()},
                   payload=payload)
    except Exception:  # noqa: BLE001 — an event is a courtesy; the notice itself has been sent
        return


def compose(settings: Settings, subject: str, body: str, to: list[str] | None = None) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp_sender
    message["To"] = ", ".join(to or settings.notify_to or ["office@localhost"])
    message["Date"] = format_datetime(datetime.now(settings.tz))
    message["Message-ID"] = make_msgid(domain="zhuanbao.local")
    message.set_content(body, charset="utf-8")
    return message


def write_outbox(settings: Settings, message: EmailMessage, kind: str) -> Path:
    folder = catalog.outbox_dir(settings.home)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(settings.tz).strftime("%Y%m%d-%H%M%S-%f")
    path = folder / f"{stamp}-{re.sub(r'[^A-Za-z0-9_-]', '', kind)[:40] or 'notice'}.eml"
    path.write_bytes(bytes(message))
    return path


def send_notice(settings: Settings, subject: str, body: str, *, kind: str = "notice",
                to: list[str] | None = None) -> Path | None:
    """Send by SMTP when configured; otherwise (or on failure) keep it in the outbox. Returns the .eml path."""
    message = compose(settings, subject, body, to)
    if settings.smtp_host:
        import smtplib

        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls()
                if settings.smtp_user:
                    smtp.login(settings.smtp_user, settings.smtp_password or "")
                smtp.send_message(message)
            return None
        except (OSError, smtplib.SMTPException) as exc:
            message["X-Zhuanbao-Send-Error"] = f"{type(exc).__name__}: {exc}"[:200]
    return write_outbox(settings, message, kind)


def _link(path: str | Path | None) -> str:
    return Path(path).resolve().as_uri() if path else "—"


def draft_waiting(settings: Settings, state: dict, role: str, returned: str | None = None) -> Path | None:
    """A draft waits for `role` (tasks/report/approval.py `waiting_for`): review by the office or signing
    by the leaders; `state` is the revision's `approval_state`."""
    step = "审核" if role == "office" else "签发"
    command = "review" if role == "office" else "sign"
    period, what = state["period"], f"{state['period']} 专报{state['label']}"
    head = f"{what}已被退回，退回意见：{returned}\n修改后请重新审核。\n" if returned else f"{what}草稿已生成，待{step}。\n"
    body = (f"{head}\n草稿（PDF）：{_link(state['draft'].get('pdf'))}\n草稿（Word）：{_link(state['draft'].get('docx'))}\n\n"
            f"{step}：zhuanbao {command} --period {period} --by 姓名　"
            f"退回：zhuanbao return --period {period} --by 姓名 --comment 原因\n")
    emit("zhuanbao.draft.waiting", period, {"waiting_for": role, "state": state["state"], "revision": state["revision"],
                                            "pdf": state["draft"].get("pdf"), "returned": returned or ""})
    subject = (f"【专报】{what}已退回，待重新审核" if returned
               else f"【专报】{what}草稿{'已审核，' if role == 'leader' else ''}待{step}")
    return send_notice(settings, subject, body,
                       kind=f"draft-{command}", to=recipients(settings, role))


def run_failed(settings: Settings, subject: str, body: str, period: str | None, payload: dict) -> Path | None:
    """A run failed or crashed: the office is told (with the step and the message)."""
    emit("zhuanbao.run.failed", period, payload)
    return send_notice(settings, subject, body, kind="run-failed", to=recipients(settings, "office"))


def deadline_reminder(settings: Settings, period: str, entries: list[dict], today: date | None = None,
                      force: bool = False) -> Path | None:
    """Three days before the deadline, the 催报 list (units that have not submitted) to the office."""
    closing = settings.deadline(period)
    today = today or datetime.now(settings.tz).date()
    if not entries or not (force or (closing.date() - today).days == DEADLINE_NOTICE_DAYS):
        return None
    head = (f"{period} 报送截止时间：{closing:%Y-%m-%d %H:%M}（还有{(closing.date() - today).days}天），"
            f"尚有 {len(entries)} 家单位未完成报送：")
    lines = [head, ""]
    lines += [f"- {e['unit_name']}（{e['unit_code']}）：{e['situation']}"
              + (f"，联系人 {e['contact']} {e['phone']}".rstrip() if e.get("contact") or e.get("phone") else "")
              for e in entries]
    lines += ["", f"名单：{_link(settings.reports_dir(period) / '催报名单.md')}"]
    emit("zhuanbao.deadline.near", period, {"deadline": closing.isoformat(), "owing": [e["unit_code"] for e in entries]})
    return send_notice(settings, f"【专报】{period} 报送截止前{DEADLINE_NOTICE_DAYS}天：{len(entries)} 家单位未报送",
                       "\n".join(lines) + "\n", kind="deadline", to=recipients(settings, "office"))
