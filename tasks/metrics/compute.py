"""Derived figures of one period (spec §7, §8): the numbers the 专报 prints, computed once.

Pure functions, no I/O: curated frames (latest accepted submission per unit) plus the year's
reference in, typed DataFrames out. Nothing is rounded here; formatting is the report's job.
Units of the outputs: `time_progress`, `completion`, `share_on_track`, `explained_share` are
fractions (0.5 = 50 %); `growth_pct` and `progress_pct` are percentages, like the targets.
A value that cannot be computed (no last-year figure, zero target) is NaN and never on track.
`growth_pct` is computed wherever a last-year figure exists; it decides on_track only for
growth targets. On track uses the target's `tolerance` (targets.csv, "6.5 %左右", in the target's
own measure; 0 when blank): growth ≥ target − tolerance (a `lower` one: ≤ target + tolerance);
amount: cumulative + tolerance ≥ target × time progress; level: on the right side of target ±
tolerance. A level target has no 时序进度 (time_progress NaN).

未报 is not 滞后 (spec §7): every indicator assigned in the period has its row (a unit's and the
district's) even when no accepted figure arrived — then `cumulative` is NaN, and on_track and
lagging are both False; `district_totals.units_reported` < `units_assigned` marks a total built
from part of the units. Projects and tasks say it in their `reported` column.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from ..core.periods import month_fraction, period_parts, quarter_end_month
from ..core.reference import Reference
from ..core.tables import columns_contract
from .frames import _typed
from .scores import SCORE_COLUMNS, unit_scores

JUDGED = ["time_progress", "growth_pct", "completion", "on_track", "lagging", "double_half"]
INDICATOR_COLUMNS = ["period", "unit_code", "unit_name", "indicator_code", "indicator_name",
                     "target_kind", "direction", "measure", "frequency", "target_value",
                     "half_year_value", "month_value", "cumulative", "last_year_cumulative", *JUDGED]
TOTAL_COLUMNS = ["period", "indicator_code", "indicator_name", "target_kind", "direction", "measure",
                 "frequency", "aggregation", "unit_code", "units_assigned", "units_reported",
                 "target_value", "half_year_value", "month_value", "cumulative",
                 "last_year_cumulative", *JUDGED]
SUMMED = ["target_value", "half_year_value", "month_value", "cumulative", "last_year_cumulative"]
PROJECT_COLUMNS = ["period", "project_code", "project_name", "batch", "unit_code", "annual_plan",
                   "half_year_task", "reported", "status", "month_investment", "cumulative_investment",
                   "completion", "required_investment", "on_track", "progress_text", "problems",
                   "coordination"]
TASK_COLUMNS = ["period", "task_code", "task_area", "task_name", "unit_code", "role", "reported",
                "progress_pct", "time_progress", "on_track", "progress_text", "problems", "note"]
BATCH_COLUMNS = ["batch", "projects", "reported", "on_track", "completed", "started", "annual_plan",
                 "month_investment", "cumulative_investment", "completion"]
TASK_SUMMARY_COLUMNS = ["task_code", "task_area", "task_name", "units_assigned", "units_reported", "mean_progress_pct",
                        "lead_unit", "lead_progress_pct"]

_F, _I, _B = pa.float64(), pa.int64(), pa.bool_()
_JUDGED_TYPES = {"time_progress": _F, "growth_pct": _F, "completion": _F, "on_track": _B, "lagging": _B,
                 "double_half": _B, **dict.fromkeys(SUMMED, _F)}


def _stored(columns: list[str], types: dict[str, pa.DataType]) -> pa.Schema:
    return columns_contract([c for c in columns if c != "period"], types)  # the period is the partition's folder


# curated/metrics_<name>/: each table's schema (text where no type is given), whatever pandas computed it with
STORED: dict[str, pa.Schema] = {
    "indicator_metrics": _stored(INDICATOR_COLUMNS, _JUDGED_TYPES),
    "district_totals": _stored(TOTAL_COLUMNS, {**_JUDGED_TYPES, "units_assigned": _I, "units_reported": _I}),
    "project_metrics": _stored(PROJECT_COLUMNS, {
        **dict.fromkeys(["annual_plan", "month_investment", "cumulative_investment", "completion",
                         "required_investment"], _F), "reported": _B, "on_track": _B}),
    "task_metrics": _stored(TASK_COLUMNS, {"reported": _B, "progress_pct": _F, "time_progress": _F, "on_track": _B}),
    "batch_summary": _stored(BATCH_COLUMNS, {
        **dict.fromkeys(["projects", "reported", "on_track", "completed", "started"], _I),
        **dict.fromkeys(["annual_plan", "month_investment", "cumulative_investment", "completion"], _F)}),
    "task_summary": _stored(TASK_SUMMARY_COLUMNS, {"units_assigned": _I, "units_reported": _I,
                                                   "mean_progress_pct": _F, "lead_progress_pct": _F}),
    "unit_scores": _stored(SCORE_COLUMNS, {
        **dict.fromkeys(["items_assigned", "items_on_track", "flags_total", "flags_explained", "rank"], _I),
        **dict.fromkeys(["share_on_track", "on_time", "explained_share", "score"], _F)}),
}


def _judge(rows: pd.DataFrame, period: str) -> pd.DataFrame:
    """Add time progress, growth, completion, on_track, lagging and 双过半 to indicator rows (a quarterly
    indicator's time progress runs to the end of its quarter; a level target has none). A row without a
    cumulative figure (未报) is neither on track nor lagging."""
    month = period_parts(period)[1]
    kind, higher = rows["target_kind"], rows["direction"] == "higher"
    cum, target, half = rows["cumulative"], rows["target_value"], rows["half_year_value"]
    tolerance = (rows["tolerance"].astype("float64").fillna(0.0) if "tolerance" in rows.columns
                 else pd.Series(0.0, index=rows.index))
    time_progress = pd.Series(np.where(rows["frequency"] == "Q", quarter_end_month(period), month) / 12,
                              index=rows.index, dtype="float64")
    growth = (cum / rows["last_year_cumulative"].where(rows["last_year_cumulative"] != 0) - 1) * 100
    completion = (cum / target.where(target != 0)).where(kind == "amount")

    def right_side(value: pd.Series) -> pd.Series:
        return (higher & (value >= target - tolerance)) | (~higher & (value <= target + tolerance))

    amount_ok = (cum + tolerance) >= target.where(target != 0) * time_progress
    on_track = pd.Series(np.select([kind == "growth", kind == "amount", kind == "level"],
                                   [right_side(growth), amount_ok, right_side(cum)],
                                   False), index=rows.index, dtype=bool)
    reported = cum.notna()
    half_done = pd.Series(np.where(half.notna(), cum >= half, completion >= 0.5), index=rows.index)
    double_half = (time_progress >= 0.5) & np.where(kind == "amount", half_done, on_track)
    return rows.assign(time_progress=time_progress.where(kind != "level"), growth_pct=growth,
                       completion=completion, on_track=on_track & reported, lagging=reported & ~on_track,
                       double_half=(double_half & reported).astype(bool))


def _targets(reference: Reference) -> pd.DataFrame:
    """The targets with their tolerance (0 where blank or where a hand-built reference has none)."""
    targets = reference.targets
    tolerance = targets["tolerance"] if "tolerance" in targets.columns else pd.Series(0.0, index=targets.index)
    return targets[["unit_code", "indicator_code", "target_value", "half_year_value"]].assign(
        tolerance=pd.to_numeric(tolerance, errors="coerce").fillna(0.0).astype("float64"))


def _assigned_indicators(period: str, reference: Reference) -> pd.DataFrame:
    """The period's (unit, indicator) assignments with their targets and catalog entry."""
    assigned = reference.assignments(period)
    assigned = assigned.loc[assigned["form"] == "indicators", ["unit_code", "code"]]
    catalog = reference.indicators[["indicator_code", "indicator_name", "measure", "target_kind",
                                    "direction", "frequency", "additive"]]
    return (assigned.rename(columns={"code": "indicator_code"})
            .merge(_targets(reference), on=["unit_code", "indicator_code"], how="left")
            .merge(catalog, on="indicator_code", how="left")
            .merge(reference.units[["unit_code", "unit_name"]], on="unit_code", how="left"))


def indicator_metrics(period: str, reference: Reference, indicators: pd.DataFrame | None) -> pd.DataFrame:
    """One row per (unit_code, indicator_code) assigned for `period`, reported or not (未报: NaN figures)."""
    reported = _typed(indicators, "indicators", period).drop(columns=["reported_growth", "note"])
    rows = _assigned_indicators(period, reference).merge(reported, on=["unit_code", "indicator_code"], how="left")
    rows = _judge(rows.assign(period=period), period)
    return rows[INDICATOR_COLUMNS].sort_values(["indicator_code", "unit_code"], ignore_index=True)


def district_totals(period: str, reference: Reference, indicators: pd.DataFrame | None) -> pd.DataFrame:
    """District figures per indicator assigned in the period, reported or not (none reported: 未报, NaN figures).

    Additive indicators (aggregation 'sum'): month values, cumulatives and last-year
    cumulatives summed over the reporting units, targets summed over all assigned units (so a
    missing unit shows as lower completion; `units_reported` < `units_assigned` says why).
    The district half_year_value is the sum only when every assigned unit has one.
    Non-additive indicators assigned to exactly one unit (aggregation 'single'): that unit's
    figures. Non-additive indicators shared by several units (aggregation 'units') keep their row without a
    district figure: on track when every unit is, lagging when any reporting unit is.
    The tolerance of a sum is the sum of the units' (amount) or the largest (growth, level).
    """
    assigned = _assigned_indicators(period, reference)
    reported = _typed(indicators, "indicators", period)
    rows = assigned.merge(reported, on=["unit_code", "indicator_code"], how="left")
    rows["reported"] = rows["cumulative"].notna()
    counts = rows.groupby("indicator_code").agg(units_assigned=("unit_code", "size"),
                                                units_reported=("reported", "sum"),
                                                half_known=("half_year_value", "count"))
    sums = rows.loc[rows["additive"].astype(bool)].groupby("indicator_code")[SUMMED].sum(min_count=1)
    whole_half = counts["half_known"] == counts["units_assigned"]  # a partial half-year sum is no target
    sums["half_year_value"] = sums["half_year_value"].where(whole_half.reindex(sums.index))
    sums = sums.reset_index().assign(aggregation="sum", unit_code=pd.NA)
    single = rows.loc[~rows["additive"].astype(bool)].merge(counts.reset_index(), on="indicator_code")
    shared = single.loc[single["units_assigned"] > 1]
    single = single.loc[single["units_assigned"] == 1].assign(aggregation="single")
    units = (shared[["indicator_code"]].drop_duplicates().assign(aggregation="units", unit_code=pd.NA)
             .reindex(columns=["indicator_code", "aggregation", "unit_code", *SUMMED]))
    catalog = reference.indicators.drop(columns=["note", "additive"])
    frames = [sums, single[["indicator_code", "aggregation", "unit_code", *SUMMED]]] + ([units] if len(units) else [])
    totals = (pd.concat(frames)
              .merge(counts.reset_index(), on="indicator_code").merge(catalog, on="indicator_code"))
    tolerance = rows.groupby("indicator_code")["tolerance"].agg(["sum", "max"]).reset_index()
    totals = totals.merge(tolerance, on="indicator_code", how="left")
    totals["tolerance"] = totals["sum"].where(totals["target_kind"] == "amount", totals["max"]).fillna(0.0)
    totals = totals.assign(period=period)
    # unit_code stays missing for a sum (astype("str") would spell it "<NA>" under pandas 2)
    totals = totals.astype({"units_assigned": "int64", "units_reported": "int64"})
    totals = _judge(totals.reset_index(drop=True), period)
    if len(shared):  # no district figure: on track when every unit is, lagging when any reporting unit is
        judged = _judge(shared.drop(columns=["units_assigned", "units_reported", "half_known"]), period)
        verdict = judged.groupby("indicator_code").agg(on_track=("on_track", "all"), lagging=("lagging", "any"),
                                                        double_half=("double_half", "all"))
        mine = totals["aggregation"] == "units"
        for column in ("on_track", "lagging", "double_half"):
            totals.loc[mine, column] = totals.loc[mine, "indicator_code"].map(verdict[column]).astype(bool)
    return totals[TOTAL_COLUMNS].sort_values("indicator_code", ignore_index=True)


def project_metrics(period: str, reference: Reference, projects: pd.DataFrame | None) -> pd.DataFrame:
    """One row per project of the year (reported or not), judged by its batch (spec §7).

    竣工完工: on track when status is 竣工. 复工推进: on track when cumulative investment ≥
    `required_investment` = half_year_task × m/6 through June, annual plan × m/12 after June
    (also when half_year_task is not a number). 新开工: on track when reported and status ≠ 未开工.
    `completion` = cumulative investment / annual plan (reference plan, 万元).
    """
    month = period_parts(period)[1]
    ref = reference.projects.rename(columns={"annual_plan_wan": "annual_plan"})
    ref = ref.astype({"annual_plan": "float64"})
    rows = ref.merge(_typed(projects, "projects", period), on=["unit_code", "project_code"], how="left")
    plan, cum, batch = rows["annual_plan"], rows["cumulative_investment"], rows["batch"]
    half_task = pd.to_numeric(rows["half_year_task"], errors="coerce")
    by_half = half_task * month / 6 if month <= 6 else pd.Series(np.nan, index=rows.index)
    required = by_half.fillna(plan * month / 12).where(batch == "复工推进")
    reported = rows["status"].notna()
    on_track = np.select([batch == "竣工完工", batch == "复工推进", batch == "新开工"],
                         [rows["status"] == "竣工", cum >= required, reported & (rows["status"] != "未开工")],
                         False)
    rows = rows.assign(period=period, reported=reported, completion=cum / plan.where(plan != 0),
                       required_investment=required, on_track=on_track.astype(bool))
    return rows[PROJECT_COLUMNS].sort_values("project_code", ignore_index=True)


def batch_summary(project_rows: pd.DataFrame) -> pd.DataFrame:
    """Per batch (in order of their first project code): counts and investment sums."""
    rows = project_rows.assign(
        completed=project_rows["status"] == "竣工",
        started=project_rows["status"].notna() & (project_rows["status"] != "未开工"),
        first_code=project_rows.groupby("batch")["project_code"].transform("min"))
    out = rows.groupby(["first_code", "batch"], as_index=False).agg(
        projects=("project_code", "size"), reported=("reported", "sum"), on_track=("on_track", "sum"),
        completed=("completed", "sum"), started=("started", "sum"), annual_plan=("annual_plan", "sum"),
        month_investment=("month_investment", lambda s: s.sum(min_count=1)),
        cumulative_investment=("cumulative_investment", lambda s: s.sum(min_count=1)))
    out["completion"] = out["cumulative_investment"] / out["annual_plan"].where(out["annual_plan"] != 0)
    counts = ["projects", "reported", "on_track", "completed", "started"]
    return out.drop(columns="first_code").astype(dict.fromkeys(counts, "int64"))


def task_metrics(period: str, reference: Reference, tasks: pd.DataFrame | None) -> pd.DataFrame:
    """One row per (task_code, unit_code) assigned: its lead units first (all of them role "lead", in the
    order of tasks.csv), then the others; on track when progress_pct ≥ time progress × 100. Units that did
    not report have NaN progress and `reported` False (未报, not 滞后)."""
    assigned = reference.assignments(period)
    assigned = assigned.loc[assigned["form"] == "tasks", ["unit_code", "code"]]
    rows = (assigned.rename(columns={"code": "task_code"})
            .merge(reference.tasks[["task_code", "task_area", "task_name"]], on="task_code")
            .merge(_typed(tasks, "tasks", period), on=["unit_code", "task_code"], how="left"))
    leads = reference.task_leads
    place = [leads.get(t, []).index(u) if u in leads.get(t, []) else len(leads.get(t, []))
             for t, u in zip(rows["task_code"], rows["unit_code"])]
    time_progress = month_fraction(period)
    is_lead = [u in leads.get(t, []) for t, u in zip(rows["task_code"], rows["unit_code"])]
    rows = rows.assign(period=period, role=np.where(is_lead, "lead", "co"), _place=place,
                       reported=rows["progress_pct"].notna(), time_progress=time_progress,
                       on_track=rows["progress_pct"] >= time_progress * 100)
    rows = rows.sort_values(["task_code", "_place", "unit_code"])
    return rows[TASK_COLUMNS].astype({"role": "str", "on_track": bool}).reset_index(drop=True)


def task_summary(task_rows: pd.DataFrame) -> pd.DataFrame:
    """Per task: units assigned/reported, mean progress of the reporting units, the first lead's progress."""
    lead = task_rows.loc[task_rows["role"] == "lead", ["task_code", "unit_code", "progress_pct"]]
    lead = lead.drop_duplicates("task_code")  # the first lead unit (牵头); the rows list it first
    out = task_rows.groupby(["task_code", "task_area", "task_name"], as_index=False).agg(
        units_assigned=("unit_code", "size"), units_reported=("reported", "sum"),
        mean_progress_pct=("progress_pct", "mean"))
    lead = lead.rename(columns={"unit_code": "lead_unit", "progress_pct": "lead_progress_pct"})
    out = out.merge(lead, on="task_code", how="left").astype({"units_reported": "int64"})
    return out.sort_values("task_code", ignore_index=True)


def metric_frames(period: str, reference: Reference, indicators: pd.DataFrame | None,
                  projects: pd.DataFrame | None, tasks: pd.DataFrame | None,
                  submissions: pd.DataFrame | None, flags: pd.DataFrame | None = None,
                  weights: dict[str, float] | None = None) -> dict[str, pd.DataFrame]:
    """Every derived table of `period` by name (what is stored as curated/metrics_<name>/)."""
    out = {
        "indicator_metrics": indicator_metrics(period, reference, indicators),
        "district_totals": district_totals(period, reference, indicators),
        "project_metrics": project_metrics(period, reference, projects),
        "task_metrics": task_metrics(period, reference, tasks),
    }
    out["batch_summary"] = batch_summary(out["project_metrics"])
    out["task_summary"] = task_summary(out["task_metrics"])
    out["unit_scores"] = unit_scores(period, reference, submissions, flags, out["indicator_metrics"],
                                     out["project_metrics"], out["task_metrics"], weights)
    return out
