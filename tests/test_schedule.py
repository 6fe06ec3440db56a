"""The schedule facts come from prefect.yaml: the monthly run's day and time (the 16th, 09:00 Asia/Shanghai) decide
when a period's run is due (a rejected file's correction deadline, recovery's missed runs); an office's own
prefect.yaml moves all of them."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from zhuanbao.tasks.core.periods import due_at, is_quarter_end, quarter_end_month
from zhuanbao.tasks.core.resources import PREFECT_YAML
from zhuanbao.tasks.core.schedule import MonthlySchedule, ScheduleError, monthly_schedule

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_packaged_schedule_is_the_16th_at_nine_beijing_time():
    assert monthly_schedule() == MonthlySchedule(16, 9, 0, "Asia/Shanghai")
    assert due_at("2020-04") == datetime(2020, 5, 16, 9, tzinfo=SHANGHAI)
    assert due_at("2020-12", tz=ZoneInfo("UTC")) == datetime(2021, 1, 16, 1, tzinfo=ZoneInfo("UTC"))


def test_an_office_prefect_yaml_moves_the_planned_run(tmp_path):
    text = PREFECT_YAML.read_text("utf-8").replace('cron: "0 9 16 * *"', 'cron: "30 8 20 * *"')
    (tmp_path / "prefect.yaml").write_text(text, encoding="utf-8")
    assert due_at("2020-04", home=tmp_path) == datetime(2020, 5, 20, 8, 30, tzinfo=SHANGHAI)


def test_a_cron_that_is_not_monthly_is_refused_with_a_message(tmp_path):
    text = PREFECT_YAML.read_text("utf-8").replace('cron: "0 9 16 * *"', 'cron: "0 9 * * 1"')
    (tmp_path / "prefect.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ScheduleError, match="每月一次"):
        due_at("2020-04", home=tmp_path)


@pytest.mark.parametrize(("period", "end", "due"), [("2020-01", 3, False), ("2020-03", 3, True),
                                                    ("2020-11", 12, False), ("2020-12", 12, True)])
def test_quarterly_figures_are_due_at_quarter_ends(period, end, due):
    assert (quarter_end_month(period), is_quarter_end(period)) == (end, due)
