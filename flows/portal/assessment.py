"""The 考核通报 in the portal (/office/assessments/<Y>, `?through=` for a stage's): its files, its state, and the
review, signing, return and 印发 buttons the account's role allows — the functions the CLI calls
(tasks/year/signing.py), each change in the audit log. The office and the leaders see it; units never do."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse

from ...tasks.access import audit
from ...tasks.core.periods import normalise_period
from ...tasks.intake.registry import session
from ...tasks.report.approval import ACTIONS, ApprovalError
from ...tasks.year import signing
from .office import ACTION_TEXT, REPORT_FILES
from .pages import render
from .security import STRICT_CSP, check_csrf, client_address, require

router = APIRouter(include_in_schema=False)


def _which(year: int, through: str | None) -> str | None:
    """The year and stage asked for, checked: one line in Chinese (422) otherwise."""
    if not 2000 <= year <= 2100:
        raise HTTPException(422, f"年度应为四位年份（如 2020），收到 {year}")
    if not through:
        return None
    try:
        through = normalise_period(through)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    if not through.startswith(f"{year}-"):
        raise HTTPException(422, f"截止报告期 {through} 不在 {year} 年内")
    return through


def _files(state: dict | None) -> dict:
    """The files the office shows: the signed ones once signed, else the draft's (those that exist)."""
    shown = (state or {}).get("files") or {}
    return {fmt: Path(p) for fmt, p in shown.items() if fmt in REPORT_FILES and Path(p).exists()}


def _page(request: Request, year: int, through: str | None, error: str = "", status_code: int = 200):
    account = require(request, "office", "leader")
    state = signing.approval_state(request.app.state.settings, year, through)
    actions = [a for a in (state or {}).get("next", []) if account.role in ACTIONS[a][2]]
    return render(request, "assessment", status_code=status_code, year=year, through=through or "",
                  query=f"?through={through}" if through else "", approval=state, files=sorted(_files(state)),
                  actions=actions, action_text=ACTION_TEXT, error=error)


@router.get("/office/assessments/{year}")
def office_assessment(request: Request, year: int, through: str | None = None):
    require(request, "office", "leader")
    return _page(request, year, _which(year, through))


@router.post("/office/assessments/{year}/approval")
async def office_assessment_approval(request: Request, year: int, through: str | None = None):
    """审核 / 签发 / 退回 / 印发 of the 考核通报: the account's role decides, as for the 专报."""
    account = require(request, "office", "leader")
    form = await request.form(max_files=0, max_fields=6)
    check_csrf(request, form)
    settings = request.app.state.settings
    through = _which(year, through)
    action = str(form.get("action") or "")
    if account.role not in ACTIONS.get(action, (None, None, ()))[2]:
        raise HTTPException(403, "本账号的角色不能进行这项操作")
    comment = str(form.get("comment") or "").strip()[:500] or None
    try:
        signing.change(settings, year, through, action, account.name or account.login, comment, role=account.role)
    except ApprovalError as exc:
        return _page(request, year, through, error=str(exc), status_code=409)
    with session(settings.db_url) as db:
        audit.record(settings, db, account.login, f"approval.{action}", client_address(request),
                     what=f"考核通报_{year}" + (f"_截至{through}" if through else ""))
    return RedirectResponse(f"/office/assessments/{year}" + (f"?through={through}" if through else ""),
                            status_code=303)


@router.get("/office/assessments/{year}/file/{fmt}")
def office_assessment_file(request: Request, year: int, fmt: str, through: str | None = None):
    account = require(request, "office", "leader")
    settings = request.app.state.settings
    through = _which(year, through)
    files = _files(signing.approval_state(settings, year, through))
    if fmt not in files:
        raise HTTPException(404, f"{year} 年还没有 {fmt} 格式的考核通报")
    with session(settings.db_url) as db:
        audit.record(settings, db, account.login, "download", client_address(request), what=f"考核通报.{fmt}")
    inline = fmt == "html"
    response = FileResponse(files[fmt], media_type=REPORT_FILES[fmt], filename=None if inline else files[fmt].name)
    if inline:  # our own generated page, shown in a sandboxed frame
        response.headers["Content-Security-Policy"] = STRICT_CSP
    return response
