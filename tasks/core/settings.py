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
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, TomlConfigSettingsSource

from . import catalog, periods
from .catalog import is_remote_url, local_path
from .plan_files import load_plan

MIB = 1024 * 1024
# settings whose variable and zhuanbao.toml key differ from the attribute: key -> (attribute, factor)
_RENAMED = {"max_file_mb": ("max_file_bytes", MIB), "unit_quota_mb": ("unit_quota_bytes", MIB),
            "max_inflated_mb": ("max_inflated_bytes", MIB), "office": ("issuing_office", None),
            "read_chunk": ("read_chunk_files", None)}
_KEY = {attribute: key for key, (attribute, _factor) in _RENAMED.items()}


def _key(name: str) -> Any:
    """The zhuanbao.toml key (ZHUANBAO_ + it in capitals: the variable) of an attribute named otherwise."""
    return AliasChoices(_KEY[name], name)


Names = Annotated[tuple[str, ...], NoDecode]  # "a,b" in the variable or the toml file: a comma-separated list


class Settings(BaseSettings):
    """What a run needs to know about its surroundings: keyword overrides > ZHUANBAO_* > zhuanbao.toml > defaults.

    The variable of a setting is ZHUANBAO_ + its zhuanbao.toml key in capitals; the key is the attribute's
    name except for the five in `_RENAMED` (megabytes read into bytes, `office`, `read_chunk`)."""

    model_config = SettingsConfigDict(env_prefix="ZHUANBAO_", env_prefix_target="all", extra="ignore",
                                      frozen=True, populate_by_name=True)

    home: Path = Path("data_lake")
    db_url: str = ""  # "": sqlite:///<home>/zhuanbao.sqlite
    deadline_day: int = Field(15, ge=1, le=31)
    timezone: str = "Asia/Shanghai"
    deadline_overrides: dict[str, int] = {}
    max_file_bytes: int = Field(20 * MIB, gt=0, validation_alias=_key("max_file_bytes"))
    unit_quota_bytes: int = Field(200 * MIB, gt=0, validation_alias=_key("unit_quota_bytes"))  # one unit, one period
    max_rows: int = Field(2000, ge=10)  # per sheet; a workbook declaring or holding more is rejected unread (H00)
    max_columns: int = Field(200, ge=10)
    max_inflated_bytes: int = Field(50 * MIB, gt=0, validation_alias=_key("max_inflated_bytes"))  # .xlsx unzipped
    read_memory_mb: int = Field(1024, ge=64)  # address space a file's reader process may add (RLIMIT_AS)
    read_timeout_seconds: float = Field(60, gt=0)  # wall clock one file may take to read
    issuing_office: str = Field("大通湖区“奋战一百天”领导小组办公室", validation_alias=_key("issuing_office"))
    district: str = "大通湖区"
    form_prefix: str = "大通湖调"  # 表号 of the generated forms: 大通湖调1表, 2表, 3表
    form_approval: str = ""  # 批准（备案）机关及文号 printed on the generated forms
    send_to: str = ""  # where units send their workbooks (e-mail, portal), printed under each form
    score_weights: dict[str, float] = {"on_track": 0.7, "on_time": 0.2, "explained": 0.1}
    assess_weights: dict[str, float] = {}  # 考核: weight of a period's score by label ({"2020-06" = 2}); others 1
    assess_later_weigh_more: bool = False  # 考核: the n-th period assessed weighs n (times assess_weights)
    assess_leaders: int = Field(3, ge=0)  # 考核: 先进 named per ranked kind (海州 2019: the first five)
    report_detail_rows: int = Field(30, ge=1)  # longest list printed in the 专报; the rest goes to the Excel 附表
    lake: str | None = None  # fsspec URL of raw/ and curated/ when they are not under the local home
    task_runner: str = "thread"  # where the per-file reads run: "thread" (in the flow's process) or "dask"
    dask_address: str | None = None  # an existing dask.distributed scheduler (tcp://…); None: a LocalCluster
    dask_workers: int = Field(2, ge=1)  # worker processes of that LocalCluster
    read_chunk_files: int = Field(100, ge=1, validation_alias=_key("read_chunk_files"))  # files per read task
    lock_wait_seconds: float = Field(600, ge=0)  # how long a second writer of a period waits for the first
    upload_lock_wait_seconds: float = Field(5, ge=0)  # how long an upload waits for a busy period (then 已收到)
    server_idle_minutes: float = Field(30, ge=0)  # the CLI keeps Prefect's server and the warm checker this long
    # after its last command (`zhuanbao server stop` ends them at once); 0: a temporary server per command
    warm_runner: bool = True  # beside that kept server, a process with the run's libraries imported runs `run`,
    # `rerun` and `backfill` in a fork of itself (flows/warm_runner.py): ≈ 2–3 s of imports less per command
    warm_renderer: bool = False  # the warm checker also lays out the 专报 PDF while the run writes the Word file and
    # the 附表 (tasks/report/warm_render.py): ≈ 2 s CPU less in the run, no wall time gained on 2 cores, and the
    # checker answers no upload while it renders — for a machine with cores to spare
    flow_timeout_minutes: float = Field(120, gt=0)  # a longer run is stopped (and releases the period's lock)
    smtp_host: str | None = None  # e-mail recipients' server (Apprise mailto://); without it they go to <home>/outbox/
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_sender: str = "zhuanbao@localhost"
    notify_to: Names = ()  # e-mail addresses or Apprise URLs for a role with no registered recipient
    notice_attempts: int = Field(3, ge=1)  # tries per recipient before a delivery is recorded as failed
    notice_retry_seconds: float = Field(2, ge=0)  # wait before the second try, doubling after each
    portal_url: str | None = None  # the 填报门户's address as units open it, printed in 催报 and notices
    portal_secret_key: str | None = None  # signs the portal's session cookies; None: <home>/portal.secret
    portal_cookie_secure: bool = False  # True behind the office's HTTPS proxy: cookies only over HTTPS
    portal_allowed_hosts: Names = ("127.0.0.1", "localhost")  # Host headers the portal answers
    portal_session_minutes: float = Field(30, gt=0)  # idle time after which a portal login expires
    portal_trusted_proxies: str = "127.0.0.1"  # whose X-Forwarded-For/-Proto the portal believes
    token_days: int = Field(180, ge=1)  # an API token expires this many days after it was issued
    login_delay_max_seconds: float = Field(30, ge=0)  # longest wait of a login after repeated failures

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        home = init_settings.init_kwargs.get("home") or os.environ.get("ZHUANBAO_HOME") or "data_lake"
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, catalog.settings_file(home))

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, values: Any) -> Any:
        """Megabytes to bytes; the default registry inside the home."""
        if not isinstance(values, dict):
            return values
        values = dict(values)
        for key, (attribute, factor) in _RENAMED.items():
            if key in values and factor is not None:
                try:
                    megabytes = float(values.pop(key))
                except (TypeError, ValueError):
                    raise ValueError(f"ZHUANBAO_{key.upper()} 应为数字（兆字节）") from None
                if megabytes <= 0:
                    raise ValueError(f"ZHUANBAO_{key.upper()} 应大于 0（兆字节）")
                values[attribute] = int(megabytes * factor)
        if not values.get("db_url"):
            values["db_url"] = f"sqlite:///{catalog.registry_file(values.get('home') or 'data_lake')}"
        return values

    @field_validator("notify_to", "portal_allowed_hosts", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        return tuple(n.strip() for n in value.split(",") if n.strip()) if isinstance(value, str) else value

    @field_validator("task_runner", mode="before")
    @classmethod
    def _runner(cls, value: Any) -> Any:
        return (value.strip().lower() or "thread") if isinstance(value, str) else value

    @field_validator("dask_address", "smtp_host", "portal_secret_key", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return (value.strip() or None) if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (KeyError, ValueError):
            raise ValueError(f"未知的时区“{value}”（应如 Asia/Shanghai）") from None
        return value

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
        return catalog.reference_dir(self.home, year)

    def inbox_dir(self, period: str) -> Path:
        return catalog.inbox_dir(self.home, period)

    @property
    def raw_dir(self) -> Path | str:
        """raw/ in the lake: a local Path, or a URL string when the lake is remote."""
        return catalog.raw_dir(self.lake_url)

    @property
    def curated_dir(self) -> Path | str:
        """curated/ in the lake: a local Path, or a URL string when the lake is remote."""
        return catalog.curated_dir(self.lake_url)

    @property
    def expectations_dir(self) -> Path:
        """The rule suites this home uses (its own `expectations/`, else the packaged ones)."""
        from .resources import expectations_dir

        return expectations_dir(self.home)

    @property
    def template_dirs(self) -> list[Path]:
        """Template folders, the home's first (file-by-file override of the packaged templates)."""
        from .resources import template_dirs

        return template_dirs(self.home)

    def reports_dir(self, period: str) -> Path:
        return catalog.reports_dir(self.home, period)

    def deadline(self, period: str) -> datetime:
        """The last instant a file for `period` counts as on time (spec §2; tasks/core/periods.py): a month's on the
        deadline day of the next; another cadence's `deadline_days` (plan.toml) after its last day."""
        if not periods.is_monthly(period):
            return periods.period_deadline(period, cadence_deadline_days(self, period), self.tz)
        return periods.deadline(period, self.deadline_day, self.tz, self.deadline_overrides)


def cadence_deadline_days(settings: Settings, period: str) -> int:
    """`deadline_days` of the plan's cadence of `period` (its year's plan.toml); 3 when the plan does not declare it."""
    year, _ = periods.period_parts(period)
    try:
        plan = load_plan(settings.reference_dir(year), district=settings.district, office=settings.issuing_office)
    except ValueError:
        plan = None
    cadence = plan.cadence(periods.cadence_of(period)) if plan is not None else None
    return cadence.deadline_days if cadence is not None else 3


# every zhuanbao.toml key (and, in capitals after ZHUANBAO_, every variable)
SETTING_KEYS = frozenset(_KEY.get(name, name) for name in Settings.model_fields) - {"home", "lake"}

_PROBLEMS = {  # pydantic's error types, in the office's words
    "int_parsing": "应为整数", "int_from_float": "应为整数", "float_parsing": "应为数字", "bool_parsing": "应为 true 或 false",
    "greater_than": "应大于 {gt}", "greater_than_equal": "应不小于 {ge}", "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}", "dict_type": "应为表（如 {{ on_track = 0.7 }}）", "string_type": "应为文字",
}


class SettingsError(ValueError):
    """A setting has a value zhuanbao cannot use (names the variable or the zhuanbao.toml key)."""


def _problem(error: dict) -> str:
    """One error of pydantic as `ZHUANBAO_NAME（zhuanbao.toml 的 name）：what is wrong，现为 value`."""
    loc = [str(part) for part in error["loc"]]
    if not loc:  # raised by a validator with our own words
        return str(error.get("ctx", {}).get("error") or error["msg"])
    key = _KEY.get(loc[0], loc[0])
    text = _PROBLEMS.get(error["type"], "").format(**error.get("ctx", {}))
    if not text:
        text = str(error.get("ctx", {}).get("error") or error["msg"])
    value = error.get("input")
    shown = f"，现为“{value}”" if isinstance(value, (str, int, float)) and error["type"] != "value_error" else ""
    return f"ZHUANBAO_{key.upper()}（zhuanbao.toml 的 {'.'.join([key, *loc[1:]])}）{text}{shown}"


def load_settings(**overrides) -> Settings:
    """The settings, read once at the boundary (CLI, flow entry): keyword overrides (tests, --home) >
    ZHUANBAO_* environment > <home>/zhuanbao.toml > defaults."""
    env = os.environ
    home = overrides.pop("home", None) or env.get("ZHUANBAO_HOME") or "data_lake"
    if is_remote_url(home):  # the lake is shared storage; the local parts need a folder of their own
        home, overrides["lake"] = Path(env.get("ZHUANBAO_LOCAL_HOME") or "data_lake").resolve(), str(home)
    else:
        home = Path(local_path(home)).resolve()
    overrides.setdefault("lake", None)
    try:
        return Settings(home=home, **overrides)
    except ValidationError as exc:
        problems = "；".join(_problem(e) for e in exc.errors())
        raise SettingsError(f"设置有误（环境变量或 {catalog.settings_file(home)}）：{problems}") from None
    except (ValueError, UnicodeDecodeError) as exc:  # tomllib.TOMLDecodeError is a ValueError
        raise SettingsError(f"设置文件 {catalog.settings_file(home)} 格式有误：{str(exc).splitlines()[0]}") from None


def lake_fs(url: str | Path):
    """(fsspec filesystem, path inside it) for a local path or an fsspec URL."""
    from fsspec.core import url_to_fs

    try:
        return url_to_fs(str(url))
    except ImportError as exc:  # s3:// without s3fs: name the extra, not a traceback
        from .extras import lake_protocol_missing

        raise lake_protocol_missing(str(url), exc) from None


def is_local_fs(fs) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocol or "local" in protocol
