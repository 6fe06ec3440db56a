"""The access tables, declared on the registry's Base (made by its migrations): accounts, API tokens, the audit log.

Passwords are argon2 hashes; tokens are stored as their sha256 (a token is 256 random bits, so a
fast hash is enough and lets a request find its token by index). `session_epoch` grows whenever a
login must end (logout, password change, reset, disable): a session cookie carries the epoch it was
issued under and is refused once the account's epoch moved on.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..intake.registry import Base

ROLES = ("unit", "office", "leader")
ROLE_TEXT = {"unit": "填报员", "office": "统计员", "leader": "领导"}


class Account(Base):
    """One person who logs in: a unit's 填报员 (bound to one unit_code), a 统计员 or a 领导."""

    __tablename__ = "portal_accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    unit_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ApiToken(Base):
    """An API token of an account (scripted upload); only its sha256 is kept.

    `expires_at` is NULL on rows made before tokens expired: such a token expires `token_days`
    after its `created_at` (accounts.token_expiry)."""

    __tablename__ = "portal_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("portal_accounts.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # UTC, naive
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AuditEvent(Base):
    """Who did what, when and from where: login (ok/failed), logout, upload, download, password, token."""

    __tablename__ = "portal_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)  # UTC, naive
    login: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
