"""The notice tables, declared on the registry's Base (made by its migrations): recipients and deliveries.

A recipient is a name, a role (`office`, `leader`, `unit` — a unit recipient carries its unit_code) and
an Apprise URL (`dingtalk://…`, `wecombot://…`, `feishu://…`, `json://…`, `mailtos://…`); an e-mail
address is kept as `mailto:<address>` and sent through the SMTP settings of the moment. The URL holds
secrets (robot tokens, signing secrets, passwords): it is read only to send and never shown whole.
A delivery is one notice to one recipient: sent, failed (after its retries) or kept in the outbox.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..intake.registry import Base


class Recipient(Base):
    """Who is told what: an Apprise URL for a role (and, for `unit`, a unit), with the person's or group's name."""

    __tablename__ = "notice_recipients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(16), index=True)  # office | leader | unit
    url: Mapped[str] = mapped_column(Text)  # an Apprise URL, or mailto:<address>
    name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    unit_code: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    added_at: Mapped[datetime] = mapped_column(DateTime)


class Delivery(Base):
    """One notice to one recipient: when, to whom (name and masked URL), which notice, and how it went."""

    __tablename__ = "notice_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    recipient: Mapped[str] = mapped_column(String(128))  # the name, or the masked URL when unnamed
    target: Mapped[str] = mapped_column(Text)  # the masked URL: scheme and host, no secret
    notice: Mapped[str] = mapped_column(String(64))  # the kind: draft-review, run-failed, deadline, unit-reminder …
    subject: Mapped[str] = mapped_column(String(255))
    ok: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(16))  # sent | failed | outbox
    attempts: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # without secrets
