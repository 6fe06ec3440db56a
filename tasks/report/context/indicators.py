"""二、主要指标完成情况 and 图1: the district table, the per-unit rows and the chart's bars.

Targets print in words an office uses ("增长11.0%", "不低于84", "降至0"); figures in their
measure's format (tasks/report/formatting.py: counts whole, amounts one decimal), so a column
never mixes "2,060" and "1,851.5". The chart colours a bar red by the same rule as the text
(completion or progress below time progress), so picture and sentence cannot disagree.

Every indicator of the plan due in the period has its row: where no accepted figure arrived it
reads 未报 and names the unit(s) that owe it (never 滞后); a district total summed from part of its
units says which are missing ("全区（缺南湾湖）"). A "左右" target prints its tolerance.
"""
from __future__ import annotations

import pandas as pd

from ..appendix import SHEETS
from ..formatting import (
    DASH,
    TARGET_KIND_LABELS,
    UNREPORTED,
    cap_names,
    more_text,
    pct,
    pct_points,
    quantity,
    signed_growth,
)
from .common import CELL_NAMES, first

CHART_BARS = 20  # bars in the chart, at most (report_detail_rows if smaller): 20 fill most of a page


def loose_targets(targets: pd.DataFrame) -> set:
    """The targets given as "左右" (tolerance > 0): (unit_code, indicator_code) pairs and indicator codes."""
    if "tolerance" not in targets.columns:
        return set()
    loose = targets.loc[pd.to_numeric(targets["tolerance"], errors="coerce").fillna(0) > 0]
    return set(zip(loose["unit_code"], loose["indicator_code"])) | set(loose["indicator_code"])


def _tolerance(row) -> str:
    return "左右" if bool(getattr(row, "loose", False)) else ""


def target_text(row) -> str:
    if row.target_kind == "growth":
        return f"{'增长' if row.direction == 'higher' else '控制在'}{pct_points(row.target_value)}{_tolerance(row)}"
    if row.target_kind == "level":
        if row.direction != "higher" and float(row.target_value) == 0:
            return "降至0"
        return (f"{'不低于' if row.direction == 'higher' else '不高于'}{quantity(row.target_value, row.measure)}"
                f"{_tolerance(row)}")
    return quantity(row.target_value, row.measure) + _tolerance(row)


def unreported(frame: pd.DataFrame) -> pd.Series:
    """Rows with no accepted figure (未报). A district row of an indicator shared by several units without a
    district figure (aggregation 'units') is 未报 only when none of its units is judged."""
    mask = frame["cumulative"].isna()
    if "aggregation" in frame.columns:
        judged = frame["lagging"].astype(bool) | frame["on_track"].astype(bool)
        mask &= ~((frame["aggregation"] == "units") & judged)
    return mask


def _is_unreported(row) -> bool:
    if getattr(row, "aggregation", None) == "units":
        return not (bool(row.lagging) or bool(row.on_track))
    return bool(pd.isna(row.cumulative))


def rate_text(row) -> str:
    if pd.isna(row.cumulative):
        return DASH
    if row.target_kind == "growth":
        return signed_growth(row.growth_pct)
    if row.target_kind == "amount":
        return f"完成{pct(row.completion)}"
    return f"当前{quantity(row.cumulative, row.measure)}"


def status_text(row) -> str:
    """未报 (no accepted figure), 滞后 or 正常."""
    return UNREPORTED if _is_unreported(row) else "滞后" if row.lagging else "正常"


def indicator_row(row, who: str) -> dict:
    missing = _is_unreported(row)
    cumulative = (UNREPORTED if missing else DASH if pd.isna(row.cumulative)  # shared: no district figure
                  else quantity(row.cumulative, row.measure))
    return {"code": row.indicator_code, "name": row.indicator_name, "measure": row.measure, "unit": who,
            "kind": TARGET_KIND_LABELS.get(row.target_kind, row.target_kind), "target": target_text(row),
            "cumulative": cumulative, "rate": rate_text(row),
            "time_progress": pct(row.time_progress), "lagging": bool(row.lagging), "unreported": missing,
            "status": status_text(row)}


def _owners(rows: pd.DataFrame, totals: pd.DataFrame, short: dict, limit: int) -> dict:
    """Responsible units (short names) of the indicators a single unit owns."""
    single = set(totals.loc[totals["aggregation"] == "single", "indicator_code"])
    mine = rows.loc[rows["indicator_code"].isin(single)]
    return {code: cap_names([short.get(u, u) for u in units], limit)
            for code, units in mine.groupby("indicator_code", sort=False)["unit_code"]}


def owing(rows: pd.DataFrame, short: dict) -> dict[str, list[str]]:
    """Per indicator, the units (short names) that sent no accepted figure, in the rows' order."""
    missing = rows.loc[rows["cumulative"].isna(), ["indicator_code", "unit_code"]]
    return {code: [short.get(u, u) for u in units]
            for code, units in missing.groupby("indicator_code", sort=False)["unit_code"]}


