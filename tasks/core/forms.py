"""The three forms' contract (spec §4): sheet names, titles, column headers and what each column holds.

One owner for what a 表1/表2/表3 looks like: the reader (tasks/intake/workbook.py), the demo writer
(tasks/demo/generate.py) and the form generator (tasks/forms/) all read it, and so do the stores: the
curated partitions' columns and types (`curated_fields`, tasks/curated/consolidate.py) and the frames the
metrics read (`unit_fields`, tasks/metrics/frames.py) are derived here, never listed again. A column is `code` (the
form's key, first), `name`/`measure` (pre-filled), `number` or `text`; `office` marks a column the
office pre-fills (locked on a generated form); `choices` makes a list input.

Also owns the marker of a generated form: a cell `#zhuanbao-form:<form>:<version>` in a hidden
column of the header row (so the header row is found after inserted rows and the form after a
sheet is renamed) and a very hidden sheet `MARKER_SHEET` holding the version, unit code and period.
"""
from __future__ import annotations

from dataclasses import dataclass

FORM_VERSION = "1"
MARKER_SHEET = "zhuanbao"
MARKER_PREFIX = "#zhuanbao-form:"
PROJECT_STATUSES = ("未开工", "在建", "竣工", "停工")
MARKER_SCAN_ROWS = 200  # a unit may insert rows above the header; the marker is still found


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    kind: str = "text"  # code | name | measure | number | text
    required: bool = False
    office: bool = False  # pre-filled by the office from the reference tables (not an input)
    measure: str = ""  # the column's fixed measure (万元, %); "" when it follows the row (表1)
    choices: tuple[str, ...] = ()
    bounds: tuple[float | None, float | None] = (None, None)  # what Excel's data validation lets through

    @property
    def numeric(self) -> bool:
        return self.kind == "number"

    @property
    def is_input(self) -> bool:
        """A cell the unit fills (unlocked on a generated form)."""
        return self.kind in ("number", "text") and not self.office


@dataclass(frozen=True)
class FormSpec:
    form: str  # indicators | projects | tasks (the reference table the rows come from)
    sheet: str
    title: str
    table_no: int  # 表号: 1, 2, 3
    columns: tuple[Column, ...]
    previous_field: str  # the field last month's accepted value is shown for
    previous_header: str

    @property
    def code_field(self) -> str:
        return self.columns[0].field

    @property
    def name_field(self) -> str:
        return next(c.field for c in self.columns if c.kind == "name")

    def column(self, field: str) -> Column:
        return next(c for c in self.columns if c.field == field)


FORM_SPECS: dict[str, FormSpec] = {
    "indicators": FormSpec("indicators", "表1 指标", "表1 主要指标完成情况", 1, (
        Column("indicator_code", "指标代码", "code", True), Column("indicator_name", "指标名称", "name"),
        Column("measure", "计量单位", "measure"), Column("month_value", "本月", "number"),
        Column("cumulative", "1-本月累计", "number", True, bounds=(0, None)), Column("last_year_cumulative", "去年同期累计", "number", bounds=(0, None)),
        Column("reported_growth", "同比增长(%)", "number", measure="%"), Column("note", "说明"),
    ), "cumulative", "上月累计(参考)"),
    "projects": FormSpec("projects", "表2 项目", "表2 重点项目建设进度", 2, (
        Column("project_code", "项目代码", "code", True), Column("project_name", "项目名称", "name"),
        Column("annual_plan", "年度计划投资(万元)", "number", measure="万元", office=True),
        Column("month_investment", "本月完成投资(万元)", "number", measure="万元"),
        Column("cumulative_investment", "1-本月累计完成投资(万元)", "number", True, measure="万元",
               bounds=(0, None)),
        Column("status", "项目状态", "text", True, choices=PROJECT_STATUSES), Column("progress_text", "形象进度"),
        Column("problems", "存在问题"), Column("coordination", "需协调事项"),
    ), "cumulative_investment", "上月累计完成投资(参考)"),
    "tasks": FormSpec("tasks", "表3 任务", "表3 重点工作任务推进情况", 3, (
        Column("task_code", "任务编号", "code", True), Column("task_name", "任务名称", "name"),
        Column("progress_pct", "完成进度(%)", "number", True, measure="%", bounds=(0, 100)), Column("progress_text", "进展情况"),
        Column("problems", "存在问题"), Column("note", "说明"),
    ), "progress_pct", "上月完成进度(参考)"),
}

# The reader's view (kept under the names it has always used)
SHEETS: dict[str, str] = {f: s.sheet for f, s in FORM_SPECS.items()}
HEADERS: dict[str, dict[str, str]] = {f: {c.field: c.header for c in s.columns} for f, s in FORM_SPECS.items()}
NUMERIC: dict[str, tuple[str, ...]] = {f: tuple(c.field for c in s.columns if c.numeric) for f, s in FORM_SPECS.items()}
REQUIRED_HEADERS: dict[str, tuple[str, ...]] = {f: tuple(c.field for c in s.columns if c.required)
                                                for f, s in FORM_SPECS.items()}
CODE_FIELD: dict[str, str] = {f: s.code_field for f, s in FORM_SPECS.items()}


def curated_fields(form: str) -> list[str]:
    """A form's columns in `curated/<form>/`, code first: what the unit fills and the office pre-fills (names
    and measures come from the reference, so they are not stored)."""
    return [c.field for c in FORM_SPECS[form].columns if c.kind not in ("name", "measure")]


def unit_fields(form: str) -> list[str]:
    """A form's columns as the unit reported them (code first): the curated columns but the office's."""
    return [field for field in curated_fields(form) if not FORM_SPECS[form].column(field).office]


def marker_text(form: str) -> str:
    """The marker cell of a generated form's header row."""
    return f"{MARKER_PREFIX}{form}:{FORM_VERSION}"


def marked_form(grid: list[list], scan_rows: int = MARKER_SCAN_ROWS) -> tuple[str, int] | None:
    """(form, header row index) when a sheet's grid carries a generated form's marker cell."""
    for index, row in enumerate(grid[:scan_rows]):
        for cell in row:
            if isinstance(cell, str) and cell.startswith(MARKER_PREFIX):
                form = cell[len(MARKER_PREFIX):].split(":")[0]
                if form in FORM_SPECS:
                    return form, index
    return None


def read_marker_sheet(grid: list[list]) -> dict[str, str]:
    """The very hidden marker sheet's `key | value` rows as a dict (version, unit_code, period)."""
    return {str(row[0]).strip(): str(row[1]).strip() for row in grid if len(row) >= 2 and row[0] not in (None, "")}
