"""The demo's half-month project dispatch (plan.toml's `[[cadences]]` 项目半月调度): each project unit's
workbooks for the two halves of a month, consistent with the month's figures (tasks/demo/figures.py).

The second half ends where the month ends (its cumulative is the month's); the first half carries about half the
month's investment. In the demo's May: H1 every project unit on time except T03 (千山红镇), late (08:00 on the
morning of the run); H2 on time except D09, which never reports (a 未报 in the 通报).
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta

from ..core import catalog
from ..core.periods import period_deadline, period_end, periods_in
from ..core.reference import Reference
from .figures import generate_month, seeded_random
from .generate import TZ, write_workbook

HALF_SCENARIO = {("H1", "T03"): "late", ("H2", "D09"): "missing"}


def half_month_rows(reference: Reference, month: str, seed: int) -> dict[str, dict[str, list[dict]]]:
    """{label: {unit: project rows}} for the two halves of `month`."""
    rows_by_unit, _ = generate_month(reference, month, rng_seed=seed)
    first, second = periods_in(month, "half-month")
    out: dict[str, dict[str, list[dict]]] = {first: {}, second: {}}
    for unit, forms in rows_by_unit.items():
        for row in forms.get("projects", []):
            share = round(row["month_investment"] * seeded_random(seed, "half", unit, row["project_code"]).uniform(0.4, 0.6), 1)
            early = {**row, "month_investment": share, "cumulative_investment": round(row["cumulative_investment"]
                                                                                      - row["month_investment"] + share, 1)}
            late = {**row, "month_investment": round(row["month_investment"] - share, 1)}
            out[first].setdefault(unit, []).append(early)
            out[second].setdefault(unit, []).append(late)
    return out


def build_half_month_inbox(home, reference: Reference, month: str, seed: int = 2020) -> list[dict]:
    """Write the halves of `month` into `<home>/inbox/<label>/` (arrival times as mtimes); the manifest."""
    manifest, cadence = [], reference.plan.cadence("half-month")
    for label, units in half_month_rows(reference, month, seed).items():
        half = label[-2:]
        closing = period_deadline(label, cadence.deadline_days if cadence else 3, TZ)
        for unit, rows in units.items():
            kind = HALF_SCENARIO.get((half, unit), "ok")
            if kind == "missing":
                continue
            r = seeded_random(seed, "arrival", label, unit)
            day = period_end(label) + timedelta(days=r.randint(1, 3) if kind == "ok" else 4)
            arrival = min(datetime(day.year, day.month, day.day, r.choice([9, 10, 15, 16]), r.randint(0, 59), tzinfo=TZ),
                          closing) if kind == "ok" else datetime(day.year, day.month, day.day, 8, 0, tzinfo=TZ)
            name = f"{unit}_{label}.xlsx"
            path = write_workbook(catalog.inbox_dir(home, label) / name, reference=reference, unit_code=unit,
                                  period=label, projects=rows, reported_on=arrival)
            os.utime(path, (arrival.timestamp(), arrival.timestamp()))
            manifest.append({"period": label, "unit_code": unit, "file": name, "arrival": arrival.isoformat(), "kind": kind})
    return manifest
