"""What a 修订版 changed, from data: typed snapshots of two builds of a period, compared.

`snapshot(metrics, status)` keeps, as plain numbers and codes, what a revision note may mention:
each unit's reporting status, the district figures per indicator (cumulative, growth or completion,
on track), each project's cumulative investment and on-track flag, each task's mean progress, each
unit's rank and score, and the headline counts. It is stored with the issue in the registry.
`describe_changes(before, after, reason)` compares two snapshots — never rendered strings or
spreadsheet headers — and writes the 修订说明 sentences; only there are numbers formatted, and a figure
whose before and after print the same ("由44.7%变为44.7%") is no change. `text_revision(reason)` is the
修订说明 of a revision reissued for its wording alone (`--reissue`: 文字修订, no figures).

The snapshot's `data` is the digest of the report's data inputs (`data_digest`: every metrics table,
the flags without their rule wording, each unit's standing, each file's content and outcome) — what
decides whether a period signed already has new data (tasks/report/after_signing.py); the templates, the
code version and the run's moment are not in it.
"""
from __future__ import annotations

import hashlib
import json

import pandas as pd

from ..checks.outcomes import MISSING, Outcome
from ..core.numbers import finite_or_none
from ..intake.standing import USABLE
from .formatting import cap_names, num, pct

MAX_FIGURES = 8  # figure changes spelt out in the 修订说明; the rest are counted
WORDING_COLUMNS = {"flags": ("message",)}  # a rule's wording, not a figure: left out of the data digest
TEXT_REVISION = "文字修订：本版仅修改文字和版式，数据未变。"
NO_VISIBLE_CHANGE = "部分数据有更新，所列主要数字未变。"



def data_digest(metrics: dict, status: dict) -> str:
    """sha256 of what the 专报 reports: the metrics tables and headline, the flags (without their message
    text), each unit's standing and each file's content and outcome — not its wording nor its date."""
    h = hashlib.sha256()
    for name in sorted(metrics):
        value = metrics[name]
        if isinstance(value, pd.DataFrame):
            dropped = [c for c in WORDING_COLUMNS.get(name, ()) if c in value.columns]
            text = value.drop(columns=dropped).to_csv(index=False)
        else:
            text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        h.update(f"{name}\n{text}\n".encode())
    units = [[u["unit_code"], str(u["status"]), bool(u["on_time"])] for u in status.get("units", [])]
    files = sorted([str(f.get("sha256")), str(f.get("unit_code")), str(f.get("outcome"))]
                   for f in status.get("files", []))
    h.update(json.dumps([units, files], ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()


def snapshot(metrics: dict, status: dict) -> dict:
    """The typed facts of one build of a period (JSON-ready), and the digest of its data (`data`)."""
    totals, projects = metrics["district_totals"], metrics["project_metrics"]
    tasks, scores, head = metrics["task_summary"], metrics["unit_scores"], metrics["headline"]
    return {
        "units": {u["unit_code"]: {"name": u["unit_name"], "status": u["status"], "on_time": u["on_time"]}
                  for u in status["units"]},
        "indicators": {r.indicator_code: {
            "name": r.indicator_name, "cumulative": finite_or_none(r.cumulative),
            "rate": finite_or_none(r.growth_pct) if r.target_kind == "growth" else finite_or_none(r.completion),
            "rate_kind": "growth" if r.target_kind == "growth" else "completion", "on_track": bool(r.on_track)}
            for r in totals.itertuples()},
        "projects": {r.project_code: {"name": r.project_name, "cumulative": finite_or_none(r.cumulative_investment),
                                      "on_track": bool(r.on_track)} for r in projects.itertuples()},
        "tasks": {r.task_code: {"name": r.task_name, "mean_progress": finite_or_none(r.mean_progress_pct)}
                  for r in tasks.itertuples()},
        "ranks": {r.unit_code: {"name": r.short_name or r.unit_name, "kind": r.unit_kind, "rank": int(r.rank),
                                "score": finite_or_none(r.score)} for r in scores.itertuples()},
        "counts": {key: finite_or_none(head.get(key)) for key in (
            "submission_rate", "on_time_rate", "indicators_on_track", "projects_on_track", "units_accepted")},
        "data": data_digest(metrics, status),
    }


def _differs(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is not b
    return abs(a - b) > 1e-9 * max(1.0, abs(a), abs(b))


def _rate(value: float | None, kind: str) -> str:
    if value is None:
        return "—"
    return f"{'增长' if value >= 0 else '下降'}{num(abs(value), 1)}%" if kind == "growth" else pct(value)


def _changed(out: list[dict], item: str, before: str, after: str) -> None:
    """Add one figure change — only when it shows: a value that prints the same before and after is none."""
    if before != after:
        out.append({"item": item, "before": before, "after": after})


def figure_changes(before: dict, after: dict) -> list[dict]:
    """Each figure that changed as printed: item, before, after (formatted), in the order of the report."""
    out: list[dict] = []
    counts = (("submission_rate", "报送率", pct), ("on_time_rate", "按时报送率", pct),
              ("indicators_on_track", "达到进度的指标数", lambda v: num(v, 0)),
              ("projects_on_track", "按进度推进的项目数", lambda v: num(v, 0)))
    old, new = before.get("counts", {}), after.get("counts", {})
    for key, label, shown in counts:
        if _differs(old.get(key), new.get(key)):
            _changed(out, label, "—" if old.get(key) is None else shown(old[key]),
                     "—" if new.get(key) is None else shown(new[key]))
    for code, row in after.get("indicators", {}).items():
        prev = before.get("indicators", {}).get(code, {})
        if _differs(prev.get("cumulative"), row["cumulative"]):
            _changed(out, f"{row['name']}累计", num(prev.get("cumulative")), num(row["cumulative"]))
        if _differs(prev.get("rate"), row["rate"]):
            _changed(out, f"{row['name']}{'增速' if row['rate_kind'] == 'growth' else '完成率'}",
                     _rate(prev.get("rate"), row["rate_kind"]), _rate(row["rate"], row["rate_kind"]))
    for code, row in after.get("projects", {}).items():
        prev = before.get("projects", {}).get(code, {})
        if _differs(prev.get("cumulative"), row["cumulative"]):
            _changed(out, f"{row['name']}累计投资", num(prev.get("cumulative")), num(row["cumulative"]))
    for code, row in after.get("tasks", {}).items():
        prev = before.get("tasks", {}).get(code, {})
        if _differs(prev.get("mean_progress"), row["mean_progress"]):
            _changed(out, f"{row['name']}平均进度", _rate_pct(prev.get("mean_progress")),
                     _rate_pct(row["mean_progress"]))
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
        notes.append(NO_VISIBLE_CHANGE)
    if reason:
        notes.append(f"修订原因：{reason}")
    return {"units_added": added, "units_now_accepted": accepted, "figures_changed": figures,
            "ranks_changed": ranks, "reason": reason or "", "notes": notes}


def text_revision(reason: str | None) -> dict:
    """The 修订说明 of a revision reissued for its text alone (`--reissue` with the data unchanged)."""
    notes = [TEXT_REVISION] + ([f"修订原因：{reason}"] if reason else [])
    return {"units_added": [], "units_now_accepted": [], "figures_changed": [], "ranks_changed": [],
            "reason": reason or "", "notes": notes, "text_only": True}
