"""What goes on one unit's form for a period: its rows, what the office pre-fills, which cells it fills.

From the year's reference tables (the unit's assignments: quarterly indicators only in quarter-end
months) and last month's accepted figures (curated data, same year). Pure data: the layout is in
tasks/forms/layout.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..core.forms import FORM_SPECS
from ..core.periods import previous_period
from ..core.reference import FORMS, Reference
from ..curated.consolidate import read_partition

TARGET_HEADER = "年度目标(参考)"  # 表1 shows each indicator's target beside last month's figure
# input fields that do not apply to an indicator of a target kind (locked and greyed on its row)
NOT_APPLICABLE: dict[str, tuple[str, ...]] = {"level": ("month_value", "last_year_cumulative", "reported_growth"),
                                              "amount": ("last_year_cumulative", "reported_growth")}


@dataclass
class FormRow:
    """One row of a form: the office's cells (code, name, measure, plan, reference figures) and its inputs."""

    values: dict  # field -> pre-filled value
    inputs: tuple[str, ...]  # fields the unit fills on this row
    measure: str = ""  # the row's measure (表1: per indicator)
    reference: dict = field(default_factory=dict)  # extra/previous columns: header -> value


def previous_figures(curated_dir, period: str) -> dict[str, pd.DataFrame]:
    """Last month's accepted rows per form (same year; empty in January or before the first run)."""
    before = previous_period(period)
    frames = {form: read_partition(curated_dir, form, before) if before else None for form in FORMS}
    return {form: frame for form, frame in frames.items() if frame is not None}


def reference_headers(form: str) -> tuple[str, ...]:
    """The locked reference columns after a form's own columns."""
    return ((TARGET_HEADER,) if form == "indicators" else ()) + (FORM_SPECS[form].previous_header,)


def _target_text(target) -> str:
    note = str(target.note or "").strip()
    return note or f"{target.target_value:g}"


def unit_rows(reference: Reference, period: str, unit_code: str,
              previous: dict[str, pd.DataFrame] | None = None) -> dict[str, list[FormRow]]:
    """The unit's rows per form for `period`, in reference order; a form without rows is left out."""
    previous = previous or {}
    due = reference.assignments(period)
    due = due[due.unit_code == unit_code]
    out: dict[str, list[FormRow]] = {}
    for form in FORMS:
        spec = FORM_SPECS[form]
        codes = set(due.loc[due.form == form, "code"])
        if not codes:
            continue
        table = getattr(reference, form)
        table = table[table[spec.code_field].isin(codes)].drop_duplicates(spec.code_field)
        before = previous.get(form)
        last = ({} if before is None else
                dict(zip(before.loc[before.unit_code == unit_code, spec.code_field],
                         before.loc[before.unit_code == unit_code, spec.previous_field])))
        inputs = tuple(c.field for c in spec.columns if c.is_input)
        rows = []
        for item in table.itertuples(index=False):
            code = getattr(item, spec.code_field)
            values = {spec.code_field: code, spec.name_field: getattr(item, spec.name_field)}
            row = FormRow(values, inputs, reference={spec.previous_header: last.get(code)})
            if form == "indicators":
                row.measure = values["measure"] = item.measure
                target = reference.targets[(reference.targets.unit_code == unit_code)
                                           & (reference.targets.indicator_code == code)].iloc[0]
                row.reference = {TARGET_HEADER: _target_text(target), **row.reference}
                row.inputs = tuple(f for f in inputs if f not in NOT_APPLICABLE.get(item.target_kind, ()))
            elif form == "projects":
                values["annual_plan"] = float(item.annual_plan_wan)
            rows.append(row)
        out[form] = rows
    return out
