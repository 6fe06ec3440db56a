"""The 通报 of a sub-monthly period (plan.toml `[[cadences]]` with `report = "通报"`): one or two pages — who
reported on time, late or not at all, the cadence's tables in brief and the lagging items — as HTML and PDF in
`reports/<period>/通报_<period>_第<N>期.{html,pdf,json}`.

It reuses the 专报's machinery: the period's status (tasks/intake/status.py), its metrics (`metrics_*`), the
template environment and fonts (render.py: `<home>/templates/tongbao.html.j2` overrides the packaged one).
`N` counts the cadence's 通报 of the year in period order. The same inputs write nothing new.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..core import catalog
from ..core.periods import cadence_of, chinese_name, parse, period_parts
from ..core.reference import Reference
from ..core.results import json_digest
from ..core.settings import Settings
from ..intake.standing import tally
from .formatting import cn_date, num, pct

TEMPLATE = "tongbao.html.j2"
MAX_ROWS = 12  # lagging items listed in full; the rest are counted (the 通报 stays within two pages)


def _names(reference: Reference, codes: list[str]) -> list[str]:
    return [reference.unit_name(code) for code in codes]


def standing_section(reference: Reference, status: dict) -> dict:
    """Due, on time, late and 未报 (rejected-only units included, as in the 专报) with the units' names."""
    counted = tally(status["units"])
    return {"due": len(counted.required), "on_time": len(counted.on_time), "late": _names(reference, counted.late),
            "missing": _names(reference, counted.unreported)}


def _lagging_projects(metrics: dict, reference: Reference) -> dict:
    frame = metrics.get("project_metrics")
    if frame is None or frame.empty:
        return {"rows": [], "more": 0, "total": {}}
    lagging = frame[~frame.on_track.fillna(False).astype(bool)].sort_values("completion", na_position="first")
    rows = [{"name": r.project_name, "unit": reference.unit_name(r.unit_code), "period": num(r.month_investment, 1),
             "cumulative": num(r.cumulative_investment, 1), "completion": pct(r.completion),
             "note": r.problems or ("未报" if not r.reported else "")} for r in lagging.head(MAX_ROWS).itertuples()]
    total = {"projects": len(frame), "on_track": int(frame.on_track.fillna(False).astype(bool).sum()),
             "period": num(frame.month_investment.sum(), 1), "cumulative": num(frame.cumulative_investment.sum(), 1),
             "completion": pct(frame.cumulative_investment.sum() / frame.annual_plan.sum())
             if frame.annual_plan.sum() else "—"}
    return {"rows": rows, "more": max(0, len(lagging) - MAX_ROWS), "total": total}


def _lagging_indicators(metrics: dict, reference: Reference) -> dict:
    frame = metrics.get("indicator_metrics")
    if frame is None or frame.empty:
        return {"rows": [], "more": 0}
    lagging = frame[frame.lagging.fillna(False).astype(bool)]
    rows = [{"name": r.indicator_name, "unit": r.unit_name, "completion": pct(r.completion),
             "progress": pct(r.time_progress)} for r in lagging.head(MAX_ROWS).itertuples()]
    return {"rows": rows, "more": max(0, len(lagging) - MAX_ROWS)}


def _lagging_tasks(metrics: dict, reference: Reference) -> dict:
    frame = metrics.get("task_metrics")
    if frame is None or frame.empty:
        return {"rows": [], "more": 0}
    lagging = frame[~frame.on_track.fillna(False).astype(bool)]
    rows = [{"name": r.task_name, "unit": reference.unit_name(r.unit_code), "progress": num(r.progress_pct, 0),
             "note": r.problems or ""} for r in lagging.head(MAX_ROWS).itertuples()]
    return {"rows": rows, "more": max(0, len(lagging) - MAX_ROWS)}


def bulletin_context(settings: Settings, period: str, reference: Reference, metrics: dict[str, pd.DataFrame],
                     status: dict) -> dict:
    """Everything the 通报 prints, as plain text and numbers (no issue number: `publish_bulletin` adds it)."""
    cadence = reference.plan.cadence(cadence_of(period))
    tables = cadence.tables if cadence else ()
    start, end = (span := parse(period)).start, span.end
    return {"title": f"{cadence.name if cadence else ''}通报", "masthead": reference.plan.title,
            "issuer": reference.plan.issuer, "period": {"label": period, "name": chinese_name(period),
                                                        "span": f"{cn_date(start)}至{cn_date(end)}"},
            "deadline": cn_date(settings.deadline(period)), "tables": list(tables),
            "standing": standing_section(reference, status),
            "projects": _lagging_projects(metrics, reference) if "projects" in tables else None,
            "indicators": _lagging_indicators(metrics, reference) if "indicators" in tables else None,
            "tasks": _lagging_tasks(metrics, reference) if "tasks" in tables else None}


def bulletin_paths(settings: Settings, period: str, number: int) -> dict[str, Path]:
    stem = settings.reports_dir(period) / f"通报_{period}_第{number}期"
    return {fmt: stem.with_name(f"{stem.name}.{fmt}") for fmt in ("html", "pdf", "json")}


def bulletin_number(settings: Settings, period: str) -> int:
    """The 通报's number: its place among the periods of its cadence and year that have one (itself included)."""
    cadence, year = cadence_of(period), period_parts(period)[0]
    folders = {p.name for p in catalog.reports_root(settings.home).glob(f"{year}-*")
               if any(p.glob("通报_*.json")) and _same(p.name, cadence)}
    return sorted(folders | {period}).index(period) + 1


def _same(label: str, cadence: str) -> bool:
    try:
        return cadence_of(label) == cadence
    except ValueError:
        return False


def publish_bulletin(settings: Settings, period: str, context: dict, issued_at: datetime | str | None = None) -> dict:
    """Write the period's 通报 (HTML, PDF and its context .json); nothing new when the inputs are unchanged."""
    from .render import render_html, write_pdf

    digest = json_digest(context)
    folder = settings.reports_dir(period)
    existing = sorted(folder.glob("通报_*.json")) if folder.exists() else []
    number = int(existing[-1].stem.split("_第")[1].rstrip("期")) if existing else bulletin_number(settings, period)
    paths = bulletin_paths(settings, period, number)
    if existing and json.loads(existing[-1].read_text("utf-8")).get("inputs_digest") == digest \
            and all(p.exists() for p in paths.values()):
        return {"created": False, "document": "通报", "issue_no": number, **{k: str(v) for k, v in paths.items()}}
    moment = datetime.fromisoformat(issued_at) if isinstance(issued_at, str) else issued_at or datetime.now(settings.tz)
    full = {**context, "issue": {"no": number, "label": f"第{number}期", "date": cn_date(moment)}}
    folder.mkdir(parents=True, exist_ok=True)
    html = render_html(full, template=TEMPLATE, home=settings.home, png=b"")
    paths["html"].write_text(html, encoding="utf-8")
    write_pdf(html, paths["pdf"], home=settings.home)
    paths["json"].write_text(json.dumps({**full, "inputs_digest": digest}, ensure_ascii=False, indent=1), "utf-8")
    return {"created": True, "document": "通报", "issue_no": number, **{k: str(v) for k, v in paths.items()}}
