"""The report context: every figure and sentence of the 专报 (spec §9), formatted, as plain JSON.

`build_context` turns the metrics of a period (tasks/metrics.py) and its status
(tasks/status.py) into a dict of strings, lists and booleans. Templates only loop over it and
test its booleans; the variable catalogue (tasks/report_catalogue.py) documents every key.
Text the units typed (problems, progress, notes, rejection messages) is kept verbatim here and
escaped by the renderers, never interpreted.

A province has thousands of units, a leader's 专报 a few pages: every printed list holds at most
`settings.report_detail_rows` rows, chosen here (the rows that matter most), with a `more`
sentence naming what was left out; `appendix` carries every row for the Excel 附表. Each helper
is linear in the size of the metrics (files and rows are grouped once, never scanned per unit).
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from zhuanbao.tasks.core.periods import period_parts
from zhuanbao.tasks.core.reference import Reference
from zhuanbao.tasks.core.settings import Settings
from zhuanbao.tasks.report.appendix import SHEETS, appendix_tables
from zhuanbao.tasks.report.formatting import (
    DASH,
    KIND_LABELS,
    STATUS_LABELS,
    TARGET_KIND_LABELS,
    cap_names,
    cn_date,
    cn_datetime,
    more_text,
    num,
    pct,
    pct_points,
    signed_growth,
)

BATCH_RULES = {"竣工完工": "以项目状态为“竣工”计为按进度", "复工推进": "以累计完成投资达到序时投资要求计为按进度",
               "新开工": "以项目状态不为“未开工”计为已开工"}
CELL_NAMES = 10  # unit names in one table cell, at most (report_detail_rows if smaller)
CHART_BARS = 20  # bars in the chart, at most (report_detail_rows if smaller): 20 fill most of a page
WEIGHT_LABELS = {"on_track": "承担事项按序时进度推进占比", "on_time": "按时报送", "explained": "预警事项已作说明"}


def _text(value) -> str:
    """A unit's free text, trimmed; NaN/None → ''."""
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def issue_placeholder(settings: Settings, now: datetime | None = None) -> dict:
    """Issue fields before publication (preview): publish_report replaces them."""
    now = now or datetime.now(settings.tz)
    return {"number": "", "label": "第　期", "year": str(now.year), "date": cn_date(now),
            "office": settings.issuing_office, "revision": 0, "is_revision": False, "revision_label": "",
            "revision_notes": [], "reason": "", "draft": True, "signer": "", "printed_date": ""}


def report_title(settings: Settings) -> str:
    office = settings.issuing_office
    for tail in ("领导小组办公室", "办公室", "领导小组"):
        if office.endswith(tail) and len(office) > len(tail):
            return office[: -len(tail)] + "工作专报"
    return "工作专报"


def _overview(h: dict, names: dict, month: int, limit: int) -> dict:
    late = [names.get(u, u) for u in h["late_units"]]
    missing = [names.get(u, u) for u in h["missing_units"]]
    lagging = h["indicators_total"] - h["indicators_on_track"]
    parts = [(f"截至{month}月底，全区应报单位{h['units_required']}个，已报送并受理{h['units_accepted']}个，"
              f"其中按时报送{h['units_on_time']}个")]
    if late:
        parts.append(f"，逾期报送{len(late)}个（{cap_names(late, limit)}）")
    if missing:
        rejected = f"，其中退回待更正{h['units_rejected']}个" if h["units_rejected"] else ""
        parts.append(f"，未报送{len(missing)}个（{cap_names(missing, limit)}{rejected}）")
    parts.append(f"；报送率{pct(h['submission_rate'])}，按时报送率{pct(h['on_time_rate'])}。")
    headline = "".join(parts)
    progress = (f"本月时序进度为{pct(h['time_progress'])}。纳入监测的{h['indicators_total']}项单位指标中，"
                f"{h['indicators_on_track']}项达到时序进度或目标要求，{lagging}项滞后；"
                f"{h['projects_total']}个重点项目中，{h['projects_on_track']}个按进度推进。")
    if month >= 6:
        progress += "全区主要指标实现“双过半”。" if h["double_half"] else "全区主要指标尚未全部实现“双过半”。"
    return {"headline": headline, "progress": progress, "units_required": str(h["units_required"]),
            "units_accepted": str(h["units_accepted"]), "units_on_time": str(h["units_on_time"]),
            "units_late": str(h["units_late"]), "units_missing": str(h["units_missing"]),
            "units_rejected": str(h["units_rejected"]), "submission_rate": pct(h["submission_rate"]),
            "on_time_rate": pct(h["on_time_rate"]), "time_progress": pct(h["time_progress"]),
            "indicators_total": str(h["indicators_total"]), "indicators_on_track": str(h["indicators_on_track"]),
            "indicators_lagging": str(lagging), "projects_total": str(h["projects_total"]),
            "projects_on_track": str(h["projects_on_track"]), "double_half": bool(h["double_half"])}


