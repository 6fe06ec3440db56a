"""一、总体情况: what the leader asks first, in this order (spec §9, issue 13).

1. The plan's milestone (plan.toml `[[milestones]]`, e.g. 大通湖's 双过半 on 30 June, share 0.5), one
   sub-section per milestone of the nearest date: each amount indicator's cumulative against the
   milestone's target (`half_year_value` for a half-year 50 % milestone, else the annual target × share)
   with what is still needed per month to the milestone's month; growth indicators against their target;
   the project batches; counts on track, lagging and 未报 with the names. From the milestone's month on:
   the verdict. A plan without milestones has no such sub-section and no word of "双过半"; the
   sub-sections after it close up their numbers (`n_lagging`, `n_reporting`).
2. The lagging units and their items (the units with most lagging items first); then the units whose
   items are 未报 — a unit that did not report is never counted 滞后.
3. Reporting, "as of" the run's moment in the office's time zone (not the month's end). The month's
   时序进度 and, without a milestone, a campaign's countdown ("距“…”结束还有N天", `countdown`) are said
   on page 1 (summary.py), not here.
"""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from ...core.plan import Plan
from ..formatting import cap_names, cn_datetime, pct
from .common import not_on_track
from .milestones import NAMES_IN_SENTENCE, due_milestones, milestone


def _items(metrics: dict, lagging: bool) -> pd.DataFrame:
    """(unit_code, item) of the lagging items, or of those not reported (未报)."""
    indicators, projects, tasks = (metrics["indicator_metrics"], metrics["project_metrics"],
                                   metrics["task_metrics"])
    masks = ((indicators["lagging"].astype(bool), not_on_track(projects), not_on_track(tasks)) if lagging else
             (indicators["cumulative"].isna(), ~projects["reported"].astype(bool), ~tasks["reported"].astype(bool)))
    frames = [frame.loc[mask, ["unit_code", name]].set_axis(["unit_code", "item"], axis=1)
              for frame, mask, name in zip((indicators, projects, tasks), masks,
                                           ("indicator_name", "project_name", "task_name"))]
    return pd.concat(frames, ignore_index=True)


def _by_unit(items: pd.DataFrame) -> pd.Series:
    by_unit = items.groupby("unit_code", sort=False)["item"].agg(list)
    return by_unit.loc[by_unit.map(len).sort_values(ascending=False, kind="stable").index]


def lagging_units(metrics: dict, short: dict, limit: int) -> dict:
    """Units with lagging items (indicators, projects, tasks), most items first; then the units whose items
    are 未报 (no accepted figure: named as not reporting, never as lagging)."""
    items, owed = _items(metrics, lagging=True), _items(metrics, lagging=False)
    cap = min(limit, NAMES_IN_SENTENCE)
    missing, owing = "", {"unreported_units": str(owed["unit_code"].nunique()), "unreported_items": str(len(owed))}
    if not owed.empty:
        by_unit = _by_unit(owed)
        names = [f"{short.get(u, u)}{len(v)}项" for u, v in by_unit.iloc[:cap].items()]
        missing = (f"另有{len(by_unit)}个单位的{len(owed)}项未报（" + "、".join(names)
                   + (f"等{len(by_unit)}个单位" if len(by_unit) > cap else "") + "），不计入滞后。")
    if items.empty:
        return {"text": "各单位已报的指标、项目和任务均达到进度要求。" + missing if missing
                else "各单位承担的指标、项目和任务均达到进度要求。", "units": "0", "items": "0", **owing}
    by_unit = _by_unit(items)
    shown = [f"{short.get(u, u)}{len(v)}项（{cap_names(v, 2, '项')}）" for u, v in by_unit.iloc[:cap].items()]
    more = f"等{len(by_unit)}个单位，详见附表" if len(by_unit) > cap else ""
    text = (f"有{len(by_unit)}个单位的{len(items)}项指标、项目或任务滞后：" + "；".join(shown) + more + "。")
    return {"text": text + missing, "units": str(len(by_unit)), "items": str(len(items)), **owing}


