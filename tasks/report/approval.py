"""审核→签发: the state of each issue and revision of the 专报, and every change of it, in the registry.

草稿 (the run made it) → 已审核 (office head, `review`) → 已签发 (leader, `sign`) → 已印发
(distributed, `publish`); `return_` sends a 草稿 or 已审核 revision back to 草稿 with a required
comment. Each change is an `ApprovalEvent` row (who, when, comment; tasks/report/approval_log.py owns
the table and the states); the state of a revision is its last event's (the run's `draft`/`redraft`
events included). Actions apply to the period's
latest revision; a change out of order raises `ApprovalError` with a one-line Chinese message.

Documents follow the state: the run writes the draft (送审稿, no 印发日期) into `reports/<P>/`;
`sign` renders the final documents from the draft's context with 签发人 and 印发日期 = the
signing date in the office's time zone into `reports/<P>/published/`, read-only (0444). A rerun
after signing makes a new revision (a new draft) only when its data changed, or with `--reissue` for
the text alone (tasks/report/after_signing.py); the signed one stays in published/ and is
`current_published` until the revision is signed.

Roles: review and publish are the office's (`office`), sign is the leader's (`leader`), return
either. A caller that knows the person's role (the portal) passes `role=`; otherwise, once the
office has registered named recipients of that role (`zhuanbao notices recipients add --name`),
only those names may act.
"""
from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from filelock import FileLock
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import catalog
from ..core.settings import Settings
from ..intake.registry import ReportIssue, local, session
from ..notices import Recipient, draft_waiting, emit
from .approval_log import (
    DRAFT,
    ISSUED,
    REPORT,
    REVIEWED,
    SIGNED,
    ApprovalEvent,
    events,
    record_event,
    state_of,
)
from .formatting import cn_date
from .publish import issue_paths, write_documents

# action → (states it may start from, state it leads to, roles that may do it, its Chinese name)
ACTIONS: dict[str, tuple[tuple[str, ...], str, tuple[str, ...], str]] = {
    "review": ((DRAFT,), REVIEWED, ("office",), "审核"),
    "sign": ((REVIEWED,), SIGNED, ("leader",), "签发"),
    "return": ((DRAFT, REVIEWED), DRAFT, ("office", "leader"), "退回"),
    "publish": ((SIGNED,), ISSUED, ("office",), "印发"),
}
ROLE_NAMES = {"office": "办公室", "leader": "领导"}
REMADE = {"draft": "生成草稿", "redraft": "重新生成草稿"}


class ApprovalError(ValueError):
    """A change of state that is out of order, unauthorised or incomplete (the message says which and how)."""


def _revisions(db: Session, period: str) -> list[ReportIssue]:
    return list(db.scalars(select(ReportIssue).where(ReportIssue.period == period)
                           .order_by(ReportIssue.revision, ReportIssue.id)))


def label(row: ReportIssue | dict) -> str:
    issue_no, revision = (row["issue_no"], row["revision"]) if isinstance(row, dict) else (row.issue_no, row.revision)
    return f"第{issue_no}期" + (f"修订{revision}" if revision else "")


def published_dir(settings: Settings, period: str) -> Path:
    return catalog.published_dir(settings.home, period)


def _paths(row: ReportIssue, folder: Path | None = None) -> dict[str, Path]:
    return issue_paths(Path(folder or row.folder), row.period, row.issue_no, row.revision)


def _allowed_names(db: Session, role: str) -> set[str]:
    return {r.name for r in db.scalars(select(Recipient).where(Recipient.role == role)) if r.name}


def check_role(db: Session, action: str, by: str, role: str | None) -> None:
    roles, name = ACTIONS[action][2], ACTIONS[action][3]
    who = "或".join(ROLE_NAMES[r] for r in roles)
    if role is not None:
        if role not in roles:
            raise ApprovalError(f"{name}须由{who}进行，{by}（{ROLE_NAMES.get(role, role)}）无权{name}")
        return
    named = set().union(*(_allowed_names(db, r) for r in roles))
    if named and by not in named:
        raise ApprovalError(f"{by} 不在登记的{who}名单中，无权{name}；"
                            f"请用 zhuanbao notices recipients add --role … --name {by} 登记")


