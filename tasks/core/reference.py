"""A year's reference tables (spec §3) and who must report what in a period.

The tables live under `<home>/reference/<year>/`; a period is always checked against its own
year's tables. A missing table or column is a `ReferenceError` naming the file and column.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from . import catalog
from .owing import FORMS, check_cadence, forms_collected, units_owing
from .periods import is_quarter_end, period_parts
from .plan import Kinds, Plan
from .plan_files import load_kinds, load_plan
from .reference_files import ReferenceError, decode_table
from .settings import Settings

COLUMNS: dict[str, list[str]] = {
    "units": ["unit_code", "unit_name", "unit_kind", "short_name"],
    "indicators": ["indicator_code", "indicator_name", "measure", "target_kind", "direction",
                   "frequency", "additive", "note"],
    "targets": ["unit_code", "indicator_code", "target_value", "half_year_value", "note"],
    "projects": ["project_code", "project_name", "batch", "annual_plan_wan", "unit_code",
                 "half_year_task"],
    "tasks": ["task_code", "task_area", "task_name", "lead_unit", "co_units"],
}
# Columns a table may lack (folders made before them keep loading): filled with their blank value.
OPTIONAL_COLUMNS: dict[str, dict[str, str]] = {"tasks": {"leaders": ""}, "targets": {"tolerance": ""}}
UNIT_KINDS = {"township", "park", "department", "enterprise"}
TARGET_KINDS = {"growth", "amount", "level"}


@dataclass(frozen=True)
class Reference:
    """The five tables of one year, as string-typed DataFrames (numbers parsed where needed)."""

    year: int
    units: pd.DataFrame
    indicators: pd.DataFrame
    targets: pd.DataFrame
    projects: pd.DataFrame
    tasks: pd.DataFrame  # lead_unit = the first (牵头) of lead_units ("D01;D02"); leaders "张三;李四" or ""
    plan: Plan | None = None  # plan.toml (or its defaults); None only for a Reference built by hand
    kinds: Kinds | None = None  # kinds.csv (or the four kinds of today)

    @cached_property
    def task_leads(self) -> dict[str, list[str]]:
        """task_code -> its lead units, the 牵头 one first (all answer for the task)."""
        column = "lead_units" if "lead_units" in self.tasks.columns else "lead_unit"
        return {code: split_codes(units) for code, units in zip(self.tasks.task_code, self.tasks[column])}

    @cached_property
    def task_leaders(self) -> dict[str, list[str]]:
        """task_code -> its 牵头区领导 (empty when none is declared)."""
        if "leaders" not in self.tasks.columns:
            return {code: [] for code in self.tasks.task_code}
        return {code: split_codes(names) for code, names in zip(self.tasks.task_code, self.tasks.leaders)}

    @cached_property
    def unit_names(self) -> dict[str, str]:
        """unit_code -> unit_name (looked up once per file: a dict, not a column scan)."""
        return dict(zip(self.units.unit_code, self.units.unit_name))

    @cached_property
    def item_names(self) -> dict[str, str]:
        """indicator/project/task code -> its name (a finding or flag names its item)."""
        out = dict(zip(self.indicators.indicator_code, self.indicators.indicator_name))
        out.update(zip(self.projects.project_code, self.projects.project_name))
        out.update(zip(self.tasks.task_code, self.tasks.task_name))
        return out

    @cached_property
    def _codes_by_name(self) -> dict[str, str]:
        return dict(zip(self.units.unit_name, self.units.unit_code))

    def unit_name(self, unit_code: str) -> str:
        return self.unit_names.get(unit_code, unit_code)

    def resolve_unit(self, text: str) -> str | None:
        """A unit code from a code or an exact unit name (spec §4); None when unknown."""
        text = text.strip()
        return text if text in self.unit_names else self._codes_by_name.get(text)

    @cached_property
    def _assignments(self) -> dict[tuple[bool, tuple[str, ...]], pd.DataFrame]:
        return {}

    def forms_of(self, period: str) -> tuple[str, ...]:
        """The forms collected in `period`: all three in a month, a declared cadence's `tables` otherwise."""
        return forms_collected(self.plan, period)

    def assignments(self, period: str) -> pd.DataFrame:
        """One row per (unit_code, form, code) that must be reported for `period` (a copy: callers may change it);
        a period of a declared cadence owes only the cadence's tables."""
        key = (is_quarter_end(period), self.forms_of(period))
        if key not in self._assignments:
            owed = self._owed(key[0])
            self._assignments[key] = owed[owed.form.isin(key[1])].reset_index(drop=True)
        return self._assignments[key].copy()

    @cached_property
    def _owing(self) -> dict[bool, dict[str, list[str]]]:
        return {}

    def owing(self, quarter_end: bool) -> dict[str, list[str]]:
        """Per form, the units owing it (sorted) in a quarter's end or in another month (tasks/core/owing.py)."""
        if quarter_end not in self._owing:
            owed = self._owed(quarter_end)
            self._owing[quarter_end] = {form: sorted(set(owed.loc[owed.form == form, "unit_code"])) for form in FORMS}
        return self._owing[quarter_end]

    def _owed(self, quarter_end: bool) -> pd.DataFrame:
        ind = self.targets.merge(self.indicators[["indicator_code", "frequency"]], on="indicator_code")
        if not quarter_end:
            ind = ind[ind.frequency != "Q"]
        task_rows = [(unit, code) for code, units in self.task_leads.items() for unit in units]
        task_rows += [(u.strip(), r.task_code) for r in self.tasks.itertuples()
                      for u in str(r.co_units or "").split(";") if u.strip()]
        frames = [
            pd.DataFrame({"unit_code": ind.unit_code, "form": "indicators", "code": ind.indicator_code}),
            pd.DataFrame({"unit_code": self.projects.unit_code, "form": "projects",
                          "code": self.projects.project_code}),
            pd.DataFrame(task_rows, columns=["unit_code", "code"]).assign(form="tasks"),
        ]
        out = pd.concat(frames, ignore_index=True)[["unit_code", "form", "code"]]
        return out.drop_duplicates().sort_values(["unit_code", "form", "code"], ignore_index=True)

    def required_units(self, period: str) -> list[str]:
        """Units that must report in `period`, in the order of units.csv."""
        return units_owing(self.units.unit_code, self.owing(is_quarter_end(period)), self.forms_of(period))


