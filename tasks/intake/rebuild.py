"""Rebuilding the registry from the home: the registry is not the only memory.

Every received file's bytes are in raw/ (under their sha256) and its receipt JSON in
reports/<period>/receipts/ says which file it was (file id, name, sha256, arrival, period); every
published 专报 left its context JSON (reports/<period>/专报_<period>_第N期[_修订r].json). From these
`rebuild_registry` restores the submissions (as `received`, so the next run reads and checks them
again; a file that could not be read stays rejected with its message; later arrivals of the same
bytes are duplicates) and the issues with their numbers and digests (so the next run publishes
nothing new when nothing changed, and a new period takes the next free number). Rows the registry
already holds are kept; only what is missing is added. Files in raw/ without a receipt (a run
stopped before its check) cannot be attributed and are only counted.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..checks.outcomes import UNREADABLE_RULE, Outcome, arrival_outcome
from ..core import catalog
from ..core.periods import normalise_label, period_parts
from ..core.settings import Settings
from ..report.publish import inputs_digest, issue_of_file
from .raw import raw_key
from .registry import ReportIssue, Submission, session, utc


def _receipts(settings: Settings) -> list[dict]:
    found = []
    for path in sorted(catalog.reports_root(settings.home).glob("*/receipts/*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            normalise_label(data["period"])
            data["received_at"] = datetime.fromisoformat(data["received_at"])
            found.append(data | {"_path": str(path)})
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a receipt of ours
    return sorted(found, key=lambda r: (r["period"], r["received_at"], r.get("file_id") or 0))


def _h00(receipt: dict) -> str | None:
    for finding in receipt.get("findings") or []:
        if finding.get("rule_id") == UNREADABLE_RULE:
            return finding.get("message") or "文件无法读取"
    return None


def _raw_exists(settings: Settings, key: str) -> bool:
    if settings.lake is None:
        return (settings.home / key).exists()
    from .raw import raw_location

    fs, path = raw_location(settings, key)
    return fs.exists(path)


def rebuild_registry(settings: Settings) -> dict:
    """Add to the registry the submissions and issues that reports/ and raw/ prove; returns counts."""
    counts = {"submissions": 0, "issues": 0, "known": 0, "without_bytes": 0, "unattributed_raw": 0}
    with session(settings.db_url) as db:
        attributed = _restore_submissions(settings, db, counts)
        if settings.lake is None:
            counts["unattributed_raw"] = sum(
                1 for p in catalog.raw_dir(settings.home).glob("??/*") if p.is_file()
                and f"raw/{p.parent.name}/{p.name}" not in attributed)
        _restore_issues(settings, db, counts)
        db.commit()
    return counts


def _restore_submissions(settings: Settings, db: Session, counts: dict) -> set[str]:
    """A `Submission` for each receipt the registry lacks (its bytes in raw/ or refused unread); returns
    the raw/ keys the receipts name."""
    now = utc(datetime.now(settings.tz))
    existing = {(r.period, r.file_name, r.sha256) for r in db.scalars(select(Submission))}
    ids = set(db.scalars(select(Submission.id)))
    firsts: dict[tuple[str, str], Submission] = {
        (r.period, r.sha256): r
        for r in db.scalars(select(Submission).where(Submission.outcome != Outcome.DUPLICATE))}
    attributed = set()
    for receipt in _receipts(settings):
        period, name, sha = receipt["period"], receipt["file_name"], receipt["sha256"]
        key = raw_key(sha, Path(name).suffix)
        attributed.add(key)
        if (period, name, sha) in existing:
            counts["known"] += 1
            continue
        refused = _h00(receipt)
        if not refused and not _raw_exists(settings, key):
            counts["without_bytes"] += 1
            continue
        first = None if refused else firsts.get((period, sha))
        row = Submission(period=period, file_name=name, sha256=sha, size=0, received_at=utc(receipt["received_at"]),
                         source="inbox", raw_path=key if _raw_exists(settings, key) else "",
                         outcome=arrival_outcome(refused=bool(refused), duplicates=first is not None),
                         duplicate_of=first.id if first else None, unit_code=receipt.get("unit_code") or None,
                         rules=[UNREADABLE_RULE] if refused else [], messages=[refused] if refused else [],
                         registered_at=now)
        if receipt.get("file_id") and int(receipt["file_id"]) not in ids:
            row.id = int(receipt["file_id"])  # the receipts keep their names
        if row.raw_path and settings.lake is None:
            row.size = (settings.home / key).stat().st_size
        db.add(row)
        db.flush()
        ids.add(row.id)
        existing.add((period, name, sha))
        if not first and not refused:
            firsts[(period, sha)] = row
        counts["submissions"] += 1
    return attributed


def _restore_issues(settings: Settings, db: Session, counts: dict) -> None:
    """A `ReportIssue` for each 专报 context .json in reports/ whose period and revision the registry lacks."""
    known = {(r.period, r.revision) for r in db.scalars(select(ReportIssue))}
    for path in sorted(catalog.reports_root(settings.home).glob("*/专报_*.json")):
        issue = issue_of_file(path)
        if issue is None:
            continue
        period, issue_no, revision = issue
        if (period, revision) in known:
            continue
        try:
            context = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        fields = context.get("issue") or {}
        db.add(ReportIssue(year=period_parts(period)[0], period=period, issue_no=issue_no, revision=revision,
                           inputs_digest=inputs_digest(context), reason=fields.get("reason") or None,
                           changes={"notes": fields.get("revision_notes") or []} if revision else {},
                           created_at=utc(datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)),
                           folder=str(path.parent)))
        known.add((period, revision))
        counts["issues"] += 1
