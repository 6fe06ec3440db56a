"""Sending one notice to its recipients through Apprise: retried, recorded, and kept in the outbox when undelivered.

Each recipient gets `notice_attempts` tries, `notice_retry_seconds` apart and doubling; each outcome is a
row of `notice_deliveries` (sent / failed / outbox) with a reason from which every secret of the URL has
been removed. Apprise's own log (which prints robot URLs with their tokens at debug level) is captured
while sending and never reaches the run's log. A notice that reached nobody — no recipient, no SMTP host
for an e-mail recipient, or every try failed — is also written to `<home>/outbox/` as an .eml a person
can open, so a notice is never lost; and nothing here raises into the run that sent it.
"""
from __future__ import annotations

import logging
import re
import time
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from ..core import catalog
from ..core.settings import Settings
from ..intake.registry import session, utc
from .models import Delivery
from .recipients import Target
from .urls import apprise_url, email_of, redact

log = logging.getLogger("zhuanbao.notices")
NO_SMTP = "未设置 SMTP 服务器（ZHUANBAO_SMTP_HOST），已存入 outbox"


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


QUIET = ("apprise", "urllib3")  # both log robot URLs with their tokens (apprise at debug, urllib3 every request)


@contextmanager
def _apprise_log():
    """Apprise's and urllib3's warnings collected (for the reason), none of their lines passed on to others."""
    handler = _Lines()
    loggers = [logging.getLogger(name) for name in QUIET]
    saved = [(logger.level, logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
        logger.propagate = False
    try:
        yield handler.lines
    finally:
        for logger, (level, propagate) in zip(loggers, saved, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate


def _attempt(url: str, subject: str, body: str) -> tuple[bool, str]:
    import apprise

    with _apprise_log() as lines:
        try:
            box = apprise.Apprise()
            ok = box.add(url) and bool(box.notify(body=body, title=subject, body_format=apprise.NotifyFormat.MARKDOWN))
        except Exception as exc:  # noqa: BLE001 — a plugin's failure is a failed delivery, never a failed run
            ok = False
            lines.append(f"{type(exc).__name__}: {exc}")
    return ok, "；".join(line.strip() for line in lines[-2:]) or "发送失败（未说明原因）"


def deliver(settings: Settings, url: str, subject: str, body: str) -> tuple[bool, int, str]:
    """Send to one Apprise URL with retries and backoff: (ok, attempts made, last reason — may hold secrets)."""
    reason = ""
    for attempt in range(1, settings.notice_attempts + 1):
        ok, reason = _attempt(url, subject, body)
        if ok:
            return True, attempt, ""
        if attempt < settings.notice_attempts:
            time.sleep(settings.notice_retry_seconds * 2 ** (attempt - 1))
    return False, settings.notice_attempts, reason


def compose(settings: Settings, subject: str, body: str, to: list[Target]) -> EmailMessage:
    """The .eml kept in the outbox: To holds the e-mail recipients, the other recipients named and masked."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp_sender
    message["To"] = ", ".join([a for t in to if (a := email_of(t.url))] or ["office@localhost"])
    others = [f"{t.label}（{t.shown}）" for t in to if not email_of(t.url)]
    if others:
        message["X-Zhuanbao-Recipients"] = "; ".join(others)
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


def _one(settings: Settings, target: Target, subject: str, body: str) -> tuple[str, int, str]:
    """(outcome, attempts, reason without secrets) of one recipient."""
    url = None
    try:
        url = apprise_url(settings, target.url)
        if url is None:
            return "outbox", 0, NO_SMTP
        ok, attempts, reason = deliver(settings, url, subject, body)
    except Exception as exc:  # noqa: BLE001 — never into the run
        ok, attempts, reason = False, 0, f"{type(exc).__name__}: {exc}"
    return ("sent" if ok else "failed"), attempts, redact(reason, [target.url, *([url] if url else [])])[:500]


def send_notice(settings: Settings, subject: str, body: str, *, kind: str = "notice",
                to: list[Target] | None = None) -> Path | None:
    """Send to every recipient; a notice that did not reach them all goes to the outbox too. Returns the .eml path."""
    return send_counted(settings, subject, body, kind=kind, to=to)[1]


def send_counted(settings: Settings, subject: str, body: str, *, kind: str = "notice",
                 to: list[Target] | None = None) -> tuple[int, Path | None]:
    """`send_notice`, also saying how many recipients it reached."""
    to = list(to or [])
    rows, missed, reasons = [], [], []
    for target in to:
        outcome, attempts, reason = _one(settings, target, subject, body)
        rows.append(Delivery(at=utc(datetime.now(settings.tz)), recipient=target.label[:128], target=target.shown,
                             notice=kind[:64], subject=subject[:255], ok=outcome == "sent", outcome=outcome,
                             attempts=attempts, reason=reason or None))
        if outcome != "sent":
            missed.append(target)
            reasons.append(f"{target.label}：{reason}")
            if outcome == "failed":
                log.warning("通知未送达：%s（%s）%s，%s", target.label, target.shown, subject, reason)
    _record(settings, rows)
    if to and not missed:
        return len(to), None
    message = compose(settings, subject, body, missed or to)
    if reasons:
        message["X-Zhuanbao-Send-Error"] = "; ".join(reasons)[:500]
    return len(to) - len(missed), write_outbox(settings, message, kind)


def _record(settings: Settings, rows: list[Delivery]) -> None:
    if not rows:
        return
    try:
        with session(settings.db_url) as db:
            db.add_all(rows)
            db.commit()
    except Exception as exc:  # noqa: BLE001 — a registry that cannot record is reported, the run goes on
        log.warning("通知送达记录未能写入登记簿：%s", f"{type(exc).__name__}: {exc}"[:200])


def recent(settings: Settings, limit: int = 20, *, failed_only: bool = False) -> list[dict]:
    """The newest deliveries (masked targets, reasons without secrets), newest first."""
    from sqlalchemy import select

    from ..intake.registry import local

    query = select(Delivery)
    if failed_only:
        query = query.where(Delivery.outcome == "failed")
    with session(settings.db_url) as db:
        rows = list(db.scalars(query.order_by(Delivery.at.desc(), Delivery.id.desc()).limit(limit)))
    return [{"at": local(r.at, settings.tz).isoformat(timespec="seconds"), "recipient": r.recipient,
             "target": r.target, "notice": r.notice, "subject": r.subject, "ok": r.ok, "outcome": r.outcome,
             "attempts": r.attempts, "reason": r.reason or ""} for r in rows]


def last_failures(settings: Settings, limit: int = 5) -> list[dict]:
    """The newest failed deliveries, newest first (for `zhuanbao doctor`)."""
    return recent(settings, limit, failed_only=True)
