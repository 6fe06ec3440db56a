"""One settings object: where the home is, which database, the calendar and the score weights.

Everything that differs between an office PC and a province cluster is read here, from
environment variables, and nowhere else.

The home is a local folder by default. `ZHUANBAO_HOME` may also be an fsspec URL
(`s3://bucket/zhuanbao`, `memory://zhuanbao`, …): then the shared data lake — `raw/` and
`curated/` — lives there (`Settings.lake`), and what needs a local disk (inbox, reference
tables, reports, locks, the read cache, a SQLite registry) lives in `ZHUANBAO_LOCAL_HOME`
(default `./data_lake`).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from zhuanbao.tasks.core import periods


@dataclass(frozen=True)
class Settings:
    """What a run needs to know about its surroundings."""

    home: Path
    db_url: str
    deadline_day: int = 15
    timezone: str = "Asia/Shanghai"
    deadline_overrides: dict[str, int] = field(default_factory=dict)
    max_file_bytes: int = 20 * 1024 * 1024
    issuing_office: str = "大通湖区“奋战一百天”领导小组办公室"
    score_weights: dict[str, float] = field(
        default_factory=lambda: {"on_track": 0.7, "on_time": 0.2, "explained": 0.1}
    )
    report_detail_rows: int = 30  # longest list printed in the 专报; the rest goes to the Excel 附表
    lake: str | None = None  # fsspec URL of raw/ and curated/ when they are not under the local home
    task_runner: str = "thread"  # where the per-file reads run: "thread" (in the flow's process) or "dask"
    dask_address: str | None = None  # an existing dask.distributed scheduler (tcp://…); None: a LocalCluster
    dask_workers: int = 2  # worker processes of that LocalCluster
    read_chunk_files: int = 100  # files per read task (amortises the per-task overhead)

    @property
    def lake_url(self) -> str:
        """Where raw/ and curated/ live: the fsspec URL of the lake, or the local home."""
        return self.lake or str(self.home)

    @property
    def fs(self):
        """(fsspec filesystem, root path inside it) of the data lake; a LocalFileSystem by default."""
        return lake_fs(self.lake_url)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def reference_dir(self, year: int) -> Path:
        return self.home / "reference" / str(year)

    def inbox_dir(self, period: str) -> Path:
        return self.home / "inbox" / period

    @property
    def raw_dir(self) -> Path | str:
        """raw/ in the lake: a local Path, or a URL string when the lake is remote."""
        return self.home / "raw" if self.lake is None else f"{self.lake.rstrip('/')}/raw"

    @property
    def curated_dir(self) -> Path | str:
        """curated/ in the lake: a local Path, or a URL string when the lake is remote."""
        return self.home / "curated" if self.lake is None else f"{self.lake.rstrip('/')}/curated"

    @property
    def expectations_dir(self) -> Path:
        """The rule suites this home uses (its own `expectations/`, else the packaged ones)."""
        from zhuanbao.tasks.core.resources import expectations_dir

        return expectations_dir(self.home)

    @property
    def template_dirs(self) -> list[Path]:
        """Template folders, the home's first (file-by-file override of the packaged templates)."""
        from zhuanbao.tasks.core.resources import template_dirs

        return template_dirs(self.home)

    def reports_dir(self, period: str) -> Path:
        return self.home / "reports" / period

    def deadline(self, period: str) -> datetime:
        """The last instant a file for `period` counts as on time (spec §2; tasks/core/periods.py)."""
        return periods.deadline(period, self.deadline_day, self.tz, self.deadline_overrides)


def load_settings(**overrides) -> Settings:
    """Settings from the environment (ZHUANBAO_*), with keyword overrides for tests."""
    env = os.environ
    home = overrides.pop("home", None) or env.get("ZHUANBAO_HOME") or "data_lake"
    lake = overrides.pop("lake", None)
    if is_remote_url(home):  # the lake is shared storage; the local parts need a folder of their own
        home, lake = Path(env.get("ZHUANBAO_LOCAL_HOME") or "data_lake").resolve(), str(home)
    else:
        home = Path(local_path(home)).resolve()
    db_url = overrides.pop("db_url", None) or env.get("ZHUANBAO_DB_URL") or (
        f"sqlite:///{home / 'zhuanbao.sqlite'}"
    )
    values: dict = {"home": home, "db_url": db_url, "lake": lake}
    if "ZHUANBAO_DEADLINE_DAY" in env:
        values["deadline_day"] = int(env["ZHUANBAO_DEADLINE_DAY"])
    if "ZHUANBAO_TIMEZONE" in env:
        values["timezone"] = env["ZHUANBAO_TIMEZONE"]
    if "ZHUANBAO_DEADLINE_OVERRIDES" in env:  # e.g. {"2020-01": 20}
        values["deadline_overrides"] = json.loads(env["ZHUANBAO_DEADLINE_OVERRIDES"])
    if "ZHUANBAO_MAX_FILE_MB" in env:
        values["max_file_bytes"] = int(float(env["ZHUANBAO_MAX_FILE_MB"]) * 1024 * 1024)
    if "ZHUANBAO_OFFICE" in env:
        values["issuing_office"] = env["ZHUANBAO_OFFICE"]
    if "ZHUANBAO_SCORE_WEIGHTS" in env:
        values["score_weights"] = json.loads(env["ZHUANBAO_SCORE_WEIGHTS"])
    if "ZHUANBAO_REPORT_DETAIL_ROWS" in env:
        values["report_detail_rows"] = max(1, int(env["ZHUANBAO_REPORT_DETAIL_ROWS"]))
    if "ZHUANBAO_TASK_RUNNER" in env:
        values["task_runner"] = env["ZHUANBAO_TASK_RUNNER"].strip().lower() or "thread"
    if env.get("ZHUANBAO_DASK_ADDRESS", "").strip():
        values["dask_address"] = env["ZHUANBAO_DASK_ADDRESS"].strip()
    if "ZHUANBAO_DASK_WORKERS" in env:
        values["dask_workers"] = max(1, int(env["ZHUANBAO_DASK_WORKERS"]))
    if "ZHUANBAO_READ_CHUNK" in env:
        values["read_chunk_files"] = max(1, int(env["ZHUANBAO_READ_CHUNK"]))
    values.update(overrides)
    return Settings(**values)


def _protocol(url: str | Path) -> str | None:
    text = str(url)
    return text.split("::")[0].split("://")[0].lower() if "://" in text else None


def is_remote_url(url: str | Path) -> bool:
    """True for an fsspec URL that is not the local file system (`s3://…`, `memory://…`)."""
    return isinstance(url, str) and _protocol(url) not in (None, "file", "local")


def local_path(url: str | Path) -> str | Path:
    """`file:///x` -> `/x`; a plain path unchanged."""
    return str(url).split("://", 1)[1] if _protocol(url) in ("file", "local") else url


def lake_fs(url: str | Path):
    """(fsspec filesystem, path inside it) for a local path or an fsspec URL."""
    from fsspec.core import url_to_fs

    return url_to_fs(str(url))


def is_local_fs(fs) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocol or "local" in protocol
