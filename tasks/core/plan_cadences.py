"""Reading plan.toml's `[[cadences]]` (district-plan.md, "Cadences"): each one checked, its problems reported with
the key they concern through the plan reader's `problem` (tasks/core/plan_files.py); what a cadence is, is
tasks/core/plan.py's `Cadence`.
"""
from __future__ import annotations

from collections.abc import Callable

from .plan import CADENCE_REPORTS, CADENCE_TABLES, MAX_DEADLINE_DAYS, Cadence

CADENCE_KEYS = ("name", "every", "tables", "deadline_days", "report")
Problem = Callable[[str, int, str | None, str], None]


def read_cadences(data: dict, problem: Problem, unknown: Callable[[str, int, dict], None]) -> tuple[Cadence, ...]:
    """The declared cadences, each `every` at most once; none declared: () (the monthly dispatch alone)."""
    values = data.get("cadences", [])
    if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
        problem("", 0, "cadences", "调度频次应写成 [[cadences]] 表（每个频次一段）")
        return ()
    out: list[Cadence] = []
    for index, item in enumerate(values):
        unknown("cadences", index, item)
        cadence = _cadence(index, item, problem)
        if cadence is not None and any(c.every == cadence.every for c in out):
            problem("cadences", index, "every", f"频次“{cadence.every}”已声明过一次，每种频次只能声明一段")
        elif cadence is not None:
            out.append(cadence)
    return tuple(out)


def _cadence(index: int, item: dict, problem: Problem) -> Cadence | None:
    name, every, tables = item.get("name"), item.get("every"), item.get("tables")
    days, report = item.get("deadline_days", 3), item.get("report", "通报")
    found: list[tuple[str, str]] = []
    if not isinstance(name, str) or not name.strip():
        found.append(("name", "缺少频次名称（如 name = \"项目半月调度\"）"))
    if every not in MAX_DEADLINE_DAYS:
        extra = "；月度调度是默认的，无须声明" if every == "month" else ""
        found.append(("every", f"“{every}”应为 week、two-weeks、half-month 或 quarter 之一{extra}"))
    if not isinstance(tables, list) or not tables or not all(t in CADENCE_TABLES for t in tables):
        found.append(("tables", f"“{tables}”应为 indicators、projects、tasks 中的一个或几个（如 tables = [\"projects\"]）"))
    top = MAX_DEADLINE_DAYS.get(str(every), 27)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= top:
        found.append(("deadline_days", f"“{days}”应为 0 到 {top} 之间的整数（期末后几天截止）"))
    if report not in CADENCE_REPORTS:
        found.append(("report", f"“{report}”应为“通报”或“专报”"))
    for key, message in found:
        problem("cadences", index, key, message)
    if found:
        return None
    return Cadence(str(name).strip(), str(every), tuple(dict.fromkeys(tables or ())), int(days), str(report))
