"""Reading a district's plan: `plan.toml` and `kinds.csv` of `<home>/reference/<year>/` (district-plan.md).

This module owns both files' reading and their problems; what they declare (`Plan`, `Kinds`) and the
defaults when a file is absent are tasks/core/plan.py's. `plan_problems` lists every problem (file, row,
column, message; errors and warnings) for `reference check`; `load_plan` and `load_kinds` stop at the first
error with a `ReferenceError`, as `load_reference` does.
"""
from __future__ import annotations

import csv
import io
import re
import tomllib
from datetime import date, datetime
from pathlib import Path

from .plan import Cadence, Campaign, Kind, Kinds, Milestone, Plan, default_plan
from .plan_cadences import CADENCE_KEYS, read_cadences
from .reference_files import BOOLEANS, PlanProblem, decode_table, raise_first

PLAN_FILE = "plan.toml"
KEYS: dict[str, tuple[str, ...]] = {
    "": ("source", "report", "campaign", "milestones", "cadences"),
    "report": ("title", "issuer", "by_leader"),
    "campaign": ("name", "start", "end"),
    "milestones": ("name", "date", "share"),
    "cadences": CADENCE_KEYS,
}
KINDS_FILE = "kinds.csv"
KIND_COLUMNS = ("kind", "label", "ranked", "order")


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

    def cadences(self, data: dict) -> tuple[Cadence, ...]:
        return read_cadences(data, self.problem, self.unknown)


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


# --- kinds.csv -----------------------------------------------------------------------------------------------

def read_kinds(folder: Path) -> tuple[Kinds, list[PlanProblem]]:
    path = folder / KINDS_FILE
    if not path.is_file():
        return Kinds(), []
    problems: list[PlanProblem] = []
    try:
        text, _ = decode_table(path.read_bytes())
    except UnicodeDecodeError as exc:
        return Kinds(), [PlanProblem(KINDS_FILE, None, None, f"既不是 UTF-8 也不是 GBK 编码（第{exc.start}字节），"
                                                             "请另存为“CSV UTF-8”")]
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in KIND_COLUMNS if c not in header]
    for column in missing:
        problems.append(PlanProblem(KINDS_FILE, 1, column, f"缺少列“{column}”（列应为 {', '.join(KIND_COLUMNS)}）"))
    for position, column in enumerate(header, start=1):
        if column and column not in KIND_COLUMNS:
            problems.append(PlanProblem(KINDS_FILE, 1, column, f"未知的列（应为 {', '.join(KIND_COLUMNS)}），已忽略",
                                        "warning"))
    if missing:
        return Kinds(), problems
    kinds, seen = [], {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells) or cells[0].strip().startswith("#"):
            continue
        row = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
        bad = False
        for column in ("kind", "label", "ranked", "order"):
            if not row[column]:
                problems.append(PlanProblem(KINDS_FILE, line, column, "不能为空"))
                bad = True
        if row["ranked"] and row["ranked"].lower() not in BOOLEANS:
            problems.append(PlanProblem(KINDS_FILE, line, "ranked", f"“{row['ranked']}”应为 true 或 false"))
            bad = True
        if row["order"] and not re.fullmatch(r"\d+", row["order"]):
            problems.append(PlanProblem(KINDS_FILE, line, "order", f"“{row['order']}”应为整数（排列顺序，如 1）"))
            bad = True
        if row["kind"] in seen:
            problems.append(PlanProblem(KINDS_FILE, line, "kind", f"“{row['kind']}”重复（第{seen[row['kind']]}行已有）"))
            bad = True
        seen.setdefault(row["kind"], line)
        if not bad:
            kinds.append(Kind(row["kind"], row["label"], BOOLEANS[row["ranked"].lower()], int(row["order"])))
    if not kinds and not problems:
        problems.append(PlanProblem(KINDS_FILE, None, None, "没有数据行：请至少列出一个单位类别，或删除本文件以用默认的四类"))
    return (Kinds(tuple(kinds), declared=True) if kinds else Kinds()), problems


def load_kinds(folder: Path) -> Kinds:
    """The kinds of `folder` (`reference/<year>/`), or the four of today; `ReferenceError` at the first error."""
    kinds, problems = read_kinds(Path(folder))
    raise_first(Path(folder), problems)
    return kinds


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
