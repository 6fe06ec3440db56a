"""Each file is checked once: its findings are stored by what they depend on and reused.

Every rule in `expectations/` judges one file at a time (its rows, its unit's assignments in the
reference, the unit's accepted figures of last month, the period, the uploading account): no rule
compares two units' files. So a file's findings are a function of a key (`check_key`) made of

    the file's read key (its bytes, the code), the name it arrived under, the period,
    the uploading account's unit, the rule suites and the code (`code_version`), the whole reference,
    and last month's curated rows of the file's unit,

and are stored as data (tasks/core/results.py, kind `checks`: one row per finding, and one row
with no rule for a file with none; columns `CHECKS`). A run checks only the files whose key is not stored — a late
file costs its own check, and a change to a rule, the reference or last month's data of a unit
rechecks exactly the files it touches. `--from-scratch` ignores the store.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..core.reference import FORMS, Reference
from ..core.results import KEY, FileResults, digest
from ..core.tables import TEXT, contract
from ..intake.read import PeriodReads
from .suites import rules_version
from .validate import FINDINGS_COLUMNS

FINDING_TYPES = {"row": pa.int64(), "explained": pa.bool_()}  # the other columns are text
CHECKS = contract((KEY, TEXT), *((name, FINDING_TYPES.get(name, TEXT)) for name in FINDINGS_COLUMNS[1:]))


def _frame_digest(frame: pd.DataFrame) -> str:
    return digest(",".join(frame.columns), pd.util.hash_pandas_object(frame, index=False).sum() if len(frame) else 0)


def reference_version(reference: Reference) -> str:
    """All five tables of the year (assignments, lookups and targets all come from them)."""
    return digest(reference.year, *(_frame_digest(getattr(reference, name))
                                    for name in ("units", "indicators", "targets", "projects", "tasks")))


def previous_versions(previous: dict[str, pd.DataFrame] | None) -> dict[str, str]:
    """unit_code -> a digest of that unit's accepted rows last month (all forms); {} when there are none."""
    parts: dict[str, list[str]] = {}
    for form in FORMS:
        frame = (previous or {}).get(form)
        if frame is None or frame.empty:
            continue
        rows = frame.drop(columns=["period"], errors="ignore")
        hashed = pd.util.hash_pandas_object(rows, index=False)
        for unit, value in hashed.groupby(rows.unit_code.to_numpy()).sum().items():
            parts.setdefault(str(unit), []).append(f"{form}:{value}")
    return {unit: digest(*values) for unit, values in parts.items()}


def check_keys(period: str, reads: PeriodReads, reference: Reference, previous: dict[str, pd.DataFrame] | None,
               suites_dir: Path, account_units: dict[int, str]) -> dict[int, str]:
    """file_id -> the key its findings are stored under (see the module docstring)."""
    rules, ref = rules_version(Path(suites_dir)), reference_version(reference)
    before = previous_versions(previous)
    first_month = period.endswith("-01")
    return {fid: digest(reads.keys[fid], reads.names[fid], period, account_units.get(fid), rules, ref,
                        "january" if first_month else before.get(reads.unit_codes.get(fid) or "", "none"))
            for fid in reads.file_ids}


def period_findings(home: Path, period: str, reads: PeriodReads, reference: Reference,
                    previous: dict[str, pd.DataFrame] | None, suites_dir: Path,
                    account_units: dict[int, str], *, from_scratch: bool = False) -> tuple[pd.DataFrame, int]:
    """The findings of every file of the period (ordered as `check_period` orders them) and how many
    files were checked now; the others' findings come from the store."""
    from .validate import empty_findings, ordered_findings

    store = FileResults(home, "checks", period, CHECKS)
    keys = check_keys(period, reads, reference, previous, suites_dir, account_units)
    stored = set() if from_scratch else set(store.index([]).index)
    todo = [fid for fid in reads.file_ids if keys[fid] not in stored]
    parts = [empty_findings()]
    if todo:
        from .validate import check_period

        from .warm import runner_for

        fresh = check_period(period, reads.subset(todo), reference, previous, suites_dir=suites_dir,
                             account_units=account_units, runner=runner_for(home))
        parts.append(fresh)
        clean = sorted(set(todo) - set(fresh.file_id))
        markers = pd.DataFrame({"file_id": pd.Series(clean, dtype="int64")})
        rows = pd.concat([fresh, markers], ignore_index=True)
        store.add(rows.assign(**{KEY: rows.file_id.map(keys)}).drop(columns="file_id")[[KEY, *FINDINGS_COLUMNS[1:]]])
    pending = set(todo)
    done = [fid for fid in reads.file_ids if fid not in pending]
    if done:
        owners = pd.DataFrame({KEY: [keys[fid] for fid in done], "file_id": pd.Series(done, dtype="int64")})
        old = owners.merge(store.load(owners[KEY]), on=KEY, sort=False)
        parts.append(old[old.rule_id.notna()].drop(columns=KEY))
    found = pd.concat(parts, ignore_index=True)
    return ordered_findings(found[FINDINGS_COLUMNS]), len(todo)
