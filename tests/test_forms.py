"""填报模板: each unit's generated form, filled only in its unlocked cells, runs through the month clean."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from zhuanbao.tasks import steps
from zhuanbao.tasks.core.forms import FORM_SPECS, MARKER_PREFIX, MARKER_SHEET
from zhuanbao.tasks.demo.figures import generate_month
from zhuanbao.tasks.forms.generate import form_path, write_forms
from zhuanbao.tasks.intake.collect import copy_into_inbox
from zhuanbao.tasks.intake.workbook import read_workbook

SHANGHAI = ZoneInfo("Asia/Shanghai")
SEED = 2020


def form_sheets(wb) -> dict[str, tuple]:
    """form -> (worksheet, header row, {header: column}) found by the marker cell, as a unit's copy would be."""
    out = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows(max_row=40):
            marks = [c for c in row if isinstance(c.value, str) and c.value.startswith(MARKER_PREFIX)]
            if marks:
                form = marks[0].value[len(MARKER_PREFIX):].split(":")[0]
                headers = {c.value: c.column for c in row if c.value and c is not marks[0]}
                out[form] = (ws, marks[0].row, headers)
                break
    return out


def fill(path: Path, rows_by_form: dict[str, list[dict]], overrides: dict | None = None) -> Path:
    """Write the unit's figures into the form, only into unlocked cells (a locked target fails the test)."""
    wb = openpyxl.load_workbook(path)
    sheets = form_sheets(wb)
    assert set(sheets) == set(rows_by_form)
    for form, rows in rows_by_form.items():
        spec, (ws, header_row, headers) = FORM_SPECS[form], sheets[form]
        by_code = {r[spec.code_field]: r for r in rows}
        r = header_row + 1
        while ws.cell(r, 1).value:
            figures = by_code.pop(ws.cell(r, 1).value)
            for column in spec.columns:
                cell = ws.cell(r, headers[column.header])
                value = (overrides or {}).get((form, figures[spec.code_field], column.field), figures[column.field])
                if not column.is_input:
                    assert value in (None, "") or cell.value == value, (form, column.field, cell.value, value)
                elif value not in (None, ""):
                    assert cell.protection.locked is False, f"{ws.title}!{cell.coordinate} ({column.header}) locked"
                    cell.value = value
            r += 1
        assert not by_code, f"{form}: rows missing from the form: {sorted(by_code)}"
    wb.save(path)
    return path


def run_month(settings, period: str, paths: list[Path]) -> dict:
    arrival = datetime(int(period[:4]), int(period[5:]) + 1, 10, 10, tzinfo=SHANGHAI)
    for path in paths:
        copy_into_inbox(path, settings, period, arrival)
    with steps.recorded_run(settings, period) as record:
        steps.collect(record.context)
        reads = steps.read(record.context)
        counts = steps.check(record.context, reads)
        steps.consolidate(record.context, reads)
        status = steps.period_status(record.context)
    return {"counts": counts, "units": {u["unit_code"]: (u["status"], u["rules"]) for u in status["units"]}}


def generate_and_fill(settings, reference, period: str, prev_state=None, overrides=None):
    rows, state = generate_month(reference, period, rng_seed=SEED, prev_state=prev_state)
    written = write_forms(settings, reference, period)
    by_unit = {p.name.split("_")[0]: p for p in written}
    assert set(by_unit) == set(rows)  # one form per unit that owes the period
    filled = [fill(by_unit[u], rows[u], overrides) for u in sorted(rows)]
    return filled, state, rows


def test_every_demo_form_round_trips_with_no_finding_quarter_end_then_a_month(settings, reference):
    filled, state, rows = generate_and_fill(settings, reference, "2020-03")
    result = run_month(settings, "2020-03", filled)
    assert result["counts"] == {"files": 18, "accepted": 18, "rejected": 0, "checked_now": 18}
    assert result["units"] == {u: ("accepted", []) for u in rows}

    filled, _, rows = generate_and_fill(settings, reference, "2020-04", prev_state=state)
    result = run_month(settings, "2020-04", filled)  # H07/S03/S06 compare with March's accepted figures
    assert result["counts"] == {"files": 18, "accepted": 18, "rejected": 0, "checked_now": 18}
    assert result["units"] == {u: ("accepted", []) for u in rows}
    # last month's accepted cumulative is printed beside each row (read-only)
    wb = openpyxl.load_workbook(settings.home / "forms" / "2020-04" / "T01_河坝_2020-04.xlsx")
    ws, header_row, headers = form_sheets(wb)["projects"]
    march = state["projects"]["T01:X09"]["cumulative_investment"]
    cell = ws.cell(header_row + 1, headers[FORM_SPECS["projects"].previous_header])
    assert cell.value == pytest.approx(march) and cell.protection.locked


def test_text_in_a_numeric_cell_of_a_form_is_rejected_by_H05(settings, reference):
    rows, _ = generate_month(reference, "2020-03", rng_seed=SEED)
    path = write_forms(settings, reference, "2020-03", ["T01"])[0]
    code = rows["T01"]["projects"][0]["project_code"]
    fill(path, rows["T01"], {("projects", code, "cumulative_investment"): "约500"})
    result = run_month(settings, "2020-03", [path])
    assert result["counts"]["rejected"] == 1 and result["units"]["T01"] == ("rejected", ["H05"])


