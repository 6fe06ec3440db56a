"""Demo figures: every unit's plausible monthly rows for a period (spec §4), deterministic given a seed.

`generate_month` gives the rows of every unit that owes the period, consistent month to month
(cumulatives grow, task progress never falls); some units lag their targets (about a third), some are on
track, with problems and notes where they lag. The workbooks that carry the rows, and the demo inbox,
are tasks/demo/generate.py's.
"""
from __future__ import annotations

import random

from ..core.periods import period_parts, previous_period
from ..core.reference import Reference

PROJECT_PROBLEMS = [("项目用地指标未落实", "需协调自然资源部门落实用地指标"),
                    ("配套资金到位不足", "需协调财政资金及时拨付"), ("电力线路迁改滞后", "需协调电力迁改"),
                    ("征地拆迁进度慢", "需协调镇村加快征地拆迁"), ("环评手续尚未批复", "需协调加快环评审批")]
TASK_PROBLEMS = {"聚焦园区和企业": ["企业复工复产用工缺口较大", "部分企业融资难问题仍较突出"],
                 "聚焦项目建设和招商引资": ["签约项目落地转化慢", "项目前期工作推进慢"],
                 "": ["督查发现问题整改未到位", "部分任务责任未压实到村组"]}  # by task_area; "" for any other
LAG_NOTES = ["受疫情影响，进度有所滞后", "已制定赶超措施，正在加快推进"]
COUNT_MEASURES = {"家", "个", "人"}


def seeded_random(seed, *parts) -> random.Random:
    """A generator of its own for each (seed, part…): a figure does not change when another is added."""
    return random.Random(":".join(map(str, (seed, *parts))))


