"""本期要点: page 1 for the leader, four lines before 一、总体情况 (issue 25).

1. 总体 — the one-line verdict on the 主要指标 (表1's set, 全区口径: the one indicator count the 专报 uses),
   against the month's 时序进度: "全部达到" (none 滞后), "总体达到" (at least twice as many on track as
   滞后), else "多项落后于"; then the milestone's state (e.g. 双过半) or a campaign's countdown.
2. 关键指标 — the first growth and amount indicators of 表1 (its order is the catalogue's, where an office
   lists its headline figures first), each against its ANNUAL target, and the line says so.
3. 滞后和协调 — how many 主要指标 are 滞后 (表N), how many units' items are 滞后 (一（N）), the 未报 apart
   (never 滞后, spec §7), and how many 问题和需协调事项 the units raised (六、表N).
4. 报送 — 应报N个：按时N个、迟报N个、未报N个 (the standings of tasks/intake/standing.py).
Each line is {"label", "text"}; wording.j2's `summary_line` prints it.
"""
from __future__ import annotations

import pandas as pd

from ..formatting import cn_ordinal, pct, pct_points, signed_growth
from .indicators import unreported

KEY_GROWTH, KEY_AMOUNT = 3, 2  # growth and amount indicators on page 1 (the first of 表1's order)
NAMES = 3  # units named in the 报送 line, then "等N个"


def verdict(totals: pd.DataFrame, time_progress: str) -> str:
    """'全区16项主要指标总体达到时序进度（41.7%）：9项达到进度或目标要求、7项滞后。'"""
    n, on = len(totals), int(totals["on_track"].astype(bool).sum())
    lag, missing = int(totals["lagging"].astype(bool).sum()), int(unreported(totals).sum())
    tail = f"、{missing}项未报" if missing else ""
    if not n:
        return f"本月时序进度为{time_progress}。"
    if not lag:
        done = "全部" if not missing else f"已报的{n - missing}项全部"
        return f"全区{n}项主要指标{done}达到时序进度（{time_progress}）或目标要求{tail}。"
    word = "总体达到" if on >= 2 * lag else "多项落后于"
    return f"全区{n}项主要指标{word}时序进度（{time_progress}）：{on}项达到进度或目标要求、{lag}项滞后{tail}。"


def _milestone_state(overview: dict, totals: pd.DataFrame) -> str:
    """'“双过半”：13项总量和增速指标中5项滞后、1项未报，距6月底还有1个月。'"""
    name = overview.get("milestone_name")
    if not name:
        return overview.get("countdown", "")
    core = totals.loc[totals["target_kind"].isin(["amount", "growth"])]
    behind, missing = int(core["lagging"].astype(bool).sum()), int(unreported(core).sum())
    state = "、".join(x for x in (f"{behind}项滞后" if behind else "", f"{missing}项未报" if missing else "") if x)
    which = "主要指标" if len(core) == len(totals) else f"{len(core)}项总量和增速指标"
    return (f"“{name}”：{which}中{state}，" if state
            else f"“{name}”：{which}均达到进度要求，") + overview.get("milestone_verdict", "")


def key_figures(totals: pd.DataFrame) -> str:
    """'固定资产投资增长14.3%（目标增长11.0%）；…；立项争取资金完成年度目标的43.7%' (annual targets)."""
    growth = totals.loc[totals["target_kind"] == "growth"].head(KEY_GROWTH)
    amount = totals.loc[totals["target_kind"] == "amount"].head(KEY_AMOUNT)
    parts = []
    for r in pd.concat([growth, amount]).itertuples():
        if pd.isna(r.cumulative) and r.aggregation != "units":
            parts.append(f"{r.indicator_name}未报")
        elif r.target_kind == "growth" and pd.notna(r.growth_pct):
            parts.append(f"{r.indicator_name}{signed_growth(r.growth_pct)}（目标{pct_points(r.target_value)}）")
        elif r.target_kind == "amount" and pd.notna(r.completion):
            parts.append(f"{r.indicator_name}完成年度目标的{pct(r.completion)}")
    return "；".join(parts)


def summary(context: dict, metrics: dict) -> list[dict]:
    """The lines of 本期要点 (after `layout`: the table and section numbers are known)."""
    totals, ov, numbers = metrics["district_totals"], context["overview"], context["numbers"]
    lines = [{"label": "总体", "text": verdict(totals, context["period"]["time_progress"])
              + (_milestone_state(ov, totals) if len(totals) else "")}]
    figures = key_figures(totals)
    if figures:
        where = f"，详见表{numbers['table_indicators']}" if numbers.get("table_indicators") else ""
        lines.append({"label": "关键指标（对照年度目标）", "text": f"{figures}{where}。"})
    lag = int(totals["lagging"].astype(bool).sum())
    table = f"（表{numbers['table_indicators']}）" if numbers.get("table_indicators") else ""
    first = cn_ordinal(int(numbers["overview"]))
    parts = [f"{lag}项主要指标滞后{table}" if lag else "主要指标无滞后",
             f"{ov['lagging_units_count']}个单位的{ov['lagging_items_count']}项指标、项目或任务滞后"
             f"（见{first}（{cn_ordinal(int(ov['n_lagging']))}））" if ov["lagging_items_count"] != "0"
             else "各单位无滞后事项"]
    if ov.get("unreported_items_count", "0") != "0":
        parts.append(f"另有{ov['unreported_units_count']}个单位的{ov['unreported_items_count']}项未报，不计入滞后")
    count = int(context["problems"].get("count") or len(context["problems"]["rows"]))
    section = cn_ordinal(int(numbers["problems"])) if numbers.get("problems") else ""
    where = f"（见{section}、表{numbers['table_problems']}）" if numbers.get("table_problems") else ""
    parts.append(f"各单位反映问题和需协调事项{count}条{where}" if count else "各单位未反映需协调事项")
    lines.append({"label": "滞后和协调", "text": "；".join(parts) + "。"})
    lines.append({"label": "报送", "text": submission_line(ov, context["submissions"])})
    return lines


def submission_line(ov: dict, submissions: dict) -> str:
    """'应报18个单位：按时17个、迟报0个、未报1个（南湾湖办事处）。'"""
    missing = [r["unit"] for r in submissions.get("missing", [])] + [r["unit"] for r in submissions.get("rejected", [])]
    total = int(ov["units_missing"])
    named = (f"（{'、'.join(missing[:NAMES])}" + (f"等{total}个" if total > min(len(missing), NAMES) else "") + "）"
             if missing and total else "")
    return (f"应报{ov['units_required']}个单位：按时{ov['units_on_time']}个、迟报{ov['units_late']}个、"
            f"未报{ov['units_missing']}个{named}。")