def split_codes(text: object) -> list[str]:
    """"D01;D02" (also with a Chinese ；) -> ["D01", "D02"]; blanks dropped, order kept."""
    return [part.strip() for part in str(text or "").replace("；", ";").split(";") if part.strip()]


def is_comment(frame: pd.DataFrame) -> pd.Series:
    """Rows whose first cell starts with `#` (the example rows `zhuanbao init` writes) or that are empty."""
    first = frame.iloc[:, 0].str.strip() if len(frame.columns) else pd.Series(dtype=str)
    blank = frame.astype(str).apply(lambda column: column.str.strip() == "").all(axis=1)  # column-wise: fast
    return first.str.startswith("#") | blank


def _read_table(path: Path, name: str) -> pd.DataFrame:
    if not path.exists():
        home = path.parent.parent.parent
        if not catalog.reference_root(home).exists():
            raise ReferenceError(f"数据目录 {home} 不存在或没有参考表（reference/）：请用 --home 或 ZHUANBAO_HOME "
                                 "指定数据目录（试用可先运行 zhuanbao demo）")
        raise ReferenceError(f"参考表缺失：{path}（请放入该年度的参考表）")
    try:
        text, _ = decode_table(path.read_bytes())
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except Exception as exc:
        raise ReferenceError(f"参考表无法读取：{path}（{exc}）") from exc
    frame = frame[~is_comment(frame)] if len(frame) else frame  # the index keeps the file's line numbers
    missing = [c for c in COLUMNS[name] if c not in frame.columns]
    if missing:
        raise ReferenceError(f"参考表 {path} 缺少列：{', '.join(missing)}")
    optional = OPTIONAL_COLUMNS.get(name, {})
    frame = frame.assign(**{c: blank for c, blank in optional.items() if c not in frame.columns})
    return frame[COLUMNS[name] + list(optional)].apply(lambda s: s.str.strip())


def _check_values(path: Path, frame: pd.DataFrame, column: str, allowed: set[str]) -> None:
    bad = frame.loc[~frame[column].isin(allowed), column]
    if len(bad):
        row = int(bad.index[0]) + 2  # header is line 1
        raise ReferenceError(f"参考表 {path} 第{row}行 列 {column}：“{bad.iloc[0]}”不在 {sorted(allowed)} 中")


