"""One settings object: where the home is, which database, the calendar and the score weights.

Everything that differs between an office PC and a province cluster is read here, and nowhere
else: from `ZHUANBAO_*` environment variables, which override an office's optional
`<home>/zhuanbao.toml` (same names in lower case, without the prefix: `deadline_day = 20`,
`office = "…"`). Read once at the boundary (the CLI, a flow's entry) and passed down.

The home is a local folder by default. `ZHUANBAO_HOME` may also be an fsspec URL
(`s3://bucket/zhuanbao`, `memory://zhuanbao`, …): then the shared data lake — `raw/` and
`curated/` — lives there (`Settings.lake`), and what needs a local disk (inbox, reference
tables, reports, locks, the read cache, a SQLite registry) lives in `ZHUANBAO_LOCAL_HOME`
(default `./data_lake`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    unit_quota_bytes: int = 200 * 1024 * 1024  # raw storage one unit's uploads may take in one period
    max_rows: int = 2000  # per sheet; a workbook declaring or holding more is rejected unread (H00)
    max_columns: int = 200
    max_inflated_bytes: int = 50 * 1024 * 1024  # an .xlsx's parts, unzipped
    read_memory_mb: int = 1024  # address space a file's reader process may add (RLIMIT_AS)
    read_timeout_seconds: float = 60  # wall clock one file may take to read
    issuing_office: str = "大通湖区“奋战一百天”领导小组办公室"
    district: str = "大通湖区"
    form_prefix: str = "大通湖调"  # 表号 of the generated forms: 大通湖调1表, 2表, 3表
    form_approval: str = ""  # 批准（备案）机关及文号 printed on the generated forms
    send_to: str = ""  # where units send their workbooks (e-mail, portal), printed under each form
    score_weights: dict[str, float] = field(
        default_factory=lambda: {"on_track": 0.7, "on_time": 0.2, "explained": 0.1}
    )
    report_detail_rows: int = 30  # longest list printed in the 专报; the rest goes to the Excel 附表
    lake: str | None = None  # fsspec URL of raw/ and curated/ when they are not under the local home
    task_runner: str = "thread"  # where the per-file reads run: "thread" (in the flow's process) or "dask"
    dask_address: str | None = None  # an existing dask.distributed scheduler (tcp://…); None: a LocalCluster
    dask_workers: int = 2  # worker processes of that LocalCluster
    read_chunk_files: int = 100  # files per read task (amortises the per-task overhead)
    lock_wait_seconds: float = 600  # how long a second writer of a period waits for the first
    upload_lock_wait_seconds: float = 5  # how long an upload waits for a busy period before answering 已收到
    flow_timeout_minutes: float = 120  # a run longer than this is stopped (and releases the period's lock)
    smtp_host: str | None = None  # notices by e-mail; without a host they go to <home>/outbox/ as .eml
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_sender: str = "zhuanbao@localhost"
    notify_to: tuple[str, ...] = ()
    portal_secret_key: str | None = None  # signs the portal's session cookies; None: <home>/portal.secret
    portal_cookie_secure: bool = False  # True behind the office's HTTPS proxy: cookies only over HTTPS
    portal_allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")  # Host headers the portal answers
    portal_session_minutes: float = 30  # idle time after which a portal login expires
    portal_trusted_proxies: str = "127.0.0.1"  # whose X-Forwarded-For/-Proto the portal believes
    token_days: int = 180  # an API token expires this many days after it was issued
    login_delay_max_seconds: float = 30  # longest wait of a login after repeated failures (1 s, 2 s, 4 s … this)

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


class SettingsError(ValueError):
    """A setting has a value zhuanbao cannot use (names the variable or the zhuanbao.toml key)."""


class _Sources(BaseSettings):
    """The ZHUANBAO_* variables and <home>/zhuanbao.toml, parsed and validated (environment wins)."""

    model_config = SettingsConfigDict(env_prefix="ZHUANBAO_", extra="ignore")

    deadline_day: int = Field(15, ge=1, le=31)
    timezone: str = "Asia/Shanghai"
    deadline_overrides: dict[str, int] = {}
    max_file_mb: float = Field(20, gt=0)
    unit_quota_mb: float = Field(200, gt=0)
    max_rows: int = Field(2000, ge=10)
    max_columns: int = Field(200, ge=10)
    max_inflated_mb: float = Field(50, gt=0)
    read_memory_mb: int = Field(1024, ge=64)
    read_timeout_seconds: float = Field(60, gt=0)
    office: str = "大通湖区“奋战一百天”领导小组办公室"
    district: str = "大通湖区"
    form_prefix: str = "大通湖调"
    form_approval: str = ""
    send_to: str = ""
    score_weights: dict[str, float] = {"on_track": 0.7, "on_time": 0.2, "explained": 0.1}
    report_detail_rows: int = Field(30, ge=1)
    task_runner: str = "thread"
    dask_address: str | None = None
    dask_workers: int = Field(2, ge=1)
    read_chunk: int = Field(100, ge=1)
    lock_wait_seconds: float = Field(600, ge=0)
    upload_lock_wait_seconds: float = Field(5, ge=0)
    flow_timeout_minutes: float = Field(120, gt=0)
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_sender: str = "zhuanbao@localhost"
    notify_to: str = ""
    portal_secret_key: str | None = None
    portal_cookie_secure: bool = False
    portal_allowed_hosts: str = "127.0.0.1,localhost"
    portal_session_minutes: float = Field(30, gt=0)
    portal_trusted_proxies: str = "127.0.0.1"
    token_days: int = Field(180, ge=1)
    login_delay_max_seconds: float = Field(30, ge=0)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        return env_settings, init_settings  # init = zhuanbao.toml's values; the environment overrides them


def read_toml(home: Path) -> dict:
    """The office's `<home>/zhuanbao.toml` (flat keys named like the variables without ZHUANBAO_), or {}."""
    path = Path(home) / "zhuanbao.toml"
    if not path.is_file():
        return {}
    import tomllib

    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"设置文件 {path} 格式有误：{exc}") from None


