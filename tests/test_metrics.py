"""Derived figures (tasks/metrics.py) on a tiny hand-made district; expected values worked by hand.

The district: townships T01 T02 T03, departments D01 D02.
- G1 growth target 10 % (D01); Q1 quarterly growth target 8 % (D01);
- A1 additive amount, annual target 100 each for T01 (half-year value 40) and T02 (none);
- L1 level ≥ 84 and L2 level ≤ 38 (D02);
- projects X1 竣工完工 (T01), X2 复工推进 plan 1200 half-year task 600 (T02), X3 新开工 (T03);
- task K1 led by D01, shared by T01 and T02.
"""
from __future__ import annotations

import pandas as pd
import pytest

from zhuanbao.tasks.core.reference import Reference
from zhuanbao.tasks.metrics.compute import (
    batch_summary,
    district_totals,
    indicator_metrics,
    project_metrics,
    task_metrics,
    task_summary,
)
from zhuanbao.tasks.metrics.headline import compute_metrics

NA = float("nan")


@pytest.fixture
def reference() -> Reference:
    units = pd.DataFrame({
        "unit_code": ["T01", "T02", "T03", "D01", "D02"],
        "unit_name": ["一镇", "二镇", "三镇", "发改局", "环境局"],
        "unit_kind": ["township"] * 3 + ["department"] * 2,
        "short_name": ["一", "二", "三", "发改", "环境"]})
    indicators = pd.DataFrame({
        "indicator_code": ["G1", "Q1", "A1", "L1", "L2"],
        "indicator_name": ["增长", "季度增长", "金额", "优良率", "浓度"],
        "measure": ["万元", "万元", "万元", "%", "微克"],
        "target_kind": ["growth", "growth", "amount", "level", "level"],
        "direction": ["higher", "higher", "higher", "higher", "lower"],
        "frequency": ["M", "Q", "M", "M", "M"],
        "additive": [False, False, True, False, False], "note": [""] * 5})
    targets = pd.DataFrame({
        "unit_code": ["D01", "D01", "T01", "T02", "D02", "D02"],
        "indicator_code": ["G1", "Q1", "A1", "A1", "L1", "L2"],
        "target_value": [10.0, 8.0, 100.0, 100.0, 84.0, 38.0],
        "half_year_value": [NA, NA, 40.0, NA, NA, NA], "note": [""] * 6})
    projects = pd.DataFrame({
        "project_code": ["X1", "X2", "X3"], "project_name": ["完工项目", "续建项目", "新建项目"],
        "batch": ["竣工完工", "复工推进", "新开工"], "annual_plan_wan": [100.0, 1200.0, 50.0],
        "unit_code": ["T01", "T02", "T03"], "half_year_task": ["力争完工", "600", "力争开工"]})
    tasks = pd.DataFrame({"task_code": ["K1"], "task_area": ["园区"], "task_name": ["供应链"],
                          "lead_unit": ["D01"], "co_units": ["T01;T02"]})
    return Reference(2020, units, indicators, targets, projects, tasks)


def indicator_rows(period: str, *rows: tuple) -> pd.DataFrame:
    """rows: (unit_code, indicator_code, month_value, cumulative, last_year_cumulative)."""
    frame = pd.DataFrame(rows, columns=["unit_code", "indicator_code", "month_value", "cumulative",
                                        "last_year_cumulative"])
    return frame.assign(period=period, reported_growth=NA, note="")


def project_rows(period: str, *rows: tuple) -> pd.DataFrame:
    """rows: (unit_code, project_code, cumulative_investment, status)."""
    frame = pd.DataFrame(rows, columns=["unit_code", "project_code", "cumulative_investment", "status"])
    return frame.assign(period=period, month_investment=10.0, progress_text="", problems="",
                        coordination="")


def task_rows(period: str, *rows: tuple) -> pd.DataFrame:
    """rows: (unit_code, task_code, progress_pct)."""
    frame = pd.DataFrame(rows, columns=["unit_code", "task_code", "progress_pct"])
    return frame.assign(period=period, progress_text="", problems="", note="")


def one(frame: pd.DataFrame, **keys) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in keys.items():
        mask &= frame[column] == value
    assert mask.sum() == 1, keys
    return frame.loc[mask].iloc[0]


# --- indicators ------------------------------------------------------------------------------

