"""The rule suites over tiny in-test batches: each rule firing and not, mapping back, outcomes."""
from __future__ import annotations

import json
import shutil
from datetime import datetime

import pandas as pd
import pytest

from zhuanbao.tasks.checks.outcomes import checked_outcome, settle_outcomes
from zhuanbao.tasks.checks.validate import FINDINGS_COLUMNS, check_period
from zhuanbao.tasks.core.reference import Reference
from zhuanbao.tasks.core.resources import EXPECTATIONS_DIR
from zhuanbao.tasks.intake.registry import Submission
from zhuanbao.tasks.intake.workbook import SHEETS, WorkbookRead, empty_frame
from zhuanbao.tasks.steps import soft_flags


def _table(columns: str, *rows: str) -> pd.DataFrame:
    return pd.DataFrame([r.split(",") for r in rows], columns=columns.split(","))


@pytest.fixture(scope="module")
def ref() -> Reference:
    """Two units; T01 reports I02 (growth), I10 (amount, additive), I15 (level), project X01, task K01."""
    indicators = _table("indicator_code,indicator_name,measure,target_kind,direction,frequency,additive,note",
                        "I02,固定资产投资,万元,growth,higher,M,false,", "I10,新增规模工业企业,家,amount,higher,M,true,",
                        "I15,空气优良率,%,level,higher,M,false,")
    indicators["additive"] = indicators.additive == "true"
    targets = _table("unit_code,indicator_code,target_value,half_year_value,note",
                     "T01,I02,10,,", "T01,I10,4,,", "T01,I15,84,,", "D02,I10,2,,")
    projects = _table("project_code,project_name,batch,annual_plan_wan,unit_code,half_year_task", "X01,农田,竣工完工,1000,T01,")
    projects["annual_plan_wan"] = projects.annual_plan_wan.astype(float)
    return Reference(year=2020, units=_table("unit_code,unit_name,unit_kind,short_name", "T01,河坝镇,township,河坝",
                                             "D02,区发改局,department,发改"),
                     indicators=indicators, targets=targets, projects=projects,
                     tasks=_table("task_code,task_area,task_name,lead_unit,co_units", "K01,园区,打通供应链行动,D02,T01"))


def _rows(form: str, rows: list[dict], unit: str) -> pd.DataFrame:
    frame = pd.DataFrame([{"sheet": SHEETS[form], "row": 4 + i, "unit_code": unit, **r} for i, r in enumerate(rows)])
    frame = frame.reindex(columns=empty_frame(form).columns)
    numeric = [c for c in frame if c in empty_frame(form).select_dtypes("float64")]
    frame[numeric] = frame[numeric].astype("float64")
    text = [c for c in frame if c not in numeric and c not in ("row",) and not c.endswith("_unparsed")]
    frame[text] = frame[text].astype(object).fillna("")
    return frame


def clean_rows() -> dict[str, list[dict]]:
    return {
        "indicators": [
            {"indicator_code": "I02", "cumulative": 110.0, "last_year_cumulative": 100.0, "reported_growth": 10.0},
            {"indicator_code": "I10", "month_value": 1.0, "cumulative": 3.0},
            {"indicator_code": "I15", "cumulative": 86.0}],
        "projects": [{"project_code": "X01", "cumulative_investment": 500.0, "status": "在建"}],
        "tasks": [{"task_code": "K01", "progress_pct": 40.0}],
    }


def workbook(unit: str = "T01", forms: dict | None = None, period: str = "2020-04", **changes) -> WorkbookRead:
    forms = clean_rows() if forms is None else forms
    read = WorkbookRead(file_name=f"{unit}_{period}.xlsx", unit_code=unit, unit_text=unit, period=period,
                        period_text=period, meta_sheet=SHEETS["indicators"], meta_row=2)
    for form, rows in forms.items():
        read.sheets[form] = SHEETS[form]
        read.frames[form] = _rows(form, rows, unit)
    for key, value in changes.items():
        setattr(read, key, value)
    return read


def edited(rows_changes: dict[str, dict[str, dict]]) -> dict[str, list[dict]]:
    """Clean rows with some fields changed: {form: {code: {field: value}}}."""
    forms = clean_rows()
    for form, by_code in rows_changes.items():
        for row in forms[form]:
            row.update(by_code.get(next(iter(row.values())), {}))
    return forms


