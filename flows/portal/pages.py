"""The pages everyone meets — login, logout, password, /healthz — and the unit's pages: the period
with its deadline, the workbook to download, the upload (file input or drag and drop), the receipt
at once, the history of versions and receipts, previous periods."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import anyio
from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import text

from ...tasks.access import accounts, audit
from ...tasks.access.models import ROLE_TEXT, Account
from ...tasks.intake.registry import session
from .security import (
    check_csrf,
    client_address,
    current_account,
    end_session,
    require,
    start_session,
)
from .uploads import (
    check_upload,
    checked_period,
    own_submission,
    read_upload,
    receipt_of,
    safe_name,
)
from .views import current_period, unit_view

router = APIRouter(include_in_schema=False)


def render(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
    account = current_account(request)
    return request.app.state.templates.TemplateResponse(
        request, f"portal/{name}.html.j2",
        {"account": account, "role_text": ROLE_TEXT, "csrf": request.state.session.get("csrf", ""), **context},
        status_code=status_code)


def safe_next(target: str | None) -> str:
    """Only a path on this site (no //host, no scheme): an open redirect is a phishing aid."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/healthz")
def healthz(request: Request):
    try:
        with session(request.app.state.settings.db_url) as db:
            db.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 — any database failure is "not healthy"
        return JSONResponse({"status": "down", "database": "unreachable"}, status_code=503)
    return {"status": "ok", "database": "ok"}


@router.get("/login")
def login_form(request: Request, next: str = "/", expired: int = 0):
    return render(request, "login", next=safe_next(next), error="登录已过期，请重新登录。" if expired else "")


async def hashing(request: Request, work, *args):
    """Run password work (argon2: ~0.1–0.3 s of CPU) in a worker thread, a few at a time, never on the
    event loop: /healthz and every other page keep answering while units log in together."""
    return await anyio.to_thread.run_sync(work, *args, limiter=request.app.state.hashing)


def _login_attempt(settings, login_name: str, password: str, address: str) -> Account | None:
    """Check the password (one argon2 verification, also for unknown and disabled logins) and log it."""
    with session(settings.db_url) as db:
        account = accounts.check_login(db, login_name, password)
        audit.record(settings, db, login_name, "login" if account else "login_failed", address)
    return account


def _login_delay(settings, login_name: str, address: str) -> float:
    with session(settings.db_url) as db:
        delay = audit.login_delay(settings, db, login_name, address)
        if delay:
            audit.record(settings, db, login_name, "login_delayed", address, seconds=delay)
    return delay


@asynccontextmanager
async def one_at_a_time(request: Request, key: tuple[str, str]):
    """Attempts on one login from one address wait their turn (in this process): many guesses sent at
    once are delayed one after another instead of all together; other addresses are not held up."""
    queues = request.app.state.login_queues
    entry = queues.setdefault(key, [asyncio.Lock(), 0])
    entry[1] += 1
    try:
        async with entry[0]:
            yield
    finally:
        entry[1] -= 1
        if not entry[1]:
            queues.pop(key, None)


@router.post("/login")
async def login(request: Request):
    """After repeated failures the attempt waits (audit.login_delay) and is then checked as usual:
    slowed, never refused. The waiting and the hashing happen off the event loop."""
    form = await request.form(max_files=0, max_fields=8)
    check_csrf(request, form)
    settings = request.app.state.settings
    login_name, password = str(form.get("login", "")).strip()[:64], str(form.get("password", ""))
    address, target = client_address(request), safe_next(str(form.get("next", "/")))
    async with one_at_a_time(request, (login_name, address)):
        delay = await run_in_threadpool(_login_delay, settings, login_name, address)
        if delay:
            await request.app.state.login_sleep(delay)
        account = await hashing(request, _login_attempt, settings, login_name, password, address)
    if account is None:
        return render(request, "login", 401, next=target, error="登录名或密码不正确。" + (
            "多次登录失败后每次尝试都会等待更长时间；忘记密码请联系统计员重置。" if delay else ""))
    start_session(request, account)
    return RedirectResponse("/password" if account.must_change_password else target, status_code=303)


@router.post("/logout")
async def logout(request: Request):
    form = await request.form(max_files=0, max_fields=4)
    check_csrf(request, form)
    account = current_account(request)
    if account is not None:
        settings = request.app.state.settings
        with session(settings.db_url) as db:
            live = db.get(Account, account.id)
            live.session_epoch += 1  # this cookie, and any copy of it, is dead from now on
            db.commit()
            audit.record(settings, db, account.login, "logout", client_address(request))
    end_session(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/password")
def password_form(request: Request):
    account = require(request, allow_initial_password=True)
    return render(request, "password", first=account.must_change_password, error="")


@router.post("/password")
async def change_password(request: Request):
    account = require(request, allow_initial_password=True)
    form = await request.form(max_files=0, max_fields=8)
    check_csrf(request, form)
    current, new, again = (str(form.get(k, "")) for k in ("current", "new", "again"))
    problem = ("两次输入的新密码不一致" if new != again else "新密码不能与原密码相同" if new == current
               else accounts.password_problem(new, account.login))
    settings = request.app.state.settings
    address = client_address(request)
    live, problem = await hashing(request, _change_password, settings, account.id, current, new, problem, address)
    if problem:
        return render(request, "password", 422, first=live.must_change_password, error=problem)
    start_session(request, live)
    return RedirectResponse("/", status_code=303)


def _change_password(settings, account_id: int, current: str, new: str, problem: str | None, address: str):
    """(account, why refused or None): verify the current password, hash and store the new one (blocking)."""
    with session(settings.db_url) as db:
        live = db.get(Account, account_id)
        if not accounts.password_matches(live, current):
            problem = "原密码不正确"
        if problem:
            return live, problem
        accounts.change_password(db, live, new)
        audit.record(settings, db, live.login, "password_changed", address)
    return live, None


@router.get("/")
def home(request: Request):
    account = require(request)
    return RedirectResponse("/unit" if account.role == "unit" else "/office", status_code=303)


@router.get("/unit")
def unit_home(request: Request, period: str | None = None):
    account = require(request, "unit")
    settings = request.app.state.settings
    period = checked_period(settings, period) if period else current_period(settings)
    if period is None:
        return render(request, "unit", view=None)
    return render(request, "unit", view=unit_view(settings, account, period))


@router.get("/unit/{period}/workbook")
def download_workbook(request: Request, period: str):
    from .workbooks import workbook_for

    account = require(request, "unit")
    settings = request.app.state.settings
    period = checked_period(settings, period)
    path = workbook_for(settings, period, account.unit_code)
    with session(settings.db_url) as db:
        audit.record(settings, db, account.login, "download", client_address(request), what="workbook", period=period)
    return FileResponse(path, filename=path.name,
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@router.post("/unit/{period}/upload")
async def upload(request: Request, period: str):
    account = require(request, "unit")
    settings = request.app.state.settings
    form, file = await read_upload(request, settings)
    check_csrf(request, form)
    period = checked_period(settings, period)
    name, data = safe_name(file.filename), await file.read()
    file_id = await run_in_threadpool(check_upload, settings, account, period, name, data)
    with session(settings.db_url) as db:
        audit.record(settings, db, account.login, "upload", client_address(request), file_id=file_id,
                     period=period, file=name, size=len(data))
    return RedirectResponse(f"/receipts/{file_id}", status_code=303)


@router.get("/receipts/{file_id}")
def receipt_page(request: Request, file_id: int):
    account = require(request)
    settings = request.app.state.settings
    row = own_submission(settings, account, file_id)
    if row is None:
        raise HTTPException(404, "没有这份报送（或您无权查看）。")
    return render(request, "receipt", receipt=receipt_of(settings, row), row=row)