def reporting(h: dict, names: dict, as_of: datetime | None, limit: int) -> str:
    late = [names.get(u, u) for u in h["late_units"]]
    missing = [names.get(u, u) for u in h["missing_units"]]
    when = f"截至{cn_datetime(as_of)}" if as_of else "截至出刊"
    parts = [(f"{when}，全区应报单位{h['units_required']}个，已报送并受理{h['units_accepted']}个，"
              f"其中按时报送{h['units_on_time']}个")]
    if late:
        parts.append(f"，逾期报送{len(late)}个（{cap_names(late, limit)}）")
    if missing:
        rejected = f"，其中退回待更正{h['units_rejected']}个" if h["units_rejected"] else ""
        parts.append(f"，未报送{len(missing)}个（{cap_names(missing, limit)}{rejected}）")
    parts.append(f"；报送率{pct(h['submission_rate'])}，按时报送率{pct(h['on_time_rate'])}。")
    return "".join(parts)


def _countdown(plan: Plan | None, as_of: datetime | None) -> str:
    """'距“奋战一百天”结束还有45天。' (from the run's day) — only for a campaign with an end still ahead."""
    campaign = plan.campaign if plan else None
    if not campaign or not campaign.end or not campaign.name or as_of is None or campaign.end <= as_of.date():
        return ""
    return f"距“{campaign.name}”结束还有{(campaign.end - as_of.date()).days}天。"


def overview(metrics: dict, names: dict, short: dict, month: int, limit: int, as_of: datetime | None,
             plan: Plan | None = None, year: int | None = None) -> dict:
    h = metrics["headline"]
    year = year or (as_of.year if as_of else date.today().year)
    parts = [milestone(metrics, month, limit, m, compact=i > 0)
             for i, m in enumerate(due_milestones(plan, year, month))]
    first = parts[0] if parts else {}
    behind = lagging_units(metrics, short, limit)
    lagging = h.get("indicators_lagging", h["indicators_total"] - h["indicators_on_track"])
    countdown = "" if parts else _countdown(plan, as_of)
    progress = f"本月时序进度为{pct(h['time_progress'])}。" + countdown  # kept for older templates; page 1 says it
    return {"milestones": [{"n": str(i), "name": p["name"], "text": p["text"]} for i, p in enumerate(parts, start=1)],
            "n_lagging": str(len(parts) + 1), "n_reporting": str(len(parts) + 2),
            "double_half_text": "".join(p["text"] for p in parts), "countdown": countdown,
            "milestone_verdict": first.get("verdict", ""), "milestone_name": first.get("name", ""),
            "core_total": first.get("indicators_total", ""), "core_on_track": first.get("indicators_on_track", ""),
            "core_lagging": first.get("indicators_lagging", ""), "core_lagging_names": first.get("lagging_names", ""),
            "lagging_units": behind["text"], "lagging_units_count": behind["units"],
            "lagging_items_count": behind["items"], "unreported_units_count": behind["unreported_units"],
            "unreported_items_count": behind["unreported_items"],
            "headline": reporting(h, names, as_of, limit), "progress": progress,
            "as_of": cn_datetime(as_of) if as_of else "",
            "units_required": str(h["units_required"]),
            "units_accepted": str(h["units_accepted"]), "units_on_time": str(h["units_on_time"]),
            "units_late": str(h["units_late"]), "units_missing": str(h["units_missing"]),
            "units_rejected": str(h["units_rejected"]), "submission_rate": pct(h["submission_rate"]),
            "on_time_rate": pct(h["on_time_rate"]), "time_progress": pct(h["time_progress"]),
            "indicators_total": str(h["indicators_total"]), "indicators_on_track": str(h["indicators_on_track"]),
            "indicators_lagging": str(lagging), "projects_total": str(h["projects_total"]),
            "projects_on_track": str(h["projects_on_track"]), "double_half": bool(first.get("reached", False))}
