"""Accounts of the 填报门户: add, reset, disable, passwords, API tokens, one account per unit.

Initial passwords are random and must be changed at first login; a reset does the same and revokes
the account's API tokens. Every function takes an open registry session, commits what it changed and
writes the action to the audit log (`by`: who did it — the CLI's operating-system user by default).
A login costs one argon2 verification whether the login exists, is disabled or not (`check_login`).
API tokens expire `token_days` after they are issued and can be listed and revoked one by one.
"""
from __future__ import annotations

import csv
import getpass
import hashlib
import secrets
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.settings import Settings
from ..intake.registry import session, utc
from . import audit
from .models import ROLES, Account, ApiToken
from .passwords import MIN_PASSWORD, password_problem  # noqa: F401 — re-exported

_HASHER = PasswordHasher()
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I: read over the phone
_DUMMY_HASH = _HASHER.hash("timing equaliser")


class AccountError(ValueError):
    """A request about accounts that cannot be done (the message is for the clerk)."""


def new_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(16))


def hash_password(password: str) -> str:
    return _HASHER.hash(unicodedata.normalize("NFC", password))


CLI = "命令行"  # the audit log's address of an action taken with `zhuanbao accounts`


def cli_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a container without /etc/passwd entry
        return "?"


def password_matches(account: Account | None, password: str) -> bool:
    """One argon2 verification whatever happens: an unknown or disabled login is checked against a
    dummy hash, so it costs the same time as a wrong password (no timing oracle for logins)."""
    usable = account is not None and not account.disabled
    try:
        return _HASHER.verify(account.password_hash if usable else _DUMMY_HASH,
                              unicodedata.normalize("NFC", password)) and usable
    except (VerificationError, InvalidHashError):
        return False


def check_login(db: Session, login: str, password: str) -> Account | None:
    """The live account when the password is right, else None (blocking: run it in a thread)."""
    account = find(db, login)
    return account if password_matches(account, password) else None


def find(db: Session, login: str) -> Account | None:
    return db.scalar(select(Account).where(Account.login == login))


def add_account(settings: Settings, db: Session, login: str, *, name: str, role: str = "unit",
                unit_code: str | None = None, known_units: set[str] | None = None) -> tuple[Account, str]:
    """A new account and its one-time initial password."""
    login = login.strip()
    if not login or len(login) > 64 or any(c.isspace() or not c.isprintable() for c in login):
        raise AccountError(f"登录名“{login}”无效：1–64 个字符，不含空格和控制字符")
    if role not in ROLES:
        raise AccountError(f"角色“{role}”无效，应为 unit、office 或 leader")
    if role == "unit" and not unit_code:
        raise AccountError("填报员账号必须用 --unit 指定所属单位代码")
    if role != "unit" and unit_code:
        raise AccountError("统计员和领导账号不属于某个单位：不要同时给 --unit 和 --role")
    if unit_code and known_units is not None and unit_code not in known_units:
        raise AccountError(f"单位代码 {unit_code} 不在单位名录中")
    if find(db, login):
        raise AccountError(f"登录名 {login} 已存在；要重置密码请用 accounts reset {login}")
    password = new_password()
    account = Account(login=login, name=unicodedata.normalize("NFC", name.strip()), role=role, unit_code=unit_code,
                      password_hash=hash_password(password), must_change_password=True, disabled=False,
                      session_epoch=0, created_at=utc(datetime.now(settings.tz)))
    db.add(account)
    audit.record(settings, db, login, "account_created", CLI, role=role, unit=unit_code, by=cli_user())
    return account, password


def _existing(db: Session, login: str) -> Account:
    account = find(db, login)
    if account is None:
        raise AccountError(f"没有登录名为 {login} 的账号（accounts add 可新建）")
    return account


def _revoke_all(db: Session, account: Account) -> list[int]:
    revoked = []
    for token in db.scalars(select(ApiToken).where(ApiToken.account_id == account.id, ApiToken.revoked.is_(False))):
        token.revoked = True
        revoked.append(token.id)
    return revoked


def reset_password(settings: Settings, db: Session, login: str) -> str:
    """A new one-time password (the account is enabled again); its sessions end, its API tokens are
    revoked (whoever had the old password may have made one) and it must change the password at login."""
    account = _existing(db, login)
    was_disabled = account.disabled
    password = new_password()
    account.password_hash, account.must_change_password, account.disabled = hash_password(password), True, False
    account.session_epoch += 1
    revoked = _revoke_all(db, account)
    audit.record(settings, db, login, "account_reset", CLI, tokens_revoked=revoked, enabled=was_disabled,
                 by=cli_user())
    return password