def PREVIOUS() -> dict[str, pd.DataFrame]:
    return {"indicators": pd.DataFrame({"unit_code": ["T01", "T01"], "indicator_code": ["I02", "I10"],
                                        "cumulative": [100.0, 2.0]}),
            "projects": pd.DataFrame({"unit_code": ["T01"], "project_code": ["X01"], "cumulative_investment": [400.0]}),
            "tasks": pd.DataFrame({"unit_code": ["T01"], "task_code": ["K01"], "progress_pct": [30.0]})}


def check(ref, *reads: WorkbookRead, period="2020-04", previous=None, suites_dir=EXPECTATIONS_DIR) -> pd.DataFrame:
    return check_period(period, list(enumerate(reads, 1)), ref, previous, suites_dir=suites_dir)


def rules(findings: pd.DataFrame) -> list[str]:
    return sorted(findings.rule_id)


def outcome(findings: pd.DataFrame, file_id: int = 1) -> str:
    """The file's outcome once checked (tasks/checks/outcomes.py)."""
    return checked_outcome(None, findings.severity[findings.file_id == file_id])


def test_clean_file_has_no_findings(ref):
    found = check(ref, workbook(), previous=PREVIOUS())
    assert list(found.columns) == FINDINGS_COLUMNS and found.empty
    assert outcome(found) == "accepted"


def test_text_in_numeric_cell_is_rejected_naming_sheet_row_column(ref):
    found = check(ref, workbook(forms=edited({"indicators": {"I10": {"cumulative": None, "cumulative_unparsed": "约500"}}})))
    hit = found.iloc[0]
    assert rules(found) == ["H05"] and hit.severity == "hard"
    assert (hit.sheet, hit.row, hit.column, hit.value, hit.code) == ("表1 指标", 5, "1-本月累计", "约500", "I10")
    assert hit.message.startswith("表1 指标 第5行「1-本月累计」：“约500”不是数值")


BLANK_CASES = [  # (form, code, field, fires)
    ("indicators", "I02", "cumulative", True),
    ("indicators", "I10", "month_value", True),            # additive: 本月 required
    ("indicators", "I15", "month_value", False),           # level: 本月 optional
    ("indicators", "I02", "last_year_cumulative", True),   # growth: 去年同期 required
    ("indicators", "I10", "last_year_cumulative", False),
    ("projects", "X01", "status", True),
    ("tasks", "K01", "progress_pct", True),
]
FIRING_CASES = [  # (form, code, changes, rule): each in its own file, all files in one batch
    ("indicators", "I15", {"cumulative": -1.0}, "H06"),
    ("tasks", "K01", {"progress_pct": 120.0}, "H06"),
    ("projects", "X01", {"status": "施工中"}, "H06"),
    ("indicators", "I10", {"cumulative": 1.0, "month_value": -1.0}, "H07"),   # below last month's 2
    ("projects", "X01", {"cumulative_investment": 300.0}, "H07"),
    ("indicators", "I02", {"cumulative": 210.0, "reported_growth": 110.0}, "S01"),
    ("indicators", "I02", {"reported_growth": 12.0}, "S02"),
    ("indicators", "I10", {"month_value": 5.0}, "S03"),
    ("projects", "X01", {"cumulative_investment": 1600.0}, "S04"),
    ("projects", "X01", {"status": "竣工"}, "S05"),
    ("projects", "X01", {"status": "未开工"}, "S05"),
    ("tasks", "K01", {"progress_pct": 20.0}, "S06"),
]
QUIET_CASES = [  # (form, code, changes): within the thresholds
    ("indicators", "I02", {"cumulative": 149.0, "reported_growth": 49.2}),   # growth 49 %, gap 0.2 pp
    ("indicators", "I02", {"cumulative": 200.0, "reported_growth": 100.0}),  # +100 % is the edge, inside
    ("indicators", "I10", {"month_value": 1.01}),                             # gap 0.33 % of cumulative
    ("indicators", "I15", {"cumulative": 80.0}),                              # a level may fall
    ("projects", "X01", {"cumulative_investment": 1500.0}),                   # exactly 150 %
    ("projects", "X01", {"status": "竣工", "cumulative_investment": 800.0}),
    ("tasks", "K01", {"progress_pct": 30.0}),                                 # equal to last month
]


