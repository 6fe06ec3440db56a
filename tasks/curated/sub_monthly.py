"""The month's figures where the month does not have them: the latest sub-monthly period's.

A plan may collect a table more often than monthly (plan.toml `[[cadences]]`, e.g. 项目半月调度). The monthly 专报
then reads, for each unit whose rows of that table the month's own files do not hold, the unit's rows of the
latest period of that cadence ending within the month that has them (the second half, else the first).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..core.periods import is_monthly, periods_in
from ..core.reference import Reference
from .consolidate import partition_inputs, read_partition

SHORTER = ("week", "two-weeks", "half-month")  # cadences whose periods fit within a month


def latest_sub_monthly(curated_dir: Path | str, month: str, reference: Reference) -> dict[str, tuple[str, pd.DataFrame]]:
    """form -> (label, its curated rows without `period`) of the latest sub-monthly period within `month`."""
    found: dict[str, tuple[str, pd.DataFrame]] = {}
    if not is_monthly(month):
        return found
    for cadence in reference.plan.cadences:
        if cadence.every not in SHORTER:
            continue
        for form in cadence.tables:
            for label in reversed(periods_in(month, cadence.every)):
                frame = read_partition(curated_dir, form, label)
                if frame is not None and not frame.empty:
                    found.setdefault(form, (label, frame.drop(columns=["period"])))
                    break
    return found


def sub_monthly_inputs(curated_dir: Path | str, found: dict[str, tuple[str, pd.DataFrame]]) -> list[str]:
    """What the filled-in rows were built from (part of the metrics' inputs)."""
    return [f"{form}:{label}:{partition_inputs(curated_dir, form, label)}" for form, (label, _) in sorted(found.items())]


def with_sub_monthly(frames: dict[str, pd.DataFrame], found: dict[str, tuple[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """`frames` (the month's curated rows per form) with each absent unit's rows taken from `found`."""
    out = dict(frames)
    for form, (_, rows) in found.items():
        own = out.get(form)
        if own is None:
            continue
        extra = rows[~rows.unit_code.isin(set(own.unit_code))]
        if not extra.empty:
            out[form] = pd.concat([own, extra[own.columns.intersection(extra.columns)]], ignore_index=True)
    return out
