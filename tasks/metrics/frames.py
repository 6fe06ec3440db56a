"""The curated frames the metrics read, with exactly the columns and dtypes each computation expects.

Nothing is listed here: a form's columns and types come from its contract (tasks/core/forms.py, the columns
the unit reports), the flags' from their schema (tasks/curated/flags.py), the standing's from
tasks/intake/standing.py's frame (`status`, `on_time`).
"""
from __future__ import annotations

import pandas as pd
import pyarrow as pa

from ..core.forms import FORM_SPECS, unit_fields
from ..curated.flags import FLAGS_SCHEMA


def _dtype(kind: pa.DataType) -> str:
    return "boolean" if pa.types.is_boolean(kind) else "float64" if pa.types.is_floating(kind) else "str"


CURATED: dict[str, dict[str, str]] = {
    **{form: {"unit_code": "str", **{field: "float64" if spec.column(field).numeric else "str"
                                     for field in unit_fields(form)}} for form, spec in FORM_SPECS.items()},
    "submissions": {"unit_code": "str", "status": "str", "on_time": "boolean"},
    "flags": {name: _dtype(FLAGS_SCHEMA.field(name).type) for name in ("unit_code", "rule_id", "explained")},
}


def _typed(frame: pd.DataFrame | None, form: str, period: str) -> pd.DataFrame:
    """`frame` restricted to `period`, with exactly the columns and dtypes of `CURATED[form]`."""
    frame = pd.DataFrame() if frame is None else frame
    if "period" in frame.columns:
        frame = frame[frame["period"] == period]
    return frame.reindex(columns=list(CURATED[form])).astype(CURATED[form]).reset_index(drop=True)
