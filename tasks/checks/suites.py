"""The check rules as data: loading the GX suites in `expectations/`, running one over a batch.

Each `expectations/<name>.json` is a GX 1.x suite. Its `meta` says which batch it checks
(`files`, `sheets`, `coverage` or a form) and, for forms, how the batch is given its context
columns (reference lookups, the previous month's values, derived expressions). Each
expectation's `meta` carries `rule_id`, `severity` (hard|soft), `column` (the field it is about),
`value` (the batch column shown to the unit), `message` (Chinese, `{column}` placeholders) and
`meaning` (one line for the rules table). Editing a JSON file retunes a rule; no code changes.

great_expectations is imported lazily (7–8 s): only `run_suite` needs it.
"""
from __future__ import annotations

import gc
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.resources import EXPECTATIONS_DIR
from ..core.results import code_version, digest, files_version
from .gx_memo import memoized

ROW_ID = "_rid"  # positional id of a batch row, the key GX hands back for each failing row
SEVERITIES = {"hard", "soft"}
REQUIRED_META = ("rule_id", "severity", "column", "message")


class SuiteError(ValueError):
    """An expectation suite file is malformed (names the file and the expectation)."""


@dataclass(frozen=True)
class Suite:
    """One suite file: its name, suite-level meta and the raw JSON GX is built from."""

    name: str
    meta: dict[str, Any]
    body: dict[str, Any]
    digest: str

    @property
    def batch(self) -> str:
        return self.meta.get("batch", self.name)


def load_suites(suites_dir: Path = EXPECTATIONS_DIR) -> dict[str, Suite]:
    """Every `*.json` suite in `suites_dir`, checked for the meta every expectation must carry."""
    suites = {}
    paths = sorted(Path(suites_dir).glob("*.json"))
    if not paths:
        raise SuiteError(f"审核规则目录 {suites_dir} 中没有任何规则文件（*.json）：不能在没有规则的情况下审核，运行已停止")
    for path in paths:
        text = path.read_text(encoding="utf-8")
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SuiteError(f"规则文件 {path} 不是有效的 JSON（第{exc.lineno}行第{exc.colno}列：{exc.msg}），运行已停止") from None
        for index, exp in enumerate(body.get("expectations", [])):
            meta = exp.get("meta") or {}
            missing = [k for k in REQUIRED_META if k not in meta]
            if missing or meta.get("severity") not in SEVERITIES:
                raise SuiteError(f"{path} 第{index + 1}条规则的 meta 缺少 {missing} 或 severity 不是 hard/soft")
            exp["meta"] = {**meta, "position": index}  # how a GX result finds its way back here
        name = body.get("name") or path.stem
        suites[name] = Suite(name, body.get("meta") or {}, body, hashlib.sha1(text.encode()).hexdigest()[:10])
    return suites


def rules_table(suites_dir: Path = EXPECTATIONS_DIR) -> pd.DataFrame:
    """One row per (rule id, meaning): the rules as the office configured them."""
    rows = [{"rule_id": e["meta"]["rule_id"], "severity": e["meta"]["severity"],
             "meaning": e["meta"].get("meaning") or e["meta"]["message"], "suite": s.name}
            for s in load_suites(suites_dir).values() for e in s.body["expectations"]]
    table = pd.DataFrame(rows, columns=["rule_id", "severity", "meaning", "suite"])
    return table.drop_duplicates(["rule_id", "meaning"]).sort_values("rule_id", kind="stable", ignore_index=True)


def rules_table_markdown(suites_dir: Path = EXPECTATIONS_DIR) -> str:
    """The rules table for the README: id, severity, meaning, grouped by id."""
    severity_text = {"hard": "强制性（退回）", "soft": "核实性（需说明）"}
    lines = ["| 规则 | 类别 | 含义 |", "| --- | --- | --- |"]
    for rule_id, group in rules_table(suites_dir).groupby("rule_id", sort=True):
        meanings = "；".join(dict.fromkeys(group.meaning))
        severities = "/".join(severity_text[s] for s in dict.fromkeys(group.severity))
        lines.append(f"| {rule_id} | {severities} | {meanings} |")
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=8)
def _suites_version(suites_dir: Path) -> str:
    return files_version(sorted(Path(suites_dir).glob("*.json")))


