"""An upload takes the same path as every file: registered and kept in raw/ by sha256 (arrival =
the server's time of receipt; same bytes again = duplicate), then the period is read and checked
under the period lock exactly as `zhuanbao validate` does, and the receipt comes from
reports/<period>/receipts/. The uploading account's unit is recorded with the file (rule H09).

When the period is locked by a long run the file is still kept and registered; after a short wait
(ZHUANBAO_UPLOAD_LOCK_WAIT_SECONDS) its receipt says 已收到，正在汇总，稍后自动审核 (the API answers 202) and
it is checked as soon as the lock frees (pending.py). A unit's uploads in one period are capped
(ZHUANBAO_UNIT_QUOTA_MB): beyond it an upload is answered 413 and not kept.
"""
from __future__ import annotations

import json
import os
import tempfile
import unicodedata
from datetime import datetime
from pathlib import Path

from fastapi import HTTPException, Request
from sqlalchemy import or_, select, true
from starlette.datastructures import UploadFile

from ...tasks.access.models import Account
from ...tasks.checks.receipts import receipt_view
from ...tasks.core import catalog
from ...tasks.core.periods import is_monthly, normalise_label, period_parts, period_start
from ...tasks.core.settings import Settings
from ...tasks.core.text import cap_name
from ...tasks.intake.registry import Submission, session


def safe_name(raw: str | None) -> str:
    """The client's file name as a plain base name: no folders (`../`), no control characters, NFC, at most
    NAME_BYTES bytes of UTF-8 (tasks/core/text.py), the suffix kept."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").split("/")[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".").strip()
    stem, suffix = os.path.splitext(name)
    suffix = suffix if len(suffix) <= 6 else ""
    return cap_name(f"{stem.strip() or '上传文件'}{suffix.lower() or '.xlsx'}")


def checked_period(settings: Settings, period: str) -> str:
    """The period from a URL, or 422: well formed, not in the future, with the year's reference tables."""
    try:
        period = normalise_label(period)
        year, _ = period_parts(period)
    except ValueError:
        raise HTTPException(422, f"报告期“{period}”无效，应为 YYYY-MM（如 2020-04）或调度期（如 2020-05-H1）") from None
    if period_start(period) > datetime.now(settings.tz).date():
        raise HTTPException(422, f"报告期 {period} 尚未开始，不能报送")
    if not (settings.reference_dir(year) / "units.csv").exists():
        raise HTTPException(422, f"{year} 年的参考表尚未配置，不能报送 {period} 的报表")
    if not is_monthly(period):
        from ...tasks.core.reference import reference_for

        try:
            reference_for(settings, period)
        except ValueError as exc:
            raise HTTPException(422, str(exc).splitlines()[0]) from None
    return period


async def read_upload(request: Request, settings: Settings):
    """The parsed form and its one `file`; 422 without a file, 413 over ZHUANBAO_MAX_FILE_MB."""
    form = await request.form(max_files=1, max_fields=8, max_part_size=64 * 1024)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise HTTPException(422, "没有收到文件：请选择要上传的工作簿（表单字段 file）")
    if (upload.size or 0) > settings.max_file_bytes:
        raise HTTPException(413, f"文件超过大小限制（{settings.max_file_bytes / 1024 / 1024:g} MB），未保存")
    if not upload.size:
        raise HTTPException(422, "上传的文件是空的")
    return form, upload


def check_upload(settings: Settings, account: Account, period: str, name: str, data: bytes) -> int:
    """Register the bytes, then read and check the period; the new submission's id.

    A unit's upload that would pass its period's storage quota is answered 413 and not kept. When the
    period stays locked for ZHUANBAO_UPLOAD_LOCK_WAIT_SECONDS the file is kept and registered (`received`)
    and checked as soon as the lock frees (flows/portal/pending.py)."""
    from ...tasks.intake.collect import quota_problem, submit_file
    from ...tasks.intake.lock import PeriodLocked
    from ...tasks.intake.raw import sha256_of
    from .pending import check_period, check_when_free

    unit = account.unit_code if account.role == "unit" else None
    with tempfile.TemporaryDirectory(prefix="zhuanbao-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        with session(settings.db_url) as db:
            if unit and (problem := quota_problem(settings, db, period, unit, sha256_of(data), len(data))):
                raise HTTPException(413, problem)
            file_id = submit_file(settings, db, path, period, source="portal", account_unit=unit).id
    try:
        check_period(settings, period, who=f"填报门户上传（{account.login}）", reason=f"门户上传 {name}",
                     wait_seconds=settings.upload_lock_wait_seconds)
    except PeriodLocked:
        check_when_free(settings, period)
    return file_id


def visible_to(account: Account):
    """The registry rows an account may see: a unit its own uploads and the files naming it that no
    other unit uploaded; the office and leaders all."""
    if account.role != "unit":
        return true()
    mine = account.unit_code
    return or_(Submission.account_unit == mine, (Submission.account_unit.is_(None)) & (Submission.unit_code == mine))


def own_submission(settings: Settings, account: Account, file_id: int) -> Submission | None:
    with session(settings.db_url) as db:
        return db.scalar(select(Submission).where(Submission.id == file_id, visible_to(account)))


def receipt_of(settings: Settings, row: Submission) -> dict:
    """The receipt of a file as the API gives it: the receipt JSON's keys plus file_id and each finding's `rule`."""
    from ...tasks.checks.receipts import receipt_paths

    _, path = receipt_paths(catalog.receipts_dir(settings.home, row.period), row.id, row.file_name)
    stored = json.loads(path.read_text("utf-8")) if path.exists() else None
    if stored is None or stored.get("outcome") != row.outcome:  # not checked yet, or a later run changed it
        from ...tasks.core.reference import ReferenceError, reference_for
        from ...tasks.intake.registry import local
        from ...tasks.intake.standing import arrived_on_time

        try:
            unit_name = reference_for(settings, row.period).unit_name(row.unit_code) if row.unit_code else ""
        except (ReferenceError, KeyError):
            unit_name = ""
        base = stored or {"period": row.period, "unit_code": row.unit_code or "", "unit_name": unit_name,
                          "file_name": row.file_name, "sha256": row.sha256, "findings": [],
                          "received_at": local(row.received_at, settings.tz).isoformat(),
                          "on_time": arrived_on_time(settings, row.period, row.received_at),
                          "office": settings.issuing_office}
        stored = receipt_view({**base, "outcome": row.outcome})
    findings = [{**f, "rule": f.get("rule_id")} for f in stored["findings"]]
    return {**stored, "file_id": row.id, "unit_code": stored.get("unit_code") or row.unit_code or "",
            "period": row.period, "outcome": row.outcome, "findings": findings}


def rows_for(settings: Settings, account: Account, period: str | None = None, unit_code: str | None = None):
    """The account's visible files (of a period, of a unit), newest first."""
    query = select(Submission).where(visible_to(account))
    if period:
        query = query.where(Submission.period == period)
    if unit_code:
        query = query.where(or_(Submission.unit_code == unit_code, Submission.account_unit == unit_code))
    with session(settings.db_url) as db:
        return list(db.scalars(query.order_by(Submission.received_at.desc(), Submission.id.desc())))
