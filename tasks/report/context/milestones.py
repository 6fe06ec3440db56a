"""The plan's milestones (plan.toml `[[milestones]]`, e.g. 大通湖's 双过半) in 一、总体情况: one paragraph each.

Every figure of a sentence comes from one computation, rounded once for its measure (`milestone_figures`):
the cumulative A and the milestone's target B are first rounded as they print (counts whole, amounts one
decimal); the share C = A / B, the gap D = B − A and "已过" are computed from those printed values, so
"累计A，完成目标B的C%，距目标还差D" agrees with itself as read. A count's milestone target that is not whole
(3家 × 50 % = 1.5家) is rounded UP — a district cannot sign 1.5 projects, and reaching 1 of 1.5 is not
reaching it — and the sentence says so ("上半年目标2家（1.5家向上取整）"). What is needed per month to
the milestone's month: counts print "月均完成k家" only when the gap divides evenly over the months left,
else "共需完成D家"; the last month's "6月需全部完成" is said once for all the indicators it concerns.
"""
from __future__ import annotations

import calendar
import math
from dataclasses import dataclass

import pandas as pd

from ...core.plan import Milestone, Plan
from ..formatting import cap_names, decimals_for, num, pct, pct_points, quantity, signed_growth
from .common import not_on_track
from .indicators import unreported as unreported_rows

NAMES_IN_SENTENCE = 5  # a leader reads five names in a sentence, then "等N个"


def is_half_year(m: Milestone) -> bool:
    return (m.date.month, m.date.day) == (6, 30)


def by_when(m: Milestone) -> str:
    """'上半年' for 30 June, else '9月底' or '9月15日'."""
    if is_half_year(m):
        return "上半年"
    last = calendar.monthrange(m.date.year, m.date.month)[1]
    return f"{m.date.month}月底" if m.date.day == last else f"{m.date.month}月{m.date.day}日"


def target_word(m: Milestone) -> str:
    """'上半年目标' (50 % by 30 June), else e.g. '上半年60%目标', '9月底75%目标'."""
    return f"{by_when(m)}目标" if is_half_year(m) and m.share == 0.5 else f"{by_when(m)}{m.share * 100:g}%目标"


def milestone_target(row, m: Milestone) -> float | None:
    """The milestone's target as computed: `half_year_value` for a half-year 50 % milestone, else annual × share."""
    if is_half_year(m) and m.share == 0.5 and pd.notna(row.half_year_value):
        return float(row.half_year_value)
    return float(row.target_value) * m.share if pd.notna(row.target_value) else None


def printed(value: float, measure: str) -> float:
    """`value` rounded exactly as `quantity` prints it (so arithmetic on it agrees with the page)."""
    return float(f"{float(value):.{decimals_for(measure)}f}")


@dataclass(frozen=True)
class Figures:
    """One milestone sentence's numbers, each as printed: cumulative, target, gap (≥ 0), share and rounding."""

    cumulative: float
    target: float
    raw_target: float
    rounded_up: bool

    @property
    def gap(self) -> float:
        return max(self.target - self.cumulative, 0.0)

    @property
    def reached(self) -> bool:
        return self.cumulative >= self.target


def milestone_figures(row, m: Milestone) -> Figures | None:
    """The figures of `row` against milestone `m`, rounded once for the row's measure; None without a target or
    cumulative. A count's target that is not whole is rounded up (`rounded_up`)."""
    target = milestone_target(row, m)
    if target is None or not target or pd.isna(row.cumulative):
        return None
    whole = decimals_for(row.measure) == 0
    exact = abs(target - round(target)) < 1e-3  # whole to three decimals: no rounding to speak of
    shown = float(round(target) if exact else math.ceil(target)) if whole else printed(target, row.measure)
    if not shown:  # a target that prints as 0 has no share
        return None
    return Figures(printed(row.cumulative, row.measure), shown, target,
                   rounded_up=whole and not exact)


def _unrounded(raw: float) -> str:
    """A count's fractional target with the fewest decimals that do not print it as a whole (1.5, 1.96)."""
    for decimals in range(1, 4):
        text = num(raw, decimals)
        value = float(text.replace(",", ""))
        if value != round(value):
            return text
    return num(raw, 3)  # not reached: a target within 0.001 of a whole number is taken as whole


def amount_clause(row, month: int, m: Milestone) -> tuple[str, bool]:
    """(the indicator's sentence against `m`, whether it must all be done in the milestone's month)."""
    f = milestone_figures(row, m)
    if f is None:
        return "", False
    measure, word, end = row.measure, target_word(m), m.date.month
    note = f"（{_unrounded(f.raw_target)}{measure}向上取整）" if f.rounded_up else ""
    done = (f"{row.indicator_name}累计{quantity(f.cumulative, measure)}{measure}，完成{word}"
            f"{quantity(f.target, measure)}{measure}{note}的{pct(f.cumulative / f.target)}")
    if f.reached:
        return done + f"，已过{word}", False
    left = end - month
    text = done + f"，距{word}还差{quantity(f.gap, measure)}{measure}"
    if left > 1:
        span = f"{month + 1}—{end}月"
        if decimals_for(measure) == 0 and round(f.gap) % left:
            return text + f"，{span}共需完成{quantity(f.gap, measure)}{measure}", False
        return text + f"，{span}需月均完成{quantity(f.gap / left, measure)}{measure}", False
    return text, left == 1


