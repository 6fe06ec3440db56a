"""When `assess` writes the 考核通报's draft, and its revisions in the registry (`assessment_issues`).

The rules are the 专报's (tasks/report/publish.py, tasks/report/after_signing.py), keyed on the assessment's
data (the digest of its JSON: scores, ranks, records, ledger — not the moment it was run):

- the first draft of a year (and `through`) is revision 0, its history starts with 草稿;
- the same data again writes nothing (the draft, or once signed the signed 通报, stays as it is; after
  signing the result's `note` says so in one line);
- new data before signing redoes the draft in place (same revision, back to 草稿);
- new data after signing makes revision r+1 (`考核通报_2020_修订1.*`), a new draft to review and sign.

The draft's files are in `reports/<Y>/`; its review and signing are tasks/year/signing.py's.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from filelock import FileLock
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import catalog
from ..core.reference import Reference
from ..core.results import json_digest
from ..core.settings import Settings
from ..intake.registry import AssessmentIssue, session, utc
from ..report.approval_log import ASSESSMENT, never_signed, record_draft, record_redraft
from .document import draft_context, notice_paths, write_files

MAKER = "年度考核"  # who made the draft (the assess command), in the approval records


def data_digest(result: dict) -> str:
    """sha256 of the assessment as `assess --json` gives it."""
    return json_digest(result)


def revisions(db: Session, year: int, through: str | None) -> list[AssessmentIssue]:
    """The revisions of the year's 考核通报 (up to `through`), oldest first."""
    return list(db.scalars(select(AssessmentIssue)
                           .where(AssessmentIssue.year == year, AssessmentIssue.through == (through or ""))
                           .order_by(AssessmentIssue.revision, AssessmentIssue.id)))


def name(year: int, through: str | None) -> str:
    """'2020年考核通报' or '2020年考核通报（截至2020-06）'."""
    return f"{year}年考核通报" + (f"（截至{through}）" if through else "")


def label(row: AssessmentIssue) -> str:
    return "首发" if not row.revision else f"修订{row.revision}"


def what(row: AssessmentIssue) -> str:
    """'2020年考核通报', a revision '2020年考核通报修订1' (the name in messages)."""
    return name(row.year, row.through or None) + (f"修订{row.revision}" if row.revision else "")


def paths_of(settings: Settings, row: AssessmentIssue, signed: bool = False) -> dict[str, Path]:
    """A revision's draft files (reports/<Y>/) or signed files (reports/<Y>/published/)."""
    folder = catalog.assessment_published_dir(settings.home, row.year) if signed else Path(row.folder)
    return notice_paths(folder, row.year, row.through or None, row.revision)


def kept_note(year: int, through: str | None) -> str:
    """The one line `assess` prints when a signed 考核通报 is left as it is."""
    return f"{name(year, through)}已签发，数据未变，不重新起草"


def draft_notice(settings: Settings, reference: Reference | None, result: dict, at: datetime | None = None) -> dict:
    """Write the 考核通报's draft of `result` when its data is new (see the module docstring).

    Returns `files` ({format: path}: the draft, or the signed files when a signed 通报 is kept), `created`,
    `revision`, and `note` when a signed 通报 was left as it is."""
    year, through = result["year"], result.get("through") or None
    digest = data_digest(result)
    at = (at or datetime.now(settings.tz)).astimezone(settings.tz)
    catalog.reports_root(settings.home).mkdir(parents=True, exist_ok=True)
    with FileLock(str(catalog.issues_lock(settings.home))), session(settings.db_url) as db:
        rows = revisions(db, year, through)
        latest = rows[-1] if rows else None
        signed = latest is not None and not never_signed(db, latest, ASSESSMENT)
        if latest is not None and latest.inputs_digest == digest:
            kept = paths_of(settings, latest, signed)
            if all(p.exists() for p in kept.values()):
                return {"files": kept, "created": False, "revision": latest.revision,
                        "note": kept_note(year, through) if signed else None}
        replace = latest is not None and not signed
        row = latest if replace and latest is not None else AssessmentIssue(
            year=year, through=through or "", revision=latest.revision + 1 if latest is not None else 0)
        row.folder = str(catalog.assessment_dir(settings.home, year))
        files = write_files(settings, draft_context(settings, reference, result, at), result, paths_of(settings, row))
        changed = row.inputs_digest != digest
        row.inputs_digest, row.created_at = digest, utc(at)
        if not replace:
            db.add(row)
            db.flush()
            record_draft(db, row, at, ASSESSMENT, MAKER)
        elif changed:
            record_redraft(db, row, at, None, ASSESSMENT, MAKER)
        db.commit()
        return {"files": files, "created": True, "revision": row.revision, "note": None}
