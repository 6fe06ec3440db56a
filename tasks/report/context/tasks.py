"""四、重点任务推进情况: 表2 grouped by task_area, every 牵头部门 and 牵头区领导, the units lagging (red) and
those that did not report (未报, never 滞后); the tasks listed by 牵头区领导 when the plan asks (`by_leader`).

Progress percentages print with one decimal in both columns, so a column reads one way.
"""
from __future__ import annotations

import pandas as pd

from ..appendix import SHEETS
from ..formatting import UNREPORTED, cap_names, join_names, more_text, pct, pct_points
from .common import CELL_NAMES, first, text


def _behind(rows_all: pd.DataFrame, reported: bool = True) -> dict[str, list[str]]:
    """Per task, the units that reported and are not on track (滞后) — or, `reported` False, the units that
    did not report (未报); in the metrics' order, leads first."""
    mask = (rows_all["reported"].astype(bool) & ~rows_all["on_track"].astype(bool) if reported
            else ~rows_all["reported"].astype(bool))
    behind = rows_all.loc[mask, ["task_code", "unit_code"]]
    return {code: list(units) for code, units in behind.groupby("task_code", sort=False)["unit_code"]}


def _behind_cell(behind: list[str], owed: list[str], short: dict, limit: int) -> tuple[str, str]:
    """表2's last cell in two parts: the lagging units (red), then "；未报：" the units that did not report
    (not red: 未报 is not 滞后); "无" when neither."""
    lagging = cap_names([short.get(u, u) for u in behind], limit) if behind else ""
    missing = f"{UNREPORTED}：{cap_names([short.get(u, u) for u in owed], limit)}" if owed else ""
    if not lagging and not missing:
        return join_names([]), ""
    return lagging, ("；" if lagging and missing else "") + missing


def tasks(metrics: dict, names: dict, short: dict, limit: int, leads: dict | None = None,
          leaders: dict | None = None, area_order: list[str] | None = None) -> dict:
    """表2: each task with all its 牵头部门 (`leads`: task_code → lead units, the reference's `task_leads`) and
    its 牵头区领导 (`leaders`), the units lagging and those that did not report; grouped by task_area
    (`area_order`: the areas as tasks.csv lists them)."""
    rows_all, summary = metrics["task_metrics"], metrics["task_summary"]
    leads, leaders = leads or {}, leaders or {}
    area_order = area_order if area_order is not None else list(summary["task_area"])
    behind, owed = _behind(rows_all), _behind(rows_all, reported=False)
    frame = summary.assign(_ok=[t not in behind and t not in owed for t in summary["task_code"]])
    shown, left_out = first(frame, limit, ["_ok", "mean_progress_pct"])
    rows = []
    for t in shown.itertuples():
        units, missing = behind.get(t.task_code, []), owed.get(t.task_code, [])
        lead_units = leads.get(t.task_code) or [t.lead_unit]
        lead, who = "、".join(names.get(u, u) for u in lead_units), "、".join(leaders.get(t.task_code, []))
        rows.append({"code": t.task_code, "area": t.task_area, "name": t.task_name, "lead": lead, "leaders": who,
                     "lead_cell": f"{lead}（牵头区领导：{who}）" if who else lead,
                     "lead_progress": pct_points(t.lead_progress_pct),
                     "mean_progress": pct_points(t.mean_progress_pct), "units": f"{t.units_reported}/{t.units_assigned}",
                     **_cell_parts(_behind_cell(units, missing, short, min(limit, CELL_NAMES))),
                     "lagging": bool(units), "unreported": bool(missing)})
    groups = by_area(rows, area_order)
    time_progress = float(rows_all["time_progress"].iloc[0]) if len(rows_all) else None
    on_track = int(rows_all["on_track"].sum())
    missing = int((~rows_all["reported"].astype(bool)).sum())
    sentence = (f"{len(summary)}项重点任务共涉及{len(rows_all)}个单位责任事项，{on_track}个达到时序进度"
                f"（{pct(time_progress)}），{len(rows_all) - on_track - missing}个滞后"
                + (f"，{missing}个未报" if missing else "") + "。")
    return {"sentence": sentence, "rows": [r for g in groups for r in g["rows"]], "groups": groups,
            "more": more_text(left_out, "项任务（先列有单位滞后、平均进度低的）", SHEETS["tasks"])}


def by_leader(metrics: dict, leaders: dict, limit: int) -> list[dict]:
    """The tasks listed by 牵头区领导 (plan.toml `[report] by_leader = true`): per leader, in the order the
    leaders first appear in tasks.csv, the tasks they lead and those with a unit lagging or not reporting."""
    rows_all, summary = metrics["task_metrics"], metrics["task_summary"]
    names = dict(zip(summary["task_code"], summary["task_name"]))
    behind, owed = _behind(rows_all), _behind(rows_all, reported=False)
    mine: dict[str, list[str]] = {}
    for code, people in leaders.items():
        if code in names:
            for person in people:
                mine.setdefault(person, []).append(code)
    out = []
    for person, codes in mine.items():
        lagging = [names[c] for c in codes if c in behind]
        missing = [names[c] for c in codes if c in owed]
        text = f"{person}：牵头{len(codes)}项任务（{cap_names([names[c] for c in codes], limit, '项')}）"
        text += f"，其中{len(lagging)}项有单位滞后（{cap_names(lagging, limit, '项')}）" if lagging else "，均无单位滞后"
        text += f"，{len(missing)}项有单位未报（{cap_names(missing, limit, '项')}）。" if missing else "。"
        out.append({"leader": person, "tasks": str(len(codes)), "text": text})
    return out


def _cell_parts(parts: tuple[str, str]) -> dict:
    return {"behind": "".join(parts), "behind_lagging": parts[0], "behind_unreported": parts[1]}


def by_area(rows: list[dict], area_order: list[str]) -> list[dict]:
    """表2's rows grouped under their `task_area` (类别, 攻坚, 专班), the areas in the order of tasks.csv and
    the tasks in code order within each; `heading` is the area's name ('' for the one group of a plan whose
    tasks have a single area or none)."""
    place = {area: i for i, area in enumerate(dict.fromkeys(area_order))}
    groups: dict[str, list[dict]] = {}
    for row in sorted(rows, key=lambda r: (place.get(r["area"], len(place)), r["code"])):
        groups.setdefault(row["area"], []).append(row)
    several = len(groups) > 1
    return [{"area": area, "heading": area if several and text(area) else "", "rows": mine}
            for area, mine in groups.items()]


