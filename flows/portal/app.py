"""`create_app(settings)`: the portal's FastAPI app — middleware, templates, static files, routers.

Layers, outermost first: Guard (security headers on every response, the streaming size limit),
TrustedHost (`portal_allowed_hosts`), the session (signed cookie, renewed on each answer), then the
routes: pages.py (login, password, the unit's pages), office.py (the board, units, 专报, audit,
the API docs), ledger.py (the year's 报送台账), api.py (the JSON API, bearer tokens); errors.py answers every error in Chinese. When the home's warm checker
(tasks/checks/warm.py) is up the uploads are checked there and the portal never imports GX; otherwise the GX
context is warmed once per process at start-up so the first upload is checked as fast as the later ones (a
checker that goes away later only means the next upload is checked, and GX imported, in the portal's process).
"""
from __future__ import annotations

import asyncio
import os
import time
from contextlib import asynccontextmanager
from urllib.parse import quote

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ...tasks.checks.warm import checker_address
from ...tasks.core.periods import chinese_name
from ...tasks.core.resources import TEMPLATES_DIR
from ...tasks.core.settings import Settings
from ...tasks.intake.registry import engine_for
from . import errors
from .guard import Guard, TrustedHost
from .security import (
    CsrfFailed,
    Forbidden,
    LoginRequired,
    PasswordChangeRequired,
    load_session,
    save_session,
    serializer,
)

STATIC_DIR = TEMPLATES_DIR / "portal" / "static"
HASHING_AT_ONCE = max(1, (os.cpu_count() or 1) // 4)  # argon2 runs 4 lanes: more at once only starves the rest


def portal_templates(settings: Settings) -> Jinja2Templates:
    """Jinja2 with autoescape on for every template (`.html.j2` is not escaped by select_autoescape)."""
    env = Environment(loader=FileSystemLoader([str(d) for d in settings.template_dirs]), autoescape=True,
                      undefined=StrictUndefined)
    env.filters["period_name"] = chinese_name  # 2020年5月, 2020年5月上半月, 2020年第二季度
    return Jinja2Templates(env=env)


def create_app(settings: Settings, *, warm: bool = True) -> FastAPI:
    """The portal for one home; `warm=False` skips loading GX at start-up (tests that never check); so does a
    warm checker up for the home at start-up."""
    from . import api, assessment, ledger, office, pages
    from . import help as help_pages

    engine_for(settings.db_url)  # the registry migrated before the first request

    @asynccontextmanager
    async def lifespan(_app):
        if warm and checker_address(settings.home) is None:  # the checker runs the suites: no GX here
            from ...tasks.checks.suites import warm_up

            warm_up()
        from .pending import resume

        resume(settings)  # files kept while their period was busy and not checked before the portal stopped
        yield

    app = FastAPI(title="zhuanbao 填报门户 API", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None, description=api.DESCRIPTION)
    app.state.settings = settings
    app.state.clock = time.time  # what sessions are dated and aged by (tests move it instead of sleeping)
    app.state.signer = serializer(settings, lambda: app.state.clock())
    app.state.templates = portal_templates(settings)
    app.state.login_sleep = asyncio.sleep  # the wait after failed logins (tests put a recorder here)
    app.state.hashing = anyio.CapacityLimiter(HASHING_AT_ONCE)  # password checks off the loop, a few at a time
    app.state.login_queues = {}  # (login, address) -> [lock, attempts]: pages.one_at_a_time
    app.include_router(pages.router)
    app.include_router(office.router)
    app.include_router(api.router)
    app.include_router(ledger.router)  # the year's 报送台账: a unit its own line, the office all
    app.include_router(assessment.router)  # the year's 考核通报: its review and signing
    app.include_router(help_pages.router)  # the 使用手册 at /help (built into <home>/.site/ on first use)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.middleware("http")
    async def session_cookie(request: Request, call_next):
        request.state.session = load_session(request)
        response = await call_next(request)
        if not request.url.path.startswith(("/api/", "/static/", "/healthz", "/help")):
            save_session(request, response)
        return response

    app.add_middleware(TrustedHost, allowed_hosts=list(settings.portal_allowed_hosts) or ["127.0.0.1"])
    app.add_middleware(Guard, file_limit=settings.max_file_bytes)
    _handlers(app)
    return app


def _handlers(app: FastAPI) -> None:
    def page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
        return request.app.state.templates.TemplateResponse(
            request, "portal/error.html.j2", {"title": title, "message": message, "account": None,
                                               "csrf": request.state.session.get("csrf", "")}, status_code=status)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        flag = "&expired=1" if exc.expired else ""
        return RedirectResponse(f"/login?next={quote(target)}{flag}", status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    async def password_first(request: Request, exc: PasswordChangeRequired):
        return RedirectResponse("/password", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden):
        return page(request, 403, "无权访问", "您的账号无权访问此页面。")

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed):
        return page(request, 403, "请求无效", "表单已过期或来源不明（CSRF 校验未通过）：请返回上一页刷新后重试。")

    errors.install(app)  # 400/404/405/413/422 and the catch-all 500: Chinese, with the security headers
