"""A half-month cadence run beside the monthly one (district-plan.md "Cadences"): the demo's 项目半月调度 of May.

Only the cadence's tables are owed, the deadline is `deadline_days` after the half, a cumulative may not fall from
the previous half, curated data is partitioned by the half's label and each half gets a short 通报.
"""
from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from zhuanbao.tasks.core.reference import ReferenceError, reference_for
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.curated.consolidate import read_partition
from zhuanbao.tasks.demo.generate import write_workbook
from zhuanbao.tasks.demo.half_month import build_half_month_inbox, half_month_rows
from zhuanbao.tasks.intake.registry import session, submissions

from .test_incremental import run_month

H1, H2 = "2020-05-H1", "2020-05-H2"


@pytest.fixture
def half_home(demo_home: Path, fast_pdf) -> Path:
    settings = load_settings(home=demo_home)
    build_half_month_inbox(demo_home, reference_for(settings, "2020-05"), "2020-05")
    return demo_home


def status_of(settings, period: str) -> dict:
    from zhuanbao.tasks.intake.status import period_status

    with session(settings.db_url) as db:
        return period_status(settings, db, period, reference_for(settings, period))


def test_a_half_month_owes_only_its_tables_and_is_due_three_days_after(half_home):
    settings = load_settings(home=half_home)
    reference = reference_for(settings, H1)
    owed = reference.assignments(H1)
    assert set(owed.form) == {"projects"} and set(reference.assignments("2020-05").form) == {
        "indicators", "projects", "tasks"}
    assert settings.deadline(H1).isoformat(timespec="seconds") == "2020-05-18T23:59:59+08:00"
    assert settings.deadline(H2).isoformat(timespec="seconds") == "2020-06-03T23:59:59+08:00"
    assert set(reference.required_units(H1)) == set(reference.projects.unit_code)


def test_each_half_is_collected_checked_curated_and_gets_a_short_bulletin(half_home):
    settings = load_settings(home=half_home)
    counts = run_month(settings, H1, "2020-05-21T09:00:00+08:00", None)
    assert counts["files"] == counts["accepted"] == 8
    units = {unit["unit_code"]: unit for unit in status_of(settings, H1)["units"]}
    assert len(units) == 8 and [code for code, unit in units.items() if unit["on_time"] is False] == ["T03"]
    curated = read_partition(settings.curated_dir, "projects", H1)
    assert set(curated.period) == {H1} and read_partition(settings.curated_dir, "indicators", H1).empty
    folder = settings.reports_dir(H1)
    html = (folder / f"通报_{H1}_第1期.html").read_text("utf-8")
    assert "项目半月调度通报" in html and "2020年5月上半月调度情况通报" in html
    assert "逾期报送 1 个（千山红镇）" in html and "无未报单位" in html and "指标完成情况" not in html
    assert (folder / f"通报_{H1}_第1期.pdf").exists() and not list(folder.glob("专报_*"))
    from zhuanbao.tasks.report.approval import ApprovalError, review

    with pytest.raises(ApprovalError, match="印发的是通报.*不经审核、签发"):
        review(settings, H1, "李华", "数据已核对")

    run_month(settings, H2, "2020-06-05T09:00:00+08:00", None)
    html = (settings.reports_dir(H2) / f"通报_{H2}_第2期.html").read_text("utf-8")
    assert "未报 1 个（区南洞庭保护管理局）" in html
    context = json.loads((settings.reports_dir(H2) / f"通报_{H2}_第2期.json").read_text("utf-8"))
    assert context["period"]["name"] == "2020年5月下半月" and context["standing"]["due"] == 8