def test_growth_is_computed_in_percent_and_on_track_at_target(reference):
    rows = indicator_metrics("2020-04", reference, indicator_rows("2020-04", ("D01", "G1", NA, 110.0, 100.0)))
    g1 = one(rows, indicator_code="G1")
    assert g1.growth_pct == pytest.approx(10.0)  # 110 / 100 − 1 = 10 %, target 10 %
    assert bool(g1.on_track) and not bool(g1.lagging)


def test_growth_below_target_is_lagging(reference):
    rows = indicator_metrics("2020-04", reference, indicator_rows("2020-04", ("D01", "G1", NA, 109.0, 100.0)))
    g1 = one(rows, indicator_code="G1")
    assert g1.growth_pct == pytest.approx(9.0)
    assert bool(g1.lagging) and not bool(g1.on_track)


def test_growth_without_last_year_value_is_nan_and_lagging(reference):
    rows = indicator_metrics("2020-04", reference, indicator_rows("2020-04", ("D01", "G1", NA, 110.0, 0.0)))
    assert pd.isna(one(rows, indicator_code="G1").growth_pct)
    assert bool(one(rows, indicator_code="G1").lagging)


def test_amount_below_time_progress_is_lagging(reference):
    # April: time progress 4/12 = 0.333…; T01 30/100 = 0.30 lags, T02 40/100 = 0.40 is on track
    data = indicator_rows("2020-04", ("T01", "A1", 5.0, 30.0, NA), ("T02", "A1", 5.0, 40.0, NA))
    rows = indicator_metrics("2020-04", reference, data)
    t01, t02 = one(rows, unit_code="T01"), one(rows, unit_code="T02")
    assert t01.time_progress == pytest.approx(4 / 12)
    assert t01.completion == pytest.approx(0.30) and bool(t01.lagging)
    assert t02.completion == pytest.approx(0.40) and bool(t02.on_track)


def test_level_is_judged_by_direction(reference):
    data = indicator_rows("2020-04", ("D02", "L1", NA, 85.0, NA), ("D02", "L2", NA, 40.0, NA))
    rows = indicator_metrics("2020-04", reference, data)
    assert bool(one(rows, indicator_code="L1").on_track)  # higher: 85 ≥ 84
    assert bool(one(rows, indicator_code="L2").lagging)  # lower: 40 > 38
    rows = indicator_metrics("2020-04", reference, indicator_rows("2020-04", ("D02", "L2", NA, 38.0, NA)))
    assert bool(one(rows, indicator_code="L2").on_track)  # lower: 38 ≤ 38
    assert pd.isna(one(rows, indicator_code="L2").completion)


def test_double_half_uses_half_year_value_where_given(reference):
    # June: T01 45 < 50 % of 100 but ≥ its half-year value 40; T02 (no half-year value) needs 50
    data = indicator_rows("2020-06", ("T01", "A1", 5.0, 45.0, NA), ("T02", "A1", 5.0, 45.0, NA))
    rows = indicator_metrics("2020-06", reference, data)
    assert bool(one(rows, unit_code="T01").double_half)
    assert not bool(one(rows, unit_code="T02").double_half)
    rows = indicator_metrics("2020-06", reference, indicator_rows("2020-06", ("T02", "A1", 5.0, 50.0, NA)))
    assert bool(one(rows, unit_code="T02").double_half)


def test_double_half_needs_half_the_year_gone(reference):
    rows = indicator_metrics("2020-05", reference, indicator_rows("2020-05", ("T02", "A1", 5.0, 90.0, NA)))
    assert bool(one(rows, unit_code="T02").on_track) and not bool(one(rows, unit_code="T02").double_half)


def test_double_half_of_growth_is_growth_at_target(reference):
    data = indicator_rows("2020-06", ("D01", "G1", NA, 110.0, 100.0), ("D01", "Q1", NA, 105.0, 100.0))
    rows = indicator_metrics("2020-06", reference, data)
    assert bool(one(rows, indicator_code="G1").double_half)
    assert not bool(one(rows, indicator_code="Q1").double_half)  # 5 % < 8 %


def test_quarterly_indicator_counts_only_at_quarter_end(reference):
    data = indicator_rows("2020-06", ("D01", "Q1", NA, 108.0, 100.0))
    june = indicator_metrics("2020-06", reference, data)
    assert one(june, indicator_code="Q1").time_progress == pytest.approx(6 / 12)
    may = indicator_metrics("2020-05", reference, data.assign(period="2020-05"))
    assert "Q1" not in set(may.indicator_code)  # not assigned in May, so not judged


