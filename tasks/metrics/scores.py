"""Unit scores and ranks (spec §8): the share of a unit's items on track, reporting on time, flags explained.

score = 100 × (w_on_track × share on track + w_on_time × on time + w_explained × explained share), ranked
within the unit's kind. Pure functions over the metrics frames; weights from the settings.
"""
from __future__ import annotations

import pandas as pd

from ..core.reference import Reference
from ..core.settings import Settings
from ..intake.standing import USABLE
from .frames import _typed

SCORE_PARTS = ("on_track", "on_time", "explained")

SCORE_COLUMNS = ["period", "unit_code", "unit_name", "short_name", "unit_kind", "status", "items_assigned",
                 "items_on_track", "share_on_track", "on_time", "flags_total", "flags_explained", "explained_share",
                 "score", "rank"]


def default_weights() -> dict[str, float]:
    """The score weights of `Settings` (spec §8 default: 0.7 / 0.2 / 0.1)."""
    return dict(Settings.model_fields["score_weights"].default)


def _checked_weights(weights: dict[str, float] | None) -> dict[str, float]:
    weights = default_weights() if weights is None else dict(weights)
    unknown = set(weights) - set(SCORE_PARTS)
    if unknown or min(weights.values(), default=0) < 0 or sum(weights.values()) <= 0:
        raise ValueError(f"score_weights 应为 {SCORE_PARTS} 的非负权重且和大于0，收到 {weights}")
    return {part: float(weights.get(part, 0.0)) for part in SCORE_PARTS}


def _items_on_track(period: str, reference: Reference, frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Per unit: items assigned (indicators + projects owned + tasks led or shared) and on track."""
    assigned = reference.assignments(period)
    assigned = assigned.loc[assigned["form"] == "indicators", ["unit_code", "code"]]
    indicator_rows = assigned.merge(frames[0][["unit_code", "indicator_code", "on_track"]],
                                    left_on=["unit_code", "code"],
                                    right_on=["unit_code", "indicator_code"], how="left")
    items = pd.concat([indicator_rows[["unit_code", "on_track"]]] +
                      [f[["unit_code", "on_track"]] for f in frames[1:]])
    items["on_track"] = items["on_track"].fillna(False).astype(bool)
    return items.groupby("unit_code", as_index=False).agg(items_assigned=("on_track", "size"),
                                                          items_on_track=("on_track", "sum"))


def unit_scores(period: str, reference: Reference, submissions: pd.DataFrame | None,
                flags: pd.DataFrame | None, indicator_rows: pd.DataFrame, project_rows: pd.DataFrame,
                task_rows: pd.DataFrame, weights: dict[str, float] | None = None) -> pd.DataFrame:
    """Score and rank of every unit required to report in `period` (spec §8).

    score = 100 × (w_on_track × share_on_track + w_on_time × on_time + w_explained × explained_share)
            / (w_on_track + w_on_time + w_explained), default weights 0.7 / 0.2 / 0.1, where
    - share_on_track = items on track / items assigned; items are the unit's assigned indicators,
      the projects it owns and the tasks it leads or shares (tasks: progress ≥ time progress);
    - on_time = 1 when the accepted submission arrived by the deadline, else 0;
    - explained_share = explained soft flags / soft flags, 1 with no flags;
    a unit without an accepted submission (missing or rejected only) scores 0 on all three.
    rank: within unit_kind, 1 = best, equal scores share the best rank ('min'); units without
    an accepted submission rank after all others of their kind.
    """
    w = _checked_weights(weights)
    subs = _typed(submissions, "submissions", period).drop_duplicates("unit_code", keep="last")
    units = reference.units.loc[reference.units["unit_code"].isin(reference.required_units(period))]
    flag_rows = _typed(flags, "flags", period).assign(explained=lambda f: f["explained"].fillna(False))
    flag_counts = flag_rows.groupby("unit_code", as_index=False).agg(
        flags_total=("rule_id", "size"), flags_explained=("explained", "sum"))
    out = (units.merge(subs, on="unit_code", how="left")
           .merge(_items_on_track(period, reference, [indicator_rows, project_rows, task_rows]),
                  on="unit_code", how="left").merge(flag_counts, on="unit_code", how="left"))
    out = out.fillna({"status": "missing", "items_assigned": 0, "items_on_track": 0, "flags_total": 0,
                      "flags_explained": 0}).astype(dict.fromkeys(
                          ["items_assigned", "items_on_track", "flags_total", "flags_explained"], "int64"))
    accepted = out["status"].isin(USABLE)  # reported: a usable file (tasks/intake/standing.py)
    share = out["items_on_track"] / out["items_assigned"].where(out["items_assigned"] > 0)
    out["share_on_track"] = share.fillna(0.0).where(accepted, 0.0)
    out["on_time"] = (accepted & out["on_time"].fillna(False).astype(bool)).astype("float64")
    explained = (out["flags_explained"] / out["flags_total"].where(out["flags_total"] > 0)).fillna(1.0)
    out["explained_share"] = explained.where(accepted, 0.0)
    out["score"] = 100 * sum(w[p] * out[c] for p, c in zip(SCORE_PARTS, (
        "share_on_track", "on_time", "explained_share"))) / sum(w.values())
    rank_key = out["score"].round(9).where(accepted, -1.0)  # round: float noise must not break ties
    out["rank"] = rank_key.groupby(out["unit_kind"]).rank(method="min", ascending=False).astype("int64")
    kind_order = {k: i for i, k in enumerate(reference.units["unit_kind"].drop_duplicates())}
    out = out.assign(period=period, kind_order=out["unit_kind"].map(kind_order))
    out = out.sort_values(["kind_order", "rank", "unit_code"], ignore_index=True)
    return out[SCORE_COLUMNS]