def _target_text(row) -> str:
    if row.target_kind == "growth":
        return f"{'增长' if row.direction == 'higher' else '控制在'}{pct_points(row.target_value)}"
    if row.target_kind == "level":
        return f"{'≥' if row.direction == 'higher' else '≤'}{num(row.target_value)}"
    return num(row.target_value)


def _rate_text(row) -> str:
    if row.target_kind == "growth":
        return signed_growth(row.growth_pct)
    if row.target_kind == "amount":
        return f"完成{pct(row.completion)}"
    return f"当前{num(row.cumulative)}"


def _indicator_row(row, who: str) -> dict:
    return {"code": row.indicator_code, "name": row.indicator_name, "measure": row.measure, "unit": who,
            "kind": TARGET_KIND_LABELS.get(row.target_kind, row.target_kind), "target": _target_text(row),
            "cumulative": num(row.cumulative), "rate": _rate_text(row), "time_progress": pct(row.time_progress),
            "lagging": bool(row.lagging), "status": "滞后" if row.lagging else "正常"}


def _first(frame: pd.DataFrame, limit: int, by: list[str] | None = None, ascending=True) -> tuple[pd.DataFrame, int]:
    """(rows shown, rows left out): all rows when they fit, else the `limit` first after a stable sort `by`."""
    if len(frame) <= limit:
        return frame, 0
    if by:
        frame = frame.sort_values(by, ascending=ascending, kind="stable", na_position="first")
    return frame.iloc[:limit], len(frame) - limit


def _owners(rows: pd.DataFrame, totals: pd.DataFrame, short: dict, limit: int) -> dict:
    """Responsible units (short names) of the indicators a single unit owns."""
    single = set(totals.loc[totals["aggregation"] == "single", "indicator_code"])
    mine = rows.loc[rows["indicator_code"].isin(single)]
    return {code: cap_names([short.get(u, u) for u in units], limit)
            for code, units in mine.groupby("indicator_code", sort=False)["unit_code"]}


def _indicators(metrics: dict, short: dict, limit: int) -> dict:
    totals, rows = metrics["district_totals"], metrics["indicator_metrics"]
    owners = _owners(rows, totals, short, min(limit, CELL_NAMES))
    lagging = totals.loc[totals["lagging"].astype(bool), "indicator_name"].tolist()
    sentence = (f"纳入统计的{len(totals)}项主要指标中，{len(totals) - len(lagging)}项达到时序进度或目标要求，"
                f"{len(lagging)}项滞后")
    sentence += (f"，滞后指标为{cap_names(lagging, limit, '项')}。" if lagging else "。")
    shown, left_out = _first(totals.assign(_ok=~totals["lagging"].astype(bool)), limit, ["_ok"])
    out = [_indicator_row(r, owners.get(r.indicator_code, "全区") if r.aggregation == "single" else "全区")
           for r in shown.itertuples()]
    shown, by_unit_left = _first(rows.assign(_ok=~rows["lagging"].astype(bool)), limit, ["_ok"])
    by_unit = [dict(_indicator_row(r, short.get(r.unit_code, r.unit_code)), unit_name=r.unit_name)
               for r in shown.itertuples()]
    return {"sentence": sentence, "rows": out, "more": more_text(left_out, "项指标", SHEETS["totals"]),
            "by_unit": by_unit, "by_unit_more": more_text(by_unit_left, "条分单位指标（先列滞后的）", SHEETS["indicators"])}