def test_rows_are_sorted_by_indicator_then_unit(reference):
    data = indicator_rows("2020-04", ("T02", "A1", 5.0, 40.0, NA), ("D01", "G1", NA, 1.0, 1.0),
                          ("T01", "A1", 5.0, 40.0, NA))
    rows = indicator_metrics("2020-04", reference, data)
    assert list(zip(rows.indicator_code, rows.unit_code)) == [("A1", "T01"), ("A1", "T02"), ("G1", "D01"),
                                                              ("L1", "D02"), ("L2", "D02")]


def test_an_indicator_not_reported_keeps_its_row_and_is_neither_on_track_nor_lagging(reference):
    rows = indicator_metrics("2020-04", reference, indicator_rows("2020-04", ("T01", "A1", 5.0, 10.0, NA)))
    t02, l2 = one(rows, unit_code="T02"), one(rows, indicator_code="L2")
    assert pd.isna(t02.cumulative) and not bool(t02.on_track) and not bool(t02.lagging)  # 未报, not 滞后
    assert not bool(l2.lagging) and not bool(l2.on_track)
    assert bool(one(rows, unit_code="T01").lagging)  # 10 % < 33 %: reported and behind


@pytest.mark.parametrize(("growth", "tolerance", "on_track"), [(6.3, 0.5, True), (6.3, 0.0, False),
                                                                (5.9, 0.5, False), (6.0, 0.5, True)])
def test_growth_on_track_uses_the_tolerance(reference, growth, tolerance, on_track):
    targets = reference.targets.assign(tolerance=0.0)
    targets.loc[targets.indicator_code == "G1", ["target_value", "tolerance"]] = [6.5, tolerance]
    ref = Reference(2020, reference.units, reference.indicators, targets, reference.projects, reference.tasks)
    rows = indicator_metrics("2020-04", ref, indicator_rows("2020-04", ("D01", "G1", NA, 100 + growth, 100.0)))
    g1 = one(rows, indicator_code="G1")
    assert bool(g1.on_track) is on_track and bool(g1.lagging) is not on_track
    assert bool(one(district_totals("2020-04", ref, indicator_rows(
        "2020-04", ("D01", "G1", NA, 100 + growth, 100.0))), indicator_code="G1").on_track) is on_track


@pytest.mark.parametrize(("value", "on_track"), [(38.0, True), (40.0, True), (40.5, False)])
def test_a_ceiling_is_on_track_up_to_target_plus_tolerance_and_has_no_time_progress(reference, value, on_track):
    targets = reference.targets.assign(tolerance=0.0)
    targets.loc[targets.indicator_code == "L2", "tolerance"] = 2.0  # 不高于38左右: up to 40
    ref = Reference(2020, reference.units, reference.indicators, targets, reference.projects, reference.tasks)
    rows = indicator_metrics("2020-04", ref, indicator_rows("2020-04", ("D02", "L2", NA, value, NA)))
    l2 = one(rows, indicator_code="L2")
    assert bool(l2.on_track) is on_track and pd.isna(l2.time_progress)
    assert one(rows, unit_code="T01").time_progress == pytest.approx(4 / 12)


def test_an_amount_tolerance_is_in_the_targets_measure(reference):
    targets = reference.targets.assign(tolerance=0.0)
    targets.loc[targets.unit_code == "T01", "tolerance"] = 5.0  # 100 × 4/12 = 33.3 − 5 → 28.3 is enough
    ref = Reference(2020, reference.units, reference.indicators, targets, reference.projects, reference.tasks)
    rows = indicator_metrics("2020-04", ref, indicator_rows("2020-04", ("T01", "A1", 5.0, 29.0, NA),
                                                          ("T02", "A1", 5.0, 29.0, NA)))
    assert bool(one(rows, unit_code="T01").on_track) and bool(one(rows, unit_code="T02").lagging)


# --- district totals -------------------------------------------------------------------------

def test_district_total_sums_additive_indicators_and_passes_single_ones_through(reference):
    data = indicator_rows("2020-04", ("T01", "A1", 5.0, 30.0, NA), ("T02", "A1", 7.0, 40.0, NA),
                          ("D01", "G1", NA, 110.0, 100.0))
    totals = district_totals("2020-04", reference, data)
    a1, g1 = one(totals, indicator_code="A1"), one(totals, indicator_code="G1")
    assert (a1.aggregation, a1.month_value, a1.cumulative, a1.target_value) == ("sum", 12.0, 70.0, 200.0)
    assert a1.completion == pytest.approx(0.35) and bool(a1.on_track)  # 0.35 ≥ 0.333
    assert pd.isna(a1.half_year_value)  # only T01 has one: no district half-year target
    assert (g1.aggregation, g1.unit_code) == ("single", "D01")
    assert g1.growth_pct == pytest.approx(10.0) and bool(g1.on_track)


