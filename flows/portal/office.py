"""The office's pages (统计员; 领导 reads the board and the 专报): the month's board with counts and
filters, the 催报 list, each unit's files and receipts, each period's 专报, the audit log, and the
API's documentation (/docs, /openapi.json: office only; units never see them)."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy import select

from ...tasks.access import audit
from ...tasks.core.reference import reference_for
from ...tasks.intake.registry import ReportIssue, session
from .pages import render
from .security import STRICT_CSP, client_address, require
from .uploads import checked_period, rows_for
from .views import FILTERS, board, current_period, file_entries, known_periods

router = APIRouter(include_in_schema=False)
REPORT_FILES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf",
                "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@router.get("/office")
def office_board(request: Request, period: str | None = None, show: str | None = None):
    account = require(request, "office", "leader")
    settings = request.app.state.settings
    period = checked_period(settings, period) if period else current_period(settings)
    show = show if show in FILTERS else None
    view = board(settings, period, show) if period else None
    return render(request, "board", view=view, filters=FILTERS,
                  periods=sorted(set(known_periods(settings, account)) | ({period} if period else set()),
                                 reverse=True))


@router.get("/office/units/{unit_code}")
def office_unit(request: Request, unit_code: str, period: str | None = None):
    account = require(request, "office")
    settings = request.app.state.settings
    period = checked_period(settings, period) if period else current_period(settings)
    reference = reference_for(settings, period)
    if unit_code not in set(reference.units.unit_code):
        raise HTTPException(404, f"单位名录中没有单位代码 {unit_code}")
    rows = rows_for(settings, account, None, unit_code)
    return render(request, "office_unit", unit_code=unit_code, unit_name=reference.unit_name(unit_code),
                  period=period, files=file_entries(settings, rows))


def latest_issue(settings, period: str):
    from ...tasks.report.publish import issue_paths

    with session(settings.db_url) as db:
        issue = db.scalar(select(ReportIssue).where(ReportIssue.period == period)
                          .order_by(ReportIssue.issue_no.desc(), ReportIssue.revision.desc()).limit(1))
    if issue is None:
        return None, {}
    paths = issue_paths(issue.folder, period, issue.issue_no, issue.revision)
    return issue, {fmt: p for fmt, p in paths.items() if fmt in REPORT_FILES and p.exists()}


ACTION_TEXT = {"review": "审核通过", "sign": "签发", "return": "退回修改", "publish": "确认已印发"}


def _report_page(request: Request, period: str, error: str = "", status_code: int = 200):
    from ...tasks.report.approval import ACTIONS, approval_state

    account = require(request, "office", "leader")
    settings = request.app.state.settings
    issue, files = latest_issue(settings, period)
    state = approval_state(settings, period)
    actions = [a for a in (state or {}).get("next", []) if account.role in ACTIONS[a][2]]
    return render(request, "report", status_code=status_code, period=period, issue=issue, files=sorted(files),
                  approval=state, actions=actions, action_text=ACTION_TEXT, error=error)


@router.get("/office/reports/{period}")
def office_report(request: Request, period: str):
    require(request, "office", "leader")
    return _report_page(request, checked_period(request.app.state.settings, period))


@router.post("/office/reports/{period}/approval")
async def office_report_approval(request: Request, period: str):
    """审核 / 签发 / 退回 / 印发 from the portal: the same functions as the CLI, the account's role decides."""
    from ...tasks.report import approval
    from .security import check_csrf

    account = require(request, "office", "leader")
    form = await request.form(max_files=0, max_fields=6)
    check_csrf(request, form)
    settings = request.app.state.settings
    period = checked_period(settings, period)
    action = str(form.get("action") or "")
    if account.role not in approval.ACTIONS.get(action, (None, None, ()))[2]:
        raise HTTPException(403, "本账号的角色不能进行这项操作")
    comment = str(form.get("comment") or "").strip()[:500] or None
    try:
        approval.change(settings, period, action, account.name or account.login, comment, role=account.role)
    except approval.ApprovalError as exc:
        return _report_page(request, period, error=str(exc), status_code=409)
    with session(settings.db_url) as db:
        audit.record(settings, db, account.login, f"approval.{action}", client_address(request), period=period)
    from fastapi.responses import RedirectResponse

    return RedirectResponse(f"/office/reports/{period}", status_code=303)


@router.get("/office/reports/{period}/file/{fmt}")
def office_report_file(request: Request, period: str, fmt: str):
    account = require(request, "office", "leader")
    settings = request.app.state.settings
    period = checked_period(settings, period)
    _, files = latest_issue(settings, period)
    if fmt not in files:
        raise HTTPException(404, f"{period} 还没有 {fmt} 格式的专报")
    with session(settings.db_url) as db:
        audit.record(settings, db, account.login, "download", client_address(request), what=f"专报.{fmt}",
                     period=period)
    inline = fmt == "html"
    response = FileResponse(files[fmt], media_type=REPORT_FILES[fmt], filename=None if inline else files[fmt].name)
    if inline:  # our own generated page, shown in a sandboxed frame: its inline styles allowed, nothing else
        response.headers["Content-Security-Policy"] = STRICT_CSP
    return response


@router.get("/office/audit")
def office_audit(request: Request):
    require(request, "office")
    with session(request.app.state.settings.db_url) as db:
        events = audit.recent(db, 200)
    return render(request, "audit", events=events)


@router.get("/openapi.json")
def openapi(request: Request):
    require(request, "office")
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def docs(request: Request):
    require(request, "office")
    spec = request.app.openapi()
    operations = [{"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                   "description": op.get("description", ""),
                   "responses": {code: r.get("description", "") for code, r in op.get("responses", {}).items()}}
                  for path, methods in spec["paths"].items() for method, op in methods.items()]
    return render(request, "docs", spec=spec, operations=operations)
