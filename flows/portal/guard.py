"""The outermost layer of the portal: security headers on every response, the upload size limit, and
the Chinese 500 for an unhandled exception (with the headers: Starlette's own 500 has neither).

A request body larger than the limit is refused with 413 *while it streams*: a Content-Length over
the limit is refused before a byte is read, and a body without one (chunked) is counted as it
arrives and cut off at the limit, so an upload never fills the disk. The limit is
`ZHUANBAO_MAX_FILE_MB` plus room for the multipart envelope; the file itself is held to the exact
limit afterwards (uploads.py).
"""
from __future__ import annotations

import logging

from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware

from .errors import STATUS_TEXT, body_for
from .security import HEADERS

log = logging.getLogger("zhuanbao.portal")

ENVELOPE = 64 * 1024  # multipart boundaries, the CSRF field, the file name


class BodyTooLarge(Exception):
    pass


def too_large_message(limit: int) -> str:
    return f"文件超过大小限制（{limit / 1024 / 1024:g} MB），未保存；请压缩图片或删除无关工作表后重新上传"


class Guard:
    """Pure ASGI middleware (it must see the body stream before any parser does)."""

    def __init__(self, app, file_limit: int):
        self.app, self.file_limit, self.limit = app, file_limit, file_limit + ENVELOPE

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        state = {"started": False, "overflow": False, "received": 0}

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                if state["overflow"]:  # the body was cut off: whatever the app answered becomes 413
                    return
                state["started"] = True
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()
                         if k.lower().encode() not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            elif state["overflow"]:
                return
            await send(message)

        path = scope.get("path", "")
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return await self._refuse(send_with_headers, path)

        async def counted_receive():
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > self.limit:
                    state["overflow"] = True
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, counted_receive, send_with_headers)
        except Exception:  # BodyTooLarge, possibly wrapped (an ExceptionGroup from a middleware's task group)
            if not state["overflow"]:
                if not state["started"]:  # answer in Chinese with the headers, then let the server log it
                    await self._send(send_with_headers, path, 500, STATUS_TEXT[500][1])
                raise
        if state["overflow"] and not state["started"]:
            state["overflow"] = False
            await self._refuse(send_with_headers, path)

    async def _refuse(self, send, path: str):
        await self._send(send, path, 413, too_large_message(self.file_limit), close=True)

    @staticmethod
    async def _send(send, path: str, status: int, message: str, close: bool = False):
        body, kind = body_for(path, status, message)
        headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status,
                    "headers": headers + ([(b"connection", b"close")] if close else [])})
        await send({"type": "http.response.body", "body": body})


class TrustedHost(TrustedHostMiddleware):
    """Starlette's Host check (no www. redirect), answering a foreign Host with a Chinese 400."""

    def __init__(self, app, allowed_hosts):
        super().__init__(app, allowed_hosts=allowed_hosts, www_redirect=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not self.allow_any:
            raw = Headers(scope=scope).get("host", "")
            host = raw.rsplit(":", 1)[0] if not raw.endswith("]") else raw
            host = host.strip("[]").lower()
            if not any(host == p or (p.startswith("*") and host.endswith(p[1:])) for p in self.allowed_hosts):
                return await Guard._send(send, scope.get("path", ""), 400, "请求的主机名（Host）不在允许之列。")
        await self.app(scope, receive, send)
