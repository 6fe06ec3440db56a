"""Checks on what the run produces: the GX suites in `expectations/outputs/` over `curated/<form>` and `metrics_*`.

Same style as the input suites (tasks/checks/suites.py: one JSON file per dataset, each expectation's `meta`
has `rule_id`, `severity`, `column`, `message`, `meaning`); the suite's `meta` names the `dataset`, the `step`
that writes it (`consolidate` | `metrics`), its `key` columns, and the context the rules compare:
- `lookup`: reference columns joined on a code (`additive` from indicators.csv);
- `sum_of`: the same columns summed per key over another dataset (the units' rows), as `<column>_units`, and
  `<column>_gap` = |total − sum| / (|sum| + 1), 1 when only one side has a value;
- `due_units`: `due_once` — each unit that must report in the period appears exactly once, and no other.

Rules: O01 keys unique, O02 additive district totals equal the sum of the units, O03 rates within their range,
O04 every due unit present once. A failure raises `OutputCheckError` naming the dataset, the rule and the
offending keys; the data written stays where it is (the run fails before the 专报).
An office's `<home>/expectations/outputs/` replaces these suites as a whole, like the input suites.

A pass is remembered (`<home>/cache/outputs/period=<P>/<step>.passed`: a digest of what the partitions were built
from and of the suites), so a run whose partitions are unchanged does not check them again — nor import GX.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..core import catalog
from ..core.reference import Reference
from ..core.resources import EXPECTATIONS_DIR
from .suites import ROW_ID, Suite, load_suites, run_suites

OUTPUTS = "outputs"
SHOWN_KEYS = 10  # offending keys named in the message; the rest are counted


class OutputCheckError(RuntimeError):
    """A dataset the run wrote breaks a rule of its output suite (the message names dataset, rule and keys)."""


def output_suites(expectations_dir: Path = EXPECTATIONS_DIR, step: str | None = None) -> dict[str, Suite]:
    """The output suites by dataset (of one step when given): `<expectations_dir>/outputs/`, else the packaged."""
    folder = Path(expectations_dir) / OUTPUTS
    if not folder.is_dir() or not any(folder.glob("*.json")):
        folder = EXPECTATIONS_DIR / OUTPUTS
    suites = {s.meta["dataset"]: s for s in load_suites(folder).values()}
    return {name: s for name, s in suites.items() if step is None or s.meta.get("step") == step}


def passed_before(home: Path, period: str, step: str, stamp: str) -> bool:
    """These partitions (built from `stamp`'s inputs) passed these suites already."""
    try:
        return _pass_file(home, period, step).read_text(encoding="utf-8") == stamp
    except OSError:
        return False


def record_pass(home: Path, period: str, step: str, stamp: str) -> None:
    path = _pass_file(home, period, step)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(stamp, encoding="utf-8")


def _pass_file(home: Path, period: str, step: str) -> Path:
    return catalog.cache_dir(home, OUTPUTS, period) / f"{step}.passed"


def check_outputs(period: str, reference: Reference, frames: dict[str, pd.DataFrame], suites: dict[str, Suite],
                  runner=None) -> None:
    """Run each suite over its dataset in `frames` (a dataset absent from `frames` is not checked); raise
    `OutputCheckError` listing every failed rule when any fails. `runner(suites, batches)`: the warm checker
    (tasks/checks/warm.py); default: in this process."""
    used = {dataset: suite for dataset, suite in suites.items() if dataset in frames}
    batches = {suite.batch: check_frame(suite, frames[dataset], frames, period, reference)
               for dataset, suite in used.items()}
    found = runner(used, batches) if runner else run_suites(used, batches)
    failures = []
    for dataset, suite in used.items():
        batch, failed = batches[suite.batch], found.get(dataset)
        if failed is None:
            continue
        for position, rows in failed.groupby("position", sort=True):
            meta = suite.body["expectations"][position]["meta"]
            keys = _keys(batch.set_index(ROW_ID).loc[rows[ROW_ID].unique()], suite.meta.get("key") or [])
            failures.append(f"数据集 {dataset}，规则 {meta['rule_id']}（{meta.get('meaning', '')}）："
                            f"{meta['message']}；涉及 {keys}")
    if failures:
        raise OutputCheckError(f"{period} 产出核对未通过，专报未生成（已写出的数据保留在 curated/ 中，供核查）：\n"
                               + "\n".join(f"- {line}" for line in failures))


def check_frame(suite: Suite, frame: pd.DataFrame, frames: dict[str, pd.DataFrame], period: str,
                reference: Reference) -> pd.DataFrame:
    """The dataset with the context columns its suite's meta asks for, and a row id."""
    meta = suite.meta
    out = frame.drop(columns=["period"], errors="ignore").reset_index(drop=True)
    if lookup := meta.get("lookup"):
        table = getattr(reference, lookup["table"])[[lookup["key"], *lookup["columns"]]]
        table = table.rename(columns=lookup["columns"]).drop_duplicates(lookup["key"])
        out = out.merge(table, on=lookup["key"], how="left")
    if sum_of := meta.get("sum_of"):
        out = _with_unit_sums(out, frames.get(sum_of["dataset"]), sum_of["key"], sum_of["columns"])
    if meta.get("due_units"):
        out = _with_due_units(out, reference.required_units(period))
    return out.assign(**{ROW_ID: np.arange(len(out), dtype="int64")})


def _with_unit_sums(out: pd.DataFrame, units: pd.DataFrame | None, key: str, columns: list[str]) -> pd.DataFrame:
    units = pd.DataFrame(columns=[key, *columns]) if units is None else units
    sums = units.groupby(key)[columns].sum(min_count=1).add_suffix("_units").reset_index()
    out = out.merge(sums, on=key, how="left")
    for column in columns:
        total, summed = out[column].astype("float64"), out[f"{column}_units"].astype("float64")
        gap = (total - summed).abs() / (summed.abs() + 1)
        one_sided = total.isna() != summed.isna()
        out[f"{column}_gap"] = gap.where(~one_sided, 1.0).fillna(0.0)
    return out


def _with_due_units(out: pd.DataFrame, due: list[str]) -> pd.DataFrame:
    times = out["unit_code"].map(out["unit_code"].value_counts())
    present = set(out["unit_code"])  # once: built per due unit it made this O(N²) (5.5 s at N = 3,000)
    absent = pd.DataFrame({"unit_code": [code for code in due if code not in present]})
    out = pd.concat([out.assign(_times=times), absent.assign(_times=0)], ignore_index=True)
    return out.assign(due_once=(out["_times"] == 1) & out["unit_code"].isin(due)).drop(columns="_times")


def _keys(rows: pd.DataFrame, key: list[str]) -> str:
    """'indicator_code=A01、indicator_code=A02 等 12 个键' — the offending rows by their key."""
    names = [", ".join(f"{k}={_text(row[k])}" for k in key) for _, row in rows.iterrows()] if key else []
    names = list(dict.fromkeys(names)) or [f"{len(rows)} 行"]
    more = f" 等 {len(names)} 个键" if len(names) > SHOWN_KEYS else ""
    return "、".join(names[:SHOWN_KEYS]) + more


def _text(value) -> str:
    return "（空）" if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA else str(value)
