"""End to end: the demo district's months through the real Prefect flow, checked by hand."""
from __future__ import annotations

import hashlib
import os

import pandas as pd
import pytest

from tests.conftest import copy_home
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.curated.consolidate import read_partition
from zhuanbao.tasks.intake.registry import session, submissions

pytestmark = pytest.mark.slow  # a Prefect server and two months of the demo district through the flow


@pytest.fixture(scope="module")
def demo(built_demo_inbox, tmp_path_factory, prefect_harness):
    """The demo home after the flow ran 2020-03 and 2020-04 (as of the 16th, without the late file)."""
    home = copy_home(built_demo_inbox, tmp_path_factory.mktemp("demo"))
    os.environ["ZHUANBAO_HOME"] = str(home)
    from zhuanbao.flows.monthly import monthly_consolidation

    first = monthly_consolidation(period="2020-03", as_of="2020-04-16T09:00:00+08:00")
    second = monthly_consolidation(period="2020-04", as_of="2020-05-16T09:00:00+08:00")
    yield load_settings(home=home), first, second
    os.environ.pop("ZHUANBAO_HOME", None)


def metric(settings, name: str, period: str) -> pd.DataFrame:
    return read_partition(settings.curated_dir, f"metrics_{name}", period)


def test_flow_counts_files_accepted_rejected_late_missing(demo):
    _, march, april = demo
    assert (march["files"], march["accepted"], march["rejected"], march["missing"]) == (18, 18, 0, 0)
    # April on the 16th: D02 sent a bad file and a correction, T04's file is still on its way
    assert (april["files"], april["accepted"], april["rejected"], april["missing"]) == (18, 17, 1, 1)


def test_curated_tables_hold_only_the_latest_accepted_file(demo):
    settings, _, _ = demo
    indicators = read_partition(settings.curated_dir, "indicators", "2020-04")
    with session(settings.db_url) as db:
        rows = {r.file_name: r for r in submissions(db, "2020-04")}
    d02 = indicators[indicators.unit_code == "D02"]
    assert set(d02.source_sha256) == {rows["D02_2020-04_更正.xlsx"].sha256}
    assert "T04" not in set(read_partition(settings.curated_dir, "tasks", "2020-04").unit_code)
    assert list(indicators.columns) == ["unit_code", "source_sha256", "received_at", "on_time", "indicator_code",
                                        "month_value", "cumulative", "last_year_cumulative", "reported_growth",
                                        "note", "period"]


def test_growth_completion_and_lagging_match_a_hand_computation(demo):
    settings, _, _ = demo
    raw = read_partition(settings.curated_dir, "indicators", "2020-04").set_index(["unit_code", "indicator_code"])
    got = metric(settings, "indicator_metrics", "2020-04").set_index(["unit_code", "indicator_code"])
    # D01 I05 地方一般公共预算收入: a growth target of 6 %
    i05 = raw.loc[("D01", "I05")]
    growth = (i05.cumulative / i05.last_year_cumulative - 1) * 100
    assert got.loc[("D01", "I05"), "growth_pct"] == pytest.approx(growth)
    assert bool(got.loc[("D01", "I05"), "on_track"]) == (growth >= 6)
    # D01 I14 立项争取资金: an amount target of 172356 万元 against 4/12 of the year
    completion = raw.loc[("D01", "I14")].cumulative / 172356
    assert got.loc[("D01", "I14"), "completion"] == pytest.approx(completion)
    assert bool(got.loc[("D01", "I14"), "lagging"]) == (completion < 4 / 12)
    # D02 I07 技改投资 lags its 36 % target in the demo's story
    i07 = raw.loc[("D02", "I07")]
    assert (i07.cumulative / i07.last_year_cumulative - 1) * 100 < 36
    assert bool(got.loc[("D02", "I07"), "lagging"])


def test_township_score_and_rank_match_a_hand_computation(demo):
    settings, _, _ = demo
    tasks = read_partition(settings.curated_dir, "tasks", "2020-04")
    indicators = read_partition(settings.curated_dir, "indicators", "2020-04")
    scores = metric(settings, "unit_scores", "2020-04").set_index("unit_code")
    # T02 金盆镇: one amount indicator (I13, target 1) and seven tasks, on time, no flags
    t02_tasks = tasks[tasks.unit_code == "T02"]
    i13 = indicators[(indicators.unit_code == "T02") & (indicators.indicator_code == "I13")].cumulative.iloc[0]
    on_track = int(i13 / 1 >= 4 / 12) + int((t02_tasks.progress_pct >= 100 * 4 / 12).sum())
    share = on_track / (1 + len(t02_tasks))
    assert scores.loc["T02", "score"] == pytest.approx(100 * (0.7 * share + 0.2 * 1 + 0.1 * 1))
    townships = scores[scores.unit_kind == "township"].sort_values("score", ascending=False)
    assert townships.loc["T04", "rank"] == townships["rank"].max()  # T04 had sent nothing by the 16th
    ranked = townships[townships.index != "T04"]
    assert list(ranked["rank"]) == sorted(ranked["rank"])


def test_running_a_period_again_on_the_same_inputs_changes_nothing(demo):
    settings, _, _ = demo
    from zhuanbao.flows.monthly import monthly_consolidation

    def snapshot():
        files = sorted(settings.curated_dir.rglob("period=2020-04/*.parquet"))
        with session(settings.db_url) as db:
            registry = [(r.id, r.outcome, r.rules) for r in submissions(db, "2020-04")]
        reports = sorted(p.name for p in settings.reports_dir("2020-04").rglob("*") if p.is_file())
        return [hashlib.sha256(f.read_bytes()).hexdigest() for f in files], registry, reports

    before = snapshot()
    monthly_consolidation(period="2020-04", as_of="2020-05-16T09:00:00+08:00")
    assert snapshot() == before


def test_analysts_query_the_curated_data_with_duckdb(demo):
    import duckdb

    settings, _, _ = demo
    base = settings.curated_dir.as_posix()
    periods = duckdb.sql(f"select period, count(*) from read_parquet('{base}/indicators/*/*.parquet', "
                         "hive_partitioning=true) group by period order by period").fetchall()
    assert [p for p, _ in periods] == ["2020-03", "2020-04"]
    lagging = duckdb.sql(f"select unit_code, indicator_code from read_parquet("
                         f"'{base}/metrics_indicator_metrics/*/*.parquet', hive_partitioning=true) "
                         "where lagging and period = '2020-04'").fetchall()
    assert ("D02", "I07") in lagging
