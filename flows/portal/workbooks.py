"""This month's workbook for a unit to download: the unit's 填报模板 (`zhuanbao forms`, tasks/forms/:
locked frame, shaded input cells, last month's figures, the rules), else — a unit that owes nothing —
a blank workbook in the demo layout with the unit's rows."""
from __future__ import annotations

from pathlib import Path

from ...tasks.core import catalog
from ...tasks.core.reference import reference_for
from ...tasks.core.settings import Settings

NAMES = {"indicators": ("indicator_code", ["indicator_name", "measure"]),
         "projects": ("project_code", ["project_name", "annual_plan"]), "tasks": ("task_code", ["task_name"])}


def workbook_for(settings: Settings, period: str, unit_code: str) -> Path:
    from ...tasks.forms.generate import form_path

    form = form_path(settings, reference_for(settings, period), period, unit_code)
    return form if form is not None else blank_workbook(settings, period, unit_code)


def blank_workbook(settings: Settings, period: str, unit_code: str) -> Path:
    """The unit's forms with codes and names filled in and the figures left blank."""
    from ...tasks.demo.generate import write_workbook

    reference = reference_for(settings, period)
    mine = reference.assignments(period)
    mine = mine[mine.unit_code == unit_code]
    rows = {}
    for form, (key, extra) in NAMES.items():
        table = getattr(reference, form)
        table = table[table.unit_code == unit_code] if "unit_code" in table and form == "projects" else table
        wanted = [c for c in extra if c in table]
        lookup = table.drop_duplicates(key).set_index(key)[wanted]
        rows[form] = [{key: code, **{c: lookup.at[code, c] for c in wanted if code in lookup.index}}
                      for code in mine.loc[mine.form == form, "code"]]
    target = catalog.portal_forms_dir(settings.home, period) / f"{unit_code}_{period}_填报模板.xlsx"
    return write_workbook(target, reference=reference, unit_code=unit_code, period=period, **rows)
