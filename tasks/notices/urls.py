"""Recipient URLs: checking them, building the mail URL from the SMTP settings, and hiding their secrets.

A stored URL is either an Apprise URL or `mailto:<address>` (an e-mail recipient). The latter becomes
Apprise's `mailto://` (or `mailtos://` with STARTTLS) at send time from ZHUANBAO_SMTP_*, so changing
the SMTP server changes every e-mail recipient at once, and no SMTP password is stored per recipient.
Nothing here returns a secret for display: `masked` keeps the scheme and the host, Apprise's privacy
mode hides tokens and passwords, and `redact` removes every secret of a URL from a text (a log line).
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from ..core.settings import Settings

EMAIL = re.compile(r"[^@\s/:]+@[^@\s/:]+")
MAIL_PREFIX = "mailto:"
# Services whose robots render Markdown when the URL asks (format=markdown). 钉钉 does, but Apprise 1.13's
# dingtalk plugin then still sends msgtype "text" (fixed upstream by caronc/apprise#1733), which 钉钉 refuses:
# until that release is the floor, 钉钉 gets the same light Markdown as plain text.
MARKDOWN_SCHEMES: set[str] = set()
_PUBLIC_QUERY = {"to", "from", "smtp", "mode", "format", "method", "verify", "cto", "rto", "name"}


def is_email(target: str) -> bool:
    return EMAIL.fullmatch(target.strip()) is not None


def mail_url(address: str) -> str:
    return f"{MAIL_PREFIX}{address.strip()}"


def email_of(url: str) -> str | None:
    """The address of an e-mail recipient (`mailto:a@b`), else None."""
    return url[len(MAIL_PREFIX):] if url.startswith(MAIL_PREFIX) and "//" not in url[:len(MAIL_PREFIX) + 2] else None


def scheme(url: str) -> str:
    return "mailto" if email_of(url) else url.split("://", 1)[0].lower()


def normalise(target: str) -> str:
    """An e-mail address or an Apprise URL as stored; ValueError (one Chinese line, no secret) when neither."""
    target = target.strip()
    if is_email(target):
        return mail_url(target)
    if email_of(target) and is_email(email_of(target) or ""):
        return target
    if "://" not in target:
        raise ValueError("既不是电子邮件地址，也不是通知地址（应形如 dingtalk://…、wecombot://…、mailto://…）")
    import apprise

    if apprise.Apprise.instantiate(target) is None:
        raise ValueError(f"无法识别的通知地址（{scheme(target)}://…）：请核对地址格式（见运维手册“通知”一节）")
    return target


def apprise_url(settings: Settings, url: str) -> str | None:
    """The URL Apprise sends to: an e-mail recipient through the SMTP settings (None without an SMTP host)."""
    address = email_of(url)
    if address is None:
        return markdown_where_rendered(url)
    if not settings.smtp_host:
        return None
    login = ""
    if settings.smtp_user:
        login = quote(settings.smtp_user, safe="") + ":" + quote(settings.smtp_password or "", safe="") + "@"
    kind, mode = ("mailtos", "starttls") if settings.smtp_starttls else ("mailto", "insecure")
    query = f"smtp={quote(settings.smtp_host)}&from={quote(settings.smtp_sender)}&to={quote(address)}&mode={mode}"
    return f"{kind}://{login}{settings.smtp_host}:{settings.smtp_port}/?{query}"


def markdown_where_rendered(url: str) -> str:
    """Ask for Markdown from the services that render it, unless the URL chose a format itself."""
    if scheme(url) in MARKDOWN_SCHEMES and "format=" not in url:
        return url + ("&" if "?" in url else "?") + "format=markdown"
    return url


def masked(url: str) -> str:
    """The URL for display: scheme and host kept, tokens, secrets and passwords hidden, no query."""
    if email_of(url) is not None:
        return url
    import apprise

    plugin = apprise.Apprise.instantiate(url)
    shown = plugin.url(privacy=True) if plugin is not None else _mask_by_hand(url)
    return shown.split("?", 1)[0].rstrip("/") or f"{scheme(url)}://****"


def _mask_by_hand(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{'****@' if parts.username else ''}{host if '.' in host else '****'}" + \
        ("/****" if parts.path.strip("/") else "")


def secrets_of(url: str) -> list[str]:
    """Every piece of a URL that may be secret (user, password, host-as-token, path, query values), longest first."""
    parts = urlsplit(url)
    pieces = [parts.username, parts.password]
    host = parts.netloc.rsplit("@", 1)[-1].split(":", 1)[0]  # as typed (hostname would be lower-cased)
    if host and "." not in host:  # dingtalk://TOKEN/, wecombot://KEY: the host is the token
        pieces.append(host)
    pieces += [segment for segment in parts.path.split("/")]
    pieces += [value for key, value in parse_qsl(parts.query) if key.lower() not in _PUBLIC_QUERY]
    found = {p for piece in pieces if piece for p in (piece, unquote(piece), quote(piece, safe="")) if len(p) >= 4}
    return sorted(found, key=len, reverse=True)


def redact(text: str, urls: list[str]) -> str:
    """`text` with every secret of `urls` replaced by ****."""
    for url in urls:
        for secret in secrets_of(url):
            text = text.replace(secret, "****")
    return text
