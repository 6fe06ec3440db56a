"""The outermost layer of the portal: security headers on every response, and the upload size limit.

A request body larger than the limit is refused with 413 *while it streams*: a Content-Length over
the limit is refused before a byte is read, and a body without one (chunked) is counted as it
arrives and cut off at the limit, so an upload never fills the disk. The limit is
`ZHUANBAO_MAX_FILE_MB` plus room for the multipart envelope; the file itself is held to the exact
limit afterwards (uploads.py).
"""
from __future__ import annotations

import json

from zhuanbao.flows.portal.security import HEADERS

ENVELOPE = 64 * 1024  # multipart boundaries, the CSRF field, the file name


class BodyTooLarge(Exception):
    pass


def too_large_message(limit: int) -> bytes:
    return f"文件超过大小限制（{limit / 1024 / 1024:g} MB），未保存；请压缩图片或删除无关工作表后重新上传".encode()


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

        api = scope.get("path", "").startswith("/api/")
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return await self._refuse(send_with_headers, api)

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
                raise
        if state["overflow"] and not state["started"]:
            state["overflow"] = False
            await self._refuse(send_with_headers, api)

    async def _refuse(self, send, api: bool):
        body = too_large_message(self.file_limit)
        kind = b"text/plain; charset=utf-8"
        if api:
            body, kind = json.dumps({"detail": body.decode()}, ensure_ascii=False).encode(), b"application/json"
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", kind), (b"connection", b"close"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
