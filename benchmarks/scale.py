"""Province scale: per-file cost against the I/O floor, cold start, rerun, peak memory (issue 7).

For each N (default 100 and 10,000 units cloned from the demo district, two months of
workbooks), in the same run:
  (a) the I/O floor — read every workbook of the month with python-calamine, write one parquet;
  (b) the full monthly flow on the same files (a fresh process: Prefect's start is included);
  (c) a rerun of the month after 1 % of units send late, corrected files.
Month 1 (2020-03) is run first, untimed, so month 2 (2020-04) has last month's data like a real run.
Prints one `key=value` line per figure (a stable format) and the summary ratios:
  marginal = (b_N2 − b_N1) / (a_N2 − a_N1), fixed = b_N1, rerun = c/b at N2, peak RSS.

    python -m benchmarks.scale                 # N = 100 and 10,000 (≈ 25 min on 2 cores)
    python -m benchmarks.scale --sizes 100 1000
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from benchmarks.province import build_province

ROOT = Path(__file__).resolve().parent.parent
PERIOD, BEFORE = "2020-04", "2020-03"


def io_floor(home: Path, period: str) -> float:
    """Seconds to read every workbook of the month with calamine and write one parquet, no checks."""
    code = f"""
import time, pyarrow as pa, pyarrow.parquet as pq
from pathlib import Path
from python_calamine import CalamineWorkbook
t0 = time.perf_counter()
files, sheets, rows, cells = [], [], [], []
for path in sorted(Path({str(home / 'inbox' / period)!r}).iterdir()):
    book = CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        for index, row in enumerate(book.get_sheet_by_name(name).to_python()):
            files.append(path.name); sheets.append(name); rows.append(index + 1)
            cells.append([str(c) for c in row])
pq.write_table(pa.table({{"file": files, "sheet": sheets, "row": rows, "cells": cells}}), {str(home / 'floor.parquet')!r})
print(time.perf_counter() - t0)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def flow_run(home: Path, period: str, *, reason: str | None = None, as_of: str | None = None) -> dict:
    """Run the monthly flow in a fresh process; wall seconds, the flow's own seconds and its peak RSS."""
    args = {"period": period, "reason": reason, "as_of": as_of}
    code = f"""
import json, resource, time
t0 = time.perf_counter()
from zhuanbao.flows.prefect_env import prepare_prefect
from zhuanbao.tasks.core.settings import load_settings
prepare_prefect(load_settings().home)
from zhuanbao.flows.monthly import flow_for
t1 = time.perf_counter()
summary = flow_for()(**{args!r})  # what `zhuanbao run` calls
t2 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "flow_s": t2 - t1, "files": summary.get("files"),
                  "self_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
    env = {**os.environ, "ZHUANBAO_HOME": str(home), "PREFECT_HOME": str(home / ".prefect"),
           "PREFECT_LOGGING_LEVEL": "WARNING"}
    env.pop("PREFECT_API_URL", None)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    wall = time.perf_counter() - t0
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {**result, "wall_s": wall}


def send_late_files(home: Path, share: float = 0.01) -> int:
    """1 % of units send a corrected workbook after the deadline (same figures, another note)."""

    inbox = home / "inbox" / PERIOD
    files = sorted(inbox.glob("*.xlsx"))
    late = files[:: max(1, round(1 / share))]
    arrival = time.mktime((2020, 5, 20, 10, 0, 0, 0, 0, -1))
    for path in late:
        from openpyxl import load_workbook

        book = load_workbook(path)
        sheet = book.worksheets[-1]
        sheet.cell(row=sheet.max_row + 1, column=1, value="更正：补充说明")
        target = path.with_name(f"{path.stem}_更正.xlsx")
        book.save(target)
        os.utime(target, (arrival, arrival))
    return len(late)


def measure(n_units: int, root: Path, keep: bool) -> dict:
    home = root / f"n{n_units}"
    if not (keep and (home / "inbox" / PERIOD).is_dir()):
        build_province(home, n_units, [BEFORE, PERIOD])
    for stale in ("zhuanbao.sqlite", "curated", "raw", "reports", "cache", ".prefect", "locks"):
        target = home / stale
        if target.is_dir():
            import shutil

            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    for late in (home / "inbox" / PERIOD).glob("*_更正.xlsx"):
        late.unlink()
    figures = {"n": n_units}
    figures["a_s"] = io_floor(home, PERIOD)
    flow_run(home, BEFORE, as_of="2020-04-16T09:00:00+08:00")  # last month, untimed
    full = flow_run(home, PERIOD, as_of="2020-05-16T09:00:00+08:00")
    figures.update({"b_s": full["wall_s"], "b_flow_s": full["flow_s"], "b_import_s": full["import_s"],
                    "files": full["files"]})
    figures["late_files"] = send_late_files(home)
    rerun = flow_run(home, PERIOD, reason="1% 单位逾期更正")
    figures.update({"c_s": rerun["wall_s"], "c_flow_s": rerun["flow_s"]})
    import resource

    figures["peak_rss_mb"] = max(full["self_rss_mb"], rerun["self_rss_mb"],
                                 resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[100, 10_000])
    parser.add_argument("--root", type=Path, default=Path("/tmp/zhuanbao-scale"))
    parser.add_argument("--keep", action="store_true", help="reuse generated workbooks")
    args = parser.parse_args()
    print(f"date={date.today()} machine={platform.machine()} cores={os.cpu_count()} python={platform.python_version()}")
    small, large = (measure(n, args.root, args.keep) for n in args.sizes)
    for figures in (small, large):
        print(" ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()))
    marginal = (large["b_s"] - small["b_s"]) / (large["a_s"] - small["a_s"])
    print(f"marginal_ratio={marginal:.2f} fixed_cost_s={small['b_s']:.2f} "
          f"rerun_ratio={large['c_s'] / large['b_s']:.3f} peak_rss_mb={max(small['peak_rss_mb'], large['peak_rss_mb']):.0f}")


if __name__ == "__main__":
    main()