def disable(settings: Settings, db: Session, login: str) -> Account:
    """No more logins or API calls: its sessions end and its tokens are revoked."""
    account = _existing(db, login)
    account.disabled = True
    account.session_epoch += 1
    revoked = _revoke_all(db, account)
    audit.record(settings, db, login, "account_disabled", CLI, tokens_revoked=revoked, by=cli_user())
    return account


def enable(settings: Settings, db: Session, login: str) -> Account:
    """A disabled account may log in again with its password (its revoked tokens stay revoked)."""
    account = _existing(db, login)
    account.disabled = False
    audit.record(settings, db, login, "account_enabled", CLI, by=cli_user())
    return account


def change_password(db: Session, account: Account, new: str) -> None:
    account.password_hash, account.must_change_password = hash_password(new), False
    account.session_epoch += 1
    db.commit()


def issue_token(settings: Settings, db: Session, login: str) -> str:
    """A new API token for the account, valid `token_days` (shown once; only its hash is kept)."""
    account = _existing(db, login)
    if account.disabled:
        raise AccountError(f"账号 {login} 已停用，不能签发令牌")
    token = "zb_" + secrets.token_urlsafe(32)
    now = utc(datetime.now(settings.tz))
    row = ApiToken(account_id=account.id, token_sha256=token_digest(token), revoked=False, created_at=now,
                   expires_at=now + timedelta(days=settings.token_days))
    db.add(row)
    db.flush()
    audit.record(settings, db, login, "token_created", CLI, token_id=row.id,
                 expires=row.expires_at.isoformat(timespec="seconds"), by=cli_user())
    return token


def token_expiry(settings: Settings, row: ApiToken) -> datetime:
    """When the token expires (UTC, naive); a token from before expiry existed: `token_days` after its creation."""
    return row.expires_at or row.created_at + timedelta(days=settings.token_days)


def tokens_of(db: Session, login: str) -> list[ApiToken]:
    """The account's tokens, newest first (revoked and expired ones included)."""
    account = _existing(db, login)
    return list(db.scalars(select(ApiToken).where(ApiToken.account_id == account.id).order_by(ApiToken.id.desc())))


def revoke_token(settings: Settings, db: Session, token_id: int) -> ApiToken:
    """One token no longer works (the others of its account still do)."""
    row = db.get(ApiToken, token_id)
    if row is None:
        raise AccountError(f"没有编号为 {token_id} 的令牌（accounts tokens 登录名 可列出）")
    owner = db.get(Account, row.account_id)
    row.revoked = True
    audit.record(settings, db, owner.login if owner else "?", "token_revoked", CLI, token_id=token_id, by=cli_user())
    return row


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def account_for_token(settings: Settings, db: Session, token: str) -> Account | None:
    """The live account a bearer token belongs to, or None (unknown, revoked, expired, account disabled)."""
    row = db.scalar(select(ApiToken).where(ApiToken.token_sha256 == token_digest(token), ApiToken.revoked.is_(False)))
    now = utc(datetime.now(settings.tz))
    if row is None or token_expiry(settings, row) <= now:
        return None
    account = db.get(Account, row.account_id)
    if account is None or account.disabled:
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):  # one write a minute at most
        row.last_used_at = now
        db.commit()
    return account


def issue_unit_accounts(settings: Settings, db: Session, units: list[tuple[str, str]], out: Path) -> int:
    """One 填报员 account per unit without one (login = unit code), written to a CSV to mail out."""
    have = {a.unit_code for a in db.scalars(select(Account).where(Account.role == "unit"))}
    rows = []
    for code, name in units:
        if code in have or find(db, code):
            continue
        account, password = add_account(settings, db, code, name=f"{name}填报员", role="unit", unit_code=code)
        rows.append({"单位代码": code, "单位": name, "登录名": account.login, "初始密码": password})
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8-sig", newline="") as handle:  # utf-8-sig: Excel opens it as Chinese
        writer = csv.DictWriter(handle, fieldnames=["单位代码", "单位", "登录名", "初始密码"])
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


DEMO_ACCOUNTS = (("demo-t01", "unit", "T01"), ("demo-office", "office", None))


def demo_accounts(settings: Settings) -> list[tuple[str, str, str]]:
    """A ready unit (T01) and office account on the demo home: (login, password, role), passwords reset."""
    out = []
    with session(settings.db_url) as db:
        for login, role, unit in DEMO_ACCOUNTS:
            if find(db, login) is None:
                add_account(settings, db, login, name="演示填报员" if unit else "演示统计员", role=role, unit_code=unit)
            password = f"demo-{secrets.token_hex(4)}-{login[5:]}"
            account = find(db, login)
            account.password_hash, account.must_change_password, account.disabled = hash_password(password), False, False
            account.session_epoch += 1
            db.commit()
            out.append((login, password, role))
    return out
