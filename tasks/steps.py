"""The monthly run's steps as plain functions of explicit values; flows/monthly.py wraps each as a task.

collect → read → check → consolidate → metrics → report. Each step takes what it needs as
arguments and returns what the next one uses; what it leaves behind is something a person can
open — the registry (files, outcomes), receipts, `curated/` (the forms, `flags`, `metrics_*`), the
专报. A step run on its own reads its inputs from the registry or the lake, and stops with a
message naming the step that must run first when they are not there. There is no shared state.

`recorded_run` opens the run's row in the registry and always closes it: completed with its
counts, or failed with the error (the flow, `validate` and the reminders all use it).
"""
from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from .checks.outcomes import Outcome, settle_outcomes
from .checks.receipts import write_period_receipts
from .core import catalog
from .core.periods import cadence_of, is_monthly, previous_period
from .core.reference import FORMS, Reference, reference_for
from .core.results import code_version, digest
from .core.settings import Settings
from .curated import consolidate as curated
from .curated.flags import FLAGS, FLAGS_SCHEMA, soft_flags
from .curated.sub_monthly import latest_sub_monthly, sub_monthly_inputs, with_sub_monthly
from .intake.collect import collect_inbox
from .intake.read import PeriodReads, period_reads
from .intake.registry import Run, session, submissions, utc
from .intake.standing import tally
from .intake.standing_frames import accepted_files, standing_frame
from .intake.workbook import tidy_frames

METRICS = ["indicator_metrics", "district_totals", "project_metrics", "task_metrics", "batch_summary",
           "task_summary", "unit_scores"]


class StepOrderError(RuntimeError):
    """A step was run before the step whose output it reads (the message names that step)."""


@dataclass(frozen=True)
class RunContext:
    """Who is running what: the settings, the period and its reference tables, the registry's run id."""

    settings: Settings
    period: str
    reference: Reference
    run_id: int
    reason: str | None = None
    as_of: str | None = None
    from_scratch: bool = False  # ignore every stored per-file result and rebuild everything (`run --from-scratch`)


@dataclass
class RunRecord:
    """The open run: its context and the counts that are stored when it closes."""

    context: RunContext
    counts: dict = field(default_factory=dict)


@contextmanager
def recorded_run(settings: Settings, period: str, *, kind: str = "monthly", reason: str | None = None,
                 as_of: str | None = None, flow_run_id: str | None = None,
                 from_scratch: bool = False) -> Iterator[RunRecord]:
    """Open the run's row (running, with host, pid and Prefect run id) and close it whatever happens."""
    reference = reference_for(settings, period)
    with session(settings.db_url) as db:
        run = Run(period=period, reason=reason, started_at=utc(datetime.now(settings.tz)), status="running",
                  counts={}, kind=kind, flow_run_id=flow_run_id, host=socket.gethostname(), pid=os.getpid())
        db.add(run)
        db.commit()
        record = RunRecord(RunContext(settings, period, reference, run.id, reason, as_of, from_scratch))
    try:
        yield record
    except BaseException as exc:
        _close(settings, record.context.run_id, "failed",
               {**record.counts, "error": f"{type(exc).__name__}: {exc}"[:500]})
        raise
    _close(settings, record.context.run_id, "completed", record.counts)


def _close(settings: Settings, run_id: int, status: str, counts: dict) -> None:
    with session(settings.db_url) as db:
        run = db.get(Run, run_id)
        run.finished_at, run.status, run.counts = utc(datetime.now(settings.tz)), status, counts
        db.commit()


def collect(ctx: RunContext) -> dict:
    """Register what arrived in the inbox (up to `as_of`): new files and duplicates."""
    as_of = datetime.fromisoformat(ctx.as_of) if ctx.as_of else None
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=ctx.settings.tz)
    with session(ctx.settings.db_url) as db:
        result = collect_inbox(ctx.settings, db, ctx.period, as_of)
    return {"new_files": len(result.registered), "duplicates": len(result.duplicates)}


def read(ctx: RunContext, read_many=None) -> PeriodReads:
    """The period's reads as (file_id, WorkbookRead); only files never read before go to `read_many`
    (default inline) — the others are loaded from the store when a later step needs them."""
    with session(ctx.settings.db_url) as db:
        return period_reads(ctx.settings, db, ctx.period, ctx.reference, read_many, from_scratch=ctx.from_scratch)


def previous_curated(ctx: RunContext) -> dict[str, pd.DataFrame] | None:
    """Last month's accepted figures (same year), from its curated data; None in January or if absent."""
    before = previous_period(ctx.period)
    if before is None:
        return None
    frames = {form: curated.read_partition(ctx.settings.curated_dir, form, before) for form in FORMS}
    return None if all(f is None for f in frames.values()) else frames


