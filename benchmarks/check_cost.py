"""Issue 3's speed target: on N units' workbooks, reading + checking ≤ ~2 × reading alone.

Times, in the same run, (a) reading every workbook of a month into tidy frames and (b) the same
plus the rule suites over the whole month in one batch (GX context warm; its one-off import and
context start are printed apart). Prints the ratio b/a with the raw seconds.

    python -m benchmarks.check_cost --units 1000
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmarks.province import build_province
from zhuanbao.tasks.core.reference import load_reference
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.intake.workbook import read_workbook, tidy_frames


def read_month(home: Path, period: str, reference) -> list:
    files = sorted((home / "inbox" / period).glob("*.xlsx"))
    reads = [(i, read_workbook(path, reference)) for i, path in enumerate(files)]
    tidy_frames(reads)
    return reads


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    home = args.home or Path(f"/tmp/zhuanbao-province-{args.units}")
    if not (home / "inbox" / "2020-04").is_dir():
        build_province(home, args.units, ["2020-03", "2020-04"])
    reference = load_reference(load_settings(home=home), 2020)

    started = time.perf_counter()
    from zhuanbao.tasks.checks.suites import gx_context
    from zhuanbao.tasks.checks.validate import check_period

    gx_context()
    gx_start = time.perf_counter() - started
    march = tidy_frames(read_month(home, "2020-03", reference))
    previous = {form: frame.drop(columns=["file_id"]) for form, frame in march.items()}
    check_period("2020-03", read_month(home, "2020-03", reference), reference)  # warm-up

    read_only, read_check, findings = [], [], None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        read_month(home, "2020-04", reference)
        read_only.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        reads = read_month(home, "2020-04", reference)
        findings = check_period("2020-04", reads, reference, previous)
        read_check.append(time.perf_counter() - t0)
    a, b = min(read_only), min(read_check)
    rows = sum(len(f) for f in tidy_frames(reads).values())
    print(f"units={args.units} files={len(reads)} rows={rows} findings={len(findings)}")
    print(f"read_only_s={a:.2f} read_and_check_s={b:.2f} check_s={b - a:.2f} ratio={b / a:.2f}")
    print(f"gx_import_and_context_s={gx_start:.2f} (once per process)")


if __name__ == "__main__":
    main()
