"""The revision snapshot as the 专报 prints it, so a 修订说明 names only changes a reader can see.

`report/revisions.py` compares two snapshots and writes "A由X变为Y"; with raw floats, 44.66 % and 44.74 %
differ and print "由44.7%变为44.7%". `printed_snapshot` rounds every figure of the snapshot exactly as
the report prints it (cumulatives in their measure's decimals, percentages to 0.1 %, scores to 0.1), so
two builds differ only where the page differs.
"""
from __future__ import annotations

from ..formatting import decimals_for
from ..revisions import snapshot


def _round(value: float | None, decimals: int) -> float | None:
    return None if value is None else float(f"{value:.{decimals}f}")


def _fraction(value: float | None) -> float | None:
    """A fraction as pct prints it (0.4466 → 0.447)."""
    return None if value is None else float(f"{value * 100:.1f}") / 100


def printed_snapshot(metrics: dict, status: dict) -> dict:
    snap = snapshot(metrics, status)
    measures = dict(zip(metrics["district_totals"]["indicator_code"], metrics["district_totals"]["measure"]))
    for code, row in snap["indicators"].items():
        row["cumulative"] = _round(row["cumulative"], decimals_for(measures.get(code)))
        row["rate"] = _round(row["rate"], 1) if row["rate_kind"] == "growth" else _fraction(row["rate"])
    for row in snap["projects"].values():
        row["cumulative"] = _round(row["cumulative"], 1)
    for row in snap["tasks"].values():
        row["mean_progress"] = _round(row["mean_progress"], 1)
    for row in snap["ranks"].values():
        row["score"] = _round(row["score"], 1)
    counts = snap["counts"]
    for key in ("submission_rate", "on_time_rate"):
        counts[key] = _fraction(counts.get(key))
    return snap
