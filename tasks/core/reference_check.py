"""`zhuanbao reference check`: every problem of a year's reference tables, each with file, row and column.

Unlike `load_reference` (which stops at the first problem a run cannot live with), this reads the
five CSVs as a statistician saved them and lists everything: the encoding found (GBK and BOM are
read, and named), Excel's trailing empty columns, missing and unknown columns, empty or invalid
values, duplicate codes, targets/projects/tasks naming units or indicators that do not exist,
indicators nobody reports and units that report nothing. `error` problems stop a run (or assign
wrongly); `warning` ones are read fine but should be fixed.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .plan import Kinds
from .plan_files import plan_problems
from .reference import COLUMNS, OPTIONAL_COLUMNS, TARGET_KINDS, split_codes
from .reference_files import ReferenceError, decode_table

ENUMS: dict[tuple[str, str], set[str]] = {  # units.unit_kind: the kinds of kinds.csv (plan_files.read_kinds)
    ("indicators", "target_kind"): TARGET_KINDS,
    ("indicators", "direction"): {"higher", "lower"}, ("indicators", "frequency"): {"M", "Q"},
    ("indicators", "additive"): {"true", "false"}, ("projects", "batch"): {"竣工完工", "复工推进", "新开工"},
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "units": ("unit_code", "unit_name", "unit_kind", "short_name"),
    "indicators": ("indicator_code", "indicator_name", "measure", "target_kind", "direction", "frequency", "additive"),
    "targets": ("unit_code", "indicator_code", "target_value"),
    "projects": ("project_code", "project_name", "batch", "annual_plan_wan", "unit_code"),
    "tasks": ("task_code", "task_name", "lead_unit"),
}
NUMBERS = {("targets", "target_value"), ("targets", "half_year_value"), ("targets", "tolerance"),
           ("projects", "annual_plan_wan")}
KEYS = {"units": ("unit_code",), "indicators": ("indicator_code",), "targets": ("unit_code", "indicator_code"),
        "projects": ("project_code",), "tasks": ("task_code",)}


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None  # the line in the file (the header is line 1)
    column: str | None
    message: str
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        label = "键" if self.file.endswith(".toml") else "列"
        where = self.file + (f" 第{self.row}行" if self.row else "") + (f" {label} {self.column}" if self.column else "")
        return f"{where}：{self.message}"


@dataclass
class Table:
    name: str
    rows: list[tuple[int, dict[str, str]]]  # (line, values by column)


def _read(folder: Path, name: str, problems: list[Problem]) -> Table | None:
    file = f"{name}.csv"
    path = folder / file
    if not path.is_file():
        problems.append(Problem(file, None, None, f"文件不存在（应在 {folder}）"))
        return None
    data = path.read_bytes()
    try:
        text, encoding = decode_table(data)
    except UnicodeDecodeError as exc:
        problems.append(Problem(file, None, None, f"既不是 UTF-8 也不是 GBK 编码，无法读取（第{exc.start}字节），请另存为“CSV UTF-8”"))
        return None
    if encoding != "UTF-8":
        why = "带 BOM（Excel“CSV UTF-8”格式）" if encoding == "UTF-8 BOM" else "为 GBK 编码（Excel“CSV（逗号分隔）”格式）"
        problems.append(Problem(file, None, None, f"文件{why}：已按 {encoding} 读取；建议用 UTF-8（无 BOM）保存", "warning"))
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    records = [(reader.line_num, cells) for cells in reader]
    width = len(header)
    while header and not header[-1] and all(len(c) < len(header) or not c[len(header) - 1].strip()
                                            for _, c in records):
        header.pop()
    if len(header) < width:
        problems.append(Problem(file, 1, f"第{len(header) + 1}～{width}列" if width - len(header) > 1
                                else f"第{width}列", f"表头后有 {width - len(header)} 个空列（Excel 另存时多出的逗号），"
                                "已忽略；请删除这些列后重新保存", "warning"))
    known = COLUMNS[name] + list(OPTIONAL_COLUMNS.get(name, {}))
    for position, column in enumerate(header, start=1):
        if column not in known:
            problems.append(Problem(file, 1, column or f"第{position}列",
                                    f"未知的列（应为 {', '.join(known)}），已忽略", "warning"))
    for column in COLUMNS[name]:
        if column not in header:
            problems.append(Problem(file, 1, column, f"缺少列“{column}”（列应为 {', '.join(COLUMNS[name])}）"))
    rows = []
    for line, cells in records:
        if not any(c.strip() for c in cells) or (cells and cells[0].strip().startswith("#")):
            continue  # blank or commented example row
        extra = [c for c in cells[len(header):] if c.strip()]
        if extra:
            problems.append(Problem(file, line, None, f"本行比表头多出 {len(cells) - len(header)} 个值：{extra}"))
        rows.append((line, {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}))
    if not rows:
        optional = name in ("projects", "tasks")  # an office may track no projects or no tasks
        problems.append(Problem(file, None, None, "没有数据行（以 # 开头的示例行不算）" + ("：本年不报该表" if optional else ""),
                                "warning" if optional else "error"))
    return Table(name, rows)


def _values(table: Table, problems: list[Problem]) -> None:
    file, seen = f"{table.name}.csv", {}
    for line, row in table.rows:
        for column in REQUIRED[table.name]:
            if column in row and not row[column]:
                problems.append(Problem(file, line, column, "不能为空"))
        for (name, column), allowed in ENUMS.items():
            if name == table.name and row.get(column) and row[column] not in allowed:
                problems.append(Problem(file, line, column, f"“{row[column]}”不在 {sorted(allowed)} 中"))
        for name, column in NUMBERS:
            if name == table.name and row.get(column):
                try:
                    number = float(row[column])
                except ValueError:
                    problems.append(Problem(file, line, column, f"“{row[column]}”不是数值"))
                    continue
                if column == "tolerance" and not number >= 0:
                    problems.append(Problem(file, line, column, f"“{row[column]}”：允许偏差应为不小于 0 的数（空白即 0）"))
        key = tuple(row.get(k, "") for k in KEYS[table.name])
        if all(key) and key in seen:
            problems.append(Problem(file, line, "、".join(KEYS[table.name]),
                                    f"“{'/'.join(key)}”重复（第{seen[key]}行已有）"))
        seen.setdefault(key, line)


def _links(tables: dict[str, Table], problems: list[Problem]) -> None:
    codes = {name: {row.get(KEYS[name][0], "") for _, row in t.rows} for name, t in tables.items()}
    units, indicators = codes.get("units"), codes.get("indicators")
    reporting: set[str] = set()

    def unknown_unit(file: str, line: int, column: str, code: str) -> None:
        reporting.add(code)
        if units is not None and code and code not in units:
            problems.append(Problem(file, line, column, f"单位“{code}”不在 units.csv 中"))

    for line, row in tables["targets"].rows if "targets" in tables else ():
        unknown_unit("targets.csv", line, "unit_code", row.get("unit_code", ""))
        if indicators is not None and row.get("indicator_code") and row["indicator_code"] not in indicators:
            problems.append(Problem("targets.csv", line, "indicator_code",
                                    f"指标“{row['indicator_code']}”不在 indicators.csv 中"))
    for line, row in tables["projects"].rows if "projects" in tables else ():
        unknown_unit("projects.csv", line, "unit_code", row.get("unit_code", ""))
    for line, row in tables["tasks"].rows if "tasks" in tables else ():
        for code in split_codes(row.get("lead_unit", "")) or [""]:
            unknown_unit("tasks.csv", line, "lead_unit", code)
        for column in ("lead_unit", "leaders"):
            if "；" in row.get(column, "") or "," in row.get(column, "") or "、" in row.get(column, ""):
                problems.append(Problem("tasks.csv", line, column, "多个值请用英文分号 ; 分隔", "warning"))
        co_units = [u.strip() for u in row.get("co_units", "").replace("；", ";").split(";") if u.strip()]
        for code in co_units:
            unknown_unit("tasks.csv", line, "co_units", code)
        if "；" in row.get("co_units", "") or "," in row.get("co_units", ""):
            problems.append(Problem("tasks.csv", line, "co_units", "多个配合单位请用英文分号 ; 分隔", "warning"))
    if "targets" in tables and "indicators" in tables:
        targeted = {row.get("indicator_code") for _, row in tables["targets"].rows}
        for line, row in tables["indicators"].rows:
            if row.get("indicator_code") and row["indicator_code"] not in targeted:
                problems.append(Problem("indicators.csv", line, "indicator_code",
                                        f"指标“{row['indicator_code']}”没有任何单位报送（targets.csv 中没有它）"))
    for line, row in tables["units"].rows if "units" in tables and len(tables) == 5 else ():
        if row.get("unit_code") and row["unit_code"] not in reporting:
            problems.append(Problem("units.csv", line, "unit_code", f"单位“{row['unit_code']}”没有任何应报的指标、"
                                                                   "项目或任务（不会被催报，也不参加排名）", "warning"))


def _kinds(units: Table | None, kinds: Kinds, problems: list[Problem]) -> None:
    """units.csv `unit_kind` must be a kind of kinds.csv (or, without it, one of the four kinds of today)."""
    where = "kinds.csv 的 kind 列" if kinds.declared else "默认的单位类别（如需其他类别，请建立 kinds.csv）"
    for line, row in units.rows if units is not None else ():
        if row.get("unit_kind") and row["unit_kind"] not in kinds:
            problems.append(Problem("units.csv", line, "unit_kind",
                                    f"“{row['unit_kind']}”不在{where} {kinds.codes} 中"))


def check_reference(folder: Path) -> list[Problem]:
    """Every problem of the five tables, plan.toml and kinds.csv in `folder`, in file order (units, indicators,
    targets, projects, tasks, then plan.toml and kinds.csv)."""
    folder = Path(folder)
    if not folder.is_dir():
        return [Problem(str(folder), None, None, "参考表目录不存在：请先运行 zhuanbao init 或 zhuanbao reference roll")]
    problems: list[Problem] = []
    tables = {}
    for name in COLUMNS:
        table = _read(folder, name, problems)
        if table is not None:
            _values(table, problems)
            tables[name] = table
    _links(tables, problems)
    kinds, plan_found = plan_problems(folder)
    problems.extend(Problem(*p) for p in plan_found)
    _kinds(tables.get("units"), kinds, problems)
    if not any(p.severity == "error" for p in problems):  # the loader agrees, or says what was missed
        from .reference import load_reference
        from .settings import Settings

        try:
            load_reference(Settings(home=folder.parent.parent, db_url="sqlite://"), int(folder.name))
        except (ReferenceError, ValueError) as exc:
            problems.append(Problem(folder.name, None, None, str(exc)))
    order = [*COLUMNS, "plan", "kinds"]
    return sorted(problems, key=lambda p: (order.index(Path(p.file).stem) if Path(p.file).stem in order else 9, p.row or 0))
