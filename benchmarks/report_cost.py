"""The report step's cost at two province sizes, in one run (issue 14: it must not grow with N beyond the 附表).

For each N (default 100 and 3,000 units, benchmarks/province.py), the monthly flow runs 2020-03 and
2020-04 once, untimed (`--keep` reuses a province already run). Then, in a fresh process on a copy
of that home, `steps.report` (tasks/steps.py, what the flow's 生成专报 step calls) is timed twice:
  fresh     — the period's issue removed from the registry and reports/, so a whole draft is built
              (context, HTML, PDF, Word, 附表, .json);
  unchanged — the same step again with nothing changed: it must find the issue and build nothing.
Prefect, docxtpl, openpyxl and matplotlib are imported before the clock starts (the flow has them
loaded by then; WeasyPrint too unless `--warm`: a flow whose PDF is laid out by the warm renderer never
imports it). Prints wall and CPU seconds (`process_time`: the machine is shared), the time the step
waited for its PDF (`pdf_wait_s`) and the CPU the PDF took here or in the warm renderer (`pdf_cpu_s`),
the large/small ratios, and with `--profile` the largest costs of the fresh step from pyinstrument.
`--fresh-pdf` drops the home's PDF cache first (else the draft's PDF, rendered by the monthly run, is
reused); `--warm` starts the home's warm checker (tasks/checks/warm.py), which also renders the PDF.

    python -m benchmarks.report_cost                       # N = 100 and 3,000
    python -m benchmarks.report_cost --sizes 100 3000 --keep --fresh-pdf [--warm]
    python -m benchmarks.report_cost --sizes 100 1000 --keep --profile
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

from benchmarks.province import build_province
from benchmarks.scale import BEFORE, PERIOD, flow_run

ROOT = Path(__file__).resolve().parent.parent
AS_OF = {BEFORE: "2020-04-16T09:00:00+08:00", PERIOD: "2020-05-16T09:00:00+08:00"}

MEASURE = r"""
import json, os, shutil, sys, time
from pathlib import Path

home, profile, warm = Path(sys.argv[1]), sys.argv[2] == "1", sys.argv[3] == "1"
import prefect, docxtpl, openpyxl, matplotlib  # noqa: F401  (loaded in the flow before 生成专报)
if not warm:
    import weasyprint  # noqa: F401
from sqlalchemy import delete

from zhuanbao.tasks import steps
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.intake.registry import ReportIssue, session
from zhuanbao.tasks.report.approval_log import ApprovalEvent
import zhuanbao.tasks.report.render as render

pdf = {"wait_s": 0.0, "cpu_s": 0.0, "where": []}


def timing(real, where, asked_at=lambda args: None):
    def wait(*args, **kwargs):  # what the step waits for its PDF, and the CPU it took (here, or in the warm renderer)
        started, here, there = time.perf_counter(), time.process_time(), warm_cpu()
        there = asked_at(args) if asked_at(args) is not None else there  # the renderer began when it was asked
        out = real(*args, **kwargs)
        pdf["wait_s"] += time.perf_counter() - started
        pdf["cpu_s"] += time.process_time() - here + warm_cpu() - there
        pdf["where"].append(where(args))
        return out
    return wait