@pytest.fixture(scope="module")
def blank_batch(ref):
    def changes(field, code, form):
        out = {field: "" if field == "status" else None}
        return {**out, "reported_growth": None} if field == "last_year_cumulative" else out
    return check(ref, *[workbook(forms=edited({form: {code: changes(field, code, form)}}))
                        for form, code, field, _ in BLANK_CASES])


@pytest.fixture(scope="module")
def firing_batch(ref):
    return check(ref, *[workbook(forms=edited({f: {c: ch}})) for f, c, ch, _ in FIRING_CASES], previous=PREVIOUS())


@pytest.fixture(scope="module")
def quiet_batch(ref):
    return check(ref, *[workbook(forms=edited({f: {c: ch}})) for f, c, ch in QUIET_CASES], previous=PREVIOUS())


@pytest.mark.parametrize("case", range(len(BLANK_CASES)), ids=[f"{c[1]}-{c[2]}" for c in BLANK_CASES])
def test_blank_required_field(blank_batch, case):
    fires = BLANK_CASES[case][3]
    assert rules(blank_batch[blank_batch.file_id == case + 1]) == (["H05"] if fires else [])


@pytest.mark.parametrize("case", range(len(FIRING_CASES)), ids=[f"{c[3]}-{c[1]}" for c in FIRING_CASES])
def test_rule_fires(firing_batch, case):
    rule = FIRING_CASES[case][3]
    found = firing_batch[firing_batch.file_id == case + 1]
    assert rules(found) == [rule]
    assert found.severity.iloc[0] == ("hard" if rule.startswith("H") else "soft")
    assert found.code.iloc[0] == FIRING_CASES[case][1] and found.row.iloc[0] >= 4


def test_rules_do_not_fire_within_thresholds(quiet_batch):
    assert quiet_batch.empty, quiet_batch.message.tolist()


def test_cumulative_below_last_month_only_checked_with_a_previous_month(ref):
    forms = edited({"indicators": {"I10": {"cumulative": 1.0, "month_value": 1.0}}})
    assert check(ref, workbook(forms=forms), previous=None).empty
    january = workbook(forms=forms, period="2020-01")
    assert check(ref, january, period="2020-01").empty  # prev = 0 in January: H07 has nothing to say


def test_unassigned_and_duplicate_codes_are_rejected(ref):
    forms = clean_rows()
    forms["indicators"] += [{"indicator_code": "I99", "cumulative": 1.0}, dict(forms["indicators"][2])]
    found = check(ref, workbook(forms=forms))
    assert rules(found) == ["H03", "H03", "H03"]
    assert set(found.value) == {"I99", "I15"} and set(found.row) == {6, 7, 8}


def test_missing_assigned_code_sheet_and_column(ref):
    forms = clean_rows()
    forms["indicators"] = forms["indicators"][:2]
    del forms["tasks"]
    read = workbook(forms=forms, missing_columns={"projects": ["项目状态"]})
    found = check(ref, read)
    assert rules(found) == ["H01", "H01", "H04"]
    by_rule = found.set_index(["rule_id", "column"])
    assert by_rule.loc[("H04", "指标代码"), "value"] == "I15"
    assert by_rule.loc[("H01", "工作表"), "sheet"] == "表3 任务"
    assert by_rule.loc[("H01", "项目状态"), "sheet"] == "表2 项目"


def test_unknown_unit_wrong_period_and_unreadable_file(ref):
    stranger = workbook(unit_code=None, unit_text="某某镇")
    wrong = workbook(period_text="2020年3月", period="2020-03")
    broken = WorkbookRead(file_name="x.xlsx", error="文件已损坏，无法打开，请重新导出后报送")
    found = check(ref, stranger, wrong, broken)
    assert found[["file_id", "rule_id", "value"]].values.tolist() == [
        [1, "H02", "某某镇"], [2, "H02", "2020年3月"], [3, "H00", "x.xlsx"]]
    assert found.message.iloc[2] == "文件已损坏，无法打开，请重新导出后报送"
    assert "2020年4月" in found.message.iloc[1]


