"""Rerun after a few late files vs a full rebuild of the same period, in one warm process.

Two identical homes get the demo district's 2020-03 and 2020-04 (optionally every unit resubmits
its 2020-04 workbook `--versions` times, to make reading heavier), run 2020-03 and 2020-04 as of the
16th, then rerun 2020-04 after the late files arrive: home A with its read cache (what `zhuanbao
rerun` does), home B with the cache emptied first (a full rebuild). Also times the read step alone.

    python benchmarks/rerun_vs_full.py [--versions 3]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def prepare(home: Path, versions: int) -> None:
    """The demo home; with versions > 1, each unit resubmits its 2020-04 workbook (same figures) before the 15th."""
    from zhuanbao.tasks.core.reference import load_reference
    from zhuanbao.tasks.core.settings import load_settings
    from zhuanbao.tasks.demo.figures import generate_month
    from zhuanbao.tasks.demo.generate import write_workbook
    from zhuanbao.tasks.demo.scenario import prepare_demo_home

    prepare_demo_home(home)
    if versions <= 1:
        return
    reference = load_reference(load_settings(home=home), 2020)
    inbox = home / "inbox" / "2020-04"
    rows_by_unit, _ = generate_month(reference, "2020-04", rng_seed=2020,
                                     prev_state=generate_month(reference, "2020-03", rng_seed=2020)[1])
    for unit, rows in rows_by_unit.items():
        if unit in {"T04", "T05", "D02"}:
            continue
        for v in range(2, versions + 1):
            when = datetime(2020, 5, 14, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")) + timedelta(minutes=v)
            path = write_workbook(inbox / f"{unit}_2020-04_v{v}.xlsx", reference=reference, unit_code=unit,
                                  period="2020-04", reported_on=when, **rows)
            os.utime(path, (when.timestamp(), when.timestamp()))


def timed(label: str, fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    seconds = time.perf_counter() - start
    print(f"  {label:<46} {seconds:6.2f} s")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--versions", type=int, default=1, help="2020-04 workbooks per unit (resubmissions)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="zb_bench_"))
    os.environ["PREFECT_HOME"] = str(root / ".prefect")
    from zhuanbao.flows.prefect_env import prepare_prefect

    prepare_prefect(root)
    from zhuanbao.flows.monthly import monthly_consolidation
    from zhuanbao.tasks import steps
    from zhuanbao.tasks.core.settings import load_settings

    homes = {"A": root / "A", "B": root / "B"}
    for home in homes.values():
        prepare(home, args.versions)
    print(f"homes under {root}; 2020-04 inbox: {len(list((homes['A'] / 'inbox' / '2020-04').iterdir()))} files")
    for name, home in homes.items():
        os.environ["ZHUANBAO_HOME"] = str(home)
        print(f"home {name}: scheduled runs")
        timed("2020-03 as of 04-16 (warm-up)", monthly_consolidation, "2020-03", "2020-04-16T09:00:00+08:00")
        timed("2020-04 as of 05-16 (scheduled run)", monthly_consolidation, "2020-04", "2020-05-16T09:00:00+08:00")
    results = {}
    for name, label in (("B", "full rebuild (read cache emptied)"), ("A", "rerun after late files (cached reads)")):
        home = homes[name]
        os.environ["ZHUANBAO_HOME"] = str(home)
        if name == "B":
            shutil.rmtree(home / "cache", ignore_errors=True)
        print(f"home {name}:")
        _, results[name] = timed(label, monthly_consolidation, "2020-04", None, "北洲子镇逾期报送，补录后修订")
    settings = load_settings(home=homes["A"])
    ctx = steps.RunContext(settings, "2020-04", steps.reference_for(settings, "2020-04"), run_id=0)
    shutil.rmtree(homes["A"] / "cache", ignore_errors=True)
    _, cold = timed("read step alone, cold cache", steps.read, ctx)
    _, warm = timed("read step alone, warm cache", steps.read, ctx)
    print(f"rerun / full rebuild = {results['A'] / results['B']:.2f}  ({results['A']:.2f} s vs {results['B']:.2f} s)")
    print(f"read step warm / cold = {warm / cold:.2f}  ({warm:.2f} s vs {cold:.2f} s)")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
