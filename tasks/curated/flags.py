"""`curated/flags/`: the soft findings on each unit's accepted file, what the unit had to explain and whether it
did (metrics score the explained share; the 专报 lists them). Owns the dataset's name, columns and schema."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa

from ..core.tables import columns_contract

FLAGS = "flags"
FLAG_COLUMNS = ["unit_code", "file_id", "sheet", "row", "column", "rule_id", "code", "message", "explained"]
FLAGS_SCHEMA = columns_contract(FLAG_COLUMNS, {"file_id": pa.int64(), "row": pa.int64(), "explained": pa.bool_()})


def soft_flags(findings: pd.DataFrame, accepted: dict[int, str]) -> pd.DataFrame:
    """The soft findings on accepted files, with the unit: what the unit had to explain, and whether it did."""
    soft = findings[(findings.severity == "soft") & findings.file_id.isin(list(accepted))]
    out = soft.assign(unit_code=soft.file_id.map(accepted))
    out = out.assign(sheet=out.sheet.astype("string"), column=out.column.astype("string"),
                     code=out.code.astype("string"), explained=out.explained.fillna(False).astype(bool))
    return out.reindex(columns=FLAG_COLUMNS).astype({"file_id": "int64"}).reset_index(drop=True)
