"""Province scale (issues 14, 28): per-file cost against the I/O floor, cold start, reruns, peak memory.

For each N (default 100 and 3,000 units cloned from the demo district; `--big` adds 10,000), two months
of workbooks, April after March in a fresh home with no server running, in the same run on the same files:
  floor     — python-calamine reading April's workbooks plus one parquet write, best of three, timed
              inside the reader (no checks);
  full      — the monthly flow as `zhuanbao run --period 2020-04` runs it (a fresh process), after March
              was run (untimed; that first command starts the server the CLI keeps, with the warm checker);
  nochange  — the same run again with nothing new (a scheduled rerun on a quiet day);
  late      — a rerun after 1 % of units sent a corrected file late;
  profile   — the late rerun again with `--from-scratch` under pyinstrument (when installed): its largest costs.
For the smallest N also, `zhuanbao run --period 2020-04` itself (wall and CPU seconds), April after March in a
fresh home: `cold_no_server` with nothing kept (ZHUANBAO_SERVER_IDLE_MINUTES=0, as before issue 28: its own
temporary server, GX in process); `cold_server` against the server, warm checker and warm runner kept since
March's command; `cold_server_no_runner` the same with ZHUANBAO_WARM_RUNNER=0.

Printed (one `key=value` line per size, then the summary under issue 28's definitions):
  marginal_<N1>_<N2> = (full_N2 − full_N1) / (floor_N2 − floor_N1)              target ≤ 2
  cold_no_server_s   = the whole April run at the smallest N, nothing running        ≤ 10
  cold_server_s      = the same run against a running (kept) server                  ≤ 3
  late_share_<N>     = (late − nochange) / (full − nochange)                          ≤ 0.10 at N = 3,000
  peak_rss_mb        = the largest resident set of any run (the warm checker's own apart) ≤ 2048

    python -m benchmarks.scale                          # N = 100 and 3,000 (add --big for 10,000)
    python -m benchmarks.scale --sizes 100 1000 --keep  # reuse the generated workbooks
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import date
from itertools import pairwise
from pathlib import Path

from benchmarks.cold import cold_no_server, cold_server
from benchmarks.province import build_province

ROOT = Path(__file__).resolve().parent.parent
PERIOD, BEFORE = "2020-04", "2020-03"
STALE = ("zhuanbao.sqlite", "curated", "raw", "reports", "cache", ".prefect", "locks", "outbox", "floor.parquet")


def io_floor(home: Path, period: str) -> float:
    """Seconds to read every workbook of the month with calamine and write one parquet, no checks (best of 3)."""
    code = f"""
import time, pyarrow as pa, pyarrow.parquet as pq
from pathlib import Path
from python_calamine import CalamineWorkbook
t0 = time.perf_counter()
files, sheets, rows, cells = [], [], [], []
for path in sorted(Path({str(home / 'inbox' / period)!r}).glob("*.xlsx")):
    book = CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        for index, row in enumerate(book.get_sheet_by_name(name).to_python()):
            files.append(path.name); sheets.append(name); rows.append(index + 1)
            cells.append([str(c) for c in row])
pq.write_table(pa.table({{"file": files, "sheet": sheets, "row": rows, "cells": cells}}), {str(home / 'floor.parquet')!r})
print(time.perf_counter() - t0)
"""
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            for _ in range(3)]
    return min(float(out.stdout.strip().splitlines()[-1]) for out in runs)  # best of three


RUN = """
import json, resource, sys, time
t0 = time.perf_counter()
from zhuanbao.flows.prefect_env import prepare_prefect
from zhuanbao.tasks.core.settings import load_settings
args = json.loads(sys.argv[1])
keep = args.pop("keep")
prepare_prefect(load_settings().home, start_server=True, keep_minutes=keep)  # as `zhuanbao run`
from zhuanbao.flows.monthly import flow_for
profile = args.pop("profile")
if profile:
    from pyinstrument import Profiler
    profiler = Profiler(interval=0.005)
    profiler.start()
summary = flow_for()(**args)  # what `zhuanbao run` calls
if profile:
    profiler.stop()
    from benchmarks.scale import top_costs
    from benchmarks.scale import step_costs
    root = profiler.last_session.root_frame()
    print("PROFILE " + json.dumps({"steps": step_costs(root), "own": top_costs(root)}), flush=True)
