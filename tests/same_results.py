"""What two runs of the same inputs must agree on, wherever they ran: curated bytes and registry outcomes."""
from __future__ import annotations

from sqlalchemy import select

from zhuanbao.tasks.core.settings import Settings, lake_fs
from zhuanbao.tasks.intake.registry import Submission, session

# every column of a registry row but the wall-clock time it was written
OUTCOME_COLUMNS = ("id", "period", "file_name", "sha256", "size", "received_at", "source", "raw_path", "unit_code",
                   "outcome", "duplicate_of", "rules", "messages", "account_unit", "arrival_note")


def curated_files(settings: Settings) -> dict[str, bytes]:
    """Every parquet file under the lake's curated/ (local or remote), by path below curated/, as bytes."""
    fs, root = lake_fs(settings.curated_dir)
    return {path[len(root):].lstrip("/"): fs.cat_file(path) for path in sorted(fs.find(root))
            if path.endswith("/data.parquet")}


def registry_outcomes(settings: Settings) -> list[tuple]:
    """Every registry row (all periods), as the tuple of `OUTCOME_COLUMNS`, in id order."""
    with session(settings.db_url) as db:
        rows = db.scalars(select(Submission).order_by(Submission.id)).all()
        return [tuple(getattr(row, column) for column in OUTCOME_COLUMNS) for row in rows]