def test_a_form_holds_only_the_units_rows_and_quarterly_indicators_only_at_quarter_end(settings, reference):
    march = openpyxl.load_workbook(write_forms(settings, reference, "2020-03", ["D11"])[0])
    april = openpyxl.load_workbook(write_forms(settings, reference, "2020-04", ["D11"])[0])
    codes = {name: [ws.cell(r, 1).value for r in range(form_sheets(wb)["indicators"][1] + 1, 30)
                    if ws.cell(r, 1).value and str(ws.cell(r, 1).value).startswith("I")]
             for name, wb in (("march", march), ("april", april)) for ws in [form_sheets(wb)["indicators"][0]]}
    assert codes == {"march": ["I01", "I02", "I03", "I04"], "april": ["I02", "I03", "I04"]}
    assert [ws.title for ws in april.worksheets] == ["表1 指标", "填报说明", MARKER_SHEET]  # D11 has no project/task
    assert april[MARKER_SHEET].sheet_state == "veryHidden"


def test_a_form_carries_the_frame_units_expect_and_is_protected_without_password(settings, reference):
    path = form_path(settings, reference, "2020-04", "T01")
    assert path.name == "T01_河坝_2020-04.xlsx" and path.parent == settings.home / "forms" / "2020-04"
    wb = openpyxl.load_workbook(path)
    ws = wb["表2 项目"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    for expected in ("表2 重点项目建设进度", "填报单位：河坝镇（T01）", "报告期：2020年4月", "表　　号：大通湖调2表",
                     "制表机关：大通湖区“奋战一百天”领导小组办公室", "有效期至：2020年12月"):
        assert expected in texts
    assert any(t.startswith("单位负责人：") for t in texts) and any("2020年5月15日23:59前" in t for t in texts)
    assert ws.protection.sheet and not ws.protection.password
    status = next(dv for dv in ws.data_validations.dataValidation if dv.type == "list")
    assert status.formula1 == '"未开工,在建,竣工,停工"' and status.error and status.prompt
    numbers = [dv for dv in ws.data_validations.dataValidation if dv.type == "decimal"]
    assert numbers and all("请填写数字" in dv.prompt for dv in numbers)
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.freeze_panes == "C7" and ws.print_title_rows == "$1:$6"
    rules = [ws.cell(r, 1).value for ws in [wb["填报说明"]] for r in range(1, ws.max_row + 1)]
    assert {"H05", "H07", "S03"} <= set(rules)  # generated from the rule suites


def test_a_renamed_sheet_with_inserted_rows_is_still_read_as_its_form(settings, reference):
    rows, _ = generate_month(reference, "2020-03", rng_seed=SEED)
    path = fill(write_forms(settings, reference, "2020-03", ["T01"])[0], rows["T01"])
    before = read_workbook(path, reference)
    wb = openpyxl.load_workbook(path)
    for ws in list(wb.worksheets)[:3]:
        ws.insert_rows(1, amount=35)  # beyond the reader's 30-row header scan: the marker row moves too
        ws.title = f"Sheet{ws.title[1]}"
    wb.save(path)
    after = read_workbook(path, reference)
    assert after.sheets == {"indicators": "Sheet1", "projects": "Sheet2", "tasks": "Sheet3"}
    assert after.marker == {"version": "1", "unit_code": "T01", "period": "2020-03"}
    assert after.unit_code == "T01" and after.period == "2020-03"
    strip = lambda read: {f: [{k: v for k, v in r.items() if k not in ("sheet", "row")} for r in rs]
                          for f, rs in read.records.items()}
    assert strip(after) == strip(before) and before.records["tasks"]


def test_the_forms_command_writes_the_named_units_and_refuses_an_unknown_code(settings):
    from typer.testing import CliRunner

    from zhuanbao.flows.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["--home", str(settings.home), "forms", "--period", "2020-04", "-u", "T01", "-u", "d02"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (settings.home / "forms" / "2020-04").iterdir()) == [
        "D02_科技工信_2020-04.xlsx", "T01_河坝_2020-04.xlsx"]
    refused = runner.invoke(app, ["--home", str(settings.home), "forms", "--period", "2020-04", "--unit", "Z99"])
    assert refused.exit_code == 2 and "Z99" in refused.output and "Traceback" not in refused.output


def test_the_notes_and_rules_of_a_form_come_from_the_reference_and_the_units_own_sheets(settings, reference):
    """空气优良率 and 未脱贫人口 are named only to the units that report them; a unit without projects gets no
    project rules (S04, S05) and no project note."""
    from zhuanbao.tasks.forms.generate import INSTRUCTIONS_SHEET, build_form

    texts = {}
    for unit in ("D10", "D04", "T01", "D01"):  # level indicators: D10, D04; projects: D04, T01
        wb = build_form(settings, reference, "2020-04", unit)
        texts[unit] = ("\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
                                 if isinstance(c.value, str)),
                       {ws.title for ws in wb.worksheets},
                       {r[0].value for r in wb[INSTRUCTIONS_SHEET].iter_rows() if r[0].value})
    owners = {u for u in texts if "水平类指标" in texts[u][0]}
    level = set(reference.indicators.query("target_kind == 'level'").indicator_code)
    reporting = set(reference.targets.loc[reference.targets.indicator_code.isin(level), "unit_code"])
    assert owners == reporting & set(texts) == {"D10", "D04"}
    assert "中心城区空气优良率" in texts["D10"][0] and "未脱贫人口" not in texts["D10"][0]
    for unit, (text, sheets, rules) in texts.items():
        has_projects = FORM_SPECS["projects"].sheet in sheets
        assert ("S04" in rules) is has_projects and ("S05" in rules) is has_projects, unit
        assert ("项目状态从下拉列表选择" in text) is has_projects, unit
