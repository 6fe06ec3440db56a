"""审核→签发 of the 考核通报: the 专报's states, roles and records (tasks/report/approval.py) on a year's notice.

草稿 (`assess` made it, tasks/year/drafts.py) → 已审核 (`review --assessment Y`) → 已签发 (`sign`) → 已印发
(`publish`); `return` sends it back with a required comment. Who may act, the order and the Chinese errors
are approval.py's (`ACTIONS`, `check_role`, `ApprovalError`); each change is an `ApprovalEvent` of document
考核通报 on the latest `AssessmentIssue` revision. Signing renders the draft's context with 签发人 and 印发日期
(the signing day in the office's time zone) and without the 送审稿 mark into `reports/<Y>/published/`,
read-only (0444).
"""
from __future__ import annotations

import json
import os
import stat
from datetime import datetime
from pathlib import Path

from filelock import FileLock
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import catalog
from ..core.settings import Settings
from ..intake.registry import AssessmentIssue, local, session
from ..notices import draft_waiting, emit
from ..report.approval import ACTIONS, ApprovalError, Request, event_dict, out_of_order, waiting_for
from ..report.approval_log import (
    ASSESSMENT,
    DRAFT,
    ISSUED,
    SIGNED,
    ApprovalEvent,
    events,
    state_of,
)
from ..report.formatting import cn_date
from .document import write_files
from .drafts import label, name, paths_of, revisions, what


def target(year: int, through: str | None) -> str:
    """The command-line options naming the notice: '--assessment 2020 [--through 2020-06]'."""
    return f"--assessment {year}" + (f" --through {through}" if through else "")


def change(settings: Settings, year: int, through: str | None, action: str, by: str, comment: str | None = None, *,
           role: str | None = None, at: datetime | None = None) -> dict:
    """Apply `action` to the latest revision of the year's 考核通报; returns its new `approval_state`."""
    request = Request.checked(settings, action, by, comment, at)
    by, comment = request.by, request.comment
    catalog.reports_root(settings.home).mkdir(parents=True, exist_ok=True)
    with FileLock(str(catalog.issues_lock(settings.home))), session(settings.db_url) as db:
        rows = revisions(db, year, through)
        if not rows:
            raise ApprovalError(f"{name(year, through)}还没有草稿：请先运行考核"
                                f"（zhuanbao assess --year {year}{f' --through {through}' if through else ''}）")
        request.apply(db, rows[-1], role, ASSESSMENT,
                      lambda row, act, state: _out_of_order(year, through, row, act, state),
                      lambda row, signer, when: _render_signed(settings, row, signer, when))
    state = approval_state(settings, year, through)
    assert state is not None
    emit(f"zhuanbao.assessment.{action}", str(year), {"by": by, "comment": comment or "", "state": state["state"],
                                                      "revision": state["revision"], "through": through or ""})
    if action in ("review", "return"):
        draft_waiting(settings, state, waiting_for(state), returned=comment if action == "return" else None)
    return state


def _out_of_order(year: int, through: str | None, row: AssessmentIssue, action: str, state: str) -> str:
    return out_of_order(what(row), action, state, target(year, through), "考核通报",
                        f"如需更正，请在数据更正后重新运行考核生成修订版（zhuanbao assess --year {year}）")


def _render_signed(settings: Settings, row: AssessmentIssue, signer: str, at: datetime) -> dict[str, Path]:
    """The signed 通报: the draft's context with 签发人 and 印发日期, without 送审稿, read-only in published/."""
    draft = paths_of(settings, row)["json"]
    if not draft.exists():
        raise ApprovalError(f"找不到草稿 {draft.name}：请重新运行 zhuanbao assess --year {row.year} 生成草稿后再签发")
    saved = json.loads(draft.read_text("utf-8"))
    printed = cn_date(at)
    context = {**saved["context"], "draft": False, "signer": signer, "date": printed, "printed_date": printed}
    paths = paths_of(settings, row, signed=True)
    for path in paths.values():
        if path.exists():  # a signing that failed half-way left files behind
            path.chmod(stat.S_IWUSR | stat.S_IRUSR)
    write_files(settings, context, saved["assessment"], paths)
    for path in paths.values():
        os.chmod(path, 0o444)
    return paths


def approval_state(settings: Settings, year: int, through: str | None = None) -> dict | None:
    """The latest revision of the year's 考核通报: its state, who may act next, its files and its history."""
    with session(settings.db_url) as db:
        rows = revisions(db, year, through)
        return _describe(settings, db, rows[-1], through) if rows else None


def _describe(settings: Settings, db: Session, row: AssessmentIssue, through: str | None) -> dict:
    changes = events(db, row.id, ASSESSMENT)
    state = changes[-1].to_state if changes else DRAFT
    signed = next((e for e in reversed(changes) if e.action == "sign"), None)
    return {"document": ASSESSMENT, "year": row.year, "through": through, "period": row.period,
            "revision": row.revision, "label": label(row), "what": what(row),
            "target": target(row.year, through), "state": state,
            "next": [a for a, spec in ACTIONS.items() if state in spec[0]],
            "signer": signed.by if signed else None,
            "signed_at": local(signed.at, settings.tz).isoformat() if signed else None,
            "draft": {fmt: str(p) for fmt, p in paths_of(settings, row).items()},
            "files": {fmt: str(p) for fmt, p in paths_of(settings, row, signed=bool(signed)).items()},
            "history": [event_dict(settings, e) for e in changes]}


def history(settings: Settings, year: int, through: str | None = None) -> list[dict]:
    """Every change of every revision of the year's 考核通报, oldest first."""
    with session(settings.db_url) as db:
        ids = [row.id for row in revisions(db, year, through)]
        rows = db.scalars(select(ApprovalEvent).where(ApprovalEvent.document == ASSESSMENT,
                                                      ApprovalEvent.issue_id.in_(ids)).order_by(ApprovalEvent.id))
        return [event_dict(settings, e) for e in rows]


def current_published(settings: Settings, year: int, through: str | None = None) -> dict | None:
    """The latest signed (已签发/已印发) revision of the year's 考核通报, or None."""
    with session(settings.db_url) as db:
        for row in reversed(revisions(db, year, through)):
            if state_of(db, row.id, ASSESSMENT) in (SIGNED, ISSUED):
                return _describe(settings, db, row, through)
    return None