def _lagging_units(reference: Reference, seed) -> set[str]:
    """About a third of the units lag; half of those with growth targets, so the report has both."""
    rng, kinds = seeded_random(seed, "lagging"), reference.targets.merge(reference.indicators, on="indicator_code")
    growth = sorted(set(kinds.loc[kinds.target_kind == "growth", "unit_code"]))
    others = sorted(set(reference.units.unit_code) - set(growth))
    return set(rng.sample(growth, k=len(growth) // 2)) | set(rng.sample(others, k=round(len(others) * 0.35)))


def _level(target: float, direction: str, measure: str, m: int, p: random.Random, r: random.Random,
           lag: bool) -> float:
    if target == 0:  # a stock to clear by a deadline month (e.g. poor population)
        start, months = p.randint(150, 300), p.randint(7, 9) if lag else p.randint(4, 6)
        return float(round(start * max(0.0, 1 - m / months)))
    sign = (1 if direction == "higher" else -1) * (-1 if lag else 1)
    value = target * (1 + sign * r.uniform(0.01, 0.1))
    return round(min(value, 100.0) if measure == "%" else value, 1)


def _indicator(ind, target: float, m: int, prev: dict, p: random.Random, r: random.Random, lag: bool) -> dict:
    row = {"indicator_code": ind.indicator_code, "indicator_name": ind.indicator_name, "measure": ind.measure,
           "month_value": None, "cumulative": None, "last_year_cumulative": None, "reported_growth": None,
           "note": p.choice(LAG_NOTES) if lag and p.random() < 0.5 else ""}
    prev_cum, kind = prev.get("cumulative") or 0.0, ind.target_kind
    if kind == "growth":
        growth = min(max(target + (-p.uniform(3, 12) if lag else p.uniform(0.5, 6)), -45.0), 95.0)
        last_year_month = p.uniform(3000, 30000) * r.uniform(0.85, 1.15)
        month = round(last_year_month * (1 + growth / 100) * r.uniform(0.98, 1.02), 1)
        cum = round(prev_cum + month, 1)
        last_year = round((prev.get("last_year_cumulative") or 0.0) + last_year_month, 1)
        row.update(month_value=month, cumulative=cum, last_year_cumulative=last_year,
                   reported_growth=round((cum / last_year - 1) * 100, 1))
    elif kind == "amount":
        pace = p.uniform(0.55, 0.9) if lag else p.uniform(1.0, 1.25)
        if ind.measure in COUNT_MEASURES:
            cum = float(max(prev_cum, int(target * m / 12 * pace + p.random() * 0.5)))
        else:
            cum = round(prev_cum + round(target / 12 * pace * r.uniform(0.85, 1.15), 1), 1)
        row.update(month_value=round(cum - prev_cum, 1), cumulative=cum)
    else:
        row.update(cumulative=_level(target, ind.direction, ind.measure, m, p, r, lag))
    return row


def _project(pr, m: int, prev: dict, p: random.Random, r: random.Random, lag: bool) -> dict:
    plan, prev_cum = float(pr.annual_plan_wan), prev.get("cumulative_investment") or 0.0
    pace, roll, (problem, coordination) = (p.uniform(0.55, 0.85) if lag else p.uniform(1.0, 1.2),
                                           p.random(), p.choice(PROJECT_PROBLEMS))
    half = float(pr.half_year_task) if pr.half_year_task.replace(".", "").isdigit() else plan / 2
    start = p.randint(6, 8) if lag else p.randint(3, 5)
    monthly = {"竣工完工": plan / 6, "复工推进": half / 6}.get(pr.batch, plan / 10 if m >= start else 0.0)
    done = pr.batch == "竣工完工" and prev_cum >= 0.95 * plan
    month = 0.0 if done else max(0.0, round(min(monthly * pace * r.uniform(0.85, 1.15), 1.2 * plan - prev_cum), 1))
    cum = round(prev_cum + month, 1)
    status = "未开工" if cum == 0 else "竣工" if pr.batch == "竣工完工" and cum >= 0.95 * plan else "在建"
    building = "主体施工" if cum < 0.6 * plan else "附属工程施工"
    progress = {"未开工": "前期手续办理中", "竣工": "已完工"}.get(status, building)
    troubled = status != "竣工" and roll < (0.7 if lag else 0.1)
    return {"project_code": pr.project_code, "project_name": pr.project_name, "annual_plan": plan,
            "month_investment": month, "cumulative_investment": cum, "status": status, "progress_text": progress,
            "problems": problem if troubled else "", "coordination": coordination if troubled else ""}


def _task(task, m: int, prev: dict, p: random.Random, r: random.Random, lag: bool) -> dict:
    pace, roll = p.uniform(0.6, 0.9) if lag else p.uniform(1.0, 1.4), p.random()
    problem = p.choice(TASK_PROBLEMS.get(task.task_area, TASK_PROBLEMS[""]))
    pct = float(min(100, max(prev.get("progress_pct") or 0, round(m / 12 * 100 * pace * r.uniform(0.95, 1.05)))))
    troubled = lag and roll < 0.6 and pct < 100
    return {"task_code": task.task_code, "task_name": task.task_name, "progress_pct": pct,
            "progress_text": "已完成" if pct >= 100 else "进度滞后" if lag else "按计划推进",
            "problems": problem if troubled else "",
            "note": "已制定整改措施，正在推进" if troubled and roll < 0.3 else ""}


def generate_month(reference: Reference, period: str, *, rng_seed: int,
                   prev_state: dict | None = None) -> tuple[dict[str, dict[str, list[dict]]], dict]:
    """Rows per unit and form for `period`, and the state the next month builds on.

    Without `prev_state` the months since January are simulated first (same seed, same figures).
    The state is `{"period", "indicators", "projects", "tasks"}`, each form keyed `unit:code`.
    """
    _, m = period_parts(period)
    if m == 1:
        prev_state = {}
    elif prev_state is None:
        prev_state = generate_month(reference, previous_period(period), rng_seed=rng_seed)[1]
    elif prev_state.get("period") != previous_period(period):
        raise ValueError(f"prev_state is for {prev_state.get('period')}, not {previous_period(period)}")
    lagging, due = _lagging_units(reference, rng_seed), reference.assignments(period)
    indicators = reference.indicators.set_index("indicator_code", drop=False)
    tasks = reference.tasks.set_index("task_code", drop=False)
    items = [("indicators", t.unit_code, t.indicator_code, _indicator, indicators.loc[t.indicator_code],
              float(t.target_value)) for t in reference.targets.itertuples()]
    items += [("projects", pr.unit_code, pr.project_code, _project, pr) for pr in reference.projects.itertuples()]
    items += [("tasks", a.unit_code, a.code, _task, tasks.loc[a.code]) for a in due[due.form == "tasks"].itertuples()]
    state: dict = {"period": period, "indicators": {}, "projects": {}, "tasks": {}}
    for form, unit, code, make, *args in items:
        key = f"{unit}:{code}"
        lag = seeded_random(rng_seed, "lag", key).random() < (0.75 if unit in lagging else 0.1)
        prev = prev_state.get(form, {}).get(key, {})
        state[form][key] = make(*args, m, prev, seeded_random(rng_seed, "profile", key), seeded_random(rng_seed, period, key), lag)
    rows_by_unit: dict[str, dict[str, list[dict]]] = {}
    for a in due.itertuples():
        rows_by_unit.setdefault(a.unit_code, {}).setdefault(a.form, []).append(
            dict(state[a.form][f"{a.unit_code}:{a.code}"]))
    return rows_by_unit, state
