"""What a run does to a period whose 专报 is already signed: only new data makes a 修订版.

- The data of a build is the digest of the report's data inputs (`snapshot["data"]`,
  tasks/report/revisions.py `data_digest`): the metrics, flags, standings and files — not the
  templates, the code version or the run's moment.
- Same data after signing: nothing is redrafted; the run says so in one line
  (`kept_note`), and when the templates or the text changed, how to reissue (`--reissue`).
- `--reissue` with the same data: a 修订版 whose 修订说明 is 文字修订 (revisions.text_revision).
- New data: a 修订版 as always, its 修订说明 listing what changed.
- The moment a report speaks for ("截至…") is never earlier than that of the signed revision it revises
  (`report_as_of`): a rerun without --as-of would otherwise fall back to the period's deadline.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select

from ..core import catalog
from ..core.resources import template_path
from ..core.settings import Settings
from ..intake.registry import ReportIssue, local, session
from .approval_log import events
from .context.issue import report_moment

REPORT_TEMPLATES = ("wording.j2", "zhuanbao.html.j2", "zhuanbao.docx")  # what the 专报 is rendered with


def templates_digest(settings: Settings) -> str:
    """sha256 of the templates the 专报 is rendered with (the home's copies first, as rendering finds them)."""
    own = catalog.templates_dir(settings.home)
    names = sorted({*REPORT_TEMPLATES, *(p.name for p in own.glob("*") if p.is_file())} if own.is_dir()
                   else set(REPORT_TEMPLATES))
    h = hashlib.sha256()
    for name in names:
        try:
            body = template_path(settings.home, name).read_bytes()
        except FileNotFoundError:
            body = b""
        h.update(name.encode("utf-8") + b"\0" + hashlib.sha256(body).digest())
    return h.hexdigest()


def _facts(snapshot: dict | None) -> dict:
    """The snapshot's typed facts (what a 修订说明 compares), without the digests."""
    return {k: v for k, v in (snapshot or {}).items() if k not in ("data", "templates")}


def same_data(before: dict | None, after: dict) -> bool:
    """Whether two builds report the same data: their data digests; a revision recorded before the digest
    existed compares its typed facts."""
    if (before or {}).get("data") and after.get("data"):
        return before["data"] == after["data"]
    return bool(before) and _facts(before) == _facts(after)


def text_changed(row: ReportIssue, snapshot: dict, digest: str) -> bool:
    """The templates or the generated text differ from the signed revision's (its data being the same)."""
    old = (row.snapshot or {}).get("templates")
    return row.inputs_digest != digest or (old is not None and old != snapshot.get("templates"))


def kept_note(period: str, changed_text: bool) -> str:
    """The run's one line when a signed 专报 is left as it is."""
    line = f"{period} 专报已签发，数据未变，不重新起草"
    if changed_text:
        line += (f"；模板或文字已修改，如需印发文字修订版，请加 --reissue 重跑"
                 f"（zhuanbao rerun --period {period} --reason “…” --reissue）")
    return line


def signed_moment(settings: Settings, period: str) -> datetime | None:
    """The moment the latest signed revision of the period speaks for (None before any signing; a revision
    without history — restored by rebuild-registry, dated by its file — sets no floor)."""
    with session(settings.db_url) as db:
        rows = list(db.scalars(select(ReportIssue).where(ReportIssue.period == period)
                               .order_by(ReportIssue.revision, ReportIssue.id)))
        signed = [row for row in rows if any(e.action == "sign" for e in events(db, row.id))]
        return local(signed[-1].created_at, settings.tz) if signed else None


def report_as_of(settings: Settings, period: str, status: dict, as_of: datetime | str | None) -> datetime:
    """The run's moment for the 专报 ("截至…"): as given or the period's latest arrival, never earlier than
    the signed revision's it would revise."""
    moment = report_moment(settings, status, as_of)
    floor = signed_moment(settings, period)
    return max(moment, floor) if floor is not None else moment
