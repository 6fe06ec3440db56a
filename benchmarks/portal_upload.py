"""Issue 16/28's speed target: checking one upload on a warm portal, p95 ≤ 1 s — with the warm checker and without.

A fresh home with the demo district's reference. Two rounds on the same workbooks, in one run:
`in-process` — the GX context warmed in this process first (as the portal's start-up does), no
checker; `warm checker` — the home's warm checker (tasks/checks/warm.py, as `zhuanbao serve` starts
it) answers the suites, this process never imports GX. Each round posts `--uploads` workbooks (every
unit of the period in turn, the same unit again with a changed note once all have reported) through
the JSON API in process (FastAPI's TestClient: no network), each timed from the request to the
receipt; each upload registers the file and checks what is new (incremental: the new file). Wall
time, this process's (the portal's) CPU time and the checker's CPU time (from /proc) are printed per
upload, and their p50/p95 per round: on a shared machine wall ≫ CPU, so compare CPU (portal + checker)
between runs; wall is what a unit waits on a quiet machine.

    python -m benchmarks.portal_upload --uploads 20
    python -m benchmarks.portal_upload --uploads 20 --plain-gx   # without tasks/checks/gx_memo.py (before it)
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from zhuanbao.flows.portal import create_app
from zhuanbao.tasks.access.accounts import add_account, issue_token
from zhuanbao.tasks.checks import gx_memo, warm
from zhuanbao.tasks.core.reference import reference_for
from zhuanbao.tasks.core.resources import DEMO_REFERENCE_DIR
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.demo.figures import generate_month
from zhuanbao.tasks.demo.generate import write_workbook
from zhuanbao.tasks.intake.registry import engine_for, session

PERIOD = "2020-04"


PLAIN_GX = "from zhuanbao.tasks.checks import gx_memo; gx_memo._state['installed'] = False; "


def new_home(with_checker: bool, plain_gx: bool = False):
    """A fresh home with the demo reference and a gateway token; its checker process when asked."""
    home = Path(tempfile.mkdtemp(prefix="zhuanbao-portal-bench-"))
    shutil.copytree(DEMO_REFERENCE_DIR, home / "reference", ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    settings = load_settings(home=home, portal_allowed_hosts=("testserver",))
    engine_for(settings.db_url)
    with session(settings.db_url) as db:
        add_account(settings, db, "gateway", name="邮件网关", role="office")
        token = issue_token(settings, db, "gateway")
    checker = None
    if with_checker:
        serve = "import sys; from pathlib import Path; from zhuanbao.tasks.checks.warm import serve; serve(Path(sys.argv[1]))"
        checker = subprocess.Popen([sys.executable, "-c", (PLAIN_GX if plain_gx else "") + serve, str(home)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert warm.wait_ready(home, timeout=300), "预热审核进程未就绪"
    return home, settings, token, checker


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def upload_round(with_checker: bool, uploads: int, plain_gx: bool = False) -> tuple[list[float], list[float], list[float]]:
    """One round of `uploads` uploads; (wall seconds, portal CPU seconds, checker CPU seconds) per upload."""
    started = time.perf_counter()
    home, settings, token, checker = new_home(with_checker, plain_gx)
    if not with_checker:
        from zhuanbao.tasks.checks.suites import warm_up

        warm_up().join()  # what the portal's start-up does when no checker is up
    label = "warm checker" if with_checker else "in-process"
    print(f"[{label}] ready after {time.perf_counter() - started:.1f} s (GX import and context, once)", flush=True)
    reference = reference_for(settings, PERIOD)
    rows = generate_month(reference, PERIOD, rng_seed=2020)[0]
    units = list(rows)
    client = TestClient(create_app(settings, warm=False), headers={"Authorization": f"Bearer {token}"})
    times, cpu, remote = [], [], []
    checker_cpu = (lambda: process_cpu(checker.pid)) if checker is not None else (lambda: 0.0)
    try:
        for i in range(uploads):
            unit = units[i % len(units)]
            form_rows = {f: [dict(r, note=f"第{i // len(units)}版") if f == "indicators" else r for r in rs]
                         for f, rs in rows[unit].items()}
            path = write_workbook(home / "out" / f"{unit}_{i}.xlsx", reference=reference, unit_code=unit,
                                  period=PERIOD, **form_rows)
            t, c, r = time.perf_counter(), time.process_time(), checker_cpu()
            answer = client.post(f"/api/v1/periods/{PERIOD}/submissions", files={"file": (path.name, path.read_bytes())})
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            remote.append(checker_cpu() - r)
            assert answer.status_code == 201, answer.text
            print(f"  {i + 1:3d} {unit} {answer.json()['outcome']:9s} {times[-1]:.2f} s "
                  f"(CPU portal {cpu[-1]:.2f} s, checker {remote[-1]:.2f} s)")
    finally:
        if checker is not None:
            checker.terminate()
            checker.wait(30)
        shutil.rmtree(home, ignore_errors=True)
    return times, cpu, remote


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--plain-gx", action="store_true", help="GX without tasks/checks/gx_memo.py's memo (the before figures)")
    args = parser.parse_args()
    if args.plain_gx:
        gx_memo._state["installed"] = False  # the memo never installs in this process
    summary = []
    for with_checker in (True, False):  # the checker first: this process has not imported GX yet
        times, cpu, remote = upload_round(with_checker, args.uploads, args.plain_gx)
        label = "warm_checker" if with_checker else "in_process"
        both = [a + b for a, b in zip(cpu, remote)]
        summary.append(f"{label}: p50 {statistics.median(times):.2f} s, p95 {p95(times):.2f} s, "
                       f"max {max(times):.2f} s; CPU portal p50 {statistics.median(cpu):.2f} s p95 {p95(cpu):.2f} s, "
                       f"checker p50 {statistics.median(remote):.2f} s p95 {p95(remote):.2f} s, "
                       f"portal+checker p50 {statistics.median(both):.2f} s p95 {p95(both):.2f} s")
    print(f"uploads {args.uploads} per round (target p95 ≤ 1 s; wall ≫ CPU means the machine was busy)")
    for line in summary:
        print("  " + line)


if __name__ == "__main__":
    main()
