"""The curated frames the metrics read, with exactly the columns and dtypes each computation expects."""
from __future__ import annotations

import pandas as pd

CURATED: dict[str, dict[str, str]] = {
    "indicators": {"unit_code": "str", "indicator_code": "str", "month_value": "float64",
                   "cumulative": "float64", "last_year_cumulative": "float64",
                   "reported_growth": "float64", "note": "str"},
    "projects": {"unit_code": "str", "project_code": "str", "month_investment": "float64",
                 "cumulative_investment": "float64", "status": "str", "progress_text": "str",
                 "problems": "str", "coordination": "str"},
    "tasks": {"unit_code": "str", "task_code": "str", "progress_pct": "float64",
              "progress_text": "str", "problems": "str", "note": "str"},
    "submissions": {"unit_code": "str", "status": "str", "on_time": "boolean"},
    "flags": {"unit_code": "str", "rule_id": "str", "explained": "boolean"},
}


def _typed(frame: pd.DataFrame | None, form: str, period: str) -> pd.DataFrame:
    """`frame` restricted to `period`, with exactly the columns and dtypes of `CURATED[form]`."""
    frame = pd.DataFrame() if frame is None else frame
    if "period" in frame.columns:
        frame = frame[frame["period"] == period]
    return frame.reindex(columns=list(CURATED[form])).astype(CURATED[form]).reset_index(drop=True)
