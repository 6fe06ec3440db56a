"""The opt-in parts of zhuanbao (pyproject's extras) and the one line a user reads when one is not installed.

`pip install zhuanbao` brings what the monthly job needs; these come with an extra:

- `scale`: prefect-dask and dask.distributed, for `ZHUANBAO_TASK_RUNNER=dask` (flows/runner.py);
- `s3`: s3fs, fsspec's `s3://` protocol, for `ZHUANBAO_HOME=s3://…` (tasks/core/settings.py `lake_fs`);
- `sql`: DuckDB, for querying the curated parquet (the package itself never imports it);
- `docs`: MkDocs, to build the 使用手册 (flows/docs_site.py);
- `postgres`: psycopg, for `ZHUANBAO_DB_URL=postgresql+psycopg://…`.

A missing one is a `MissingExtra`: a RuntimeError whose Chinese message names the pip command, which the CLI
prints as one line (flows/cli/app.py `user_message`) instead of an ImportError's traceback.
"""
from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

# fsspec protocol → the extra that installs its implementation
FSSPEC_EXTRAS = {"s3": "s3", "s3a": "s3"}
# (module, extra, what needs it) of the Dask task runner
DASK = ("prefect_dask", "scale", "ZHUANBAO_TASK_RUNNER=dask 用到 prefect-dask 与 dask.distributed")


class MissingExtra(RuntimeError):
    """An opt-in part is not installed; the message says which extra to install."""


def missing_extra(extra: str, purpose: str) -> MissingExtra:
    return MissingExtra(f"需要安装可选组件：pip install 'zhuanbao[{extra}]'（{purpose}）")


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """`module`, imported; a MissingExtra naming `extra` when it (or a package it needs) is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing = f"；缺少 {exc.name}" if exc.name else ""
        raise missing_extra(extra, f"{purpose}{missing}") from None


def require_installed(module: str, extra: str, purpose: str) -> None:
    """Like `require`, without importing `module` (cheap: a check before a long start, e.g. a Prefect server)."""
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # ValueError: sys.modules holds None for it (blocked)
        found = False
    if not found:
        raise missing_extra(extra, purpose)


def lake_protocol_missing(url: str, error: ImportError) -> MissingExtra:
    """What to raise when fsspec cannot load the implementation of `url`'s protocol (`s3://` without s3fs)."""
    protocol = str(url).split("::")[0].split("://")[0].lower()
    if protocol in FSSPEC_EXTRAS:
        return missing_extra(FSSPEC_EXTRAS[protocol], f"ZHUANBAO_HOME={protocol}://… 用到 fsspec 的 {protocol} 协议")
    return MissingExtra(f"ZHUANBAO_HOME={protocol}://… 需要安装 fsspec 的 {protocol} 协议实现：{error}")
