"""The report context: every figure and sentence of the 专报 (spec §9), formatted, as plain JSON.

`build_context` turns the metrics of a period (tasks/metrics/compute.py) and its status
(tasks/intake/status.py) into a dict of strings, lists and booleans, one module per section:
issue (masthead, 版记), overview (一、the plan's milestone first), indicators (二、and the chart), projects
(三、), tasks (四、), rankings (五、), problems (六、and the unexplained soft flags), submissions (七、).
Templates only loop over it and test its booleans; tasks/report/catalogue.py documents every key.
Text the units typed is kept verbatim here and escaped by the renderers, never interpreted.

A province has thousands of units, a leader's 专报 a few pages: every printed list holds at most
`settings.report_detail_rows` rows, chosen in each section (the rows that matter most), with a
`more` sentence naming what was left out; `appendix` carries every row for the Excel 附表.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from ...core.periods import period_parts
from ...core.reference import Reference
from ...core.settings import Settings
from ..appendix import appendix_tables
from ..formatting import pct
from .indicators import chart, indicators, loose_targets
from .issue import issue_fields, issue_placeholder, report_moment, report_title
from .kept import Sections
from .overview import overview
from .printed import printed_snapshot
from .problems import (
    ordered_problems,
    problems_from_metrics,
    unexplained_flags,
)
from .problems import problems as problems_section
from .projects import projects
from .rankings import rankings
from .submissions import submission_rows, submissions
from .summary import summary
from .tasks import by_leader, tasks

TASK_TABLES = ("task_metrics", "task_summary")
__all__ = ["build_context", "issue_fields", "issue_placeholder", "problems_from_metrics", "report_moment",
           "report_title", "submission_rows"]


def build_context(settings: Settings, period: str, reference: Reference, metrics: dict, status: dict,
                  problems: pd.DataFrame | None = None, *, as_of: datetime | str | None = None,
                  kept: Path | None = None) -> dict:
    """The whole 专报 of `period` as formatted values (see templates/编辑指南.md).

    `problems` (optional): columns unit_code, item, problem, coordination — the 问题清单;
    by default the metrics' project problems/coordination and task problems/notes.
    `metrics["flags"]` (optional): the period's soft flags (curated/flags) for the 待说明 list.
    `as_of`: the run's moment (reporting "截至…", the issue date); default: the period's latest arrival.
    `kept` (`catalog.report_sections`, the run's 专报 step): sections whose inputs are those of a context built
    before are read back from there (tasks/report/context/kept.py).
    """
    year, month = period_parts(period)
    limit = max(1, int(settings.report_detail_rows))
    names = dict(zip(reference.units["unit_code"], reference.units["unit_name"]))
    short = dict(zip(reference.units["unit_code"], reference.units["short_name"]))
    moment = report_moment(settings, status, as_of)
    h = metrics["headline"]
    if problems is None:
        problems = problems_from_metrics(metrics)
    problems = ordered_problems(problems, list(reference.units["unit_code"]))
    units = submission_rows(settings, status, names)
    kept = Sections(kept)
    sections = {
        "title": report_title(settings, reference.plan),
        "issue": issue_placeholder(settings, period, moment, reference.plan),
        "period": {"code": period, "year": str(year), "month": str(month), "label": f"{year}年{month}月",
                   "month_end": f"{month}月底", "time_progress": pct(h["time_progress"])},
        "overview": overview(metrics, names, short, month, limit, moment, reference.plan, year),
        "indicators": kept.build("indicators", indicators, metrics, ("district_totals", "indicator_metrics"), short,
                                 limit, loose_targets(reference.targets)),
        "chart": kept.build("chart", chart, metrics, ("district_totals", "task_summary"), h["time_progress"], limit),
        "projects": kept.build("projects", projects, metrics, ("project_metrics", "batch_summary"), names, limit),
        "tasks": {**kept.build("tasks", tasks, metrics, TASK_TABLES, names, short, limit, reference.task_leads,
                               reference.task_leaders, list(reference.tasks["task_area"])),
                  "by_leader": kept.build("by_leader", by_leader, metrics, TASK_TABLES, reference.task_leaders, limit)
                  if reference.plan and reference.plan.by_leader else []},
        "rankings": kept.build("rankings", rankings, metrics, ("unit_scores",), settings.score_weights, limit,
                               reference.kinds),
        "problems": problems_section(problems, names, limit),
        "flags": unexplained_flags(metrics.get("flags"), names, reference.item_names, limit),
        "submissions": submissions(settings, status, units, limit),
        "appendix": appendix_tables(metrics, units, problems, names, short, reference.kinds),
        "revision_data": printed_snapshot(metrics, status),  # facts as printed, a later 修订说明 compares (revisions.py)
    }
    laid_out = {**sections, **layout(sections)}
    laid_out["overview"]["summary"] = summary(laid_out, metrics)  # page 1: needs the table and section numbers
    return laid_out


def layout(context: dict) -> dict:
    """What the 专报 prints and how it numbers it: `present` (a section, table, chart or 附表 with nothing in it
    is left out) and `numbers` (一、二、… 表1、表2 … 附表1 … closing up over what is left out)."""
    present = {"indicators": bool(context["indicators"]["rows"]), "chart": bool(context["chart"]["items"]),
               "projects": bool(context["projects"]["batches"]), "tasks": bool(context["tasks"]["rows"]),
               "by_leader": bool(context["tasks"]["by_leader"]),
               "rankings": bool(context["rankings"]["kinds"]), "problems_table": bool(context["problems"]["rows"]),
               "flags_table": bool(context["flags"]["rows"]),
               "appendix_indicators": bool(context["indicators"]["by_unit"]),
               "appendix_projects": any(b["rows"] for b in context["projects"]["batches"]),
               "appendix_submissions": bool(context["submissions"]["rows"])}
    numbers: dict[str, str] = {}
    for group, names in (("", ("overview", "indicators", "projects", "tasks", "rankings", "problems", "submissions")),
                         ("table_", ("indicators", "tasks", "problems", "flags")),
                         ("appendix_", ("indicators", "projects", "submissions"))):
        n = 0
        for name in names:
            shown = present.get(f"{name}_table" if group == "table_" and name in ("problems", "flags") else
                                f"{group}{name}" if group == "appendix_" else name, True)
            n += bool(shown)
            numbers[group + name] = str(n) if shown else ""
    return {"present": present, "numbers": numbers}