def test_district_total_with_a_missing_unit_counts_its_target(reference):
    totals = district_totals("2020-04", reference, indicator_rows("2020-04", ("T01", "A1", 5.0, 60.0, NA)))
    a1 = one(totals, indicator_code="A1")
    assert (a1.units_assigned, a1.units_reported) == (2, 1)
    assert a1.completion == pytest.approx(60 / 200)
    assert set(totals.indicator_code) == {"A1", "G1", "L1", "L2"}  # nobody reported the others: still there
    g1 = one(totals, indicator_code="G1")
    assert g1.units_reported == 0 and pd.isna(g1.cumulative) and not g1.lagging and not g1.on_track  # 未报


# --- projects --------------------------------------------------------------------------------

def test_completion_batch_is_on_track_only_when_finished(reference):
    for status, expected in (("在建", False), ("竣工", True)):
        rows = project_metrics("2020-04", reference, project_rows("2020-04", ("T01", "X1", 90.0, status)))
        x1 = one(rows, project_code="X1")
        assert bool(x1.on_track) is expected and x1.completion == pytest.approx(0.9)


def test_resumed_project_threshold_through_june_is_half_year_task_share(reference):
    # April: 600 × 4/6 = 400
    for cumulative, expected in ((399.0, False), (400.0, True)):
        rows = project_metrics("2020-04", reference, project_rows("2020-04", ("T02", "X2", cumulative, "在建")))
        x2 = one(rows, project_code="X2")
        assert x2.required_investment == pytest.approx(400.0) and bool(x2.on_track) is expected


def test_resumed_project_threshold_after_june_is_annual_plan_share(reference):
    # August: 1200 × 8/12 = 800
    rows = project_metrics("2020-08", reference, project_rows("2020-08", ("T02", "X2", 799.0, "在建")))
    x2 = one(rows, project_code="X2")
    assert x2.required_investment == pytest.approx(800.0) and not bool(x2.on_track)


def test_new_project_is_on_track_once_started_and_unreported_is_not(reference):
    for status, expected in (("未开工", False), ("在建", True), ("停工", True)):
        rows = project_metrics("2020-04", reference, project_rows("2020-04", ("T03", "X3", 0.0, status)))
        assert bool(one(rows, project_code="X3").on_track) is expected
    rows = project_metrics("2020-04", reference, None)
    assert list(rows.project_code) == ["X1", "X2", "X3"]
    assert not rows.reported.any() and not rows.on_track.any()


def test_batch_summary_counts_and_sums_in_batch_order(reference):
    data = project_rows("2020-04", ("T01", "X1", 100.0, "竣工"), ("T02", "X2", 300.0, "在建"))
    summary = batch_summary(project_metrics("2020-04", reference, data))
    assert list(summary.batch) == ["竣工完工", "复工推进", "新开工"]
    first = one(summary, batch="竣工完工")
    assert (first.projects, first.reported, first.on_track, first.completed) == (1, 1, 1, 1)
    resumed = one(summary, batch="复工推进")
    assert (resumed.on_track, resumed.started, resumed.cumulative_investment) == (0, 1, 300.0)
    assert resumed.completion == pytest.approx(300 / 1200)
    assert pd.isna(one(summary, batch="新开工").cumulative_investment)


# --- tasks -----------------------------------------------------------------------------------

def test_task_rows_have_roles_lead_first_and_on_track_against_time_progress(reference):
    data = task_rows("2020-04", ("D01", "K1", 50.0), ("T01", "K1", 30.0))
    rows = task_metrics("2020-04", reference, data)
    assert list(zip(rows.unit_code, rows.role)) == [("D01", "lead"), ("T01", "co"), ("T02", "co")]
    assert list(rows.on_track) == [True, False, False]  # 50 ≥ 33.3; 30 < 33.3; T02 not reported
    summary = task_summary(rows)
    k1 = one(summary, task_code="K1")
    assert (k1.units_assigned, k1.units_reported, k1.lead_unit) == (3, 2, "D01")
    assert k1.mean_progress_pct == pytest.approx(40.0) and k1.lead_progress_pct == 50.0