def _check_numbers(path: Path, frame: pd.DataFrame, column: str, *, optional: bool) -> pd.Series:
    values = pd.to_numeric(frame[column].replace("", None), errors="coerce")
    bad = values.isna() & (frame[column] != "" if optional else True)
    if bad.any():
        row = int(bad[bad].index[0]) + 2
        raise ReferenceError(f"参考表 {path} 第{row}行 列 {column}：“{frame.loc[bad[bad].index[0], column]}”不是数值")
    return values


KEYS = {"units": ("unit_code",), "indicators": ("indicator_code",), "projects": ("project_code",),
        "tasks": ("task_code",), "targets": ("unit_code", "indicator_code")}


def _check_unique(path: Path, frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """A code listed twice would count a unit (or indicator, project, task) twice: refused, naming both rows."""
    columns = tuple(c for c in columns if c in frame.columns)
    if not columns:
        return
    repeated = frame[frame.duplicated(list(columns), keep=False)]
    if len(repeated):
        rows = [int(i) + 2 for i in repeated.index[:2]]
        value = "、".join(str(repeated.iloc[0][c]) for c in columns)
        raise ReferenceError(f"参考表 {path} 第{rows[0]}行与第{rows[1]}行 列 {'+'.join(columns)}：“{value}”重复，"
                             "每个代码只能出现一次，请删除或改正其中一行")


def load_reference(settings: Settings, year: int) -> Reference:
    """Load and check `<home>/reference/<year>/`."""
    folder = settings.reference_dir(year)
    tables = {name: _read_table(folder / f"{name}.csv", name) for name in COLUMNS}
    plan = load_plan(folder, district=settings.district, office=settings.issuing_office)
    kinds = load_kinds(folder)
    for name, columns in KEYS.items():
        if name in tables:
            _check_unique(folder / f"{name}.csv", tables[name], columns)
    _check_values(folder / "units.csv", tables["units"], "unit_kind", set(kinds.codes))
    _check_values(folder / "indicators.csv", tables["indicators"], "target_kind", TARGET_KINDS)
    _check_values(folder / "indicators.csv", tables["indicators"], "frequency", {"M", "Q"})
    _check_values(folder / "indicators.csv", tables["indicators"], "direction", {"higher", "lower"})
    _check_values(folder / "indicators.csv", tables["indicators"], "additive", {"true", "false"})
    tables["indicators"]["additive"] = tables["indicators"]["additive"] == "true"
    targets = tables["targets"]
    targets["target_value"] = _check_numbers(folder / "targets.csv", targets, "target_value", optional=False)
    targets["half_year_value"] = _check_numbers(folder / "targets.csv", targets, "half_year_value", optional=True)
    targets["tolerance"] = _check_numbers(folder / "targets.csv", targets, "tolerance", optional=True).fillna(0.0)
    if (targets["tolerance"] < 0).any():
        row = int(targets.index[targets["tolerance"] < 0][0]) + 2
        raise ReferenceError(f"参考表 {folder / 'targets.csv'} 第{row}行 列 tolerance：允许偏差不能为负数")
    tasks = tables["tasks"]
    leads = tasks["lead_unit"].map(split_codes)
    tasks["lead_units"] = leads.map(";".join)
    tasks["lead_unit"] = leads.map(lambda units: units[0] if units else "")
    tasks["leaders"] = tasks["leaders"].map(lambda names: ";".join(split_codes(names)))
    projects = tables["projects"]
    projects["annual_plan_wan"] = _check_numbers(folder / "projects.csv", projects, "annual_plan_wan", optional=False)
    known = set(tables["units"].unit_code)
    for name, column in (("targets", "unit_code"), ("projects", "unit_code")):
        _check_values(folder / f"{name}.csv", tables[name], column, known)
    every_lead = leads.map(lambda units: units or [""]).explode()
    _check_values(folder / "tasks.csv", every_lead.to_frame("lead_unit"), "lead_unit", known)
    _check_values(folder / "targets.csv", targets, "indicator_code", set(tables["indicators"].indicator_code))
    return Reference(year=year, **{name: table.reset_index(drop=True) for name, table in tables.items()},
                     plan=plan, kinds=kinds)


def reference_for(settings: Settings, period: str) -> Reference:
    """The reference of `period`'s year; a period of a cadence the year's plan.toml does not declare is refused."""
    year, _ = period_parts(period)
    reference = load_reference(settings, year)
    check_cadence(reference.plan, period, settings.reference_dir(year))
    return reference