def _chart(metrics: dict, time_progress: float, limit: int) -> dict:
    """Completion of amount indicators, project batches and tasks against time progress.

    More than `limit` bars (at most CHART_BARS): the indicators and batches, then the tasks
    furthest behind.
    """
    limit = min(limit, CHART_BARS)
    items = [{"label": r.indicator_name, "value": round(float(r.completion), 4)}
             for r in metrics["district_totals"].itertuples() if r.target_kind == "amount" and pd.notna(r.completion)]
    items += [{"label": f"{r.batch}项目投资", "value": round(float(r.completion), 4)}
              for r in metrics["batch_summary"].itertuples() if pd.notna(r.completion)]
    tasks = metrics["task_summary"].dropna(subset=["mean_progress_pct"])
    room = max(limit - len(items), 0)
    shown, left_out = _first(tasks, room, ["mean_progress_pct"])
    items = items[:limit] + [{"label": r.task_name, "value": round(float(r.mean_progress_pct) / 100, 4)}
                             for r in shown.itertuples()]
    more = (f"任务仅列出平均进度最低的{len(shown)}项，{more_text(left_out, '项任务', SHEETS['tasks'])}"
            if left_out else "")
    return {"title": "主要指标、项目与任务完成进度对比时序进度", "time_progress": round(time_progress, 4),
            "time_progress_text": pct(time_progress), "items": items,
            "caption": f"图1 完成进度与时序进度（{pct(time_progress)}）对比，红色为低于时序进度", "more": more}


