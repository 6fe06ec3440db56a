"""A synthetic province: N units cloned from the demo district, with months of workbooks.

Clone k of demo unit `T01` is `T{k:03d}01` (片区k河坝镇); its projects, tasks and targets are the
demo's, renamed the same way, so every clone owes what its original owes. Workbooks come from
tasks/demo.py (the same layouts as the demo: clean, and every tenth clone messy).

    python -m benchmarks.province --units 1000 --periods 2020-03 2020-04 --home /tmp/province
"""
from __future__ import annotations

import argparse
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from zhuanbao.tasks.core.reference import load_reference
from zhuanbao.tasks.core.resources import DEMO_REFERENCE_DIR
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.demo.figures import generate_month
from zhuanbao.tasks.demo.generate import write_workbook

TZ = ZoneInfo("Asia/Shanghai")


def clone_code(code: str, k: int) -> str:
    return f"{code[0]}{k:03d}{code[1:]}"


def province_reference(n_units: int, home: Path, year: int = 2020) -> Path:
    """Write `<home>/reference/<year>/` for n_units cloned units; returns the folder."""
    demo = {name: pd.read_csv(DEMO_REFERENCE_DIR / str(year) / f"{name}.csv", dtype=str, keep_default_na=False)
            for name in ("units", "indicators", "targets", "projects", "tasks")}
    per_clone = len(demo["units"])
    clones = range((n_units + per_clone - 1) // per_clone)
    parts: dict[str, list[pd.DataFrame]] = {"units": [], "targets": [], "projects": [], "tasks": []}
    for k in clones:
        rename = {c: clone_code(c, k) for c in demo["units"].unit_code}
        parts["units"].append(demo["units"].assign(unit_code=demo["units"].unit_code.map(rename),
                                                   unit_name=f"片区{k}" + demo["units"].unit_name))
        parts["targets"].append(demo["targets"].assign(unit_code=demo["targets"].unit_code.map(rename)))
        parts["projects"].append(demo["projects"].assign(
            project_code=demo["projects"].project_code.map(lambda c, k=k: clone_code(c, k)),
            unit_code=demo["projects"].unit_code.map(rename)))
        parts["tasks"].append(demo["tasks"].assign(
            task_code=demo["tasks"].task_code.map(lambda c, k=k: clone_code(c, k)),
            lead_unit=demo["tasks"].lead_unit.map(rename),
            co_units=demo["tasks"].co_units.map(lambda s, rename=rename: ";".join(rename[u] for u in s.split(";") if u))))
    folder = home / "reference" / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    units = pd.concat(parts["units"]).head(n_units)
    kept = set(units.unit_code)
    tables = {"units": units, "indicators": demo["indicators"],
              "targets": pd.concat(parts["targets"]).query("unit_code in @kept"),
              "projects": pd.concat(parts["projects"]).query("unit_code in @kept"),
              "tasks": pd.concat(parts["tasks"]).query("lead_unit in @kept")}
    tables["tasks"]["co_units"] = tables["tasks"].co_units.map(
        lambda s: ";".join(u for u in s.split(";") if u in kept))
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def _write_chunk(args) -> int:
    home, period, units, rows_by_unit, arrival = args
    reference = load_reference(load_settings(home=Path(home)), int(period[:4]))
    for unit in units:
        path = Path(home) / "inbox" / period / f"{unit}_{period}.xlsx"
        style = "messy" if int(unit[1:4]) % 10 == 9 else "clean"
        write_workbook(path, reference=reference, unit_code=unit, period=period, style=style, **rows_by_unit[unit])
        os.utime(path, (arrival, arrival))
    return len(units)


def province_inbox(home: Path, periods: list[str], *, seed: int = 7, workers: int = 2) -> int:
    """Write every unit's workbook for each period into `<home>/inbox/<period>/`; returns the count."""
    reference = load_reference(load_settings(home=home), int(periods[0][:4]))
    state, written = None, 0
    for period in periods:
        rows, state = generate_month(reference, period, rng_seed=seed, prev_state=state)
        year, month = int(period[:4]), int(period[5:])
        arrival = datetime(year + month // 12, month % 12 + 1, 10, 10, tzinfo=TZ).timestamp()
        units = sorted(rows)
        chunks = [units[i::workers * 4] for i in range(workers * 4)]
        with ProcessPoolExecutor(workers) as pool:
            written += sum(pool.map(_write_chunk, [(str(home), period, c, {u: rows[u] for u in c}, arrival)
                                                   for c in chunks]))
    return written


def build_province(home: Path, n_units: int, periods: list[str], *, fresh: bool = True) -> Path:
    if fresh and home.exists():
        shutil.rmtree(home)
    province_reference(n_units, home, int(periods[0][:4]))
    province_inbox(home, periods)
    return home


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--periods", nargs="+", default=["2020-03", "2020-04"])
    parser.add_argument("--home", type=Path, default=Path("/tmp/zhuanbao-province"))
    args = parser.parse_args()
    build_province(args.home, args.units, args.periods)
    print(f"{args.units} units, {len(args.periods)} months → {args.home}")