def rules_version(suites_dir: Path) -> str:
    """The suites' text and the code: an edited rule or changed code rechecks every file (and has the
    warm checker compile the suites again)."""
    return digest(_suites_version(Path(suites_dir)), code_version())


_context_lock = threading.Lock()


def warm_up() -> threading.Thread:
    """Import GX and build its context in a background thread (7–8 s of imports on a small PC), then
    `freeze_heap`. The portal starts it when no warm checker is up for its home.
    """
    thread = threading.Thread(target=lambda: (gx_context(), freeze_heap()), name="gx-warm-up", daemon=True)
    thread.start()
    return thread


def freeze_heap() -> None:
    """Move every object alive now (GX's modules, the context, compiled suites) out of the garbage collector's
    sight (`gc.freeze`): full collections no longer walk them, ≈ 10 % of a warm check's CPU. For long-lived
    processes after warming up; what is frozen is never collected (an old context dropped later stays)."""
    gc.collect()
    gc.freeze()


def gx_context():
    """The process's GX context (built once, whichever thread asks first)."""
    with _context_lock:
        return _gx_context()


@lru_cache(maxsize=1)
def _gx_context():
    """One ephemeral GX context per process: no data docs site (GX's default makes a temporary
    directory for one), no usage statistics, progress bars off, with a pandas data source."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import DataContextConfig, InMemoryStoreBackendDefaults

    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
                               analytics_enabled=False)
    context = gx.get_context(project_config=config, mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    context.data_sources.add_pandas("zhuanbao")
    return context


def _gx_suite(context, suite: Suite):
    from great_expectations.core import ExpectationSuite

    name = f"{suite.name}-{suite.digest}"  # an edited file is a new suite, never a stale cached one
    try:
        return context.suites.get(name)
    except Exception:  # noqa: BLE001 — GX raises its own not-found error type
        return context.suites.add(ExpectationSuite(**{**suite.body, "name": name}))


def _batch_definition(context, batch: str):
    source = context.data_sources.get("zhuanbao")
    try:
        asset = source.get_asset(batch)
    except LookupError:
        asset = source.add_dataframe_asset(batch)
    try:
        return asset.get_batch_definition("whole")
    except KeyError:
        return asset.add_batch_definition_whole_dataframe("whole")


def run_suite(suite: Suite, frame: pd.DataFrame, context=None, memo: bool = True) -> pd.DataFrame:
    """Validate `frame` (which has a `_rid` column) once; one row per failing (expectation, row).

    Columns: `position` (the expectation's index in the suite) and `_rid`. An expectation that
    raises inside GX is a SuiteError: a rule that silently checks nothing is worse than none.
    `memo=False` runs GX without gx_memo.py's memo (the same findings, slower: the tests compare).
    """
    empty = pd.DataFrame({"position": pd.Series(dtype="int64"), ROW_ID: pd.Series(dtype="int64")})
    if frame.empty:
        return empty
    context = context or gx_context()
    batch = _batch_definition(context, suite.batch).get_batch(batch_parameters={"dataframe": frame})
    with memoized(memo):
        result = batch.validate(_gx_suite(context, suite), result_format={
            "result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]})
    parts = [empty]
    for item in result.results:
        info = item.exception_info or {}
        if info.get("raised_exception"):
            raise SuiteError(f"规则 {item.expectation_config.meta} 执行出错：{info.get('exception_message')}")
        if item.success:
            continue
        ids = [entry[ROW_ID] for entry in item.result.get("unexpected_index_list") or []]
        position = item.expectation_config.meta["position"]
        parts.append(pd.DataFrame({"position": position, ROW_ID: pd.Series(ids, dtype="int64")}))
    return pd.concat(parts, ignore_index=True)


def run_suites(suites: dict[str, Suite], batches: dict[str, pd.DataFrame], context=None,
               memo: bool = True) -> dict[str, pd.DataFrame]:
    """suite name -> its failures (`run_suite`), one validation per suite over its whole batch; a suite
    whose batch is absent or empty (a form no file of the batch carries) is not run."""
    return {name: run_suite(suite, batches[suite.batch], context, memo) for name, suite in suites.items()
            if suite.batch in batches and not batches[suite.batch].empty}


if __name__ == "__main__":
    print(rules_table_markdown())
