"""A district's plan as data: `plan.toml` of `<home>/reference/<year>/` (district-plan.md), with `kinds.csv`.

This module owns plan.toml: reading it, its defaults when absent, and its problems; kinds.csv is
tasks/core/kinds.py's, and the problems of both files are listed here together for `reference check`.

- `plan.toml`: `[report]` title (the masthead, exactly) and issuer (the 版记's 印发机关); `[campaign]` name,
  start, end; `[[milestones]]` name, date, share; `[[cadences]]` kept as raw tables for later use; a
  top-level `source` note (where the plan's figures come from). Without the file: no campaign, no
  milestone, title "<district>工作专报", issuer the `office` setting.
- `kinds.csv` (tasks/core/kinds.py): `kind, label, ranked, order` — the unit kinds `units.csv` may use.

`plan_problems` lists every problem (file, row, column, message) for `reference check`; `load_plan`
and `load_kinds` stop at the first error with a `ReferenceError`, as `load_reference` does.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from zhuanbao.tasks.core.kinds import Kinds, read_kinds
from zhuanbao.tasks.core.reference_files import PlanProblem, raise_first

PLAN_FILE = "plan.toml"
KEYS: dict[str, tuple[str, ...]] = {
    "": ("source", "report", "campaign", "milestones", "cadences"),
    "report": ("title", "issuer", "by_leader"),
    "campaign": ("name", "start", "end"),
    "milestones": ("name", "date", "share"),
}


@dataclass(frozen=True)
class Campaign:
    """The campaign (攻坚行动) the plan runs: "距…还有N天" only when it has an end."""

    name: str
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Milestone:
    """A milestone such as 双过半: by `date`, `share` of the year's target (0 < share ≤ 1)."""

    name: str
    date: date
    share: float


@dataclass(frozen=True)
class Plan:
    """What a district declares about its 专报; `declared` is False when built from the defaults."""

    title: str
    issuer: str
    campaign: Campaign | None = None
    milestones: tuple[Milestone, ...] = ()
    cadences: tuple[dict, ...] = ()  # raw `[[cadences]]` tables, read leniently (a later feature)
    by_leader: bool = False  # the 专报 also lists tasks by 牵头区领导
    source: str = ""  # where the plan's figures come from (e.g. "示例：部分数字为虚构")
    declared: bool = False


def default_plan(district: str, office: str) -> Plan:
    """The plan of a home without plan.toml: no campaign, no milestone, "<district>工作专报", issued by `office`."""
    return Plan(title=f"{district}工作专报", issuer=office)


# --- plan.toml -----------------------------------------------------------------------------------------------

def _line_of(lines: list[str], table: str, index: int, key: str | None) -> int | None:
    """The line of `key` in the `index`-th `[table]` / `[[table]]` (table "" = top level), else the header's."""
    current, seen, header = "", {"": 0}, None
    for number, text in enumerate(lines, start=1):
        stripped = text.strip()
        match = re.match(r"^\[\[?\s*([^\]\s]+)\s*\]\]?", stripped)
        if match:
            current = match.group(1)
            seen[current] = seen.get(current, -1) + 1
            if current == table and seen[current] == index:
                header = number
            continue
        if current == table and seen.get(current) == index and key is not None \
                and re.match(rf"^{re.escape(key)}\s*=", stripped):
            return number
    return header


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return None  # a moment, not a day
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


