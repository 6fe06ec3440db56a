"""What a 修订版 changed, from data: typed snapshots of two builds of a period, compared.

`snapshot(metrics, status)` keeps, as plain numbers and codes, what a revision note may mention:
each unit's reporting status, the district figures per indicator (cumulative, growth or completion,
on track), each project's cumulative investment and on-track flag, each task's mean progress, each
unit's rank and score, and the headline counts. It is stored with the issue in the registry.
`describe_changes(before, after, reason)` compares two snapshots — never rendered strings or
spreadsheet headers — and writes the 修订说明 sentences; only there are numbers formatted.
"""
from __future__ import annotations

import math

import pandas as pd

from ..checks.outcomes import MISSING, Outcome
from ..intake.standing import USABLE
from .formatting import cap_names, num, pct

MAX_FIGURES = 8  # figure changes spelt out in the 修订说明; the rest are counted


def _float(value) -> float | None:
    if value is None or value is pd.NA:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def snapshot(metrics: dict, status: dict) -> dict:
    """The typed facts of one build of a period (JSON-ready)."""
    totals, projects = metrics["district_totals"], metrics["project_metrics"]
    tasks, scores, head = metrics["task_summary"], metrics["unit_scores"], metrics["headline"]
    return {
        "units": {u["unit_code"]: {"name": u["unit_name"], "status": u["status"], "on_time": u["on_time"]}
                  for u in status["units"]},
        "indicators": {r.indicator_code: {
            "name": r.indicator_name, "cumulative": _float(r.cumulative),
            "rate": _float(r.growth_pct) if r.target_kind == "growth" else _float(r.completion),
            "rate_kind": "growth" if r.target_kind == "growth" else "completion", "on_track": bool(r.on_track)}
            for r in totals.itertuples()},
        "projects": {r.project_code: {"name": r.project_name, "cumulative": _float(r.cumulative_investment),
                                      "on_track": bool(r.on_track)} for r in projects.itertuples()},
        "tasks": {r.task_code: {"name": r.task_name, "mean_progress": _float(r.mean_progress_pct)}
                  for r in tasks.itertuples()},
        "ranks": {r.unit_code: {"name": r.short_name or r.unit_name, "kind": r.unit_kind, "rank": int(r.rank),
                                "score": _float(r.score)} for r in scores.itertuples()},
        "counts": {key: _float(head.get(key)) for key in (
            "submission_rate", "on_time_rate", "indicators_on_track", "projects_on_track", "units_accepted")},
    }


def _differs(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is not b
    return abs(a - b) > 1e-9 * max(1.0, abs(a), abs(b))


def _rate(value: float | None, kind: str) -> str:
    if value is None:
        return "—"
    return f"{'增长' if value >= 0 else '下降'}{num(abs(value), 1)}%" if kind == "growth" else pct(value)


def figure_changes(before: dict, after: dict) -> list[dict]:
    """Each figure that changed: item, before, after (formatted), in the order of the report."""
    out = []
    counts = (("submission_rate", "报送率", pct), ("on_time_rate", "按时报送率", pct),
              ("indicators_on_track", "达到进度的指标数", lambda v: num(v, 0)),
              ("projects_on_track", "按进度推进的项目数", lambda v: num(v, 0)))
    old, new = before.get("counts", {}), after.get("counts", {})
    for key, label, shown in counts:
        if _differs(old.get(key), new.get(key)):
            out.append({"item": label, "before": "—" if old.get(key) is None else shown(old[key]),
                        "after": "—" if new.get(key) is None else shown(new[key])})
    for code, row in after.get("indicators", {}).items():
        prev = before.get("indicators", {}).get(code, {})
        if _differs(prev.get("cumulative"), row["cumulative"]):
            out.append({"item": f"{row['name']}累计", "before": num(prev.get("cumulative")),
                        "after": num(row["cumulative"])})
        if _differs(prev.get("rate"), row["rate"]):
            out.append({"item": f"{row['name']}{'增速' if row['rate_kind'] == 'growth' else '完成率'}",
                        "before": _rate(prev.get("rate"), row["rate_kind"]), "after": _rate(row["rate"], row["rate_kind"])})
    for code, row in after.get("projects", {}).items():
        prev = before.get("projects", {}).get(code, {})
        if _differs(prev.get("cumulative"), row["cumulative"]):
            out.append({"item": f"{row['name']}累计投资", "before": num(prev.get("cumulative")),
                        "after": num(row["cumulative"])})
    for code, row in after.get("tasks", {}).items():
        prev = before.get("tasks", {}).get(code, {})
        if _differs(prev.get("mean_progress"), row["mean_progress"]):
            out.append({"item": f"{row['name']}平均进度", "before": _rate_pct(prev.get("mean_progress")),
                        "after": _rate_pct(row["mean_progress"])})
    return out


def _rate_pct(value: float | None) -> str:
    return "—" if value is None else f"{num(value, 1)}%"


def rank_changes(before: dict, after: dict) -> list[str]:
    """'河坝镇由第3名升至第1名' for every unit whose rank within its kind moved."""
    out = []
    for code, row in after.get("ranks", {}).items():
        prev = before.get("ranks", {}).get(code)
        if prev and prev["rank"] != row["rank"]:
            verb = "升至" if row["rank"] < prev["rank"] else "降至"
            out.append(f"{row['name']}由第{prev['rank']}名{verb}第{row['rank']}名")
    return out


def describe_changes(before: dict, after: dict, reason: str | None, limit: int = 30) -> dict:
    """The 修订说明 of a revision: units added or now accepted, figures and ranks that changed, the reason."""
    old_units, new_units = before.get("units", {}), after.get("units", {})
    added = [u["name"] for c, u in new_units.items()
             if u["status"] in USABLE and old_units.get(c, {}).get("status", MISSING) == MISSING]
    accepted = [u["name"] for c, u in new_units.items()
                if u["status"] in USABLE and old_units.get(c, {}).get("status") == Outcome.REJECTED]
    figures = figure_changes(before, after) if before else []
    ranks = rank_changes(before, after) if before else []
    notes = []
    if added:
        notes.append(f"新增报送单位：{cap_names(added, limit)}，其数据已纳入本期汇总。")
    if accepted:
        notes.append(f"更正后受理：{cap_names(accepted, limit)}。")
    if figures:
        shown = "；".join(f"{f['item']}由{f['before']}变为{f['after']}" for f in figures[:MAX_FIGURES])
        more = f"等{len(figures)}项" if len(figures) > MAX_FIGURES else ""
        notes.append(f"数据变动：{shown}{more}。")
    if ranks:
        more = f"等{len(ranks)}个单位" if len(ranks) > MAX_FIGURES else ""
        notes.append(f"排名变动：{'；'.join(ranks[:MAX_FIGURES])}{more}。")
    if not (added or accepted or figures or ranks):
        notes.append("部分内容有调整，主要数据未变。")
    if reason:
        notes.append(f"修订原因：{reason}")
    return {"units_added": added, "units_now_accepted": accepted, "figures_changed": figures,
            "ranks_changed": ranks, "reason": reason or "", "notes": notes}
