"""One settings object: where the home is, which database, the calendar and the score weights.

Everything that differs between an office PC and a province cluster is read here, from
environment variables, and nowhere else.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
DEMO_REFERENCE_DIR = PROJECT_ROOT / "data_lake" / "reference"


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

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def reference_dir(self, year: int) -> Path:
        return self.home / "reference" / str(year)

    def inbox_dir(self, period: str) -> Path:
        return self.home / "inbox" / period

    @property
    def raw_dir(self) -> Path:
        return self.home / "raw"

    @property
    def curated_dir(self) -> Path:
        return self.home / "curated"

    def reports_dir(self, period: str) -> Path:
        return self.home / "reports" / period

    def deadline(self, period: str) -> datetime:
        """The last instant a file for `period` counts as on time (spec §2)."""
        year, month = (int(p) for p in period.split("-"))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        day = self.deadline_overrides.get(period, self.deadline_day)
        return datetime.combine(date(year, month, day), time(23, 59, 59), tzinfo=self.tz)


def load_settings(**overrides) -> Settings:
    """Settings from the environment (ZHUANBAO_*), with keyword overrides for tests."""
    env = os.environ
    home = Path(overrides.pop("home", None) or env.get("ZHUANBAO_HOME") or "data_lake").resolve()
    db_url = overrides.pop("db_url", None) or env.get("ZHUANBAO_DB_URL") or (
        f"sqlite:///{home / 'zhuanbao.sqlite'}"
    )
    values: dict = {"home": home, "db_url": db_url}
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
    values.update(overrides)
    return Settings(**values)


def period_parts(period: str) -> tuple[int, int]:
    """'2020-04' -> (2020, 4); raises ValueError with the period named otherwise."""
    try:
        year, month = (int(p) for p in period.split("-"))
        if not (1 <= month <= 12 and len(period) == 7):
            raise ValueError
    except ValueError:
        raise ValueError(f"报告期格式应为 YYYY-MM，收到“{period}”") from None
    return year, month


def previous_period(period: str) -> str | None:
    """The month before `period` in the same year, or None in January (H07 compares within a year)."""
    year, month = period_parts(period)
    return None if month == 1 else f"{year}-{month - 1:02d}"
