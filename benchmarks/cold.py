"""Cold start (issue 28): the whole `zhuanbao run --period 2020-04` at N units, April after March in a fresh home,
wall and CPU seconds, with nothing kept, against a kept server with the warm runner, and without it.

    python -m benchmarks.cold --root /tmp/zhuanbao-scale --n 100   # needs the home benchmarks.scale generated
    python -m benchmarks.cold --root /tmp/zhuanbao-scale --n 100 --only server   # skip the no-server run

benchmarks/scale.py prints the same figures (cold_no_server_s, cold_server_s) in its summary.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE, PERIOD = "2020-03", "2020-04"


def cli_run(home: Path, period: str, as_of: str, keep: float = 30, **env: str) -> dict:
    """`zhuanbao run --period P --as-of T` itself, in a fresh process: wall seconds and CPU seconds (the command and
    what it waited for, plus the warm runner's child that ran it, from runner.log)."""
    import resource

    log = home / ".prefect" / "runner.log"
    before_log = log.read_text("utf-8") if log.exists() else ""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    environ = {**os.environ, "ZHUANBAO_HOME": str(home), "PREFECT_HOME": str(home / ".prefect"),
               "PREFECT_LOGGING_LEVEL": "WARNING", "ZHUANBAO_SERVER_IDLE_MINUTES": f"{keep:g}", **env}
    environ.pop("PREFECT_API_URL", None)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "zhuanbao.flows.cli", "--home", str(home), "run", "--period", period,
                    "--as-of", as_of], capture_output=True, text=True, env=environ, cwd=ROOT, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    time.sleep(1.5)  # the runner logs its child's CPU once it has reaped it
    fresh = log.read_text("utf-8")[len(before_log):] if log.exists() else ""
    cpu += sum(float(line.split("CPU ")[1].split()[0]) for line in fresh.splitlines() if "CPU " in line)
    return {"wall_s": wall, "cpu_s": cpu}


def cold_no_server(n_units: int, root: Path) -> dict:
    """The whole April run (`zhuanbao run`) in a fresh home with nothing kept: its own temporary server, GX in its
    process (ZHUANBAO_SERVER_IDLE_MINUTES=0)."""
    from benchmarks.scale import clean

    home = root / f"n{n_units}"
    clean(home)
    cli_run(home, BEFORE, "2020-04-16T09:00:00+08:00", keep=0)
    figures = cli_run(home, PERIOD, "2020-05-16T09:00:00+08:00", keep=0)
    clean(home)
    return figures


def cold_server(n_units: int, root: Path, **env: str) -> dict:
    """The whole April run (`zhuanbao run`) against the server, warm checker and warm runner kept since March's."""
    from benchmarks.scale import clean
    from zhuanbao.tasks.checks.warm import wait_ready

    home = root / f"n{n_units}"
    clean(home)
    cli_run(home, BEFORE, "2020-04-16T09:00:00+08:00", **env)
    wait_ready(home, timeout=300)
    deadline = time.monotonic() + 120
    while env.get("ZHUANBAO_WARM_RUNNER") != "0" and not (home / ".prefect" / "runner.json").exists() \
            and time.monotonic() < deadline:
        time.sleep(0.5)
    figures = cli_run(home, PERIOD, "2020-05-16T09:00:00+08:00", **env)
    clean(home)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/tmp/zhuanbao-scale"))
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--only", choices=["none", "server", "runner"], help="one figure: no server, kept server "
                        "without the warm runner, or with it")
    args = parser.parse_args()
    runs = {"none": lambda: cold_no_server(args.n, args.root),
            "server": lambda: cold_server(args.n, args.root, ZHUANBAO_WARM_RUNNER="0"),
            "runner": lambda: cold_server(args.n, args.root)}
    for name, measure in runs.items():
        if args.only in (None, name):
            figures = measure()
            print(f"n={args.n} {name} wall_s={figures['wall_s']:.2f} cpu_s={figures['cpu_s']:.2f}", flush=True)


if __name__ == "__main__":
    main()