@dataclass(frozen=True)
class Request:
    """One approval action as asked: checked for a name (and a comment on return), dated in the office's zone."""

    action: str
    by: str
    comment: str | None
    at: datetime

    @classmethod
    def checked(cls, settings: Settings, action: str, by: str, comment: str | None, at: datetime | None) -> Request:
        by, comment = (by or "").strip(), (comment or "").strip() or None
        if not by:
            raise ApprovalError(f"{ACTIONS[action][3]}须写明经办人：--by 姓名")
        if action == "return" and not comment:
            raise ApprovalError("退回须说明原因：--comment “……”")
        return cls(action, by, comment, (at or datetime.now(settings.tz)).astimezone(settings.tz))

    def apply(self, db: Session, row, role: str | None, document: str, out_of_order, render_signed) -> None:
        """Move `row` (a 专报's or a 考核通报's revision) on by this action, or refuse with the fix: the one
        state machine both documents follow (`out_of_order(row, action, state)` words the refusal)."""
        starts, after = ACTIONS[self.action][:2]
        before = state_of(db, row.id, document)
        if before not in starts:
            raise ApprovalError(out_of_order(row, self.action, before))
        check_role(db, self.action, self.by, role)
        if self.action == "sign":
            render_signed(row, self.by, self.at)
        record_event(db, row, self.action, before, after, self.by, self.comment, self.at, document)
        db.commit()


def change(settings: Settings, period: str, action: str, by: str, comment: str | None = None, *,
           role: str | None = None, at: datetime | None = None) -> dict:
    """Apply `action` to the period's latest revision; returns its new `approval_state` dict."""
    request = Request.checked(settings, action, by, comment, at)
    by, comment = request.by, request.comment
    catalog.reports_root(settings.home).mkdir(parents=True, exist_ok=True)
    # the lock publish_report holds: a run cannot add a revision while this one is being signed
    with FileLock(str(catalog.issues_lock(settings.home))), session(settings.db_url) as db:
        revisions = _revisions(db, period)
        if not revisions and any(catalog.reports_dir(settings.home, period).glob("通报_*.pdf")):
            raise ApprovalError(f"{period} 印发的是通报（plan.toml 中该调度频次写明 report = \"通报\"），不经审核、签发")
        if not revisions:
            raise ApprovalError(f"{period} 还没有专报草稿：请先运行月度流程（zhuanbao run --period {period}）")
        request.apply(db, revisions[-1], role, REPORT,
                      lambda row, act, state: _out_of_order(period, row, act, state),
                      lambda row, signer, when: _render_signed(settings, row, signer, when))
    state = approval_state(settings, period)
    _announce(settings, action, state, by, comment)
    return state


def out_of_order(what: str, action: str, state: str, options: str, document: str, again: str) -> str:
    """The refusal of an action out of order, with its fix — worded alike for a 专报 and a 考核通报
    (`options` name the document on the command line, `again` says how a signed one is corrected)."""
    verb = ACTIONS[action][3]
    fix = {DRAFT: f"请先审核（zhuanbao review {options} --by 姓名）",
           REVIEWED: f"请先签发（zhuanbao sign {options} --by 姓名）",
           SIGNED: f"已签发的{document}不能{verb}；{again}",
           ISSUED: f"已印发的{document}不能{verb}；{again}"}
    advice = ("须先签发再印发；" if action == "publish" and state in (DRAFT, REVIEWED) else "") + fix[state]
    return f"{what} 当前为“{state}”，不能{verb}：{advice}"


def _out_of_order(period: str, row: ReportIssue, action: str, state: str) -> str:
    return out_of_order(f"{period} {label(row)}", action, state, f"--period {period}", "专报",
                        f"如需更正，请重跑生成修订版（zhuanbao rerun --period {period} --reason …）")


def review(settings: Settings, period: str, by: str, comment: str | None = None, **kw) -> dict:
    """草稿 → 已审核 (office head)."""
    return change(settings, period, "review", by, comment, **kw)


def sign(settings: Settings, period: str, by: str, comment: str | None = None, **kw) -> dict:
    """已审核 → 已签发 (leader): renders the final documents into reports/<P>/published/, read-only."""
    return change(settings, period, "sign", by, comment, **kw)


def return_(settings: Settings, period: str, by: str, comment: str | None = None, **kw) -> dict:
    """草稿 or 已审核 → 草稿, with a required comment."""
    return change(settings, period, "return", by, comment, **kw)