def warm_cpu():
    try:
        from zhuanbao.tasks.core import catalog
        checker = json.loads(catalog.checker_json(home).read_text("utf-8"))["pid"]
        fields = Path(f"/proc/{checker}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except Exception:  # noqa: BLE001 — no warm checker: nothing spent there
        return 0.0


try:
    from zhuanbao.tasks.report import warm_render
    real_init = warm_render.PendingPdf.__init__

    def init(self, *args, **kwargs):
        self.bench_asked_at = warm_cpu()
        real_init(self, *args, **kwargs)

    warm_render.PendingPdf.__init__ = init
    warm_render.PendingPdf.wait = timing(warm_render.PendingPdf.wait, lambda args: args[0].where,
                                         lambda args: args[0].bench_asked_at)
except ImportError:  # code from before the warm renderer (to compare): the PDF is written by render.write_pdf
    render.write_pdf = timing(render.write_pdf, lambda args: "here")

settings = load_settings(home=home)
with session(settings.db_url) as db:  # no issue of the period yet: the step builds a whole draft
    db.execute(delete(ApprovalEvent).where(ApprovalEvent.period == PERIOD))
    db.execute(delete(ReportIssue).where(ReportIssue.period == PERIOD))
    db.commit()
shutil.rmtree(settings.reports_dir(PERIOD), ignore_errors=True)


def timed(ctx, status, profiler=None):
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.start()
    out = steps.report(ctx, status)
    if profiler:
        profiler.stop()
    return out, time.perf_counter() - wall, time.process_time() - cpu


with steps.recorded_run(settings, PERIOD, as_of=AS_OF) as record:
    ctx = record.context
    status = steps.period_status(ctx)
    profiler = None
    if profile:
        from pyinstrument import Profiler
        profiler = Profiler(interval=0.002)
    fresh, fresh_s, fresh_cpu = timed(ctx, status, profiler)
    fresh_pdf = dict(pdf)
    again, again_s, again_cpu = timed(ctx, status)
assert fresh["created"] and not again["created"], (fresh["created"], again["created"])
tree = profiler.output_text(unicode=True, color=False) if profiler else ""
print(json.dumps({"fresh_s": fresh_s, "fresh_cpu_s": fresh_cpu, "unchanged_s": again_s, "unchanged_cpu_s": again_cpu,
                  "pdf_wait_s": fresh_pdf["wait_s"], "pdf_cpu_s": fresh_pdf["cpu_s"], "pdf_where": fresh_pdf["where"],
                  "xlsx_kb": Path(fresh["xlsx"]).stat().st_size / 1024,
                  "json_kb": Path(fresh["json"]).stat().st_size / 1024, "tree": tree}))
"""


def prepare(n_units: int, root: Path, keep: bool) -> Path:
    """A province of n_units with 2020-03 and 2020-04 run once through the monthly flow."""
    home = root / f"n{n_units}"
    if keep and (home / "reports" / PERIOD).is_dir():
        return home
    build_province(home, n_units, [BEFORE, PERIOD])
    for period in (BEFORE, PERIOD):
        flow_run(home, period, as_of=AS_OF[period])
    return home


def measure(home: Path, profile: bool, fresh_pdf: bool = False, warm: bool = False) -> dict:
    """steps.report fresh and unchanged, in a fresh process on a copy of `home` (without its PDF cache when
    `fresh_pdf`; with the home's warm checker running when `warm`)."""
    work = home.with_name(home.name + "-report")
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(home, work, ignore=shutil.ignore_patterns("inbox", ".prefect", "raw"))
    if fresh_pdf:
        shutil.rmtree(work / "cache" / "pdf", ignore_errors=True)
    code = f"PERIOD, AS_OF = {PERIOD!r}, {AS_OF[PERIOD]!r}\n" + MEASURE
    env = {**os.environ, "ZHUANBAO_HOME": str(work), "PREFECT_HOME": str(work / ".prefect"),
           "PREFECT_LOGGING_LEVEL": "WARNING"}
    env.pop("PREFECT_API_URL", None)
    if warm:
        env["ZHUANBAO_WARM_RENDERER"] = "1"  # off by default (settings.warm_renderer)
    checker = _warm_checker(work, env) if warm else None
    try:
        out = subprocess.run([sys.executable, "-c", code, str(work), "1" if profile else "0", "1" if warm else "0"],
                             capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    finally:
        if checker is not None:
            checker.terminate()
            checker.wait(30)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    shutil.rmtree(work, ignore_errors=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _warm_checker(home: Path, env: dict) -> subprocess.Popen:
    """The home's warm checker, started and ready (it imports GX and WeasyPrint first)."""
    from zhuanbao.tasks.checks.warm import wait_ready

    process = subprocess.Popen([sys.executable, "-m", "zhuanbao.tasks.checks.warm", str(home)], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_ready(home, timeout=600):
        process.terminate()
        raise RuntimeError("the warm checker did not start")
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[100, 3000])
    parser.add_argument("--root", type=Path, default=Path("/tmp/zhuanbao-report-cost"))
    parser.add_argument("--keep", action="store_true", help="reuse provinces already built and run")
    parser.add_argument("--profile", action="store_true", help="print the largest costs of each fresh step")
    parser.add_argument("--profile-lines", type=int, default=40)
    parser.add_argument("--fresh-pdf", action="store_true", help="drop the PDF cache: the fresh step lays its PDF out")
    parser.add_argument("--warm", action="store_true", help="with the home's warm checker (it renders the PDF)")
    args = parser.parse_args()
    print(f"date={date.today()} machine={platform.machine()} cores={os.cpu_count()} python={platform.python_version()}")
    results = {}
    for n in args.sizes:
        results[n] = measure(prepare(n, args.root, args.keep), args.profile, args.fresh_pdf, args.warm)
        r = results[n]
        print(f"n={n} fresh_s={r['fresh_s']:.2f} fresh_cpu_s={r['fresh_cpu_s']:.2f} pdf_wait_s={r['pdf_wait_s']:.2f} "
              f"pdf_cpu_s={r['pdf_cpu_s']:.2f} pdf_by={'+'.join(r['pdf_where']) or '-'} "
              f"unchanged_s={r['unchanged_s']:.2f} unchanged_cpu_s={r['unchanged_cpu_s']:.2f} "
              f"xlsx_kb={r['xlsx_kb']:.0f} json_kb={r['json_kb']:.0f}")
        if args.profile:
            print(f"  profile of the fresh step, n={n} (pyinstrument, largest costs):")
            print("\n".join("    " + line for line in r["tree"].splitlines()[8:8 + args.profile_lines]))
    small, large = (results[n] for n in args.sizes)
    print(f"ratio_fresh_wall={large['fresh_s'] / small['fresh_s']:.2f} "
          f"ratio_fresh_cpu={large['fresh_cpu_s'] / small['fresh_cpu_s']:.2f} "
          f"ratio_unchanged_cpu={large['unchanged_cpu_s'] / max(small['unchanged_cpu_s'], 1e-3):.2f}")


if __name__ == "__main__":
    main()
