"""Issues of the 专报 (第N期) and their revisions (修订版), recorded in the registry.

- The first publication of a period takes the next issue number of its year (`ReportIssue`).
- Publishing again with the same inputs (the context without its `issue` fields) writes
  nothing and returns the existing files.
- Changed inputs or templates while the latest revision is still unsigned (草稿/已审核) redo that draft in
  place (same number, back to 草稿: nothing has left the office). After it was signed only changed DATA
  (tasks/report/after_signing.py) makes revision r+1 of the same issue; the same data leaves the signed
  专报 as it is (the result's `note` says so) unless `reissue` asks for a 文字修订 revision, written beside the earlier files:
  `reports/<period>/专报_<period>_第<N>期.{html,pdf,docx,json}` and the Excel 附表
  `专报_<period>_第<N>期_附表.xlsx` (every row; the document shows at most
  `report_detail_rows` per list), then `..._第<N>期_修订1.*` / `..._第<N>期_修订1_附表.xlsx`,
  with a 修订说明 computed against the previous context (units added or now accepted, figures
  changed, the reason given).
- What is written here is the draft (送审稿, `issue.draft` true, no 印发日期); its review and
  signing, and the signed documents in `reports/<period>/published/`, are tasks/report/approval.py's.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from datetime import datetime
from pathlib import Path

from filelock import FileLock
from sqlalchemy import select

from ..core import catalog
from ..core.periods import period_parts
from ..core.results import json_digest
from ..core.settings import Settings
from ..intake.registry import ReportIssue, local, session, utc
from .after_signing import kept_note, same_data, templates_digest, text_changed
from .approval_log import never_signed, record_draft, record_redraft
from .context.issue import issue_fields, report_moment
from .revisions import describe_changes, text_revision

FORMATS = ("html", "pdf", "docx", "json", "xlsx")


def inputs_digest(context: dict) -> str:
    """sha256 of the context without its issue fields (number, date, revision, notes).

    A saved .json (`saved_context`) keeps the 附表's rows only in the workbook: its digest is the one
    recorded beside them when it was written."""
    if "inputs_digest" in context and not has_rows(context.get("appendix")):
        return context["inputs_digest"]
    return json_digest({key: value for key, value in context.items() if key != "issue"})


def has_rows(appendix: dict | None) -> bool:
    """The 附表's data itself (a context as built), not the summary a saved .json keeps."""
    return bool(appendix) and all("rows" in sheet for sheet in appendix.get("sheets", []))


def saved_context(context: dict, workbook: str, digest: str) -> dict:
    """What the issue's .json keeps: the context with the 附表 as its sheets' names, columns and row
    counts (the rows are in `workbook`: a province's rows would make the file, and every step that
    reads it, grow with the number of units), without `revision_data` (kept in the registry with
    the issue), and with the digest of the whole context."""
    appendix = context.get("appendix") or {"sheets": []}
    if has_rows(appendix):
        appendix = {"workbook": workbook, "sheets": [{"name": s["name"], "columns": s["columns"],
                                                      "row_count": len(s["rows"])} for s in appendix["sheets"]]}
    kept = {key: value for key, value in context.items() if key != "revision_data"}
    return {**kept, "appendix": appendix, "inputs_digest": digest}


def file_stem(period: str, issue_no: int, revision: int) -> str:
    """'专报_2020-04_第2期', revisions '专报_2020-04_第2期_修订1'."""
    return f"专报_{period}_第{issue_no}期" + (f"_修订{revision}" if revision else "")


def issue_paths(folder: Path, period: str, issue_no: int, revision: int) -> dict[str, Path]:
    stem = file_stem(period, issue_no, revision)
    return {fmt: Path(folder) / (f"{stem}_附表.xlsx" if fmt == "xlsx" else f"{stem}.{fmt}") for fmt in FORMATS}


def draft_fields(settings: Settings, period: str, issue_no: int, revision: int, issued: datetime,
                 notes: list[str], reason: str | None, office: str | None = None) -> dict:
    """The issue fields of a draft (送审稿): no date on the masthead, no 印发日期, no 签发人 — signing fills
    them (tasks/report/approval.py). `office`: the issuer the context was built with (the plan's)."""
    return {**issue_fields(settings, period, issue_no, revision, issued, notes, reason, draft=True, office=office),
            "date": "", "printed_date": ""}


def _result(row: ReportIssue, paths: dict[str, Path], created: bool, digest: str) -> dict:
    return {"period": row.period, "year": row.year, "issue_no": row.issue_no, "issue_label": f"第{row.issue_no}期",
            "revision": row.revision, "created": created, "digest": digest, "folder": row.folder,
            "changes": row.changes or {}, **{fmt: str(p) for fmt, p in paths.items()}, "context": str(paths["json"])}