def publish(settings: Settings, period: str, by: str, comment: str | None = None, **kw) -> dict:
    """已签发 → 已印发 (the office distributed it)."""
    return change(settings, period, "publish", by, comment, **kw)


def _render_signed(settings: Settings, row: ReportIssue, signer: str, at: datetime) -> dict[str, Path]:
    """The final documents of `row`: the draft's context with 签发人 and 印发日期, read-only in published/."""
    draft = _paths(row)["json"]
    if not draft.exists():
        raise ApprovalError(f"找不到草稿 {draft.name}：请重跑 {row.period} 重新生成草稿后再签发")
    context = json.loads(draft.read_text("utf-8"))
    printed = cn_date(at)
    context["issue"] = {**context["issue"], "draft": False, "signer": signer, "date": printed,
                        "printed_date": printed}
    folder = published_dir(settings, row.period)
    folder.mkdir(parents=True, exist_ok=True)
    paths = _paths(row, folder)
    for path in paths.values():
        if path.exists():  # a signing that failed half-way left files behind
            path.chmod(stat.S_IWUSR | stat.S_IRUSR)
    write_documents(context, paths, settings, appendix_from=_paths(row)["xlsx"])
    for path in paths.values():
        os.chmod(path, 0o444)
    return paths


def approval_state(settings: Settings, period: str) -> dict | None:
    """The latest revision of the period: its state, who may act next, its files, and its history."""
    with session(settings.db_url) as db:
        revisions = _revisions(db, period)
        if not revisions:
            return None
        row = revisions[-1]
        return _describe(settings, db, row)


def _describe(settings: Settings, db: Session, row: ReportIssue) -> dict:
    changes = events(db, row.id)
    state = changes[-1].to_state if changes else DRAFT
    signed = next((e for e in reversed(changes) if e.action == "sign"), None)
    files = _paths(row, published_dir(settings, row.period) if signed else None)
    return {"period": row.period, "issue_no": row.issue_no, "revision": row.revision, "label": label(row),
            "state": state, "next": [a for a, spec in ACTIONS.items() if state in spec[0]],
            "signer": signed.by if signed else None,
            "signed_at": local(signed.at, settings.tz).isoformat() if signed else None,
            "draft": {fmt: str(p) for fmt, p in _paths(row).items()},
            "files": {fmt: str(p) for fmt, p in files.items()},
            "history": [event_dict(settings, e) for e in changes]}


def event_dict(settings: Settings, e: ApprovalEvent) -> dict:
    return {"action": e.action, "label": ACTIONS[e.action][3] if e.action in ACTIONS else REMADE.get(e.action, e.action),
            "from": e.from_state, "to": e.to_state, "by": e.by, "comment": e.comment or "",
            "at": local(e.at, settings.tz).isoformat(timespec="seconds"), "revision": e.revision}


def history(settings: Settings, period: str) -> list[dict]:
    """Every change of every revision of the period, oldest first."""
    with session(settings.db_url) as db:
        rows = db.scalars(select(ApprovalEvent).where(ApprovalEvent.period == period, ApprovalEvent.document == REPORT)
                          .order_by(ApprovalEvent.id))
        return [event_dict(settings, e) for e in rows]


def current_published(settings: Settings, period: str) -> dict | None:
    """The signed revision the office shows for the period (the latest 已签发/已印发 one), or None."""
    with session(settings.db_url) as db:
        for row in reversed(_revisions(db, period)):
            if state_of(db, row.id) in (SIGNED, ISSUED):
                return _describe(settings, db, row)
    return None


def waiting_for(state: dict) -> str:
    """The role the revision waits for: the office reviews a 草稿, the leaders sign an 已审核 one."""
    return "office" if state["state"] == DRAFT else "leader"


def announce_draft(settings: Settings, period: str) -> None:
    """The run made a draft: tell the office it waits for review (nothing when the revision is past 草稿)."""
    state = approval_state(settings, period)
    if state is not None and state["state"] == DRAFT:
        draft_waiting(settings, state, waiting_for(state))


def _announce(settings: Settings, action: str, state: dict, by: str, comment: str | None) -> None:
    """Tell the next person: reviewed → the leader signs; returned → the office reviews again."""
    emit(f"zhuanbao.report.{action}", state["period"], {"by": by, "comment": comment or "", "state": state["state"],
                                                         "revision": state["revision"]})
    if action in ("review", "return"):
        draft_waiting(settings, state, waiting_for(state), returned=comment if action == "return" else None)
