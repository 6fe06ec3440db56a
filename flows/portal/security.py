"""Sessions, CSRF, roles and the response headers of the portal (OWASP ASVS level 1).

The session is a signed, timestamped cookie (itsdangerous; HttpOnly, SameSite=Lax, Secure behind
HTTPS) holding the account id, the account's `session_epoch` and the CSRF token; it expires after
`portal_session_minutes` without a request (each answered request renews it) and after 12 hours in
any case. Every POST form carries the CSRF token in the hidden field `csrf_token`; a request whose
Origin is another site is refused. The API authenticates by bearer token only (no cookies), so it
needs no CSRF token.
"""
from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable

from fastapi import Request
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from ...tasks.access.models import Account
from ...tasks.core import catalog
from ...tasks.core.settings import Settings
from ...tasks.intake.registry import session as registry_session

COOKIE = "zb_session"
ABSOLUTE_HOURS = 12
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-src 'self'; frame-ancestors 'self'")
STRICT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'; sandbox"
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN",
           "Referrer-Policy": "same-origin", "Cache-Control": "no-store",
           "Permissions-Policy": "camera=(), microphone=(), geolocation=()"}


class LoginRequired(Exception):
    """No live session: the page sends the browser to the login form."""

    def __init__(self, expired: bool = False):
        self.expired = expired


class Forbidden(Exception):
    """Logged in, but this role may not do this (403)."""


class PasswordChangeRequired(Exception):
    """The account still has its one-time password."""


class CsrfFailed(Exception):
    """The form's CSRF token is missing or not this session's (403)."""


def secret_key(settings: Settings) -> str:
    """ZHUANBAO_PORTAL_SECRET_KEY, else a random key kept in <home>/portal.secret (0600) across restarts."""
    if settings.portal_secret_key:
        return settings.portal_secret_key
    path = catalog.portal_secret(settings.home)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def serializer(settings: Settings, clock: Callable[[], float] = time.time) -> URLSafeTimedSerializer:
    """Signs sessions; `clock` (seconds since the epoch) dates them and measures their age."""

    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock())

    return URLSafeTimedSerializer(secret_key(settings), salt="zhuanbao-portal-session", signer=Signer)


def load_session(request: Request) -> dict:
    """The request's session (a fresh anonymous one when the cookie is absent, forged or expired)."""
    settings: Settings = request.app.state.settings
    raw = request.cookies.get(COOKIE)
    data, expired = None, False
    if raw:
        try:
            data = request.app.state.signer.loads(raw, max_age=int(settings.portal_session_minutes * 60))
        except SignatureExpired:
            expired = True
        except BadSignature:
            data = None
    now = request.app.state.clock()
    if not isinstance(data, dict) or now - data.get("iat", 0) > ABSOLUTE_HOURS * 3600:
        expired = expired or isinstance(data, dict)
        data = {"csrf": secrets.token_urlsafe(32), "iat": now}
    data["expired"] = expired
    return data


def save_session(request: Request, response) -> None:
    settings: Settings = request.app.state.settings
    data = {k: v for k, v in request.state.session.items() if k != "expired"}
    response.set_cookie(COOKIE, request.app.state.signer.dumps(data), httponly=True, samesite="lax",
                        secure=settings.portal_cookie_secure, path="/")  # a browser-session cookie: the
    # server enforces the idle and absolute lifetimes from the signed timestamp, and can say "expired"


def start_session(request: Request, account: Account) -> None:
    """A new session for the account (new CSRF token: nothing from before the login carries over)."""
    request.state.session = {"aid": account.id, "ep": account.session_epoch, "csrf": secrets.token_urlsafe(32),
                             "iat": request.app.state.clock()}


def end_session(request: Request) -> None:
    request.state.session = {"csrf": secrets.token_urlsafe(32), "iat": request.app.state.clock()}


def current_account(request: Request) -> Account | None:
    """The session's live account, or None (unknown, disabled, or its sessions were ended)."""
    if hasattr(request.state, "account"):
        return request.state.account
    data, account = request.state.session, None
    if data.get("aid"):
        with registry_session(request.app.state.settings.db_url) as db:
            found = db.get(Account, data["aid"])
        if found is not None and not found.disabled and found.session_epoch == data.get("ep"):
            account = found
    request.state.account = account
    return account


def require(request: Request, *roles: str, allow_initial_password: bool = False) -> Account:
    """The logged-in account, which must have one of `roles` (any role when none are given)."""
    account = current_account(request)
    if account is None:
        raise LoginRequired(expired=request.state.session.get("expired", False))
    if account.must_change_password and not allow_initial_password:
        raise PasswordChangeRequired()
    if roles and account.role not in roles:
        raise Forbidden()
    return account


def check_csrf(request: Request, form) -> None:
    """The form's `csrf_token` must be this session's, and a browser's Origin must be this site."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        expected = f"{request.url.scheme}://{request.headers.get('host', '')}"
        forwarded = request.headers.get("x-forwarded-proto")
        allowed = {expected} | ({f"{forwarded}://{request.headers.get('host', '')}"} if forwarded else set())
        if origin not in allowed:
            raise CsrfFailed()
    sent = form.get("csrf_token") if form is not None else None
    if not isinstance(sent, str) or not secrets.compare_digest(sent, request.state.session.get("csrf", "")):
        raise CsrfFailed()


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""