def test_every_lead_unit_of_a_task_is_a_lead_and_the_first_leads_the_summary(reference):
    tasks = reference.tasks.assign(lead_unit="D02", lead_units="D02;D01", co_units="T01")
    ref = Reference(2020, reference.units, reference.indicators, reference.targets, reference.projects, tasks)
    rows = task_metrics("2020-04", ref, task_rows("2020-04", ("D01", "K1", 50.0), ("D02", "K1", 20.0)))
    assert list(zip(rows.unit_code, rows.role)) == [("D02", "lead"), ("D01", "lead"), ("T01", "co")]
    k1 = one(task_summary(rows), task_code="K1")
    assert (k1.lead_unit, k1.lead_progress_pct) == ("D02", 20.0)


# --- scores and ranking ----------------------------------------------------------------------

def april_inputs() -> dict:
    """T01 and T02 both 2 of 3 items on track and on time; T03 missing; D01 all on track but late;
    D02 half on track, on time."""
    period = "2020-04"
    return {
        "indicators": indicator_rows(period, ("T01", "A1", 5.0, 40.0, NA), ("T02", "A1", 5.0, 40.0, NA),
                                     ("D01", "G1", NA, 110.0, 100.0), ("D02", "L1", NA, 85.0, NA),
                                     ("D02", "L2", NA, 40.0, NA)),
        "projects": project_rows(period, ("T01", "X1", 50.0, "在建"), ("T02", "X2", 400.0, "在建")),
        "tasks": task_rows(period, ("D01", "K1", 50.0), ("T01", "K1", 50.0), ("T02", "K1", 10.0)),
        "submissions": pd.DataFrame({"unit_code": ["T01", "T02", "T03", "D01", "D02"],
                                     "status": ["accepted", "accepted", "missing", "accepted", "accepted"],
                                     "on_time": [True, True, pd.NA, False, True]}),
        "flags": pd.DataFrame(columns=["unit_code", "rule_id", "explained"]),
    }


def scores(reference, weights=None, **changes) -> pd.DataFrame:
    inputs = april_inputs() | changes
    return compute_metrics("2020-04", reference, weights=weights, **inputs)["unit_scores"]


def test_score_is_weighted_sum_of_on_track_on_time_and_explained(reference):
    table = scores(reference)
    t01, d01, d02 = (one(table, unit_code=u) for u in ("T01", "D01", "D02"))
    assert (t01.items_assigned, t01.items_on_track) == (3, 2)
    assert t01.score == pytest.approx(100 * (0.7 * 2 / 3 + 0.2 * 1 + 0.1 * 1))
    assert d01.score == pytest.approx(100 * (0.7 * 1 + 0.2 * 0 + 0.1 * 1))  # late: on_time 0
    assert d02.score == pytest.approx(100 * (0.7 * 0.5 + 0.2 + 0.1))


def test_equal_scores_share_rank_and_missing_unit_ranks_last(reference):
    table = scores(reference)
    assert list(zip(table.unit_code, table["rank"])) == [
        ("T01", 1), ("T02", 1), ("T03", 3), ("D01", 1), ("D02", 2)]
    t03 = one(table, unit_code="T03")
    assert (t03.status, t03.score, t03.on_time, t03.explained_share) == ("missing", 0.0, 0.0, 0.0)


def test_rejected_only_unit_counts_as_missing_and_ranks_last(reference):
    subs = april_inputs()["submissions"].assign(status=["accepted", "rejected", "missing", "accepted", "accepted"])
    table = scores(reference, submissions=subs)
    assert one(table, unit_code="T02")["rank"] == 2 and one(table, unit_code="T03")["rank"] == 2
    assert one(table, unit_code="T02").score == 0.0  # its curated rows earn nothing without acceptance


def test_unexplained_flag_lowers_score_and_breaks_tie(reference):
    flags = pd.DataFrame({"unit_code": ["T01", "T02"], "rule_id": ["S01", "S02"], "explained": [False, True]})
    table = scores(reference, flags=flags)
    t01, t02 = one(table, unit_code="T01"), one(table, unit_code="T02")
    assert (t01.flags_total, t01.flags_explained, t01.explained_share) == (1, 0, 0.0)
    assert t02.explained_share == 1.0
    assert (t02["rank"], t01["rank"]) == (1, 2)


def test_score_weights_change_the_ranking(reference):
    heavy_on_time = scores(reference, weights={"on_track": 0.2, "on_time": 0.8, "explained": 0.0})
    assert one(heavy_on_time, unit_code="D02")["rank"] == 1  # 0.2×0.5 + 0.8 = 90 vs D01 0.2×1 = 20
    assert one(heavy_on_time, unit_code="D01").score == pytest.approx(20.0)