def test_failures_map_to_their_own_file_and_row_in_one_batch(ref):
    first = workbook(forms=edited({"indicators": {"I15": {"cumulative": -5.0}}}))
    second = workbook(forms=edited({"tasks": {"K01": {"progress_pct": 101.0}}}))
    third = workbook(unit="D02", forms={"indicators": [{"indicator_code": "I10", "month_value": 1.0, "cumulative": 1.0}],
                                        "tasks": [{"task_code": "K01", "progress_pct": None, "progress_pct_unparsed": "过半"}]})
    found = check(ref, first, second, third)
    assert found[["file_id", "sheet", "row", "column", "value"]].values.tolist() == [
        [1, "表1 指标", 6, "1-本月累计", "-5"], [2, "表3 任务", 4, "完成进度(%)", "101"],
        [3, "表3 任务", 4, "完成进度(%)", "过半"]]


def test_soft_flags_explained_or_not_and_hard_outweighs_soft(ref):
    explained = workbook(forms=edited({"tasks": {"K01": {"progress_pct": 20.0, "note": "口径调整"}}}))
    unexplained = workbook(forms=edited({"tasks": {"K01": {"progress_pct": 20.0}}}))
    mixed = workbook(forms=edited({"tasks": {"K01": {"progress_pct": 20.0}}, "indicators": {"I15": {"cumulative": -1.0}}}))
    found = check(ref, explained, unexplained, mixed, previous=PREVIOUS())
    files = [Submission(id=i, unit_code=f"U{i}", received_at=datetime(2020, 5, i)) for i in (1, 2, 3)]
    settle_outcomes([(row, None) for row in files], found)
    assert [row.outcome for row in files] == ["accepted", "accepted", "rejected"]
    flags = soft_flags(found, {row.id: row.unit_code for row in files if row.outcome == "accepted"})
    assert flags[["file_id", "unit_code", "rule_id", "explained"]].values.tolist() == [
        [1, "U1", "S06", True], [2, "U2", "S06", False]]  # the rejected file's flag is not the unit's to explain


def test_editing_a_suite_file_changes_threshold_and_severity(ref, tmp_path):
    suites = tmp_path / "expectations"
    shutil.copytree(EXPECTATIONS_DIR, suites)
    path = suites / "projects.json"
    body = json.loads(path.read_text(encoding="utf-8"))
    s04 = next(e for e in body["expectations"] if e["meta"]["rule_id"] == "S04")
    s04["kwargs"]["max_value"] = 120
    s04["meta"]["severity"] = "hard"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    read = workbook(forms=edited({"projects": {"X01": {"cumulative_investment": 1300.0}}}))
    assert check(ref, read).empty
    found = check(ref, read, suites_dir=suites)
    assert rules(found) == ["S04"] and outcome(found) == "rejected"


def test_messy_samples(samples, reference):
    from zhuanbao.tasks.intake.workbook import read_workbook

    paths = sorted((samples / "2020-04-messy").glob("*.xlsx"))
    reads = [(i, read_workbook(p, reference)) for i, p in enumerate(paths, 1)]
    found = check_period("2020-04", reads, reference)
    by_unit = {path.name[:3]: outcome(found, i) for i, path in enumerate(paths, 1)}
    assert by_unit["D02"] == "rejected" and by_unit["D05"] == "accepted"
    assert by_unit.get("T01", "accepted") == "accepted"
    d02 = found[found.file_id == next(i for i, p in enumerate(paths, 1) if p.name.startswith("D02"))]
    assert {"表1 指标", "1-本月累计", "约500"} <= set(d02.iloc[0][["sheet", "column", "value"]])


def test_a_negative_month_with_a_zero_cumulative_is_flagged_by_s03(ref):
    """本月 −1000 with 累计 0 (last month 0 too): the gap is measured against 1, not divided by zero."""
    previous = {**PREVIOUS(), "indicators": pd.DataFrame({"unit_code": ["T01", "T01"], "indicator_code": ["I02", "I10"],
                                                          "cumulative": [100.0, 0.0]})}
    found = check(ref, workbook(forms=edited({"indicators": {"I10": {"cumulative": 0.0, "month_value": -1000.0}}})),
                  previous=previous)
    assert rules(found) == ["S03"] and found.code.iloc[0] == "I10"