def publish_report(settings: Settings, period: str, context: dict, *, reason: str | None = None,
                   issued_at: datetime | str | None = None, reissue: bool = False) -> dict:
    """Publish the period's 专报: new issue, revision, or nothing new (see the module docstring).

    Returns paths (`html`, `pdf`, `docx`, `json`/`context`, `xlsx` — the 附表), `issue_no`, `revision`,
    `created`, and `note` when a signed 专报 was left as it is (tasks/report/after_signing.py).

    `issued_at`: the run's as-of moment (the masthead date and the 版记's 印发日期); without it the
    date the context was built for (`context["issue"]["date"]`, the period's latest arrival) stays.
    The context's `revision_data` (tasks/report/revisions.py: typed figures, statuses and ranks, the data
    digest) is stored with the issue; a later revision's 修订说明 compares its own with it, never rendered
    strings. After signing only new data makes a revision; `reissue` makes one for the text alone (文字修订).
    """
    year, _ = period_parts(period)
    digest = inputs_digest(context)
    snapshot = {**(context.get("revision_data") or {}), "templates": templates_digest(settings)}
    folder = settings.reports_dir(period)
    catalog.reports_root(settings.home).mkdir(parents=True, exist_ok=True)
    with FileLock(str(catalog.issues_lock(settings.home))), session(settings.db_url) as db:
        history = list(db.scalars(select(ReportIssue).where(ReportIssue.period == period)
                                  .order_by(ReportIssue.revision, ReportIssue.id)))
        latest = history[-1] if history else None
        signed = latest is not None and not never_signed(db, latest)
        unchanged = signed and (latest.inputs_digest == digest or same_data(latest.snapshot, snapshot))
        if latest is not None and (unchanged and not reissue or not signed and latest.inputs_digest == digest
                                   and (latest.snapshot or {}).get("templates", snapshot["templates"])
                                   == snapshot["templates"]):
            note = kept_note(period, text_changed(latest, snapshot, digest)) if unchanged else None
            return _existing(settings, latest, context, digest, note)
        replace = latest is not None and not signed  # a draft nobody signed is redone in place
        if latest is None:
            issue_no, revision = next_issue_no(settings, db, period, year), 0
        else:
            issue_no, revision = latest.issue_no, latest.revision + (0 if replace else 1)
        base = (history[-2] if len(history) > 1 else None) if replace else latest  # what this revision revises
        changes = {}
        if base is not None:
            changes = (text_revision(reason) if same_data(base.snapshot, snapshot) else  # the text alone (--reissue)
                       describe_changes(base.snapshot or {}, snapshot, reason, settings.report_detail_rows))
        issued = report_moment(settings, {}, issued_at or (context.get("issue") or {}).get("issued_at"))
        full = {**context, "issue": draft_fields(settings, period, issue_no, revision, issued,
                                                 changes.get("notes", []), reason,
                                                 (context.get("issue") or {}).get("office"))}
        folder.mkdir(parents=True, exist_ok=True)
        paths = issue_paths(folder, period, issue_no, revision)
        write_documents(full, paths, settings, digest)
        row = latest if replace else ReportIssue(year=year, period=period, issue_no=issue_no, revision=revision)
        _save_revision(db, row, replace, digest, reason, changes, issued, snapshot, str(folder))
        db.commit()
        return _result(row, paths, True, digest)


def _existing(settings: Settings, latest: ReportIssue, context: dict, digest: str, note: str | None) -> dict:
    """Nothing new to draft: the latest revision's files (rendered again when they were lost and its
    inputs are these), with the run's `note` when a signed 专报 is kept."""
    paths = issue_paths(Path(latest.folder), latest.period, latest.issue_no, latest.revision)
    if latest.inputs_digest == digest and not all(p.exists() for p in paths.values()):
        issued = local(latest.created_at, settings.tz)  # files lost: render the same issue again
        full = {**context, "issue": draft_fields(settings, latest.period, latest.issue_no, latest.revision, issued,
                                                 (latest.changes or {}).get("notes", []), latest.reason,
                                                 (context.get("issue") or {}).get("office"))}
        write_documents(full, paths, settings, digest)
        return _result(latest, paths, True, digest)
    if note:  # a signed 专报 kept: its signed documents are what the office shows
        signed = issue_paths(catalog.published_dir(settings.home, latest.period), latest.period, latest.issue_no,
                             latest.revision)
        paths = signed if all(p.exists() for p in signed.values()) else paths
        return {**_result(latest, paths, False, digest), "note": note}
    return _result(latest, paths, False, digest)