def test_unknown_score_weight_is_refused(reference):
    with pytest.raises(ValueError):
        scores(reference, weights={"on_track": 1.0, "speed": 1.0})


# --- headline and empty months ---------------------------------------------------------------

def test_headline_counts_units_and_lists_lagging(reference):
    facts = compute_metrics("2020-04", reference, **april_inputs())["headline"]
    assert (facts["units_required"], facts["units_accepted"], facts["units_on_time"]) == (5, 4, 3)
    assert (facts["units_late"], facts["units_missing"]) == (1, 1)
    assert facts["late_units"] == ["D01"] and facts["missing_units"] == ["T03"]
    assert facts["submission_rate"] == pytest.approx(0.8) and facts["on_time_rate"] == pytest.approx(0.6)
    assert (facts["indicators_total"], facts["indicators_on_track"]) == (5, 4)
    assert facts["lagging"] == [("D02", "L2")]
    assert facts["double_half"] is False  # April


def test_district_double_half_needs_every_amount_and_growth_indicator(reference):
    data = indicator_rows("2020-06", ("T01", "A1", 5.0, 60.0, NA), ("T02", "A1", 5.0, 50.0, NA),
                          ("D01", "G1", NA, 110.0, 100.0), ("D01", "Q1", NA, 108.0, 100.0))
    facts = compute_metrics("2020-06", reference, data, None, None, None)["headline"]
    assert facts["double_half"] is True  # 110 / 200 ≥ 50 %, G1 10 ≥ 10, Q1 8 ≥ 8
    without_q1 = data.loc[data.indicator_code != "Q1"]
    assert compute_metrics("2020-06", reference, without_q1, None, None, None)["headline"]["double_half"] is False


@pytest.mark.parametrize("empty", [None, pd.DataFrame()])
def test_month_nobody_reported_gives_empty_typed_frames(reference, empty):
    out = compute_metrics("2020-04", reference, empty, empty, empty, empty, empty)
    assert len(out["indicator_metrics"]) == 5 and len(out["district_totals"]) == 4  # every row, 未报
    assert not out["indicator_metrics"]["lagging"].any() and not out["district_totals"]["lagging"].any()
    assert out["headline"]["indicators_unreported"] == 5 and out["headline"]["indicators_lagging"] == 0
    assert out["indicator_metrics"]["on_track"].dtype == bool
    assert out["district_totals"]["cumulative"].dtype == "float64"
    assert not out["project_metrics"].on_track.any() and not out["task_metrics"].on_track.any()
    table = out["unit_scores"]
    assert set(table.status) == {"missing"} and set(table["rank"]) == {1}
    facts = out["headline"]
    assert (facts["units_missing"], facts["submission_rate"], facts["lagging"]) == (5, 0.0, [])


def test_reference_without_projects_or_tasks_does_not_crash(reference):
    bare = Reference(2020, reference.units, reference.indicators, reference.targets,
                     reference.projects.iloc[0:0], reference.tasks.iloc[0:0])
    out = compute_metrics("2020-04", bare, None, None, None, None)
    assert out["project_metrics"].empty and out["batch_summary"].empty and out["task_summary"].empty
    assert list(out["unit_scores"].unit_code) == ["T01", "T02", "D01", "D02"]


def test_a_non_additive_indicator_of_several_units_keeps_its_district_row_without_a_figure(reference):
    targets = pd.concat([reference.targets, pd.DataFrame([{"unit_code": "D02", "indicator_code": "G1",
                                                            "target_value": 10.0, "half_year_value": NA, "note": ""}])])
    ref = Reference(2020, reference.units, reference.indicators, targets, reference.projects, reference.tasks)
    data = indicator_rows("2020-04", ("D01", "G1", NA, 105.0, 100.0), ("D02", "G1", NA, 112.0, 100.0))
    g1 = one(district_totals("2020-04", ref, data), indicator_code="G1")
    assert (g1.aggregation, g1.units_assigned, g1.units_reported) == ("units", 2, 2)
    assert pd.isna(g1.cumulative) and bool(g1.lagging) and not bool(g1.on_track)  # D01: 5 % < 10 %
    alone = one(district_totals("2020-04", ref, data.iloc[1:]), indicator_code="G1")
    assert not bool(alone.lagging) and not bool(alone.on_track)  # D02 on track, D01 未报: not all on track
