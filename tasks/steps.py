"""The monthly run's steps as plain functions over a RunContext; flows/monthly.py wraps each as a task.

Each step reads what the previous one left in the registry or the data lake, so a step can be
run, tested and rerun on its own. The previous month's checks read its curated data only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from zhuanbao.tasks.checks.outcomes import accepted_files, settle_outcomes
from zhuanbao.tasks.core.periods import previous_period
from zhuanbao.tasks.core.reference import FORMS, Reference, reference_for
from zhuanbao.tasks.core.settings import Settings
from zhuanbao.tasks.curated import consolidate as curated
from zhuanbao.tasks.intake.collect import collect_inbox
from zhuanbao.tasks.intake.read import read_period
from zhuanbao.tasks.intake.registry import Run, local, session, submissions, utc
from zhuanbao.tasks.intake.workbook import tidy_frames


@dataclass
class RunContext:
    """What every step of one run needs; carried through the flow."""

    settings: Settings
    period: str
    reference: Reference
    run_id: int
    reason: str | None = None
    as_of: str | None = None
    state: dict = field(default_factory=dict)


def open_run(settings: Settings, period: str, *, reason: str | None = None, as_of: str | None = None) -> RunContext:
    reference = reference_for(settings, period)
    with session(settings.db_url) as db:
        run = Run(period=period, reason=reason, started_at=utc(datetime.now(settings.tz)), status="running", counts={})
        db.add(run)
        db.commit()
        return RunContext(settings, period, reference, run.id, reason, as_of)


def collect(ctx: RunContext) -> dict:
    as_of = datetime.fromisoformat(ctx.as_of) if ctx.as_of else None
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=ctx.settings.tz)
    with session(ctx.settings.db_url) as db:
        result = collect_inbox(ctx.settings, db, ctx.period, as_of)
    return {"new_files": len(result.registered), "duplicates": len(result.duplicates)}


def read(ctx: RunContext, read_many=None) -> list:
    """Each distinct file's WorkbookRead as (file_id, read); uncached files go to `read_many` (default inline)."""
    with session(ctx.settings.db_url) as db:
        return [(row.id, read) for row, read in read_period(ctx.settings, db, ctx.period, ctx.reference, read_many)]


def previous_curated(ctx: RunContext) -> dict[str, pd.DataFrame] | None:
    """Last month's accepted figures (same year), from its curated data; None in January or if absent."""
    before = previous_period(ctx.period)
    if before is None:
        return None
    frames = {form: curated.read_partition(ctx.settings.curated_dir, form, before) for form in FORMS}
    return None if all(f is None for f in frames.values()) else frames


def check(ctx: RunContext, reads: list) -> dict:
    """Run the rule suites over the whole period, settle outcomes, write one receipt per file."""
    from zhuanbao.tasks.checks.validate import check_period

    findings = check_period(ctx.period, reads, ctx.reference, previous_curated(ctx),
                            suites_dir=ctx.settings.expectations_dir)
    with session(ctx.settings.db_url) as db:
        rows = {row.id: row for row in submissions(db, ctx.period)}
        pairs = [(rows[fid], read) for fid, read in reads]
        settle_outcomes(pairs, findings)
        db.commit()
        write_receipts(ctx, list(rows.values()), findings)
        counts = {"files": len(pairs), "accepted": sum(r.outcome == "accepted" for r, _ in pairs),
                  "rejected": sum(r.outcome == "rejected" for r, _ in pairs)}
    ctx.state["findings"] = findings
    ctx.state.pop("status", None)  # outcomes just changed
    return counts


def write_receipts(ctx: RunContext, rows: list, findings: pd.DataFrame) -> None:
    """One receipt per file of the period (duplicates included), under reports/<period>/receipts/."""
    from zhuanbao.tasks.checks.receipts import findings_by_file, receipt_for, write_receipt

    folder = ctx.settings.reports_dir(ctx.period) / "receipts"
    deadline = ctx.settings.deadline(ctx.period)
    by_file = findings_by_file(findings)
    for row in rows:
        arrival = local(row.received_at, ctx.settings.tz)
        unit_name = ctx.reference.unit_name(row.unit_code) if row.unit_code else "（未识别的单位）"
        write_receipt(folder, receipt_for(
            row.id, by_file.get(row.id, []), period=ctx.period, unit_code=row.unit_code, unit_name=unit_name,
            file_name=row.file_name, sha256=row.sha256, received_at=arrival, on_time=arrival <= deadline,
            outcome=row.outcome, office=ctx.settings.issuing_office), home=ctx.settings.home)