print(json.dumps({"files": summary.get("files"), "checked_now": summary.get("checked_now"),
                  "rss_mb": max(resource.getrusage(who).ru_maxrss for who in
                                (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024,
                  "inside_s": time.perf_counter() - t0}))
"""


def flow_run(home: Path, period: str, *, reason: str | None = None, as_of: str | None = None,
             from_scratch: bool = False, profile: bool = False, keep: float = 30) -> dict:
    """Run the monthly flow in a fresh process, as `zhuanbao run` does; its wall seconds and peak RSS.
    `keep`: ZHUANBAO_SERVER_IDLE_MINUTES (0: a temporary server of its own, GX in its process)."""
    args = {"period": period, "reason": reason, "as_of": as_of, "from_scratch": from_scratch, "profile": profile,
            "keep": keep}
    env = {**os.environ, "ZHUANBAO_HOME": str(home), "PREFECT_HOME": str(home / ".prefect"),
           "PREFECT_LOGGING_LEVEL": "WARNING"}
    env.pop("PREFECT_API_URL", None)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", RUN, json.dumps(args)], capture_output=True, text=True, env=env,
                         cwd=ROOT, check=False)
    wall = time.perf_counter() - t0
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    lines = out.stdout.strip().splitlines()
    result = {**json.loads(lines[-1]), "wall_s": wall}
    for line in lines:
        if line.startswith("PROFILE "):
            result["profile"] = json.loads(line.removeprefix("PROFILE "))
    return result


def top_costs(root, count: int = 10) -> list[tuple[str, float]]:
    """The functions with the most time spent in their own code (pyinstrument frames, summed by function)."""
    own: dict[str, float] = {}
    stack = [root]
    while stack:
        frame = stack.pop()
        where = f"{frame.function} ({Path(frame.file_path or '?').name}:{frame.line_no})"
        for child in frame.children:
            if child.function and child.function.startswith("["):  # pyinstrument's [self]/[await] time of `frame`
                own[where] = own.get(where, 0.0) + child.time
            else:
                stack.append(child)
    return sorted(own.items(), key=lambda item: -item[1])[:count]


STEPS = ("collect", "read", "check", "consolidate", "period_status", "metrics", "report")


def step_costs(root) -> list[tuple[str, float]]:
    """Wall seconds inside each monthly step (tasks/steps.py), as the profiler saw them."""
    spent: dict[str, float] = {}
    stack = [root]
    while stack:
        frame = stack.pop()
        if frame.function in STEPS and (frame.file_path or "").endswith("steps.py"):
            spent[frame.function] = spent.get(frame.function, 0.0) + frame.time
            continue
        stack.extend(frame.children)
    return [(name, spent.get(name, 0.0)) for name in STEPS]


def send_late_files(home: Path, share: float = 0.01) -> int:
    """1 % of units send a corrected workbook after the deadline (same figures, a note added)."""
    from openpyxl import load_workbook

    inbox = home / "inbox" / PERIOD
    files = sorted(inbox.glob("*.xlsx"))
    late = files[:: max(1, round(1 / share))]
    arrival = time.mktime((2020, 5, 20, 10, 0, 0, 0, 0, -1))
    for path in late:
        book = load_workbook(path)
        sheet = book.worksheets[-1]
        sheet.cell(row=sheet.max_row + 1, column=1, value="更正：补充说明")
        target = path.with_name(f"{path.stem}_更正.xlsx")
        book.save(target)
        os.utime(target, (arrival, arrival))
    return len(late)


def clean(home: Path) -> None:
    """A fresh home: no kept server or warm checker, no results (the generated workbooks stay)."""
    from zhuanbao.flows.kept_server import stop

    stop(home)
    for name in STALE:
        target = home / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    for late in (home / "inbox" / PERIOD).glob("*_更正.xlsx"):
        late.unlink()


def measure(n_units: int, root: Path, keep: bool, profile: bool) -> dict:
    home = root / f"n{n_units}"
    if not (keep and (home / "inbox" / PERIOD).is_dir()):
        build_province(home, n_units, [BEFORE, PERIOD])
    clean(home)
    figures: dict = {"n": n_units}
    figures["floor_s"] = io_floor(home, PERIOD)
    flow_run(home, BEFORE, as_of="2020-04-16T09:00:00+08:00")  # last month, untimed: starts the kept server
    from zhuanbao.tasks.checks.warm import wait_ready

    figures["checker_ready"] = wait_ready(home, timeout=300)  # the office's second command of the day
    full = flow_run(home, PERIOD, as_of="2020-05-16T09:00:00+08:00")
    nochange = flow_run(home, PERIOD, as_of="2020-05-16T09:00:00+08:00")
    figures.update(files=full["files"], full_s=full["wall_s"], nochange_s=nochange["wall_s"],
                   nochange_checked=nochange["checked_now"])
    figures["late_files"] = send_late_files(home)
    late = flow_run(home, PERIOD, reason="1% 单位逾期更正")
    figures.update(late_s=late["wall_s"], late_checked=late["checked_now"])
    rss = [full["rss_mb"], nochange["rss_mb"], late["rss_mb"]]
    if profile:
        profiled = flow_run(home, PERIOD, reason="1% 单位逾期更正", from_scratch=True, profile=True)
        figures["profile_s"] = profiled["wall_s"]
        figures["profile"] = profiled["profile"]
    figures["peak_rss_mb"] = max(rss)
    figures["checker_rss_mb"] = checker_rss(home)
    clean(home)
    return figures


def checker_rss(home: Path) -> float:
    """Resident MiB of the home's warm checker (a process of its own, not in the runs' figure)."""
    from zhuanbao.tasks.checks.warm import ping

    state = ping(home)
    try:
        status = Path(f"/proc/{state['pid']}/status").read_text() if state else ""
    except OSError:
        return 0.0
    kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
    return kb / 1024


def print_profile(figures: dict) -> None:
    profile = figures["profile"]
    print(f"profile of a from-scratch run at n={figures['n']} ({figures['profile_s']:.1f} s wall with the profiler)")
    print("  steps (wall, in the flow's process; reading happens in forked children, seen here as waiting):")
    for name, seconds in profile["steps"]:
        print(f"  {seconds:7.2f} s  {name}")
    print("  the ten largest costs (own time by function):")
    for where, seconds in profile["own"]:
        print(f"  {seconds:7.2f} s  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 3_000])
    parser.add_argument("--big", action="store_true", help="also N = 10,000 (≈ 20 min more on 2 cores)")
    parser.add_argument("--root", type=Path, default=Path("/tmp/zhuanbao-scale"))
    parser.add_argument("--keep", action="store_true", help="reuse generated workbooks")
    parser.add_argument("--no-profile", action="store_true", help="skip the profiled run")
    args = parser.parse_args()
    print(f"date={date.today()} machine={platform.machine()} cores={os.cpu_count()} python={platform.python_version()}",
          flush=True)
    sizes = sorted(set(args.sizes) | ({10_000} if args.big else set()))
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        args.no_profile = True
    results = []
    for n in sizes:
        figures = measure(n, args.root, args.keep, profile=not args.no_profile and n == sizes[-1])
        results.append(figures)
        print(" ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()
                       if k != "profile"), flush=True)
    smallest, largest = results[0], results[-1]
    cold = cold_no_server(smallest["n"], args.root)
    kept = cold_server(smallest["n"], args.root)
    unwarmed = cold_server(smallest["n"], args.root, ZHUANBAO_WARM_RUNNER="0")
    print(f"n={smallest['n']} cold_no_server_s={cold['wall_s']:.2f} (cpu {cold['cpu_s']:.2f}) "
          f"cold_server_s={kept['wall_s']:.2f} (cpu {kept['cpu_s']:.2f}) "
          f"cold_server_no_runner_s={unwarmed['wall_s']:.2f} (cpu {unwarmed['cpu_s']:.2f})", flush=True)
    if "profile" in largest:
        print_profile(largest)
    summary = [f"marginal_{a['n']}_{b['n']}={(b['full_s'] - a['full_s']) / (b['floor_s'] - a['floor_s']):.2f}"
               for a, b in pairwise(results)]
    summary += [f"cold_no_server_s={cold['wall_s']:.2f}", f"cold_server_s={kept['wall_s']:.2f}"]
    summary += [f"late_share_{r['n']}={(r['late_s'] - r['nochange_s']) / (r['full_s'] - r['nochange_s']):.3f}"
                for r in results]
    summary.append(f"peak_rss_mb={max(r['peak_rss_mb'] for r in results):.0f}")
    summary.append(f"checker_rss_mb={max(r['checker_rss_mb'] for r in results):.0f}")
    print(" ".join(summary))


if __name__ == "__main__":
    main()
