"""Accounts of the 填报门户: add, reset, disable, passwords, API tokens, one account per unit.

Initial passwords are random and must be changed at first login; a reset does the same. Every
function takes an open registry session and commits what it changed.
"""
from __future__ import annotations

import csv
import hashlib
import secrets
import unicodedata
from datetime import datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuanbao.tasks.access.models import ROLES, Account, ApiToken, ensure_tables
from zhuanbao.tasks.core.settings import Settings
from zhuanbao.tasks.intake.registry import session, utc

MIN_PASSWORD = 12
_HASHER = PasswordHasher()
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I: read over the phone
_DUMMY_HASH = _HASHER.hash("timing equaliser")


class AccountError(ValueError):
    """A request about accounts that cannot be done (the message is for the clerk)."""


def new_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(16))


def hash_password(password: str) -> str:
    return _HASHER.hash(unicodedata.normalize("NFC", password))


def password_matches(account: Account | None, password: str) -> bool:
    """Verify in constant-ish time; an unknown login costs the same as a wrong password."""
    try:
        return _HASHER.verify(account.password_hash if account else _DUMMY_HASH,
                              unicodedata.normalize("NFC", password)) and account is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, login: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD:
        return f"新密码至少 {MIN_PASSWORD} 个字符"
    if login.lower() in password.lower():
        return "新密码不能包含登录名"
    return None


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
    db.commit()
    return account, password


def _existing(db: Session, login: str) -> Account:
    account = find(db, login)
    if account is None:
        raise AccountError(f"没有登录名为 {login} 的账号（accounts add 可新建）")
    return account


def reset_password(db: Session, login: str) -> str:
    """A new one-time password; the account's sessions end and it must change the password at login."""
    account = _existing(db, login)
    password = new_password()
    account.password_hash, account.must_change_password, account.disabled = hash_password(password), True, False
    account.session_epoch += 1
    db.commit()
    return password


def disable(db: Session, login: str) -> Account:
    """No more logins or API calls: its sessions end and its tokens are revoked."""
    account = _existing(db, login)
    account.disabled = True
    account.session_epoch += 1
    for token in db.scalars(select(ApiToken).where(ApiToken.account_id == account.id)):
        token.revoked = True
    db.commit()
    return account


def change_password(db: Session, account: Account, new: str) -> None:
    account.password_hash, account.must_change_password = hash_password(new), False
    account.session_epoch += 1
    db.commit()


def issue_token(settings: Settings, db: Session, login: str) -> str:
    """A new API token for the account (shown once; only its hash is kept)."""
    account = _existing(db, login)
    if account.disabled:
        raise AccountError(f"账号 {login} 已停用，不能签发令牌")
    token = "zb_" + secrets.token_urlsafe(32)
    db.add(ApiToken(account_id=account.id, token_sha256=token_digest(token), revoked=False,
                    created_at=utc(datetime.now(settings.tz))))
    db.commit()
    return token


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def account_for_token(db: Session, token: str) -> Account | None:
    """The live account a bearer token belongs to, or None."""
    row = db.scalar(select(ApiToken).where(ApiToken.token_sha256 == token_digest(token), ApiToken.revoked.is_(False)))
    account = db.get(Account, row.account_id) if row else None
    return account if account is not None and not account.disabled else None


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
    ensure_tables(settings.db_url)
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