def growth_clause(row) -> str:
    """'技改投资增长29.7%（目标36.0%，低于目标）'; where one decimal would print growth and target alike, two."""
    if pd.isna(row.growth_pct):
        return ""
    word = "达到" if not row.lagging else "低于"
    growth, target = float(row.growth_pct), float(row.target_value)
    decimals = 1
    while decimals < 3 and f"{growth:.{decimals}f}" == f"{target:.{decimals}f}" and growth != target:
        decimals += 1
    shown = (f"{'增长' if growth >= 0 else '下降'}{abs(growth):.{decimals}f}%" if decimals > 1
             else signed_growth(growth))
    return f"{row.indicator_name}{shown}（目标{pct_points(target, decimals)}，{word}目标）"


def _batch_clause(b, half_tasks: dict) -> str:
    if b.batch == "竣工完工":
        return f"竣工完工项目{b.projects}个，已竣工{b.completed}个"
    if b.batch == "新开工":
        return f"新开工项目{b.projects}个，已开工{b.started}个"
    half = half_tasks.get(b.batch)
    share = f"，累计投资为上半年任务的{pct(b.cumulative_investment / half)}" if half else ""
    return f"{b.batch}项目{b.projects}个，{b.on_track}个达到时序进度投资要求{share}"


def milestone_reached(core: pd.DataFrame, month: int, m: Milestone) -> bool:
    """The verdict: the milestone's month reached, every amount indicator at its milestone target (as printed,
    `milestone_figures`) and every growth indicator at its target (an indicator 未报 is not reached)."""
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
            figures = milestone_figures(row, m)
            if figures is None or not figures.reached:
                return False
        elif not bool(row.on_track):
            return False
    return True


def amounts_text(core: pd.DataFrame, month: int, m: Milestone, tail: bool = True) -> str:
    """The amount indicators' sentences, then once "上述N项需在6月全部完成" for those due in the last month
    (`tail` False: a second milestone of the same date, where the first one has said it)."""
    clauses = [amount_clause(r, month, m) for r in core.itertuples() if r.target_kind == "amount"]
    texts = [t for t, _ in clauses if t]
    if not texts:
        return ""
    last = sum(1 for t, due in clauses if t and due) if tail else 0
    tail = "" if not last else (f"{'上述' if last == len(texts) else '其中未过目标的'}{last}项需在{m.date.month}月全部完成。"
                                if last > 1 else f"需在{m.date.month}月全部完成。")
    return "；".join(texts) + "。" + tail


def milestone(metrics: dict, month: int, limit: int, m: Milestone, compact: bool = False) -> dict:
    """The paragraph of milestone `m` (e.g. 双过半) and its counts; `compact` (a second milestone of the same
    date): only what differs — the amount indicators against its own share — and its verdict."""
    totals, batches, projects = metrics["district_totals"], metrics["batch_summary"], metrics["project_metrics"]
    core = totals.loc[totals["target_kind"].isin(["amount", "growth"])]
    on_track = core.loc[core["on_track"].astype(bool), "indicator_name"].tolist()
    lagging = core.loc[core["lagging"].astype(bool), "indicator_name"].tolist()
    unreported = core.loc[unreported_rows(core), "indicator_name"].tolist()
    amounts = amounts_text(core, month, m, tail=not compact)
    growth = core.loc[core["target_kind"] == "growth"]
    behind = [c for c in (growth_clause(r) for r in growth.itertuples() if r.lagging) if c]
    ahead = growth.loc[growth["on_track"].astype(bool), "indicator_name"].tolist()
    growths = behind + ([f"{cap_names(ahead, NAMES_IN_SENTENCE, '项')}增速达到目标"] if ahead else [])
    half_task = pd.to_numeric(projects["half_year_task"], errors="coerce").groupby(projects["batch"]).sum(min_count=1)
    batch_text = "；".join(_batch_clause(b, half_task.dropna().to_dict()) for b in batches.itertuples())
    lag_projects = projects.loc[not_on_track(projects), "project_name"].tolist()
    reached = milestone_reached(core, month, m)
    if month >= m.date.month:
        verdict = f"{by_when(m)}全区主要指标{'实现' if reached else '未能全部实现'}“{m.name}”。"
    else:
        verdict = f"距{m.date.month}月底还有{m.date.month - month}个月。"
    total = len(totals)
    which = f"{total}项主要指标中" if total == len(core) else f"{total}项主要指标中的{len(core)}项总量和增速指标"
    parts = [f"对照“{m.name}”目标，{which}{len(on_track)}项达到进度要求、"
             f"{len(lagging)}项滞后" + (f"（{cap_names(lagging, limit, '项')}）" if lagging else "")
             + (f"、{len(unreported)}项未报（{cap_names(unreported, limit, '项')}）" if unreported else "") + "。"]
    if compact:
        parts = [f"对照“{m.name}”目标，" + amounts]
    else:
        parts += [amounts, "；".join(growths) + "。" if growths else ""]
        if batch_text:
            parts.append(f"重点项目：{batch_text}"
                         + (f"；滞后项目有{cap_names(lag_projects, NAMES_IN_SENTENCE, '个')}。" if lag_projects else "。"))
    if not compact or month >= m.date.month:  # the countdown to the same date is said once, by the first
        parts.append(verdict)
    return {"name": m.name, "text": "".join(parts), "indicators_total": str(len(core)),
            "indicators_on_track": str(len(on_track)), "indicators_lagging": str(len(lagging)),
            "lagging_names": cap_names(lagging, limit, "项"), "reached": reached, "verdict": verdict}


def due_milestones(plan: Plan | None, year: int, month: int) -> list[Milestone]:
    """The milestones this month speaks of: those of the nearest date not yet past (by month); after the
    last one, the last date's (its verdict). None without a plan or milestones of this year."""
    mine = [m for m in (plan.milestones if plan else ()) if m.date.year == year]
    if not mine:
        return []
    ahead = [m for m in mine if m.date.month >= month]
    when = min(m.date for m in ahead) if ahead else max(m.date for m in mine)
    return [m for m in mine if m.date == when]
