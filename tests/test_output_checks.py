"""Checks on what a run produces (expectations/outputs/, tasks/checks/outputs.py): the demo district's figures pass;
a duplicated key, a district total that is not the sum of its units, a rate of 130 or a due unit left out stop
the run with a Chinese message naming the dataset, the rule and the offending keys, and the data stays."""
from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from zhuanbao.tasks.checks.outputs import OutputCheckError, check_outputs, output_suites
from zhuanbao.tasks.curated import consolidate as curated
from zhuanbao.tasks.metrics.headline import compute_metrics
from zhuanbao.tasks.steps import check_written

PERIOD = "2020-04"


def demo_inputs(reference) -> dict[str, pd.DataFrame]:
    """Every assignment of the demo district reported, with plain figures (all units accepted, on time)."""
    owed = reference.assignments(PERIOD)
    rows = {form: owed.loc[owed.form == form, ["unit_code", "code"]].reset_index(drop=True)
            for form in ("indicators", "projects", "tasks")}
    indicators = rows["indicators"].rename(columns={"code": "indicator_code"}).assign(
        month_value=5.0, cumulative=[20.0 + i for i in range(len(rows["indicators"]))], last_year_cumulative=18.0,
        reported_growth=float("nan"), note="")
    projects = reference.projects[["unit_code", "project_code"]].assign(
        annual_plan=100.0, month_investment=10.0, cumulative_investment=40.0, status="在建", progress_text="",
        problems="", coordination="")
    tasks = rows["tasks"].rename(columns={"code": "task_code"}).assign(progress_pct=40.0, progress_text="",
                                                                       problems="", note="")
    units = reference.required_units(PERIOD)
    return {"indicators": indicators, "projects": projects, "tasks": tasks,
            "submissions": pd.DataFrame({"unit_code": units, "status": "accepted", "on_time": True}),
            "flags": pd.DataFrame(columns=["unit_code", "rule_id", "explained"])}


def outputs(reference) -> dict[str, pd.DataFrame]:
    inputs = demo_inputs(reference)
    result = compute_metrics(PERIOD, reference, inputs["indicators"], inputs["projects"], inputs["tasks"],
                             inputs["submissions"], inputs["flags"])
    frames = {f"metrics_{name}": frame for name, frame in result.items() if isinstance(frame, pd.DataFrame)}
    return {**frames, **{form: inputs[form] for form in ("indicators", "projects", "tasks")}}


@pytest.fixture(scope="module")
def suites():
    return output_suites()


def failure(reference, suites, frames) -> str:
    with pytest.raises(OutputCheckError) as caught:
        check_outputs(PERIOD, reference, frames, suites)
    return str(caught.value)


def test_every_curated_and_metrics_dataset_has_a_suite_and_the_demo_passes(reference, suites):
    frames = outputs(reference)
    assert set(suites) == set(frames)
    assert {s.meta["step"] for s in suites.values()} == {"consolidate", "metrics"}
    check_outputs(PERIOD, reference, frames, suites)  # no error


def test_a_duplicated_curated_row_names_the_dataset_rule_and_key(reference, suites):
    frames = outputs(reference)
    indicators = frames["indicators"]
    frames["indicators"] = pd.concat([indicators, indicators.iloc[[0]]], ignore_index=True)
    message = failure(reference, suites, frames)
    first = indicators.iloc[0]
    assert "产出核对未通过，专报未生成" in message and "数据集 indicators" in message and "规则 O01" in message
    assert f"unit_code={first.unit_code}, indicator_code={first.indicator_code}" in message


def test_a_district_total_that_is_not_the_sum_of_its_units_fails(reference, suites):
    frames = outputs(reference)
    additive = set(reference.indicators.loc[reference.indicators.additive, "indicator_code"])
    totals = frames["metrics_district_totals"]
    wrong = totals.index[totals.indicator_code.isin(additive)][0]
    totals.loc[wrong, "cumulative"] += 1
    message = failure(reference, suites, frames)
    assert "数据集 metrics_district_totals，规则 O02" in message and "累计值不等于各填报单位累计值之和" in message
    assert f"indicator_code={totals.loc[wrong, 'indicator_code']}" in message
    assert message.count("规则 O02") == 1  # the month values and last year's still add up


def test_a_score_of_130_and_a_progress_of_130_fail(reference, suites):
    frames = outputs(reference)
    frames["metrics_unit_scores"].loc[0, "score"] = 130.0
    frames["tasks"].loc[0, "progress_pct"] = 130.0
    message = failure(reference, suites, frames)
    unit = frames["metrics_unit_scores"].loc[0, "unit_code"]
    assert "数据集 metrics_unit_scores，规则 O03" in message
    assert f"得分超出 0–100 的范围；涉及 unit_code={unit}" in message
    assert "数据集 tasks，规则 O03" in message


def test_a_due_unit_left_out_of_the_scores_fails(reference, suites):
    frames = outputs(reference)
    scores = frames["metrics_unit_scores"]
    frames["metrics_unit_scores"] = scores.iloc[1:]
    message = failure(reference, suites, frames)
    assert "规则 O04" in message and f"unit_code={scores.iloc[0].unit_code}" in message


def test_the_step_stops_the_written_partition_stays_and_a_pass_is_remembered(reference, settings):
    frames = outputs(reference)
    ctx = SimpleNamespace(settings=settings, period=PERIOD, reference=reference, from_scratch=False)
    broken = pd.concat([frames["projects"], frames["projects"].iloc[[0]]], ignore_index=True)
    written = curated.write_partition(settings.curated_dir, "projects", PERIOD, broken)
    with pytest.raises(OutputCheckError, match="数据集 projects，规则 O01"):
        check_written(ctx, "consolidate", "built-from-1")
    assert written.exists()
    with pytest.raises(OutputCheckError):  # a failure is not remembered: the same inputs fail again
        check_written(ctx, "consolidate", "built-from-1")
    curated.write_partition(settings.curated_dir, "projects", PERIOD, frames["projects"])
    check_written(ctx, "consolidate", "built-from-2")
    assert (settings.home / "cache" / "outputs" / f"period={PERIOD}" / "consolidate.passed").is_file()
