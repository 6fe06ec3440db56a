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
3. Reporting, "as of" the run's moment in the office's time zone (not the month's end); without a
   milestone, a campaign with an end counts down to it here in days ("距“…”结束还有N天").
"""
from __future__ import annotations

import calendar
import math
from datetime import date, datetime

import pandas as pd

from ...core.plan import Milestone, Plan
from ..formatting import (
    cap_names,
    cn_datetime,
    decimals_for,
    pct,
    pct_points,
    quantity,
    signed_growth,
)
from .indicators import unreported as unreported_rows

NAMES_IN_SENTENCE = 5  # a leader reads five names in a sentence, then "等N个"


def _is_half_year(m: Milestone) -> bool:
    return (m.date.month, m.date.day) == (6, 30)


def _by_when(m: Milestone) -> str:
    """'上半年' for 30 June, else '9月底' or '9月15日'."""
    if _is_half_year(m):
        return "上半年"
    last = calendar.monthrange(m.date.year, m.date.month)[1]
    return f"{m.date.month}月底" if m.date.day == last else f"{m.date.month}月{m.date.day}日"


def _target_word(m: Milestone) -> str:
    """'上半年目标' (50 % by 30 June), else e.g. '上半年60%目标', '9月底75%目标'."""
    return f"{_by_when(m)}目标" if _is_half_year(m) and m.share == 0.5 else f"{_by_when(m)}{m.share * 100:g}%目标"


def _milestone_target(row, m: Milestone) -> float | None:
    if _is_half_year(m) and m.share == 0.5 and pd.notna(row.half_year_value):
        return float(row.half_year_value)
    return float(row.target_value) * m.share if pd.notna(row.target_value) else None


def _amount_clause(row, month: int, m: Milestone) -> str:
    half = _milestone_target(row, m)
    if half is None or not half or pd.isna(row.cumulative):
        return ""
    cum, measure, word, end = float(row.cumulative), row.measure, _target_word(m), m.date.month
    done = f"{row.indicator_name}累计{quantity(cum, measure)}{measure}，完成{word}{quantity(half, measure)}{measure}的{pct(cum / half)}"
    if cum >= half:
        return done + f"，已过{word}"
    left = end - month
    need = half - cum
    tail = f"，距{word}还差{quantity(need, measure)}{measure}"
    monthly = math.ceil(need / left) if left and decimals_for(measure) == 0 else need / max(left, 1)
    return done + tail + (f"，{month + 1}—{end}月需月均完成{quantity(monthly, measure)}{measure}" if left > 1
                          else f"，{end}月需全部完成" if left == 1 else "")


def _growth_clause(row) -> str:
    if pd.isna(row.growth_pct):
        return ""
    word = "达到" if not row.lagging else "低于"
    return f"{row.indicator_name}{signed_growth(row.growth_pct)}（目标{pct_points(row.target_value)}，{word}目标）"


def _batch_clause(b, half_tasks: dict) -> str:
    if b.batch == "竣工完工":
        return f"竣工完工项目{b.projects}个，已竣工{b.completed}个"
    if b.batch == "新开工":
        return f"新开工项目{b.projects}个，已开工{b.started}个"
    half = half_tasks.get(b.batch)
    share = f"，累计投资为上半年任务的{pct(b.cumulative_investment / half)}" if half else ""
    return f"{b.batch}项目{b.projects}个，{b.on_track}个达到序时投资要求{share}"


def milestone_reached(core: pd.DataFrame, month: int, m: Milestone) -> bool:
    """The verdict: the milestone's month reached, every amount indicator at its milestone target and every
    growth indicator at its target (an indicator 未报 is not reached). For 双过半 this is spec §7's rule."""
    if month < m.date.month or core.empty:
        return False
    for row in core.itertuples():
        if row.aggregation == "units":  # shared by several units: every unit on track
            if not bool(row.on_track):
                return False
            continue
        if pd.isna(row.cumulative):
            return False
        if row.target_kind == "amount":
            target = _milestone_target(row, m)
            if target is None or float(row.cumulative) < target:
                return False
        elif not bool(row.on_track):
            return False
    return True


def milestone(metrics: dict, month: int, limit: int, m: Milestone, compact: bool = False) -> dict:
    """The paragraph of milestone `m` (e.g. 双过半) and its counts; `compact` (a second milestone of the same
    date): only what differs — the amount indicators against its own share — and its verdict."""
    totals, batches, projects = metrics["district_totals"], metrics["batch_summary"], metrics["project_metrics"]
    core = totals.loc[totals["target_kind"].isin(["amount", "growth"])]
    on_track = core.loc[core["on_track"].astype(bool), "indicator_name"].tolist()
    lagging = core.loc[core["lagging"].astype(bool), "indicator_name"].tolist()
    unreported = core.loc[unreported_rows(core), "indicator_name"].tolist()
    amounts = [c for c in (_amount_clause(r, month, m) for r in core.itertuples() if r.target_kind == "amount") if c]
    growth = core.loc[core["target_kind"] == "growth"]
    behind = [c for c in (_growth_clause(r) for r in growth.itertuples() if r.lagging) if c]
    ahead = growth.loc[growth["on_track"].astype(bool), "indicator_name"].tolist()
    growths = behind + ([f"{cap_names(ahead, NAMES_IN_SENTENCE, '项')}增速达到目标"] if ahead else [])
    half_task = pd.to_numeric(projects["half_year_task"], errors="coerce").groupby(projects["batch"]).sum(min_count=1)
    batch_text = "；".join(_batch_clause(b, half_task.dropna().to_dict()) for b in batches.itertuples())
    lag_projects = projects.loc[not_on_track(projects), "project_name"].tolist()
    reached = milestone_reached(core, month, m)
    if month >= m.date.month:
        verdict = (f"{_by_when(m)}全区主要指标实现“{m.name}”。" if reached
                   else f"{_by_when(m)}全区主要指标未能全部实现“{m.name}”。")
    else:
        verdict = f"距{m.date.month}月底还有{m.date.month - month}个月。"
    parts = [f"对照“{m.name}”目标，全区{len(core)}项总量和增速指标中{len(on_track)}项达到进度要求、{len(lagging)}项滞后"
             + (f"（{cap_names(lagging, limit, '项')}）" if lagging else "")
             + (f"、{len(unreported)}项未报（{cap_names(unreported, limit, '项')}）" if unreported else "") + "。"]
    if compact:
        parts = [f"对照“{m.name}”目标，" + ("；".join(amounts) + "。" if amounts else "")]
    if amounts and not compact:
        parts.append("；".join(amounts) + "。")
    if growths and not compact:
        parts.append("；".join(growths) + "。")
    if batch_text and not compact:
        parts.append(f"重点项目：{batch_text}"
                     + (f"；滞后项目有{cap_names(lag_projects, NAMES_IN_SENTENCE, '个')}。" if lag_projects else "。"))
    parts.append(verdict)
    return {"name": m.name, "text": "".join(parts), "indicators_total": str(len(core)),
            "indicators_on_track": str(len(on_track)), "indicators_lagging": str(len(lagging)),
            "lagging_names": cap_names(lagging, limit, "项"), "reached": reached}


def due_milestones(plan: Plan | None, year: int, month: int) -> list[Milestone]:
    """The milestones this month speaks of: those of the nearest date not yet past (by month); after the
    last one, the last date's (its verdict). None without a plan or milestones of this year."""
    mine = [m for m in (plan.milestones if plan else ()) if m.date.year == year]
    if not mine:
        return []
    ahead = [m for m in mine if m.date.month >= month]
    when = min(m.date for m in ahead) if ahead else max(m.date for m in mine)
    return [m for m in mine if m.date == when]


def not_on_track(frame: pd.DataFrame) -> pd.Series:
    """Project or task rows reported and not on track (滞后); rows not reported are 未报, not 滞后."""
    return frame["reported"].astype(bool) & ~frame["on_track"].astype(bool)


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
    missing = ""
    if not owed.empty:
        by_unit = _by_unit(owed)
        names = [f"{short.get(u, u)}{len(v)}项" for u, v in by_unit.iloc[:cap].items()]
        missing = (f"另有{len(by_unit)}个单位的{len(owed)}项未报（" + "、".join(names)
                   + (f"等{len(by_unit)}个单位" if len(by_unit) > cap else "") + "），不计入滞后。")
    if items.empty:
        return {"text": "各单位已报的指标、项目和任务均达到进度要求。" + missing if missing
                else "各单位承担的指标、项目和任务均达到进度要求。", "units": "0", "items": "0"}
    by_unit = _by_unit(items)
    shown = [f"{short.get(u, u)}{len(v)}项（{cap_names(v, 2, '项')}）" for u, v in by_unit.iloc[:cap].items()]
    more = f"等{len(by_unit)}个单位，详见附表" if len(by_unit) > cap else ""
    text = (f"有{len(by_unit)}个单位的{len(items)}项指标、项目或任务滞后：" + "；".join(shown) + more + "。")
    return {"text": text + missing, "units": str(len(by_unit)), "items": str(len(items))}


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
    unreported, projects_unreported = h.get("indicators_unreported", 0), h.get("projects_unreported", 0)
    progress = (f"本月时序进度为{pct(h['time_progress'])}。分解到各单位的{h['indicators_total']}项单位指标中，"
                f"{h['indicators_on_track']}项达到时序进度或目标要求，{lagging}项滞后"
                + (f"，{unreported}项未报" if unreported else "")
                + (f"；{h['projects_total']}个重点项目中，{h['projects_on_track']}个按进度推进"
                   + (f"，{projects_unreported}个未报" if projects_unreported else "") if h["projects_total"] else "")
                + "。")
    if not parts:
        progress += _countdown(plan, as_of)
    return {"milestones": [{"n": str(i), "name": p["name"], "text": p["text"]} for i, p in enumerate(parts, start=1)],
            "n_lagging": str(len(parts) + 1), "n_reporting": str(len(parts) + 2),
            "double_half_text": "".join(p["text"] for p in parts),
            "core_total": first.get("indicators_total", ""), "core_on_track": first.get("indicators_on_track", ""),
            "core_lagging": first.get("indicators_lagging", ""), "core_lagging_names": first.get("lagging_names", ""),
            "lagging_units": behind["text"], "lagging_units_count": behind["units"],
            "lagging_items_count": behind["items"],
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
