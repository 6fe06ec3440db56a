"""Helpers every section of the report context shares: trimmed text, capped lists, row shares."""
from __future__ import annotations

import pandas as pd

CELL_NAMES = 10  # unit names in one table cell, at most (report_detail_rows if smaller)


def text(value) -> str:
    """A unit's free text, trimmed; NaN/None → ''."""
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def first(frame: pd.DataFrame, limit: int, by: list[str] | None = None, ascending=True) -> tuple[pd.DataFrame, int]:
    """(rows shown, rows left out): all rows when they fit, else the `limit` first after a stable sort `by`."""
    if len(frame) <= limit:
        return frame, 0
    if by:
        frame = frame.sort_values(by, ascending=ascending, kind="stable", na_position="first")
    return frame.iloc[:limit], len(frame) - limit


def shares(sizes: list[int], limit: int) -> list[int]:
    """How many rows of each group one table of `limit` rows shows: equal shares, an unused share passed on."""
    taken, left = [0] * len(sizes), limit
    open_groups = [i for i, size in enumerate(sizes) if size]
    while left > 0 and open_groups:
        share = max(1, left // len(open_groups))
        for i in list(open_groups):
            take = min(share, sizes[i] - taken[i], left)
            taken[i], left = taken[i] + take, left - take
            if taken[i] == sizes[i]:
                open_groups.remove(i)
            if not left:
                break
    return taken


def not_on_track(frame: pd.DataFrame) -> pd.Series:
    """Project or task rows reported and not on track (滞后); rows not reported are 未报, not 滞后."""
    return frame["reported"].astype(bool) & ~frame["on_track"].astype(bool)
