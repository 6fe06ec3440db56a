"""The headline of one period (一、总体情况 and 七、报送情况): scalar facts computed from the derived tables, so a
stored period and a just-computed one give the same figures; and `compute_metrics`, the tables plus that headline."""
from __future__ import annotations

import pandas as pd

from ..core.periods import month_fraction
from ..core.reference import Reference
from ..intake.standing import tally
from .compute import _assigned_indicators, metric_frames


def headline(period: str, reference: Reference, scores: pd.DataFrame, indicator_rows: pd.DataFrame,
             totals: pd.DataFrame, project_rows: pd.DataFrame) -> dict:
    """Scalar facts for 一、总体情况 and 七、报送情况. Rates are over the units required (None
    when none); the district has 双过半 when time progress ≥ 50 % and every amount/growth
    indicator assigned in the period has a district figure passing its 双过半 check. Units are counted by
    their standing (tasks/intake/standing.py): `units_missing` is 未报, rejected-only units included."""
    counted = tally(scores[["unit_code", "status", "on_time"]].to_dict("records"))
    core = totals.loc[totals["target_kind"].isin(["amount", "growth"])]
    assigned = _assigned_indicators(period, reference)
    needed = set(assigned.loc[assigned["target_kind"].isin(["amount", "growth"]), "indicator_code"])
    time_progress = month_fraction(period)
    lagging = indicator_rows.loc[indicator_rows["lagging"], ["unit_code", "indicator_code"]]
    return {
        "period": period, "time_progress": time_progress,
        "units_required": len(counted.required), "units_accepted": counted.reported,
        "units_on_time": len(counted.on_time), "units_late": len(counted.late),
        "units_missing": len(counted.unreported), "units_rejected": len(counted.rejected),
        "late_units": sorted(counted.late), "missing_units": sorted(counted.unreported),
        "submission_rate": counted.submission_rate, "on_time_rate": counted.on_time_rate,
        "indicators_total": len(indicator_rows), "indicators_on_track": int(indicator_rows["on_track"].sum()),
        "indicators_lagging": int(indicator_rows["lagging"].sum()),
        "indicators_unreported": int(indicator_rows["cumulative"].isna().sum()),
        "lagging": list(lagging.itertuples(index=False, name=None)),
        "projects_total": len(project_rows), "projects_on_track": int(project_rows["on_track"].sum()),
        "projects_unreported": int((~project_rows["reported"].astype(bool)).sum()),
        "double_half": bool(time_progress >= 0.5 and needed and needed <= set(core["indicator_code"])
                            and core["double_half"].all()),
    }


def with_headline(period: str, reference: Reference, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame | dict]:
    """The tables plus 'headline' (a dict), computed from them (stored or just computed: the same figures)."""
    return {**frames, "headline": headline(period, reference, frames["unit_scores"], frames["indicator_metrics"],
                                           frames["district_totals"], frames["project_metrics"])}


def compute_metrics(period: str, reference: Reference, indicators: pd.DataFrame | None,
                    projects: pd.DataFrame | None, tasks: pd.DataFrame | None,
                    submissions: pd.DataFrame | None, flags: pd.DataFrame | None = None,
                    weights: dict[str, float] | None = None) -> dict[str, pd.DataFrame | dict]:
    """Every derived figure of `period`: the frames by name, plus 'headline' (a dict)."""
    frames = metric_frames(period, reference, indicators, projects, tasks, submissions, flags, weights)
    return with_headline(period, reference, frames)
