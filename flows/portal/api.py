"""The JSON API (v1): scripted upload by a unit's own system or the office's mail gateway.

Authentication is `Authorization: Bearer <token>` only (`zhuanbao accounts token LOGIN`); cookies
are ignored here, so the API needs no CSRF token. A unit's token sees its own unit only; another
unit's file answers 404 (not 403: it does not say that the file exists).
"""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ...tasks.access import accounts, audit
from ...tasks.access.models import Account
from ...tasks.checks.outcomes import Outcome
from ...tasks.intake.formats import LISTED
from ...tasks.intake.registry import local, session
from ...tasks.intake.standing import arrived_on_time
from .security import client_address
from .uploads import (
    check_upload,
    checked_period,
    own_submission,
    read_upload,
    receipt_of,
    rows_for,
    safe_name,
)

DESCRIPTION = """填报门户的 JSON 接口。认证：请求头 `Authorization: Bearer <令牌>`（`zhuanbao accounts token 登录名` 签发）。
填报员的令牌只能看到本单位的报送；统计员的令牌可看全部，并可读取报送情况（status）。"""

router = APIRouter(prefix="/api/v1", tags=["报送"])
UNAUTHORIZED = {401: {"description": "缺少或无效的令牌"}}


def bearer_account(request: Request, *roles: str) -> Account:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    account = None
    if scheme.lower() == "bearer" and token.strip():
        settings = request.app.state.settings
        with session(settings.db_url) as db:
            account = accounts.account_for_token(settings, db, token.strip())
    if account is None:
        raise HTTPException(401, "缺少、无效、已过期或已吊销的令牌（Authorization: Bearer <令牌>）",
                            headers={"WWW-Authenticate": "Bearer"})
    if roles and account.role not in roles:
        raise HTTPException(403, "此令牌的账号无权进行此操作")
    return account


UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary", "description": f"报送的工作簿（{LISTED}）"}}}}}}}


@router.post("/periods/{period}/submissions", status_code=201, openapi_extra=UPLOAD_BODY,
             summary="上传一份工作簿，立即返回回执",
             responses={**UNAUTHORIZED, 202: {"description": "已收到，报告期正在汇总：稍后自动审核（outcome=received）"},
                        413: {"description": "超过 ZHUANBAO_MAX_FILE_MB，或本单位本期超过 ZHUANBAO_UNIT_QUOTA_MB"},
                        422: {"description": "报告期无效或没有文件"}})
async def upload(request: Request, period: str):
    """登记（raw/ 按 sha256 存档，到达时间 = 服务器收到的时间）、读取并审核该报告期，返回回执 JSON（201）；
    报告期正在汇总时短暂等待后返回 202（outcome=received，稍后自动审核，可用 GET /submissions/{file_id} 查看）：
    今日回执 JSON 的全部键，另加 `file_id`、`unit_code`、`period`、`outcome`、`on_time`，
    `findings[]` 每条含 `rule`、`severity`、`sheet`、`row`、`column`、`message`。"""
    account = bearer_account(request, "unit", "office")
    settings = request.app.state.settings
    period = checked_period(settings, period)
    _, file = await read_upload(request, settings)
    name, data = safe_name(file.filename), await file.read()
    file_id = await run_in_threadpool(check_upload, settings, account, period, name, data)
    with session(settings.db_url) as db:
        audit.record(settings, db, account.login, "upload", client_address(request), file_id=file_id,
                     period=period, file=name, size=len(data), via="api")
    receipt = receipt_of(settings, own_submission(settings, account, file_id))
    if receipt["outcome"] == Outcome.RECEIVED:  # the period is busy: checked as soon as it frees (GET the receipt later)
        return JSONResponse(receipt, status_code=202)
    return receipt


@router.get("/periods/{period}/submissions", summary="本单位（统计员：全部单位）该报告期的报送",
            responses=UNAUTHORIZED)
def list_submissions(request: Request, period: str) -> list[dict]:
    account = bearer_account(request)
    settings = request.app.state.settings
    period = checked_period(settings, period)
    return [{"file_id": r.id, "period": r.period, "file_name": r.file_name, "unit_code": r.unit_code,
             "received_at": local(r.received_at, settings.tz).isoformat(), "outcome": r.outcome,
             "on_time": arrived_on_time(settings, period, r.received_at), "rules": list(r.rules or []),
             "sha256": r.sha256} for r in rows_for(settings, account, period)]


@router.get("/submissions/{file_id}", summary="一份报送的回执", responses={**UNAUTHORIZED, 404: {"description": "没有这份报送，或不属于本单位"}})
def one_submission(request: Request, file_id: int) -> dict:
    account = bearer_account(request)
    settings = request.app.state.settings
    row = own_submission(settings, account, file_id)
    if row is None:
        raise HTTPException(404, "没有这份报送")
    return receipt_of(settings, row)


@router.get("/periods/{period}/status", summary="报送情况（status --json 文档），仅统计员",
            responses={**UNAUTHORIZED, 403: {"description": "非统计员"}})
def period_status(request: Request, period: str) -> dict:
    from ...tasks.core.reference import reference_for
    from ...tasks.intake.status import period_status as build

    bearer_account(request, "office")
    settings = request.app.state.settings
    period = checked_period(settings, period)
    with session(settings.db_url) as db:
        return build(settings, db, period, reference_for(settings, period))
