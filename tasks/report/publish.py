"""Issues of the 专报 (第N期) and their revisions (修订版), recorded in the registry.

- The first publication of a period takes the next issue number of its year (`ReportIssue`).
- Publishing again with the same inputs (the context without its `issue` fields) writes
  nothing and returns the existing files.
- Changed inputs make revision r+1 of the same issue, written beside the earlier files:
  `reports/<period>/专报_<period>_第<N>期.{html,pdf,docx,json}` and the Excel 附表
  `专报_<period>_第<N>期_附表.xlsx` (every row; the document shows at most
  `report_detail_rows` per list), then `..._第<N>期_修订1.*` / `..._第<N>期_修订1_附表.xlsx`,
  with a 修订说明 computed against the previous context (units added or now accepted, figures
  changed, the reason given).
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

from filelock import FileLock
from sqlalchemy import func, select

from zhuanbao.tasks.core.periods import period_parts
from zhuanbao.tasks.core.settings import Settings
from zhuanbao.tasks.intake.registry import ReportIssue, local, session, utc
from zhuanbao.tasks.report.context.issue import issue_fields, report_moment
from zhuanbao.tasks.report.formatting import STATUS_LABELS, cap_names

FORMATS = ("html", "pdf", "docx", "json", "xlsx")
MAX_FIGURES = 8


def inputs_digest(context: dict) -> str:
    """sha256 of the context without its issue fields (number, date, revision, notes)."""
    body = {key: value for key, value in context.items() if key != "issue"}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_stem(period: str, issue_no: int, revision: int) -> str:
    """'专报_2020-04_第2期', revisions '专报_2020-04_第2期_修订1'."""
    return f"专报_{period}_第{issue_no}期" + (f"_修订{revision}" if revision else "")


def issue_paths(folder: Path, period: str, issue_no: int, revision: int) -> dict[str, Path]:
    stem = file_stem(period, issue_no, revision)
    return {fmt: Path(folder) / (f"{stem}_附表.xlsx" if fmt == "xlsx" else f"{stem}.{fmt}") for fmt in FORMATS}


def _figures(context: dict) -> dict[str, str]:
    """The figures a 修订说明 compares, by a readable name."""
    out = {f"{label}": context["overview"][key] for key, label in (
        ("submission_rate", "报送率"), ("on_time_rate", "按时报送率"), ("indicators_on_track", "达到进度的指标数"),
        ("projects_on_track", "按进度推进的项目数"))}
    for row in context["indicators"]["rows"]:
        out[f"{row['name']}累计"] = row["cumulative"]
        out[f"{row['name']}{row['kind']}"] = row["rate"]
    for batch in context["projects"]["batches"]:
        for row in batch["rows"]:
            out[f"{row['name']}累计投资"] = row["cumulative"]
    for row in context["tasks"]["rows"]:
        out[f"{row['name']}平均进度"] = row["mean_progress"]
    return out


def _unit_status(context: dict) -> dict[str, dict]:
    """unit_code → {unit, status_code} for every unit: from the 附表's 报送情况 sheet (the document's
    own list may be shortened), or from submissions.rows in a context older than the 附表."""
    from zhuanbao.tasks.report.appendix import SHEETS

    sheets = {s["name"]: s for s in (context.get("appendix") or {}).get("sheets", [])}
    sheet = sheets.get(SHEETS["submissions"])
    if sheet is None:
        return {r["unit_code"]: r for r in context.get("submissions", {}).get("rows", [])}
    codes = {label: code for code, label in STATUS_LABELS.items()}
    col = {name: i for i, name in enumerate(sheet["columns"])}
    return {r[col["单位代码"]]: {"unit": r[col["单位"]], "status_code": codes.get(r[col["报送状态"]], r[col["报送状态"]])}
            for r in sheet["rows"]}


def describe_changes(previous: dict, current: dict, reason: str | None, limit: int = 30) -> dict:
    """What changed between two contexts of a period, with the 修订说明 sentences (at most `limit`
    unit names in a sentence)."""
    before, after = _unit_status(previous), _unit_status(current)
    ok = ("accepted", "received")
    added = [r["unit"] for c, r in after.items()
             if r["status_code"] in ok and before.get(c, {}).get("status_code", "missing") == "missing"]
    accepted = [r["unit"] for c, r in after.items()
                if r["status_code"] in ok and before.get(c, {}).get("status_code") == "rejected"]
    old, new = _figures(previous) if previous else {}, _figures(current)
    figures = [{"item": k, "before": old.get(k, "—"), "after": v} for k, v in new.items() if old.get(k) != v]
    notes = []
    if added:
        notes.append(f"新增报送单位：{cap_names(added, limit)}，其数据已纳入本期汇总。")
    if accepted:
        notes.append(f"更正后受理：{cap_names(accepted, limit)}。")
    if figures:
        shown = "；".join(f"{f['item']}由{f['before']}变为{f['after']}" for f in figures[:MAX_FIGURES])
        more = f"等{len(figures)}项" if len(figures) > MAX_FIGURES else ""
        notes.append(f"数据变动：{shown}{more}。")
    if not (added or accepted or figures):
        notes.append("部分内容有调整，主要数据未变。")
    if reason:
        notes.append(f"修订原因：{reason}")
    return {"units_added": added, "units_now_accepted": accepted, "figures_changed": figures,
            "reason": reason or "", "notes": notes}


def _result(row: ReportIssue, paths: dict[str, Path], created: bool, digest: str) -> dict:
    return {"period": row.period, "year": row.year, "issue_no": row.issue_no, "issue_label": f"第{row.issue_no}期",
            "revision": row.revision, "created": created, "digest": digest, "folder": row.folder,
            "changes": row.changes or {}, **{fmt: str(p) for fmt, p in paths.items()}, "context": str(paths["json"])}


def publish_report(settings: Settings, period: str, context: dict, *, reason: str | None = None,
                   issued_at: datetime | str | None = None) -> dict:
    """Publish the period's 专报: new issue, revision, or nothing new (see the module docstring).

    Returns paths (`html`, `pdf`, `docx`, `json`/`context`, `xlsx` — the 附表), `issue_no`, `revision`,
    `created`.

    `issued_at`: the run's as-of moment (the masthead date and the 版记's 印发日期); without it the
    date the context was built for (`context["issue"]["date"]`, the period's latest arrival) stays.
    """
    year, _ = period_parts(period)
    digest = inputs_digest(context)
    folder = settings.reports_dir(period)
    (settings.home / "reports").mkdir(parents=True, exist_ok=True)
    with FileLock(str(settings.home / "reports" / ".issues.lock")), session(settings.db_url) as db:
        history = list(db.scalars(select(ReportIssue).where(ReportIssue.period == period)
                                  .order_by(ReportIssue.revision, ReportIssue.id)))
        latest = history[-1] if history else None
        if latest is not None and latest.inputs_digest == digest:
            paths = issue_paths(Path(latest.folder), period, latest.issue_no, latest.revision)
            if all(p.exists() for p in paths.values()):
                return _result(latest, paths, False, digest)
            issued = local(latest.created_at, settings.tz)  # files lost: render the same issue again
            full = {**context, "issue": issue_fields(settings, period, latest.issue_no, latest.revision, issued,
                                                     (latest.changes or {}).get("notes", []), latest.reason)}
            _write(full, paths, settings)
            return _result(latest, paths, True, digest)
        if latest is None:
            top = db.scalar(select(func.max(ReportIssue.issue_no)).where(ReportIssue.year == year))
            issue_no, revision, changes = (top or 0) + 1, 0, {}
        else:
            issue_no, revision = latest.issue_no, latest.revision + 1
            previous_file = issue_paths(Path(latest.folder), period, latest.issue_no, latest.revision)["json"]
            previous = json.loads(previous_file.read_text("utf-8")) if previous_file.exists() else {}
            changes = describe_changes(previous, context, reason, settings.report_detail_rows)
        issued = report_moment(settings, {}, issued_at or (context.get("issue") or {}).get("issued_at"))
        full = {**context, "issue": issue_fields(settings, period, issue_no, revision, issued,
                                                 changes.get("notes", []), reason)}
        folder.mkdir(parents=True, exist_ok=True)
        paths = issue_paths(folder, period, issue_no, revision)
        _write(full, paths, settings)
        row = ReportIssue(year=year, period=period, issue_no=issue_no, revision=revision, inputs_digest=digest,
                          reason=reason, changes=changes, created_at=utc(issued), folder=str(folder))
        db.add(row)
        db.commit()
        return _result(row, paths, True, digest)


def _write(context: dict, paths: dict[str, Path], settings: Settings) -> None:
    from zhuanbao.tasks.report.appendix import write_appendix
    from zhuanbao.tasks.report.render import render_all

    render_all(context, paths["json"].with_suffix(""), home=settings.home)
    write_appendix(context.get("appendix") or {"sheets": []}, paths["xlsx"])
    paths["json"].write_text(json.dumps(context, ensure_ascii=False, indent=1), encoding="utf-8")
