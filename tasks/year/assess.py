"""The year's assessment (考核): each unit's weighted score over the periods, its rank within its kind, the
先进 of each ranked kind, and the units barred from 先进 with their records.

- Mixed cadences: only the months of the monthly dispatch are scored — a month's score is the unit's monthly
  score (spec §8, tasks/metrics/scores.py) as the run stored it in `curated/metrics_unit_scores/`; a half month's
  or week's scores (partial figures of a month already scored) are not. But every period of every cadence counts
  for the records: a late or missing half month or week bars as a late or missing month does (`SCORING_RULE`).
- The year's score is the weighted mean over the scored periods the unit owed: a period's weight is
  `assess_weights[period]` (default 1), times its place (1, 2, 3, …) when `assess_later_weigh_more`.
- Ranks: within each kind that kinds.csv ranks, 1 = best, equal scores share the best rank; unranked kinds are
  listed, not ranked.
- Barred (不得评为先进): any 延误上报 (a late period), 漏报 (a period not reported: missing or rejected only) or
  虚报 (a figure corrected downward after the 专报 was signed), all from the ledger (tasks/year/ledger.py).
- 先进: the first `assess_leaders` units of each ranked kind that are not barred, in rank order.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy.orm import Session

from ..core import periods
from ..core.plan import Kinds
from ..core.reference import reference_for
from ..core.settings import Settings
from ..curated.consolidate import read_partition
from .ledger import build_ledger, unreported

SCORES = "metrics_unit_scores"
SCORING_RULE = ("得分只计月度调度各月的得分；半月、周等调度不计分，但任一调度期逾期或未报的，同样计为延误上报或漏报，"
                "不得评为先进。")
BAR_LABELS = {"late": "延误上报", "unreported": "漏报", "downward": "虚报"}


def period_weights(settings: Settings, scored: list[str]) -> dict[str, float]:
    """Each scored period's weight (see the module's docstring)."""
    return {p: float(settings.assess_weights.get(p, 1.0)) * (i + 1 if settings.assess_later_weigh_more else 1)
            for i, p in enumerate(scored)}


def _scores(settings: Settings, chosen: list[str]) -> dict[str, pd.DataFrame]:
    out = {}
    for period in filter(periods.is_monthly, chosen):  # sub-monthly periods are not scored (module docstring)
        frame = read_partition(settings.curated_dir, SCORES, period)
        if frame is not None and len(frame):
            out[period] = frame
    return out


def bars(entry: dict) -> list[dict]:
    """A unit's records that bar it from 先进: kind (延误上报 | 漏报 | 虚报) and the periods."""
    found = {"late": entry["late"]["periods"], "unreported": unreported(entry),
             "downward": entry["corrected_after_signing"]["downward"]}
    return [{"record": BAR_LABELS[key], "periods": periods} for key, periods in found.items() if periods]


def weighted_scores(scores: dict[str, pd.DataFrame], weights: dict[str, float]) -> dict[str, dict]:
    """Per unit: the weighted mean score and the score of each period it owed."""
    out: dict[str, dict] = {}
    for period, frame in scores.items():
        for row in frame.itertuples():
            unit = out.setdefault(str(row.unit_code), {"scores": {}, "weight": 0.0, "total": 0.0})
            unit["scores"][period] = round(float(row.score), 2)  # type: ignore[arg-type]
            unit["weight"] += weights[period]
            unit["total"] += weights[period] * float(row.score)  # type: ignore[arg-type]
    return {code: {"scores": u["scores"], "score": round(u["total"] / u["weight"], 2) if u["weight"] else 0.0}
            for code, u in out.items()}


def _rank(units: list[dict]) -> None:
    """Rank 1 = best within the list; equal scores share the best rank."""
    for unit in units:
        unit["rank"] = 1 + sum(1 for other in units if other["score"] > unit["score"])
    units.sort(key=lambda u: (u["rank"], u["unit_code"]))


def _group(kinds: Kinds, lines: list[dict], leaders: int) -> list[dict]:
    groups = []
    known = [k.kind for k in kinds] + sorted({u["unit_kind"] for u in lines} - set(kinds.codes))
    for kind in known:
        members = [u for u in lines if u["unit_kind"] == kind]
        if not members:
            continue
        ranked = kinds.ranked(kind)
        if ranked:
            _rank(members)
            named = [u for u in members if not u["records"]][:leaders]
            for unit in named:
                unit["advanced"] = True
        groups.append({"kind": kind, "label": kinds.label(kind), "ranked": ranked, "units": members,
                       "advanced": [u["unit_code"] for u in members if u["advanced"]]})
    return groups


def assess(settings: Settings, db: Session, year: int, through: str | None = None,
           now: datetime | None = None) -> dict:
    """The assessment of `year` (up to `through`): the `assess --json` contract."""
    ledger = build_ledger(settings, db, year, through, now)
    scores = _scores(settings, ledger["periods"])
    weights = period_weights(settings, list(scores))
    scored = weighted_scores(scores, weights)
    reference = reference_for(settings, ledger["periods"][-1]) if ledger["periods"] else None
    kinds = reference.kinds if reference is not None and reference.kinds is not None else Kinds()
    lines = []
    for entry in ledger["units"]:
        mine = scored.get(entry["unit_code"], {"scores": {}, "score": 0.0})
        lines.append({"unit_code": entry["unit_code"], "unit_name": entry["unit_name"],
                      "unit_kind": entry["unit_kind"], "score": mine["score"], "scores": mine["scores"],
                      "rank": None, "advanced": False, "records": bars(entry)})
    groups = _group(kinds, lines, settings.assess_leaders)
    return {"year": year, "through": through, "periods": ledger["periods"], "scored_periods": list(scores),
            "weights": weights, "scoring_rule": SCORING_RULE, "leaders_per_kind": settings.assess_leaders, "kinds": groups,
            "barred": [{k: u[k] for k in ("unit_code", "unit_name", "unit_kind", "records")}
                       for g in groups for u in g["units"] if u["records"]],
            "ledger": ledger}
