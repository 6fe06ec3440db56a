"""Periods of every cadence (district-plan.md "Cadences"): labels, bounds, deadlines, neighbours, nesting, names."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhuanbao.tasks.core import periods

SHANGHAI = ZoneInfo("Asia/Shanghai")
days = st.dates(min_value=date(2001, 1, 1), max_value=date(2098, 12, 31))
cadences = st.sampled_from(periods.CADENCES)


@pytest.mark.parametrize(("label", "start", "end", "name"), [
    ("2024-04", date(2024, 4, 1), date(2024, 4, 30), "2024年4月"),
    ("2024-04-H1", date(2024, 4, 1), date(2024, 4, 15), "2024年4月上半月"),
    ("2024-02-H2", date(2024, 2, 16), date(2024, 2, 29), "2024年2月下半月"),
    ("2024-W15", date(2024, 4, 8), date(2024, 4, 14), "2024年第15周（4月8日—14日）"),
    ("2025-W01", date(2024, 12, 30), date(2025, 1, 5), "2025年第1周（12月30日—1月5日）"),
    ("2024-B08", date(2024, 4, 8), date(2024, 4, 21), "2024年第8个双周"),
    ("2020-B27", date(2020, 12, 28), date(2021, 1, 3), "2020年第27个双周"),
    ("2024-Q2", date(2024, 4, 1), date(2024, 6, 30), "2024年第二季度"),
])
def test_a_label_has_the_days_and_the_name_an_office_writes(label, start, end, name):
    assert (periods.period_start(label), periods.period_end(label), periods.chinese_name(label)) == (start, end, name)


@pytest.mark.parametrize(("typed", "label", "cadence"), [
    ("２０２４－０４－Ｈ１".replace("－", "-"), "2024-04-H1", "half-month"), ("２０２４-Ｗ１５", "2024-W15", "week"),
    ("2024-B08", "2024-B08", "two-weeks"), ("2024-Q2", "2024-Q2", "quarter"), ("2024-04", "2024-04", "month"),
])
def test_full_width_input_is_normalised_and_has_a_cadence(typed, label, cadence):
    assert periods.normalise_label(typed) == label
    assert periods.cadence_of(typed) == cadence


@pytest.mark.parametrize("typed", ["2024-4", "2024-04-H3", "2024-w15", "2024-W54", "2021-W53", "2021-B27",
                                   "2024-Q5", "2024-W00", " 2024-04", "2024-04-H1 ", "2024年4月"])
def test_anything_else_is_refused_in_one_chinese_line_naming_it(typed):
    with pytest.raises(ValueError) as caught:
        periods.parse(typed)
    message = str(caught.value)
    assert "\n" not in message and f"“{typed}”" in message and "报告期" in message


def test_a_deadline_is_deadline_days_after_the_last_day_at_the_last_second():
    closing = periods.period_deadline("2024-04-H2", 3, SHANGHAI)
    assert closing == datetime(2024, 5, 3, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert periods.period_deadline("2024-W15", 0, SHANGHAI).date() == date(2024, 4, 14)


def test_previous_of_the_same_cadence_and_within_the_year():
    assert periods.previous_label("2024-04-H1") == "2024-03-H2"
    assert periods.previous_label("2024-W01") == "2023-W52"
    assert periods.previous_label("2021-B01") == "2020-B27"
    assert periods.previous_label("2024-Q1") == "2023-Q4"
    assert periods.previous_in_year("2024-01-H1") is None and periods.previous_in_year("2024-01-H2") == "2024-01-H1"
    assert periods.previous_in_year("2024-01") is None and periods.previous_in_year("2024-02") == "2024-01"


def test_nesting_a_half_month_in_its_month_and_the_weeks_of_a_quarter():
    assert periods.containing("2024-04-H2", "month") == "2024-04"
    assert periods.containing("2024-W18", "month") == "2024-05"  # 29 April – 5 May ends in May
    assert periods.periods_in("2024-04", "half-month") == ["2024-04-H1", "2024-04-H2"]
    weeks = periods.periods_in("2024-Q2", "week")
    assert weeks[0] == "2024-W14" and weeks[-1] == "2024-W26" and len(weeks) == 13


@given(days, cadences)
def test_every_day_is_in_exactly_the_period_that_contains_it(day, cadence):
    label = periods.period_containing(day, cadence)
    period = periods.parse(label)
    assert period.start <= day <= period.end
    assert periods.normalise_label(label) == label and periods.cadence_of(label) == cadence


@given(days, cadences)
def test_periods_of_a_cadence_tile_the_calendar(day, cadence):
    period = periods.parse(periods.period_containing(day, cadence))
    after, before = period.next(), period.previous()
    assert after.start == period.end + timedelta(days=1) and before.end == period.start - timedelta(days=1)
    assert after.previous() == period and before.next() == period
    assert periods.previous_label(period.label) == before.label


@given(days)
def test_periods_nest_within_their_month_and_quarter(day):
    for inner in ("half-month", "week", "two-weeks"):
        label = periods.period_containing(day, inner)
        month = periods.containing(label, "month")
        assert label in periods.periods_in(month, inner)
    month = periods.period_containing(day, "month")
    assert month in periods.periods_in(periods.containing(month, "quarter"), "month")


def test_the_monthly_functions_are_unchanged():
    assert periods.normalise_period("２０２０-０４") == "2020-04"
    assert periods.previous_period("2020-01") is None and periods.shift("2020-12", 1) == "2021-01"
    with pytest.raises(ValueError, match="YYYY-MM"):
        periods.normalise_period("2020-04-H1")


def test_time_progress_of_a_short_period_is_its_share_of_the_year():
    assert periods.month_fraction("2020-05") == 5 / 12 and periods.month_fraction("2020-Q2") == 0.5
    assert periods.month_fraction("2020-05-H1") == pytest.approx(136 / 366)
    assert periods.month_fraction("2020-12-H2") == 1.0


def test_periods_of_every_cadence_sort_by_their_last_day_the_shorter_first():
    mixed = ["2020-Q2", "2020-06", "2020-05", "2020-05-H2", "2020-W22", "2020-05-H1", "2020-W20", "2020-04"]
    assert sorted(mixed, key=periods.sort_key) == ["2020-04", "2020-05-H1", "2020-W20", "2020-W22", "2020-05-H2",
                                                   "2020-05", "2020-06", "2020-Q2"]
    with pytest.raises(ValueError, match="2020-5"):
        periods.sort_key("2020-5")


def test_through_a_period_holds_whatever_ends_by_its_last_day():
    assert periods.ends_by("2020-W22", "2020-05") and periods.ends_by("2020-05-H2", "2020-05")
    assert not periods.ends_by("2020-W23", "2020-05") and not periods.ends_by("2020-Q2", "2020-05")
    assert periods.ends_by("2020-05", "2020-W22") and not periods.ends_by("2020-05", "2020-W21")


def test_a_message_written_of_a_month_is_said_of_the_period_before_of_the_same_cadence():
    """Rule messages and form notes say 本月/上月; a half month's say 本期 and name the half before (H07 compares
    with it), a month's stay as they were, a quoted “form header” is left as the form prints it."""
    import json

    from zhuanbao.tasks.core.resources import EXPECTATIONS_DIR

    message = "本月累计 {value} 小于上月已受理的累计 {prev_cumulative}，累计数不应减少"
    assert periods.said_of(message, "2020-05-H2") == \
        "本期累计 {value} 小于上期（2020年5月上半月）已受理的累计 {prev_cumulative}，累计数不应减少"
    assert periods.said_of("完成进度低于上月的", "2020-05-H1") == "完成进度低于上期（2020年4月下半月）的"
    assert periods.said_of("完成进度低于上月的", "2020-01-H1") == "完成进度低于上期的"  # none before it that year
    assert periods.said_of("上月累计完成投资(参考)", "2020-Q2", named=False) == "上期累计完成投资(参考)"
    note = "“本月”填本月当月数；“1-本月累计”填 1 月至本月的累计数"
    assert periods.said_of(note, "2019-06-H2", keep_quoted=True) == "“本月”填本期当期数；“1-本月累计”填 1 月至本期的累计数"
    texts = [text for name in ("indicators", "projects", "tasks")
             for exp in json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text("utf-8"))
             ["expectations"] for text in (exp["meta"]["message"], exp["meta"].get("meaning", ""))]
    assert any("上月" in t for t in texts)
    assert all(periods.said_of(t, "2020-05") == t and periods.said_of(t, "2020-01", keep_quoted=True) == t
               for t in [*texts, note])
    assert not any("上月" in periods.said_of(t, "2020-05-H2") or "本月" in periods.said_of(t, "2020-05-H2")
                   for t in texts)