def _who(row, owners: dict, owed: dict, limit: int) -> str:
    """The table's 责任单位 cell: the owner of a single unit's indicator, else 全区 — with the units missing."""
    if row.aggregation == "single":
        return owners.get(row.indicator_code, "全区")
    missing = owed.get(row.indicator_code, [])
    if row.aggregation == "units":  # shared by several units, no district figure: see the table by unit
        return f"各单位（不汇总；{cap_names(missing, limit)}未报）" if missing else "各单位（不汇总）"
    if not missing:
        return "全区"
    return f"全区（{cap_names(missing, limit)}未报）" if row.units_reported == 0 else f"全区（缺{cap_names(missing, limit)}）"


def indicators(metrics: dict, short: dict, limit: int, loose: set = frozenset()) -> dict:
    """表1 (district), 附表1 (by unit) and the sentence; `loose`: the "左右" targets (`loose_targets`)."""
    totals, rows = metrics["district_totals"], metrics["indicator_metrics"]
    totals = totals.assign(loose=[code in loose for code in totals["indicator_code"]])
    rows = rows.assign(loose=[(u, c) in loose for u, c in zip(rows["unit_code"], rows["indicator_code"])])
    cell = min(limit, CELL_NAMES, 2)
    owners, owed = _owners(rows, totals, short, min(limit, CELL_NAMES)), owing(rows, short)
    lagging = totals.loc[totals["lagging"].astype(bool), "indicator_name"].tolist()
    missing = totals.loc[unreported(totals)]
    on_track = int(totals["on_track"].astype(bool).sum())
    sentence = (f"全区口径的{len(totals)}项主要指标中，{on_track}项达到时序进度或目标要求，"
                f"{len(lagging)}项滞后")
    if len(missing):  # grouped by the units that owe them: "（工业投资、技改投资，科技工信未报送）"
        groups: dict[str, list[str]] = {}
        for r in missing.itertuples():
            groups.setdefault(cap_names(owed.get(r.indicator_code, []), cell), []).append(r.indicator_name)
        named = [f"{cap_names(items, limit, '项')}，{who}未报送" for who, items in groups.items()]
        sentence += f"，{len(missing)}项未报（{'；'.join(named)}）"
    sentence += (f"，滞后指标为{cap_names(lagging, limit, '项')}。" if lagging else "。")
    partial = totals.loc[totals["cumulative"].notna() & (totals["units_reported"] < totals["units_assigned"])
                         & (totals["aggregation"] == "sum")]
    if len(partial):
        sentence += (f"{cap_names(partial['indicator_name'].tolist(), limit, '项')}的全区数为已报单位合计，"
                     f"缺未报单位的数据。")
    judged = ~totals["lagging"].astype(bool) & ~unreported(totals)
    shown, left_out = first(totals.assign(_ok=judged), limit, ["_ok"])
    out = [indicator_row(r, _who(r, owners, owed, cell)) for r in shown.itertuples()]
    judged = ~rows["lagging"].astype(bool) & rows["cumulative"].notna()
    shown, by_unit_left = first(rows.assign(_ok=judged), limit, ["_ok"])
    by_unit = [dict(indicator_row(r, short.get(r.unit_code, r.unit_code)), unit_name=r.unit_name)
               for r in shown.itertuples()]
    return {"sentence": sentence, "rows": out, "more": more_text(left_out, "项指标", SHEETS["totals"]),
            "by_unit": by_unit, "by_unit_more": more_text(by_unit_left, "条分单位指标（先列滞后、未报的）",
                                                          SHEETS["indicators"])}


def chart(metrics: dict, time_progress: float, limit: int) -> dict:
    """Bars: amount indicators (completion, red when the text calls them 滞后) and the tasks'
    mean progress (red below time progress — the tasks' own rule). Project batches are judged
    by status or by their half-year task, not by completion against time progress, so they are
    not drawn here (三、 states them). More than `limit` bars: the tasks furthest behind."""
    limit = min(limit, CHART_BARS)
    items = [{"label": r.indicator_name, "value": round(float(r.completion), 4), "lagging": bool(r.lagging)}
             for r in metrics["district_totals"].itertuples() if r.target_kind == "amount" and pd.notna(r.completion)]
    any_amount = bool(items)
    tasks = metrics["task_summary"].dropna(subset=["mean_progress_pct"])
    room = max(limit - len(items), 0)
    shown, left_out = first(tasks, room, ["mean_progress_pct"])
    items = items[:limit] + [{"label": r.task_name, "value": round(float(r.mean_progress_pct) / 100, 4),
                              "lagging": bool(float(r.mean_progress_pct) / 100 < time_progress)}
                             for r in shown.itertuples()]
    more = (f"任务仅列出平均进度最低的{len(shown)}项，{more_text(left_out, '项任务', SHEETS['tasks'])}"
            if left_out else "")
    amounts, with_tasks = any_amount, len(shown) > 0
    drawn = ("总量指标年度目标完成率与重点任务平均进度" if amounts and with_tasks else "总量指标年度目标完成率" if amounts
             else "重点任务平均进度")  # the caption names only what is drawn (no chart at all when nothing is)
    title = ("主要指标与重点任务完成进度" if amounts and with_tasks else "主要指标完成进度" if amounts
             else "重点任务完成进度")
    return {"title": f"{title}对比时序进度", "time_progress": round(time_progress, 4),
            "time_progress_text": pct(time_progress), "items": items,
            "caption": f"图1 {drawn}对比时序进度（{pct(time_progress)}），红色为滞后",
            "more": more}