def check(ctx: RunContext, reads: PeriodReads) -> dict:
    """Check the files not checked before (tasks/checks/incremental.py), settle every file's outcome,
    write the receipts that changed and the soft flags."""
    from .checks.incremental import period_findings

    with session(ctx.settings.db_url) as db:
        uploaders = {row.id: row.account_unit for row in submissions(db, ctx.period) if row.account_unit}
    findings, checked = period_findings(ctx.settings.home, ctx.period, reads, ctx.reference, previous_curated(ctx),
                                        ctx.settings.expectations_dir, uploaders, from_scratch=ctx.from_scratch)
    with session(ctx.settings.db_url) as db:
        rows = {row.id: row for row in submissions(db, ctx.period)}
        pairs = [(rows[fid], reads.errors[fid]) for fid in reads.file_ids]
        settle_outcomes(pairs, findings)
        db.commit()
        write_period_receipts(ctx.settings, ctx.period, ctx.reference, list(rows.values()), findings,
                              force=ctx.from_scratch)
        accepted = {row.id: row.unit_code for row, _ in pairs if row.outcome == Outcome.ACCEPTED}
    curated.write_partition(ctx.settings.curated_dir, FLAGS, ctx.period, soft_flags(findings, accepted), ctx.run_id,
                            schema=FLAGS_SCHEMA)
    return {"files": len(pairs), "accepted": sum(r.outcome == Outcome.ACCEPTED for r, _ in pairs),
            "rejected": sum(r.outcome == Outcome.REJECTED for r, _ in pairs), "checked_now": checked}


def consolidate(ctx: RunContext, reads: PeriodReads) -> dict:
    """Write the latest accepted submission of each unit to curated/<form>/period=…/ (the merge policy is
    `curated.consolidate_period`'s: what was built from what) and check them; returns {form: partition}.

    The inputs are the accepted files and what they were read with: `base` (reader limits, reference, code).
    """
    from .intake.read import read_limits, reference_key

    with session(ctx.settings.db_url) as db:
        rows = {row.id: row for row in submissions(db, ctx.period)}
        accepted = accepted_files(ctx.settings, ctx.period, [rows[fid] for fid in reads.file_ids])
    base = digest(code_version(), reference_key(ctx.reference), read_limits(ctx.settings))
    inputs = f"{base}/" + digest(accepted.to_csv(index=False), *(reads.keys[fid] for fid in accepted.file_id))
    written = curated.consolidate_period(
        ctx.settings.curated_dir, ctx.period, accepted, lambda file_ids: tidy_frames(reads.subset(file_ids)),
        base=base, inputs=inputs, timezone=ctx.settings.timezone, run_id=ctx.run_id, from_scratch=ctx.from_scratch)
    check_written(ctx, "consolidate", inputs)
    return {form: str(path) for form, path in written.items()}


def check_written(ctx: RunContext, step: str, inputs: str) -> None:
    """Run the output suites of `step` (tasks/checks/outputs.py) over the partitions it wrote for the period, built
    from `inputs`, unless they passed before; raises OutputCheckError (the run fails before the 专报, the data
    stays) when a rule fails."""
    from .checks import outputs

    suites = outputs.output_suites(ctx.settings.expectations_dir, step)
    stamp = digest(inputs, *(f"{name}:{suite.digest}" for name, suite in sorted(suites.items())))
    if not ctx.from_scratch and outputs.passed_before(ctx.settings.home, ctx.period, step, stamp):
        return
    names = set(suites) | {s.meta["sum_of"]["dataset"] for s in suites.values() if "sum_of" in s.meta}
    frames = {name: curated.read_partition(ctx.settings.curated_dir, name, ctx.period) for name in sorted(names)}
    from .checks.warm import runner_for

    outputs.check_outputs(ctx.period, ctx.reference, {k: v for k, v in frames.items() if v is not None}, suites,
                          runner=runner_for(ctx.settings.home))
    outputs.record_pass(ctx.settings.home, ctx.period, step, stamp)


def period_status(ctx: RunContext) -> dict:
    """The period's status JSON from the registry as it stands (tasks/intake/status.py)."""
    from .intake.status import period_status as build

    with session(ctx.settings.db_url) as db:
        return build(ctx.settings, db, ctx.period, ctx.reference)


def _need(ctx: RunContext, dataset: str, step: str) -> pd.DataFrame:
    frame = curated.read_partition(ctx.settings.curated_dir, dataset, ctx.period)
    if frame is None:
        raise StepOrderError(f"{ctx.period} 还没有“{dataset}”数据：请先运行“{step}”步骤（或完整运行月度流程）")
    return frame.drop(columns=["period"])


