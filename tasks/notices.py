"""Notices to the office: a run that failed, a draft waiting, units to chase.

Every notice is an e-mail. With `ZHUANBAO_SMTP_HOST` set it is sent through that server; without it
(or when sending fails) it is written to `<home>/outbox/` as an .eml file a person can open, so a
notice is never lost. Recipients: `ZHUANBAO_NOTIFY_TO` (comma-separated addresses).
"""
from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from zhuanbao.tasks.core.settings import Settings


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
    folder = settings.home / "outbox"
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
