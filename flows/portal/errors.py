"""Every error answer of the portal, in Chinese: JSON `{"detail": …}` under /api/ and /healthz, a page
elsewhere, always with the security headers (security.HEADERS).

`install(app)` adds the handlers for the framework's own errors — 400 (a broken multipart body, too
many files or fields), 404, 405, 413, 422 — and a catch-all 500 that never shows a traceback. The
500 and the size-limit 413 are also sent by guard.Guard (the outermost layer), because an unhandled
exception otherwise reaches Starlette's ServerErrorMiddleware, which sits outside every user middleware
and would answer in English without the headers.
"""
from __future__ import annotations

import json
import logging
import re
from html import escape

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from .security import HEADERS

log = logging.getLogger("zhuanbao.portal")

STATUS_TEXT = {
    400: ("请求无效", "请求的格式不正确，无法处理：请返回上一页重试。"),
    401: ("需要登录", "缺少或无效的登录凭据。"),
    403: ("无权访问", "您的账号无权进行此操作。"),
    404: ("页面不存在", "没有这个页面或资源：请检查地址，或返回首页。"),
    405: ("不支持的请求方法", "此地址不支持这种请求方法。"),
    413: ("内容过大", "提交的内容超过大小限制，未保存。"),
    415: ("格式不支持", "不支持这种提交格式。"),
    422: ("请求无效", "请求参数无效。"),
    429: ("请求过于频繁", "请求过于频繁，请稍后再试。"),
    500: ("服务器内部错误", "服务器处理请求时出错，已记录在日志中；请稍后重试，如仍不行请联系统计员。"),
    503: ("暂时无法服务", "服务暂时不可用，请稍后再试。"),
}
MULTIPART_TEXT = (  # Starlette's English multipart errors (formparsers.MultiPartException) in Chinese
    ("too many files", "一次上传的文件太多：每次只能上传一个文件。"),
    ("too many fields", "表单字段太多，请求无效。"),
    ("exceeded maximum size", "表单中的某一项超过大小限制，请求无效。"),
    ("missing boundary", "上传的表单格式无效（multipart 缺少 boundary）：请用页面上的上传按钮重新上传。"),
    ("invalid multipart", "上传的表单格式无效：请用页面上的上传按钮重新上传。"),
    ("content-disposition", "上传的表单格式无效（缺少字段名）。"),
)
_CJK = re.compile(r"[\u3400-\u9fff]")


def is_json_path(path: str) -> bool:
    return path.startswith("/api/") or path == "/healthz"


def chinese(status: int, detail) -> str:
    """The detail when it is already Chinese, else the Chinese text for the multipart error or the status."""
    if isinstance(detail, str) and _CJK.search(detail):
        return detail
    lowered = str(detail or "").lower()
    for needle, text in MULTIPART_TEXT:
        if needle in lowered:
            return text
    return STATUS_TEXT.get(status, ("出错了", f"请求未能完成（{status}）。"))[1]


def page_html(status: int, message: str) -> str:
    """A self-contained error page (no template, no database: it must render even when those failed)."""
    title = STATUS_TEXT.get(status, ("出错了", ""))[0]
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)} · 填报门户</title>'
            f'<link rel="stylesheet" href="/static/portal.css"></head><body><main><h1>{escape(title)}</h1>'
            f'<p class="notice bad">{escape(message)}</p><p><a href="/">返回首页</a></p></main></body></html>')


def body_for(path: str, status: int, message: str) -> tuple[bytes, bytes]:
    """(body, content type) of an error answer to `path`, for raw ASGI senders (guard.Guard)."""
    if is_json_path(path):
        return json.dumps({"detail": message}, ensure_ascii=False).encode(), b"application/json"
    return page_html(status, message).encode(), b"text/html; charset=utf-8"


def answer(request: Request, status: int, message: str, headers: dict | None = None) -> Response:
    """The error answer as a response: JSON or the portal's error page (the plain page if that fails)."""
    headers = {**HEADERS, **(headers or {})}
    if is_json_path(request.url.path):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    try:
        title = STATUS_TEXT.get(status, ("出错了", ""))[0]
        session = getattr(request.state, "session", None) or {}
        return request.app.state.templates.TemplateResponse(
            request, "portal/error.html.j2", {"title": title, "message": message, "account": None,
                                               "csrf": session.get("csrf", "")}, status_code=status, headers=headers)
    except Exception:  # the error page must not fail in turn
        log.exception("error page could not be rendered")
        return HTMLResponse(page_html(status, message), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """The handlers for the framework's errors and the catch-all 500."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return answer(request, exc.status_code, chinese(exc.status_code, exc.detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        return answer(request, 422, STATUS_TEXT[422][1])

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):  # normally guard.Guard answers first
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return answer(request, 500, STATUS_TEXT[500][1])
