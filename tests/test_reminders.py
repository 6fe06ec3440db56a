"""The 催报 list: only units that still owe the report (missing or only rejected files), with contacts."""
from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from zhuanbao.tasks.core.periods import period_before
from zhuanbao.tasks.intake.registry import Submission, session, utc
from zhuanbao.tasks.intake.reminders import load_contacts, owing_units, reminder_list

TZ = ZoneInfo("Asia/Shanghai")


def add(db, unit: str | None, outcome: str, name: str, day: int = 10, rules=(), messages=()):
    moment = datetime(2020, 5, day, 10, 0, tzinfo=TZ)
    db.add(Submission(period="2020-04", file_name=name, sha256=name.ljust(64, "0")[:64], size=1,
                      received_at=utc(moment), source="inbox", raw_path=f"raw/{name}", unit_code=unit,
                      outcome=outcome, rules=list(rules), messages=list(messages), registered_at=utc(moment)))


def write_contacts(path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def test_only_missing_and_only_rejected_units_are_chased(settings, reference):
    write_contacts(settings.reference_dir(2020) / "contacts.csv",
                   "unit_code,contact,phone\nT02,张三,0737-1234567\nT03,李四,13800000000\n")
    with session(settings.db_url) as db:
        add(db, "T01", "accepted", "T01.xlsx")
        add(db, "T02", "rejected", "T02.xlsx", rules=["H05"], messages=["表1 第5行 本年累计 “约500” 不是数字"])
        add(db, "T03", "rejected", "T03.xlsx", day=8)
        add(db, "T03", "accepted", "T03_更正.xlsx", day=12)  # corrected in time: owes nothing
        add(db, "T04", "received", "T04.xlsx")  # arrived, not yet checked: owes nothing
        add(db, None, "rejected", "坏文件.xlsx")
        db.commit()
        entries, paths = reminder_list(settings, db, "2020-04", reference)
    owing = {e["unit_code"]: e for e in entries}
    required = reference.required_units("2020-04")
    assert set(owing) == set(required) - {"T01", "T03", "T04"}
    assert owing["T02"]["status"] == "rejected" and owing["T02"]["rules"] == ["H05"]
    assert (owing["T02"]["contact"], owing["T02"]["phone"]) == ("张三", "0737-1234567")
    assert owing["T05"]["status"] == "missing" and owing["T05"]["contact"] == ""
    assert [e["unit_code"] for e in entries] == [u for u in required if u in owing]  # units.csv order
    markdown = paths["markdown"].read_text("utf-8")
    assert "2020-04 催报名单" in markdown and "| T02 | 金盆镇 | 已报送但被退回" in markdown and "0737-1234567" in markdown
    assert "T01" not in markdown
    payload = json.loads(paths["json"].read_text("utf-8"))
    assert payload["required"] == len(required) and len(payload["owing"]) == len(entries)
    assert paths["json"].parent == settings.reports_dir("2020-04")


def test_contacts_are_optional_and_may_live_beside_all_years(settings):
    assert load_contacts(settings, 2020) == {}
    write_contacts(settings.home / "reference" / "contacts.csv", "\ufeffunit_code,contact,phone\nD01, 王五 ,\n")
    assert load_contacts(settings, 2020) == {"D01": {"contact": "王五", "phone": ""}}


def test_a_contacts_file_without_its_columns_is_named(settings):
    write_contacts(settings.reference_dir(2020) / "contacts.csv", "单位,电话\nT01,1\n")
    with pytest.raises(ValueError, match="contacts.csv 缺少列"):
        load_contacts(settings, 2020)


def test_everyone_reported_means_an_empty_list():
    status = {"units": [{"unit_code": "T01", "unit_name": "河坝镇", "status": "accepted", "rules": []}], "files": []}
    assert owing_units(status, {}) == []


@pytest.mark.parametrize(("moment", "period"), [
    (datetime(2020, 5, 16, 9, 0, tzinfo=TZ), "2020-04"),
    (datetime(2020, 5, 10, 9, 0, tzinfo=TZ), "2020-04"),
    (datetime(2020, 1, 16, 9, 0, tzinfo=TZ), "2019-12"),
    (datetime(2020, 5, 31, 20, 0, tzinfo=ZoneInfo("UTC")), "2020-05"),  # 06-01 04:00 in Shanghai
])
def test_a_scheduled_run_serves_the_month_before_its_scheduled_day(moment, period):
    assert period_before(moment, "Asia/Shanghai") == period


@pytest.mark.slow
def test_the_demo_s_reminders_arrive_on_a_local_receiver_each_unit_its_own(demo_home):
    """Done when (issue 27): the demo's notices pointed at a URL are seen arriving on a local receiver — the
    office's summary three days before the deadline, and each owing unit's own 催报 to that unit's robot."""
    from datetime import date

    from typer.testing import CliRunner

    from zhuanbao.flows.cli import app
    from zhuanbao.tasks import notices, steps
    from zhuanbao.tasks.core.settings import load_settings

    from .receiver import Receiver

    settings = load_settings(home=demo_home).model_copy(update={"notice_retry_seconds": 0})
    with Receiver() as receiver:
        cli = CliRunner()
        add = ["--home", str(demo_home), "notices", "recipients", "add"]
        assert cli.invoke(app, [*add, "--role", "office", "--name", "李统计", "--url",
                                f"json://127.0.0.1:{receiver.port}/office"]).exit_code == 0
        units = [u for u in settings.reference_dir(2020).joinpath("units.csv").read_text("utf-8").split()[1:]]
        for code in (line.split(",")[0] for line in units):
            assert cli.invoke(app, [*add, "--role", "unit", "--unit", code, "--url",
                                    f"json://127.0.0.1:{receiver.port}/unit/{code}"]).exit_code == 0
        with steps.recorded_run(settings, "2020-04", kind="reminders", as_of="2020-05-12T09:00:00+08:00") as record:
            steps.collect(record.context)
            steps.check(record.context, steps.read(record.context))
            with session(settings.db_url) as db:
                entries, _ = reminder_list(settings, db, "2020-04", record.context.reference)
        moment = datetime(2020, 5, 12, 9, tzinfo=TZ)
        told = notices.unit_reminders(settings, "2020-04", entries, now=moment)
        notices.deadline_reminder(settings, "2020-04", entries, today=date(2020, 5, 12))
    owing = {e["unit_code"]: e for e in entries}
    assert owing and told == {"units_told": len(owing), "units_without_recipient": 0, "units_kept": 0}
    by_path = {}
    for got in receiver.received:
        by_path.setdefault(got["path"], []).append(got["body"])
    assert set(by_path) == {"/office"} | {f"/unit/{code}" for code in owing}  # units that reported hear nothing
    for code, entry in owing.items():
        (body,) = by_path[f"/unit/{code}"]
        assert entry["unit_name"] in body["title"] and "2020-04" in body["message"]
        assert all(e["unit_name"] not in body["message"] for c, e in owing.items() if c != code)  # its own list only
    (summary,) = by_path["/office"]
    assert summary["title"] == f"【专报】2020-04 报送截止前3天：{len(owing)} 家单位未报送"