def _shares(sizes: list[int], limit: int) -> list[int]:
    """How many rows of each group one table of `limit` rows shows: equal shares, an unused share passed on."""
    taken, left = [0] * len(sizes), limit
    open_groups = [i for i, size in enumerate(sizes) if size]
    while left > 0 and open_groups:
        share = max(1, left // len(open_groups))
        for i in list(open_groups):
            take = min(share, sizes[i] - taken[i], left)
            taken[i], left = taken[i] + take, left - take
            if taken[i] == sizes[i]:
                open_groups.remove(i)
            if not left:
                break
    return taken


def _projects(metrics: dict, names: dict, limit: int) -> dict:
    projects, batches = metrics["project_metrics"], metrics["batch_summary"]
    groups = {batch: group for batch, group in projects.groupby("batch", sort=False)}
    mine_all = [groups.get(b.batch, projects.iloc[:0]) for b in batches.itertuples()]
    shares = _shares([len(m) for m in mine_all], limit)
    out = []
    for b, mine, share in zip(batches.itertuples(), mine_all, shares):
        sentence = (f"{b.batch}项目{b.projects}个，年度计划投资{num(b.annual_plan)}万元，累计完成投资"
                    f"{num(b.cumulative_investment)}万元，完成年度计划的{pct(b.completion)}；")
        sentence += {"竣工完工": f"已竣工{b.completed}个。", "新开工": f"已开工{b.started}个，未开工{b.projects - b.started}个。"
                     }.get(b.batch, f"按序时进度推进{b.on_track}个，滞后{b.projects - b.on_track}个。")
        if share < len(mine):  # lagging first, least complete first
            mine = mine.sort_values(["on_track", "completion"], kind="stable", na_position="first").iloc[:share]
        rows = [{"code": p.project_code, "name": p.project_name, "unit": names.get(p.unit_code, p.unit_code),
                 "annual_plan": num(p.annual_plan), "cumulative": num(p.cumulative_investment),
                 "completion": pct(p.completion), "status": _text(p.status) or "未报送",
                 "progress": _text(p.progress_text) or DASH, "lagging": not bool(p.on_track),
                 "judgement": "正常" if p.on_track else "滞后"} for p in mine.itertuples()]
        out.append({"name": b.batch, "sentence": sentence, "rule": BATCH_RULES.get(b.batch, ""), "rows": rows})
    total_plan, total_cum = batches["annual_plan"].sum(), batches["cumulative_investment"].sum(min_count=1)
    sentence = (f"全区{len(projects)}个重点项目年度计划投资{num(total_plan)}万元，累计完成投资{num(total_cum)}万元，"
                f"完成年度计划的{pct(total_cum / total_plan if total_plan else None)}，"
                f"{int(projects['on_track'].sum())}个按进度推进。")
    left_out = sum(len(m) for m in mine_all) - sum(shares)
    return {"sentence": sentence, "batches": out,
            "more": more_text(left_out, "个项目（各批次先列滞后、完成率低的）", SHEETS["projects"])}


def _behind(rows_all: pd.DataFrame) -> dict[str, list[str]]:
    """Per task, the units not on track (in the metrics' order: lead first)."""
    behind = rows_all.loc[~rows_all["on_track"].astype(bool), ["task_code", "unit_code"]]
    return {code: list(units) for code, units in behind.groupby("task_code", sort=False)["unit_code"]}


def _tasks(metrics: dict, names: dict, short: dict, limit: int) -> dict:
    rows_all, summary = metrics["task_metrics"], metrics["task_summary"]
    behind = _behind(rows_all)
    frame = summary.assign(_ok=[t not in behind for t in summary["task_code"]])
    shown, left_out = _first(frame, limit, ["_ok", "mean_progress_pct"])
    rows = []
    for t in shown.itertuples():
        units = behind.get(t.task_code, [])
        rows.append({"code": t.task_code, "area": t.task_area, "name": t.task_name,
                     "lead": names.get(t.lead_unit, t.lead_unit), "lead_progress": pct_points(t.lead_progress_pct, 0),
                     "mean_progress": pct_points(t.mean_progress_pct), "units": f"{t.units_reported}/{t.units_assigned}",
                     "behind": cap_names([short.get(u, u) for u in units], min(limit, CELL_NAMES)),
                     "lagging": bool(units)})
    time_progress = float(rows_all["time_progress"].iloc[0]) if len(rows_all) else None
    on_track = int(rows_all["on_track"].sum())
    sentence = (f"{len(summary)}项重点任务共涉及{len(rows_all)}个单位责任事项，{on_track}个达到时序进度"
                f"（{pct(time_progress)}），{len(rows_all) - on_track}个滞后。")
    return {"sentence": sentence, "rows": rows,
            "more": more_text(left_out, "项任务（先列有单位滞后、平均进度低的）", SHEETS["tasks"])}


def _ranking_row(r) -> dict:
    return {"rank": str(r.rank), "unit": r.unit_name, "score": num(r.score, 1),
            "on_track": f"{r.items_on_track}/{r.items_assigned}", "share": pct(r.share_on_track),
            "on_time": "是" if r.on_time == 1 else "否", "status": STATUS_LABELS.get(r.status, r.status)}


def _rankings(metrics: dict, weights: dict, limit: int) -> dict:
    scores = metrics["unit_scores"]
    total = sum(weights.values()) or 1
    weights_text = "、".join(f"{WEIGHT_LABELS.get(k, k)}{v / total * 100:.0f}%" for k, v in weights.items() if v)
    kinds = []
    for kind, group in scores.groupby("unit_kind", sort=False):
        count, more = len(group), ""
        if len(group) > limit:  # the top and the bottom of the kind
            top, bottom = (limit + 1) // 2, limit // 2
            middle = group.iloc[top:len(group) - bottom]
            low, high = middle["rank"].iloc[0], middle["rank"].iloc[-1]
            more = more_text(len(middle), "个单位", SHEETS["rankings"],
                             f"（并列第{low}名）" if low == high else f"（名次为第{low}至{high}名）")
            group = pd.concat([group.iloc[:top], group.iloc[len(group) - bottom:]])
        first = group.iloc[0]["unit_name"] if len(group) else ""
        kinds.append({"kind": KIND_LABELS.get(kind, kind), "first": first,
                      "rows": [_ranking_row(r) for r in group.itertuples()], "more": more,
                      "sentence": f"{KIND_LABELS.get(kind, kind)}共{count}个，{first}排名第一。"})
    return {"weights_text": f"综合得分按{weights_text}计算（满分100分），未报送或被退回的单位排在同类末位。",
            "kinds": kinds}


def problems_from_metrics(metrics: dict) -> pd.DataFrame:
    """The 问题清单 in the units' own words: unit_code, item, problem, coordination."""
    projects = metrics["project_metrics"]
    tasks = metrics["task_metrics"]
    frames = [pd.DataFrame({"unit_code": projects["unit_code"], "item": "项目：" + projects["project_name"],
                            "problem": projects["problems"].map(_text),
                            "coordination": projects["coordination"].map(_text)}),
              pd.DataFrame({"unit_code": tasks["unit_code"], "item": "任务：" + tasks["task_name"],
                            "problem": tasks["problems"].map(_text), "coordination": tasks["note"].map(_text)})]
    out = pd.concat(frames, ignore_index=True)
    return out.loc[(out["problem"] != "") | (out["coordination"] != "")].reset_index(drop=True)


def ordered_problems(problems: pd.DataFrame, unit_order: list[str]) -> pd.DataFrame:
    """The 问题清单 in the order of the units' table (units not in it last)."""
    order = {u: i for i, u in enumerate(unit_order)}
    frame = problems.assign(_o=problems["unit_code"].map(order).fillna(len(order)))
    return frame.sort_values(["_o", "unit_code"], kind="stable").drop(columns="_o").reset_index(drop=True)


def _problems(frame: pd.DataFrame, names: dict, limit: int) -> dict:
    rows = [{"no": str(i), "unit": names.get(r.unit_code, r.unit_code), "item": _text(r.item),
             "problem": _text(r.problem) or DASH, "coordination": _text(r.coordination) or DASH}
            for i, r in enumerate(frame.iloc[:limit].itertuples(), start=1)]
    units = frame["unit_code"].nunique()
    sentence = (f"各单位共反映问题和需协调事项{len(frame)}条，涉及{units}个单位，按单位原文列示如下。" if len(frame)
                else "本月各单位未反映需协调解决的问题。")
    return {"sentence": sentence, "rows": rows,
            "more": more_text(len(frame) - len(rows), "条问题和需协调事项", SHEETS["problems"])}


def submission_rows(settings: Settings, status: dict, names: dict) -> list[dict]:
    """Every required unit's submission (unit order), with its latest file's time and its rejection.

    Files are grouped by unit once, so this is linear in units + files.
    """
    files: dict[str, list[dict]] = {}
    for f in status.get("files", []):
        if f.get("outcome") != "duplicate":
            files.setdefault(f.get("unit_code"), []).append(f)
    out = []
    for u in status.get("units", []):
        code = u["unit_code"]
        mine = files.get(code, [])
        current = [f for f in mine if f.get("outcome") in ("accepted", "received")]
        when = (cn_datetime(datetime.fromisoformat(current[-1]["received_at"]).astimezone(settings.tz))
                if current else "")
        bad = [f for f in mine if f.get("outcome") == "rejected"]
        if u["status"] in ("accepted", "received") and u.get("on_time") is False:
            kind, note = "late", f"逾期，{when}报送"
        elif u["status"] == "rejected":
            kind, note = "rejected", "报送文件未通过校验，已退回"
        elif u["status"] == "missing":
            kind, note = "missing", "截至出刊未报送"
        else:
            kind, note = "", ""
        reason = "；".join(str(m) for m in (bad[-1].get("messages") or [])) if bad else ""
        out.append({"unit_code": code, "unit": names.get(code, u.get("unit_name") or code), "status_code": u["status"],
                    "status": STATUS_LABELS.get(u["status"], u["status"]), "received_at": when, "kind": kind,
                    "on_time": {True: "按时", False: "逾期"}.get(u.get("on_time"), DASH), "note": note,
                    "file": bad[-1]["file"] if bad else "", "reason": (reason or "未通过校验") if kind == "rejected" else ""})
    return out


def _submissions(settings: Settings, status: dict, units: list[dict], limit: int) -> dict:
    late = [{"unit": u["unit"], "received_at": u["received_at"]} for u in units if u["kind"] == "late"]
    missing = [{"unit": u["unit"]} for u in units if u["kind"] == "missing"]
    rejected = [{"unit": u["unit"], "file": u["file"], "reason": u["reason"]} for u in units if u["kind"] == "rejected"]
    parts = [f"本期应报单位{len(units)}个。"]
    parts.append(f"逾期报送单位：{cap_names([x['unit'] for x in late], limit)}；" if late else "无逾期报送单位；")
    parts.append(f"未报送单位：{cap_names([x['unit'] for x in missing], limit)}；" if missing else "无未报送单位；")
    parts.append(f"报送文件被退回、尚未更正的单位：{cap_names([x['unit'] for x in rejected], limit)}。" if rejected
                 else "无被退回未更正的单位。")
    deadline = datetime.fromisoformat(status["deadline"]) if status.get("deadline") else None
    shown = units
    if len(units) > limit:  # missing, rejected and late units first
        first = {"missing": 0, "rejected": 1, "late": 2}
        shown = sorted(units, key=lambda u: first.get(u["kind"], 3))[:limit]
    rows = [{"unit_code": u["unit_code"], "unit": u["unit"], "status_code": u["status_code"], "status": u["status"],
             "received_at": u["received_at"] or DASH, "on_time": u["on_time"], "note": u["note"]} for u in shown]
    sheet = SHEETS["submissions"]
    return {"sentence": "".join(parts), "deadline": cn_date(deadline) if deadline else DASH,
            "late": late[:limit], "late_more": more_text(len(late) - limit, "个逾期报送单位", sheet),
            "missing": missing[:limit], "missing_more": more_text(len(missing) - limit, "个未报送单位", sheet),
            "rejected": rejected[:limit], "rejected_more": more_text(len(rejected) - limit, "个被退回单位", sheet),
            "rows": rows, "rows_more": more_text(len(units) - len(rows), "个单位（先列未报送、退回、逾期的）", sheet)}


def build_context(settings: Settings, period: str, reference: Reference, metrics: dict, status: dict,
                  problems: pd.DataFrame | None = None) -> dict:
    """The whole 专报 of `period` as formatted values (see templates/编辑指南.md).

    Every list the document prints holds at most `settings.report_detail_rows` rows (the ones
    that matter most, see each helper) with a `more` line naming what was left out; unit names
    joined in a sentence are capped the same way. `appendix` holds every row, as numbers where
    numeric, for the Excel 附表 written beside the report (tasks/report_appendix.py).

    `problems` (optional): columns unit_code, item, problem, coordination — the 问题清单; by
    default taken from the metrics' project problems/coordination and task problems/notes.
    """

    year, month = period_parts(period)
    limit = max(1, int(settings.report_detail_rows))
    names = dict(zip(reference.units["unit_code"], reference.units["unit_name"]))
    short = dict(zip(reference.units["unit_code"], reference.units["short_name"]))
    h = metrics["headline"]
    if problems is None:
        problems = problems_from_metrics(metrics)
    problems = ordered_problems(problems, list(reference.units["unit_code"]))
    units = submission_rows(settings, status, names)
    return {
        "title": report_title(settings),
        "issue": issue_placeholder(settings),
        "period": {"code": period, "year": str(year), "month": str(month), "label": f"{year}年{month}月",
                   "month_end": f"{month}月底", "time_progress": pct(h["time_progress"])},
        "overview": _overview(h, names, month, limit),
        "indicators": _indicators(metrics, short, limit),
        "chart": _chart(metrics, h["time_progress"], limit),
        "projects": _projects(metrics, names, limit),
        "tasks": _tasks(metrics, names, short, limit),
        "rankings": _rankings(metrics, settings.score_weights, limit),
        "problems": _problems(problems, names, limit),
        "submissions": _submissions(settings, status, units, limit),
        "appendix": appendix_tables(metrics, units, problems, names, short),
    }