class _PlanReader:
    """Reads plan.toml once, collecting every problem with its line."""

    def __init__(self, text: str, year: int | None) -> None:
        self.lines, self.year, self.problems = text.splitlines(), year, []

    def problem(self, table: str, index: int, key: str | None, message: str, severity: str = "error") -> None:
        self.problems.append(PlanProblem(PLAN_FILE, _line_of(self.lines, table, index, key),
                                         f"{table}.{key}" if table and key else (key or table or None),
                                         message, severity))

    def unknown(self, table: str, index: int, values: dict) -> None:
        for key in values:
            if key not in KEYS[table]:
                where = f"[{table}] 中" if table else "顶层"
                self.problem(table, index, key, f"{where}未知的键“{key}”（可用的键：{'、'.join(KEYS[table])}）")

    def day(self, table: str, index: int, values: dict, key: str, *, required: bool) -> date | None:
        if key not in values:
            if required:
                self.problem(table, index, key, f"缺少“{key}”（ISO 日期，如 2020-06-30）")
            return None
        day = _as_date(values[key])
        if day is None:
            self.problem(table, index, key, f"“{values[key]}”不是日期（应为 ISO 日期，如 2020-06-30）")
        elif self.year and day.year != self.year:
            self.problem(table, index, key, f"日期 {day} 不在参考表年度 {self.year} 年内", "warning")
        return day

    def section(self, data: dict, table: str) -> dict | None:
        values = data.get(table)
        if values is None:
            return None
        if not isinstance(values, dict):
            self.problem("", 0, table, f"“{table}”应写成 [{table}] 表")
            return None
        self.unknown(table, 0, values)
        return values

    def read(self, data: dict, default: Plan) -> Plan:
        self.unknown("", 0, data)
        source = data.get("source", "")
        if not isinstance(source, str):
            self.problem("", 0, "source", "应为文字（用引号括起）")
            source = ""
        title, issuer, by_leader = default.title, default.issuer, False
        report = self.section(data, "report")
        if report is not None:
            for key in ("title", "issuer"):
                if key in report and _text(report[key]) is None:
                    self.problem("report", 0, key, "应为非空文字（用引号括起）")
            title = _text(report.get("title")) or title
            issuer = _text(report.get("issuer")) or issuer
            by_leader = report.get("by_leader", False)
            if not isinstance(by_leader, bool):
                self.problem("report", 0, "by_leader", f"“{by_leader}”应为 true 或 false")
                by_leader = False
        return Plan(title=title, issuer=issuer, campaign=self.campaign(data), milestones=self.milestones(data),
                    cadences=self.cadences(data), by_leader=by_leader, source=source.strip(), declared=True)

    def campaign(self, data: dict) -> Campaign | None:
        values = self.section(data, "campaign")
        if values is None:
            return None
        name = _text(values.get("name"))
        if name is None:
            self.problem("campaign", 0, "name", "缺少活动名称（如 name = \"奋战一百天\"）")
        start = self.day("campaign", 0, values, "start", required=False)
        end = self.day("campaign", 0, values, "end", required=False)
        if start and end and end < start:
            self.problem("campaign", 0, "end", f"结束日期 {end} 早于开始日期 {start}")
        return Campaign(name or "", start, end)

    def milestones(self, data: dict) -> tuple[Milestone, ...]:
        values = data.get("milestones", [])
        if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
            self.problem("", 0, "milestones", "里程碑应写成 [[milestones]] 表（每个里程碑一段）")
            return ()
        out = []
        for index, item in enumerate(values):
            self.unknown("milestones", index, item)
            name = _text(item.get("name"))
            if name is None:
                self.problem("milestones", index, "name", "缺少里程碑名称（如 name = \"双过半\"）")
            day = self.day("milestones", index, item, "date", required=True)
            share = item.get("share")
            if share is None:
                self.problem("milestones", index, "share", "缺少 share（应完成全年目标的比例，如 0.5）")
            elif isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
                self.problem("milestones", index, "share", f"“{share}”应为大于 0、不超过 1 的小数（如 0.5 表示过半）")
                share = None
            if name and day and share is not None:
                out.append(Milestone(name, day, float(share)))
        return tuple(sorted(out, key=lambda m: m.date))

    def cadences(self, data: dict) -> tuple[dict, ...]:
        values = data.get("cadences", [])
        if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
            self.problem("", 0, "cadences", "调度频次应写成 [[cadences]] 表（每个频次一段）")
            return ()
        return tuple(dict(v) for v in values)


def _plan(folder: Path, default: Plan, year: int | None) -> tuple[Plan, list[PlanProblem]]:
    path = folder / PLAN_FILE
    if not path.is_file():
        return default, []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return default, [PlanProblem(PLAN_FILE, None, None, f"不是 UTF-8 编码（第{exc.start}字节），请另存为 UTF-8")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        return default, [PlanProblem(PLAN_FILE, int(line.group(1)) if line else None, None,
                                     f"不是合法的 TOML 格式（{exc}）：文字要用英文双引号括起，日期写成 2020-06-30")]
    reader = _PlanReader(text, year)
    plan = reader.read(data, default)
    return plan, reader.problems


def _year_of(folder: Path) -> int | None:
    return int(folder.name) if folder.name.isdigit() else None


def load_plan(folder: Path, *, district: str, office: str) -> Plan:
    """The plan of `folder` (`reference/<year>/`), or the default one; `ReferenceError` at the first error."""
    plan, problems = _plan(Path(folder), default_plan(district, office), _year_of(Path(folder)))
    raise_first(Path(folder), problems)
    return plan


# --- both ----------------------------------------------------------------------------------------------------

def plan_problems(folder: Path) -> tuple[Kinds, list[PlanProblem]]:
    """Every problem of plan.toml and kinds.csv in `folder` (and the kinds read, to check units.csv against).

    A folder without plan.toml gets one warning saying what stands instead (the default title and issuer)."""
    folder = Path(folder)
    _, problems = _plan(folder, default_plan("", ""), _year_of(folder))
    if not (folder / PLAN_FILE).is_file():
        problems.append(PlanProblem(PLAN_FILE, None, None, "没有 plan.toml：专报标题用“区名（设置项 district）+工作专报”，"
                                    "编印单位用设置项 office，不写活动倒计时和里程碑（如“双过半”）；"
                                    "需要时请按“为本区建立参考表”新建 plan.toml", "warning"))
    kinds, kind_problems = read_kinds(folder)
    return kinds, problems + kind_problems