def load_settings(**overrides) -> Settings:
    """The settings, read once at the boundary (CLI, flow entry): keyword overrides (tests, --home) >
    ZHUANBAO_* environment > <home>/zhuanbao.toml > defaults."""
    env = os.environ
    home = overrides.pop("home", None) or env.get("ZHUANBAO_HOME") or "data_lake"
    lake = overrides.pop("lake", None)
    if is_remote_url(home):  # the lake is shared storage; the local parts need a folder of their own
        home, lake = Path(env.get("ZHUANBAO_LOCAL_HOME") or "data_lake").resolve(), str(home)
    else:
        home = Path(local_path(home)).resolve()
    toml = read_toml(home)
    try:
        parsed = _Sources(**{k: v for k, v in toml.items() if k in _Sources.model_fields})
    except ValidationError as exc:
        problems = "；".join(f"ZHUANBAO_{'.'.join(map(str, e['loc'])).upper()}：{e['msg']}" for e in exc.errors())
        raise SettingsError(f"设置有误（环境变量或 {home / 'zhuanbao.toml'}）：{problems}") from None
    db_url = overrides.pop("db_url", None) or env.get("ZHUANBAO_DB_URL") or toml.get("db_url") or (
        f"sqlite:///{home / 'zhuanbao.sqlite'}")
    values: dict = {
        "home": home, "db_url": db_url, "lake": lake, "deadline_day": parsed.deadline_day,
        "timezone": parsed.timezone, "deadline_overrides": parsed.deadline_overrides,
        "max_file_bytes": int(parsed.max_file_mb * 1024 * 1024), "issuing_office": parsed.office,
        "unit_quota_bytes": int(parsed.unit_quota_mb * 1024 * 1024),
        "district": parsed.district, "form_prefix": parsed.form_prefix, "form_approval": parsed.form_approval,
        "send_to": parsed.send_to,
        "max_rows": parsed.max_rows, "max_columns": parsed.max_columns,
        "max_inflated_bytes": int(parsed.max_inflated_mb * 1024 * 1024),
        "read_memory_mb": parsed.read_memory_mb, "read_timeout_seconds": parsed.read_timeout_seconds,
        "score_weights": parsed.score_weights, "report_detail_rows": parsed.report_detail_rows,
        "task_runner": parsed.task_runner.strip().lower() or "thread",
        "dask_address": (parsed.dask_address or "").strip() or None, "dask_workers": parsed.dask_workers,
        "read_chunk_files": parsed.read_chunk, "lock_wait_seconds": parsed.lock_wait_seconds,
        "upload_lock_wait_seconds": parsed.upload_lock_wait_seconds,
        "flow_timeout_minutes": parsed.flow_timeout_minutes, "smtp_host": parsed.smtp_host or None,
        "smtp_port": parsed.smtp_port, "smtp_starttls": parsed.smtp_starttls, "smtp_user": parsed.smtp_user,
        "smtp_password": parsed.smtp_password, "smtp_sender": parsed.smtp_sender,
        "notify_to": tuple(a.strip() for a in parsed.notify_to.split(",") if a.strip()),
        "portal_secret_key": parsed.portal_secret_key or None, "portal_cookie_secure": parsed.portal_cookie_secure,
        "portal_allowed_hosts": tuple(h.strip() for h in parsed.portal_allowed_hosts.split(",") if h.strip()),
        "portal_session_minutes": parsed.portal_session_minutes,
        "portal_trusted_proxies": parsed.portal_trusted_proxies,
        "token_days": parsed.token_days, "login_delay_max_seconds": parsed.login_delay_max_seconds,
    }
    try:
        ZoneInfo(values["timezone"])
    except (KeyError, ValueError):
        raise SettingsError(f"ZHUANBAO_TIMEZONE：未知的时区“{values['timezone']}”（应如 Asia/Shanghai）") from None
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

    try:
        return url_to_fs(str(url))
    except ImportError as exc:  # s3:// without s3fs: name the extra, not a traceback
        from zhuanbao.tasks.core.extras import lake_protocol_missing

        raise lake_protocol_missing(str(url), exc) from None


def is_local_fs(fs) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocol or "local" in protocol
