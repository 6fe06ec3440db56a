"""A stored value as a finite number, or None: the one reading of 'is there a figure here' that the
revision notes (tasks/report/revisions.py) and the corrections after signing (tasks/year/corrections.py)
share — None, pandas' NA, NaN, booleans and text that is no number all mean no figure."""
from __future__ import annotations

import math


def finite_or_none(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):  # pandas' NA raises TypeError
        return None
    return None if math.isnan(number) or math.isinf(number) else number
