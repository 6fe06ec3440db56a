"""Issue 16's speed target: checking one upload on a warm portal, p95 ≤ 1 s.

A fresh home with the demo district's reference; the GX context is warmed first (as the portal's
start-up does). Then `--uploads` workbooks (every unit of the period in turn, the same unit again
with a changed note once all have reported) go through the JSON API in process (FastAPI's
TestClient: no network), each timed from the request to the receipt. Each upload registers the
file and reads and checks the whole period under its lock, so later uploads check more files.
Wall time and this process's CPU time are printed per upload (on a shared machine wall ≫ CPU).

    python -m benchmarks.portal_upload --uploads 20
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from zhuanbao.flows.portal import create_app
from zhuanbao.tasks.access.accounts import add_account, issue_token
from zhuanbao.tasks.core.reference import reference_for
from zhuanbao.tasks.core.resources import DEMO_REFERENCE_DIR
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.demo.figures import generate_month
from zhuanbao.tasks.demo.generate import write_workbook
from zhuanbao.tasks.intake.registry import engine_for, session

PERIOD = "2020-04"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uploads", type=int, default=20)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="zhuanbao-portal-bench-"))
    shutil.copytree(DEMO_REFERENCE_DIR, home / "reference", ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    settings = load_settings(home=home, portal_allowed_hosts=("testserver",))
    engine_for(settings.db_url)
    with session(settings.db_url) as db:
        add_account(settings, db, "gateway", name="邮件网关", role="office")
        token = issue_token(settings, db, "gateway")
    reference = reference_for(settings, PERIOD)
    rows = generate_month(reference, PERIOD, rng_seed=2020)[0]
    units = list(rows)
    started = time.perf_counter()
    from zhuanbao.tasks.checks.suites import gx_context

    gx_context()
    print(f"GX context (once per process): {time.perf_counter() - started:.1f} s")
    client = TestClient(create_app(settings, warm=False), headers={"Authorization": f"Bearer {token}"})
    times, cpu = [], []
    for i in range(args.uploads):
        unit = units[i % len(units)]
        form_rows = {f: [dict(r, note=f"第{i // len(units)}版") if f == "indicators" else r for r in rs]
                     for f, rs in rows[unit].items()}
        path = write_workbook(home / "out" / f"{unit}_{i}.xlsx", reference=reference, unit_code=unit, period=PERIOD,
                              **form_rows)
        t, c = time.perf_counter(), time.process_time()
        answer = client.post(f"/api/v1/periods/{PERIOD}/submissions", files={"file": (path.name, path.read_bytes())})
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        assert answer.status_code == 201, answer.text
        print(f"  {i + 1:3d} {unit} {answer.json()['outcome']:9s} {times[-1]:.2f} s (CPU {cpu[-1]:.2f} s)")
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(f"uploads {len(times)}: median {statistics.median(times):.2f} s, p95 {p95:.2f} s, max {max(times):.2f} s; "
          f"CPU per upload median {statistics.median(cpu):.2f} s (wall ≫ CPU means the machine was busy)")
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