def consolidate(ctx: RunContext, reads: list) -> dict:
    """Write the latest accepted submission of each unit to curated/<form>/period=…/."""
    with session(ctx.settings.db_url) as db:
        rows = {row.id: row for row in submissions(db, ctx.period)}
        accepted = accepted_files(ctx.settings, ctx.period, [(rows[fid], read) for fid, read in reads])
    frames = tidy_frames(reads)
    written = {}
    for form in FORMS:
        out = curated.curated_rows(form, frames[form], accepted, ctx.period)
        written[form] = str(curated.write_partition(ctx.settings.curated_dir, form, ctx.period, out))
    ctx.state["accepted"] = accepted
    return written


def settled_status(ctx: RunContext) -> dict:
    """The period's status once the files are checked (read from the registry once per run)."""
    from zhuanbao.tasks.intake.status import period_status

    if "status" not in ctx.state:
        with session(ctx.settings.db_url) as db:
            ctx.state["status"] = period_status(ctx.settings, db, ctx.period, ctx.reference)
    return ctx.state["status"]


def unit_submissions(ctx: RunContext) -> pd.DataFrame:
    """One row per required unit: unit_code, status (accepted|rejected|missing), on_time."""
    frame = pd.DataFrame(settled_status(ctx)["units"], columns=["unit_code", "status", "on_time"])
    frame["status"] = frame["status"].replace({"received": "accepted"})
    return frame


def soft_flags(ctx: RunContext) -> pd.DataFrame:
    """Soft findings on the accepted files: unit_code, rule_id, explained."""
    findings, accepted = ctx.state.get("findings"), ctx.state.get("accepted")
    if findings is None or accepted is None or not len(findings):
        return pd.DataFrame(columns=["unit_code", "rule_id", "explained"])
    soft = findings[findings.severity == "soft"].merge(accepted[["file_id", "unit_code"]], on="file_id")
    return soft[["unit_code", "rule_id", "explained"]].reset_index(drop=True)


def metrics(ctx: RunContext) -> dict:
    """Every derived figure of the period, written as curated/metrics_<name>/ datasets."""
    from zhuanbao.tasks.metrics.compute import compute_metrics

    frames = {form: curated.read_partition(ctx.settings.curated_dir, form, ctx.period) for form in FORMS}
    result = compute_metrics(ctx.period, ctx.reference, frames["indicators"], frames["projects"], frames["tasks"],
                             unit_submissions(ctx), soft_flags(ctx), ctx.settings.score_weights)
    written = {}
    for name, frame in result.items():
        if isinstance(frame, pd.DataFrame):
            written[name] = str(curated.write_partition(ctx.settings.curated_dir, f"metrics_{name}", ctx.period, frame))
    ctx.state["metrics"] = result
    return written


def report(ctx: RunContext) -> dict:
    """The 专报 of the period: a new issue, a revision when inputs changed, or nothing new."""
    from zhuanbao.tasks.report.context import build_context
    from zhuanbao.tasks.report.publish import publish_report

    context = build_context(ctx.settings, ctx.period, ctx.reference, ctx.state["metrics"], settled_status(ctx))
    return publish_report(ctx.settings, ctx.period, context, reason=ctx.reason)


def close_run(ctx: RunContext, counts: dict, outputs: dict) -> dict:
    units = unit_submissions(ctx)
    counts = {**counts, "late": int((units.on_time == False).sum()),
              "missing": int((units.status != "accepted").sum())}
    with session(ctx.settings.db_url) as db:
        run = db.get(Run, ctx.run_id)
        run.finished_at, run.status, run.counts = utc(datetime.now(ctx.settings.tz)), "completed", counts
        db.commit()
    return {"period": ctx.period, "run_id": ctx.run_id, **counts, "outputs": outputs}


def fail_run(ctx: RunContext, exc: BaseException) -> None:
    """Record a run that stopped with an error (its reason stays), so the registry never shows it running."""
    with session(ctx.settings.db_url) as db:
        run = db.get(Run, ctx.run_id)
        run.finished_at, run.status = utc(datetime.now(ctx.settings.tz)), "failed"
        run.counts = {**(run.counts or {}), "error": f"{type(exc).__name__}: {exc}"[:500]}
        db.commit()


def summary_line(summary: dict) -> str:
    return (f"{summary['period']}：文件 {summary.get('files', 0)} 个，受理 {summary.get('accepted', 0)}，"
            f"退回 {summary.get('rejected', 0)}，逾期 {summary.get('late', 0)}，未报 {summary.get('missing', 0)}")