def _save_revision(db, row: ReportIssue, redone: bool, digest: str, reason: str | None, changes: dict,
                   issued: datetime, snapshot: dict, folder: str) -> None:
    """Record the draft just written: a new revision's row with its history started (草稿), or the unsigned
    revision redone in place and sent back to 草稿 (the caller commits)."""
    row.inputs_digest, row.reason, row.changes, row.created_at = digest, reason, changes, utc(issued)
    row.snapshot, row.folder = snapshot, folder
    if redone:
        record_redraft(db, row, issued, reason)
    else:
        db.add(row)
        db.flush()
        record_draft(db, row, issued)


def write_documents(context: dict, paths: dict[str, Path], settings: Settings, digest: str | None = None, *,
                    appendix_from: Path | None = None) -> None:
    """The three documents, the Excel 附表 and the context .json of one issue at `paths`: written under
    temporary names in a staging folder, then renamed into place (the .json last: it is what a later
    publish compares with), so a full disk or a kill never leaves a half-written 专报 under its final name.

    A context read back from a saved .json has no 附表 rows: its workbook is copied from `appendix_from`
    (the 附表 does not depend on the issue fields)."""
    from .appendix import appendix_title, write_appendix
    from .render import render_all

    folder = paths["json"].parent
    for stale in folder.glob(".staging-*"):  # left by a killed run (we hold the issues lock)
        shutil.rmtree(stale, ignore_errors=True)
    staging = folder / f".staging-{os.getpid()}"
    staging.mkdir(parents=True)
    try:
        aside = {fmt: staging / path.name for fmt, path in paths.items()}
        appendix = context.get("appendix") or {"sheets": []}

        def write_workbook() -> None:  # while the warm renderer lays the PDF out
            if has_rows(appendix) or not appendix["sheets"]:
                write_appendix(appendix, aside["xlsx"], title=appendix_title(context),
                               parts=catalog.appendix_parts(settings.home))
            elif appendix_from is not None and Path(appendix_from).exists():
                shutil.copyfile(appendix_from, aside["xlsx"])
            else:
                raise FileNotFoundError(f"找不到附表 {appendix.get('workbook') or paths['xlsx'].name}：请重跑该月份重新生成草稿")

        render_all(context, aside["json"].with_suffix(""), home=settings.home, meanwhile=write_workbook)
        saved = saved_context(context, paths["xlsx"].name, digest or inputs_digest(context))
        aside["json"].write_text(json.dumps(saved, ensure_ascii=False, indent=1), encoding="utf-8")
        for fmt in sorted(paths, key=lambda f: f == "json"):
            os.replace(aside[fmt], paths[fmt])
    finally:
        shutil.rmtree(staging, ignore_errors=True)


_ISSUE_FILE = re.compile(r"^专报_(\d{4}-\d{2})_第(\d+)期(?:_修订(\d+))?\.json$")


def issue_of_file(path: Path) -> tuple[str, int, int] | None:
    """(period, issue number, revision) of an issue's context .json in its period's folder of reports/
    (the inverse of `file_stem`); None for any other file."""
    match = _ISSUE_FILE.match(path.name)
    if not match or match.group(1) != path.parent.name:
        return None
    return match.group(1), int(match.group(2)), int(match.group(3) or 0)


def issues_on_disk(settings: Settings, year: int) -> dict[str, set[int]]:
    """Period → issue numbers of the year's 专报 found in reports/ (their .json files), registry or not."""
    found: dict[str, set[int]] = {}
    for path in catalog.reports_root(settings.home).glob(f"{year}-*/专报_*.json"):
        issue = issue_of_file(path)
        if issue:
            found.setdefault(issue[0], set()).add(issue[1])
    return found


class IssueNumberError(RuntimeError):
    """The registry does not know issues that reports/ holds: a new number could repeat one."""


def next_issue_no(settings: Settings, db, period: str, year: int) -> int:
    """The issue number for a first publication of `period`.

    The registry's numbers of the year and those of the 专报 already in reports/ are both taken:
    a period whose own files are there (a run killed after writing them) keeps its number; an empty
    registry beside other periods' 专报 is refused (rebuild the registry first) rather than reuse 第N期.
    """
    used = {row.period: row.issue_no for row in db.scalars(select(ReportIssue).where(ReportIssue.year == year))}
    disk = issues_on_disk(settings, year)
    others = {n for p, numbers in disk.items() if p != period for n in numbers}
    if not used and others:
        raise IssueNumberError(
            f"reports/ 中已有 {year} 年的专报（第{'、'.join(map(str, sorted(others)))}期），但登记库中没有任何期号记录："
            "为避免期号重复，请先运行 zhuanbao rebuild-registry 重建登记库后再发布")
    taken = set(used.values()) | others
    own = sorted(disk.get(period, set()) - taken)
    return own[0] if own else max(taken, default=0) + 1