def metrics(ctx: RunContext, status: dict | None = None) -> dict:
    """Every derived figure of the period, written as curated/metrics_<name>/ datasets — unless they
    were computed from the same curated data, flags, standings, reference and weights already."""
    from .checks.incremental import reference_version

    status = status or period_status(ctx)
    standing = standing_frame(status["units"])
    flags = _need(ctx, FLAGS, "审核规则")
    forms = {form: curated.partition_inputs(ctx.settings.curated_dir, form, ctx.period) for form in FORMS}
    if any(v is None for v in forms.values()):
        forms = {form: _need(ctx, form, "汇总入库").to_csv(index=False) for form in FORMS}
    found = latest_sub_monthly(ctx.settings.curated_dir, ctx.period, ctx.reference)  # the month's gaps, filled
    inputs = digest(code_version(), *forms.values(), flags.to_csv(index=False), standing.to_csv(index=False),
                    reference_version(ctx.reference), sorted(ctx.settings.score_weights.items()),
                    *sub_monthly_inputs(ctx.settings.curated_dir, found))
    names = [f"metrics_{name}" for name in METRICS]
    if not ctx.from_scratch and curated.built_from(ctx.settings.curated_dir, names, ctx.period, inputs):
        check_written(ctx, "metrics", inputs)
        return {name: str(curated.partition_path(ctx.settings.curated_dir, f"metrics_{name}", ctx.period))
                for name in METRICS}
    from .metrics.compute import STORED, metric_frames

    frames = with_sub_monthly({form: _need(ctx, form, "汇总入库") for form in FORMS}, found)
    result = metric_frames(ctx.period, ctx.reference, frames["indicators"], frames["projects"], frames["tasks"],
                           standing, flags[["unit_code", "rule_id", "explained"]], ctx.settings.score_weights)
    frames = {f"metrics_{name}": frame for name, frame in result.items()}
    written = curated.write_partitions(ctx.settings.curated_dir, ctx.period, frames, ctx.run_id, inputs=inputs,
                                       schemas={f"metrics_{name}": schema for name, schema in STORED.items()})
    check_written(ctx, "metrics", inputs)
    return {name.removeprefix("metrics_"): str(path) for name, path in written.items()}


def load_metrics(ctx: RunContext) -> dict:
    """The period's metrics as compute_metrics returns them: the tables read back from curated/metrics_* (as
    checked), and the headline computed once, from them (the metrics step computes none)."""
    from .metrics.headline import with_headline

    return with_headline(ctx.period, ctx.reference, {name: _need(ctx, f"metrics_{name}", "计算指标")
                                                     for name in METRICS})


def report(ctx: RunContext, status: dict | None = None, reissue: bool = False) -> dict:
    """The 专报 of the period as a draft: a new issue, a revision when inputs changed (after signing: when its
    data changed, or `reissue` for the text alone), or nothing new (`note` says why); a period of a cadence whose
    plan says `report = "通报"` gets its 通报 instead (tasks/report/bulletin.py)."""
    if bulletin_due(ctx):
        from .report.bulletin import bulletin_context, publish_bulletin

        status = status or period_status(ctx)
        context = bulletin_context(ctx.settings, ctx.period, ctx.reference, load_metrics(ctx), status)
        return publish_bulletin(ctx.settings, ctx.period, context, issued_at=ctx.as_of)
    from .report.after_signing import report_as_of
    from .report.approval import announce_draft
    from .report.context import build_context
    from .report.publish import publish_report
    flags = curated.read_partition(ctx.settings.curated_dir, FLAGS, ctx.period)
    metrics = {**load_metrics(ctx), "flags": flags}
    status = status or period_status(ctx)
    as_of = report_as_of(ctx.settings, ctx.period, status, ctx.as_of)  # never before the signed one's
    context = build_context(ctx.settings, ctx.period, ctx.reference, metrics, status, as_of=as_of,
                            kept=None if ctx.from_scratch else catalog.report_sections(ctx.settings.home))
    outputs = publish_report(ctx.settings, ctx.period, context, reason=ctx.reason, issued_at=as_of,
                             reissue=reissue)
    if outputs["created"]:
        announce_draft(ctx.settings, ctx.period)  # the office is told a draft waits for review
    return outputs


def bulletin_due(ctx: RunContext) -> bool:
    """Whether the period's document is a 通报: a declared cadence's period whose plan says so."""
    if is_monthly(ctx.period):
        return False
    cadence = ctx.reference.plan.cadence(cadence_of(ctx.period))
    return cadence is not None and cadence.report == "通报"


def settled_counts(status: dict) -> dict:
    """The log line's and the run row's late and 未报 (`missing`: rejected-only units included) counts."""
    counted = tally(status["units"])
    return {"late": len(counted.late), "missing": len(counted.unreported)}


def summary_line(summary: dict) -> str:
    return (f"{summary['period']}：文件 {summary.get('files', 0)} 个，受理 {summary.get('accepted', 0)}，"
            f"退回 {summary.get('rejected', 0)}，逾期 {summary.get('late', 0)}，未报 {summary.get('missing', 0)}")


def mark_flow_run(settings: Settings, flow_run_id: str, status: str, message: str) -> int:
    """Close the registry's still-running runs of a Prefect flow run as failed/crashed; returns how many."""
    from sqlalchemy import select

    with session(settings.db_url) as db:
        rows = list(db.scalars(select(Run).where(Run.flow_run_id == flow_run_id, Run.status == "running")))
        for run in rows:
            run.finished_at, run.status = utc(datetime.now(settings.tz)), status
            run.counts = {**(run.counts or {}), "error": message[:500]}
        db.commit()
    return len(rows)