def test_a_cumulative_may_not_fall_from_the_previous_half(half_home):
    settings = load_settings(home=half_home)
    run_month(settings, H1, "2020-05-21T09:00:00+08:00", None)
    rows = half_month_rows(reference_for(settings, "2020-05"), "2020-05", 2020)[H2]["T01"]
    rows[0]["cumulative_investment"] = 0.5  # below what T01 reported for the first half
    path = half_home / "inbox" / H2 / f"T01_{H2}.xlsx"
    write_workbook(path, reference=reference_for(settings, H2), unit_code="T01", period=H2, projects=rows)
    arrival = datetime(2020, 6, 2, 10, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    os.utime(path, (arrival, arrival))
    run_month(settings, H2, "2020-06-05T09:00:00+08:00", None)
    with session(settings.db_url) as db:
        t01 = next(row for row in submissions(db, H2) if row.unit_code == "T01")
    assert "H07" in t01.rules and str(t01.outcome) == "rejected"
    html, = (settings.reports_dir(H2) / "receipts").glob(f"{t01.id}_*.html")  # said of the half, not a month
    text = html.read_text("utf-8")
    assert "<td>2020年5月下半月</td>" in text and "<h1>调度报表 报送回执</h1>" in text
    assert "小于上期（2020年5月上半月）已受理的" in text and "上月" not in text and "2020年0月" not in text


def test_a_period_of_an_undeclared_cadence_is_refused_naming_the_plan(half_home):
    settings = load_settings(home=half_home)
    with pytest.raises(ReferenceError, match=r"2020-W15（2020年第15周（4月6日—12日））的调度频次 week 未在 .*plan.toml"):
        reference_for(settings, "2020-W15")


def _fires(cron: str, moment: datetime) -> bool:
    """Whether a plain five-field cron (numbers, ranges, lists, *) fires at `moment` (day-of-month or weekday)."""
    def match(field: str, value: int) -> bool:
        return field == "*" or any(int(part.split("-")[0]) <= value <= int(part.split("-")[-1])
                                   for part in field.split(","))
    minute, hour, day, month, weekday = cron.split()
    return (match(minute, moment.minute) and match(hour, moment.hour) and match(day, moment.day)
            and match(month, moment.month) and match(weekday, moment.isoweekday() % 7))


@pytest.mark.parametrize("every", ["week", "two-weeks", "half-month", "quarter"])
@pytest.mark.parametrize("days", [0, 1, 3, 6])
def test_each_cadence_runs_the_day_after_each_deadline_and_reminds_in_between(every, days):
    from datetime import date, timedelta

    from zhuanbao.tasks.core import periods
    from zhuanbao.tasks.core.schedule import cadence_schedule

    plan = cadence_schedule(every, days)
    label = periods.period_containing(date(2023, 12, 1), every)
    while periods.period_start(label) < date(2025, 3, 1):
        end, due = periods.period_end(label), periods.period_deadline(label, days, ZoneInfo("Asia/Shanghai")).date()
        run = datetime.combine(due + timedelta(days=1), datetime.min.time()).replace(hour=9)
        assert _fires(plan.cron, run), (label, plan.cron)
        assert periods.cadence_run_period(every, run, days) == label
        for offset in range(1, days + 1):
            day = end + timedelta(days=offset)
            assert plan.reminder_cron and _fires(plan.reminder_cron, datetime.combine(day, datetime.min.time()).replace(hour=9))
            assert periods.reminder_period(every, day, days) == label
        label = periods.parse(label).next().label
    # a cron firing on a day no period is due builds nothing (a two-week cadence's weekly cron on its off week)
    fired = [datetime(2024, 1, 1, 9) + timedelta(days=n) for n in range(400)]
    built = [periods.cadence_run_period(every, moment, days) for moment in fired if _fires(plan.cron, moment)]
    assert len([b for b in built if b]) == len({b for b in built if b})


def test_forms_of_a_half_hold_only_its_tables_and_say_its_period(half_home):
    from zhuanbao.tasks.forms.generate import write_forms
    from zhuanbao.tasks.intake.workbook import read_workbook

    settings = load_settings(home=half_home)
    reference = reference_for(settings, H2)
    written = write_forms(settings, reference, H2)
    assert {Path(p).name.split("_")[0] for p in written} == set(reference.projects.unit_code)
    form = next(Path(p) for p in written if Path(p).name.startswith("D04_"))
    assert form.name.endswith(f"_{H2}.xlsx")
    read = read_workbook(form, reference)
    assert (read.period, read.period_text) == (H2, "2020年5月下半月") and set(read.frames) <= {"projects"}
    said = _form_texts(form)  # the half's words: 上期 is the first half, the headers the reader keys on unchanged
    assert "上期累计完成投资(参考)" in said and "1-本月累计完成投资(万元)" in said and "上月" not in said
    assert "2. 表头中的“本月”即本期（2020年5月下半月）；“1-本月累计完成投资”填 1 月至本期的累计数" in said
    assert "累计完成投资不低于上期（2020年5月上半月）已受理的累计数（同一年内）" in said
    month = _form_texts(write_forms(settings, reference_for(settings, "2020-05"), "2020-05", ["D04"])[0])
    assert "上月累计完成投资(参考)" in month and "累计完成投资不低于上月已受理的累计数（同一年内）" in month
    assert "上期" not in month and "“1-本月累计完成投资”填 1 月至本月的累计数" in month


def _form_texts(path) -> str:
    import openpyxl

    workbook = openpyxl.load_workbook(path)
    return "\n".join(str(cell) for ws in workbook.worksheets if ws.sheet_state == "visible"
                     for row in ws.iter_rows(values_only=True) for cell in row if cell is not None)


def test_a_unit_sees_every_open_period_it_owes(half_home):
    from zhuanbao.flows.portal.views import open_periods

    settings = load_settings(home=half_home)
    tz = ZoneInfo("Asia/Shanghai")
    assert open_periods(settings, "D04", datetime(2020, 5, 17, 10, tzinfo=tz)) == [H1]
    assert open_periods(settings, "T02", datetime(2020, 5, 17, 10, tzinfo=tz)) == []
    assert open_periods(settings, "D04", datetime(2020, 6, 2, 10, tzinfo=tz)) == ["2020-05", H2]
    assert open_periods(settings, "T02", datetime(2020, 6, 2, 10, tzinfo=tz)) == ["2020-05"]
    assert open_periods(settings, "D04", datetime(2020, 6, 4, 10, tzinfo=tz)) == ["2020-05"]


def test_a_unit_uploads_a_half_month_workbook_in_the_portal(half_home):
    from fastapi.testclient import TestClient

    from tests.test_portal import account, csrf_of, log_in, portal_settings
    from zhuanbao.flows.portal import create_app

    settings = portal_settings(half_home)
    client = log_in(TestClient(create_app(settings, warm=False)), "d04", account(settings, "d04", unit="D04"))
    page = client.get(f"/unit?period={H1}")
    assert page.status_code == 200 and "2020年5月上半月" in page.text
    path = half_home / "inbox" / H1 / f"D04_{H1}.xlsx"
    answer = client.post(f"/unit/{H1}/upload", data={"csrf_token": csrf_of(page)},
                         files={"file": (path.name, path.read_bytes())}, follow_redirects=True)
    assert answer.status_code == 200 and "已受理" in answer.text, answer.text[-800:]
    assert "<td>2020年5月上半月</td>" in answer.text and "2020年0月" not in answer.text  # the receipt names the half
    with session(settings.db_url) as db:
        assert [(row.unit_code, str(row.outcome)) for row in submissions(db, H1)] == [("D04", "accepted")]
    assert client.get("/unit?period=2020-W15").status_code == 422
    office = log_in(TestClient(client.app), "office", account(settings, "office", unit=None, role="office"))
    board = office.get(f"/office?period={H1}")  # the office's board names the half, not 「2020年0月」
    assert board.status_code == 200 and "2020年5月上半月 报送看板" in board.text and "年0月" not in board.text


def test_a_rejected_half_month_file_may_be_corrected_until_the_day_after_its_deadline(half_home):
    from zhuanbao.tasks.core.periods import due_at

    settings = load_settings(home=half_home)
    assert due_at(H1, home=half_home).isoformat() == "2020-05-19T09:00:00+08:00"
    assert due_at(H2, home=half_home).isoformat() == "2020-06-04T09:00:00+08:00"
    assert due_at("2020-05", home=half_home).isoformat() == "2020-06-16T09:00:00+08:00"
    run_month(settings, H1, "2020-05-21T09:00:00+08:00", None)
    receipt = json.loads(next((settings.reports_dir(H1) / "receipts").glob("*_D04_*.json")).read_text("utf-8"))
    assert receipt["period"] == H1 and "2020年5月18日" in json.dumps(receipt, ensure_ascii=False)


def test_the_month_reads_the_latest_half_where_its_own_figures_are_missing(half_home):
    settings = load_settings(home=half_home)
    run_month(settings, H1, "2020-05-21T09:00:00+08:00", None)
    (half_home / "inbox" / "2020-05" / "T01_2020-05.xlsx").unlink()  # the month's own file of T01 never comes
    run_month(settings, "2020-05", "2020-06-16T09:00:00+08:00", None, report=False)
    projects = read_partition(settings.curated_dir, "metrics_project_metrics", "2020-05").set_index("project_code")
    first = read_partition(settings.curated_dir, "projects", H1)
    t01 = first[first.unit_code == "T01"].set_index("project_code")
    assert not t01.empty and projects.loc[t01.index, "reported"].all()
    assert (projects.loc[t01.index, "cumulative_investment"] == t01.cumulative_investment).all()
    run_month(settings, H2, "2020-06-05T09:00:00+08:00", None)
    run_month(settings, "2020-05", "2020-06-16T10:00:00+08:00", None, report=False)  # the second half is later
    second = read_partition(settings.curated_dir, "projects", H2).set_index("project_code")
    projects = read_partition(settings.curated_dir, "metrics_project_metrics", "2020-05").set_index("project_code")
    assert (projects.loc[t01.index, "cumulative_investment"] == second.loc[t01.index, "cumulative_investment"]).all()


def test_an_example_district_runs_its_half_month_dispatch(tmp_path, fast_pdf):
    """海州 2019 declares 项目半月调度: `demo --district haizhou-2019` adds the last month's halves and their 通报."""
    from zhuanbao.tasks.demo.districts import prepare_district_home

    home = tmp_path / "home"
    manifest, script = prepare_district_home(home, "haizhou-2019")
    halves = [run for run in script if run["period"].endswith(("-H1", "-H2"))]
    assert [run["period"] for run in halves] == ["2019-06-H1", "2019-06-H2"] and halves[0]["reviewed_at"] is None
    settings = load_settings(home=home)
    reference = reference_for(settings, "2019-06-H1")
    run_month(settings, "2019-06-H1", halves[0]["as_of"], None)
    html = (home / "reports" / "2019-06-H1" / "通报_2019-06-H1_第1期.html").read_text("utf-8")
    late = [e["unit_code"] for e in manifest if e["period"] == "2019-06-H1" and e["kind"] == "late"]
    assert f"应报 {len(reference.required_units('2019-06-H1'))} 个单位" in html and reference.plan.issuer in html
    assert all(f"（{reference.unit_name(unit)}）" in html for unit in late) and "大通湖" not in html
    receipts = [p.read_text("utf-8") for p in (home / "reports" / "2019-06-H1" / "receipts").glob("*.html")]
    assert receipts and all("<td>2019年6月上半月</td>" in r and "2019年0月" not in r for r in receipts)
    from zhuanbao.tasks.forms.generate import write_forms

    said = _form_texts(write_forms(settings, reference_for(settings, "2019-06-H2"), "2019-06-H2")[0])
    assert "上期（2019年6月上半月）已受理" in said and "上月" not in said
