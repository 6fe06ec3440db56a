"""Notices: recipients per role, drafts waiting, failures and the deadline — by mail through Apprise to a real
SMTP server (aiosmtpd); the robots and the HTTP services are in tests/test_notices_robots.py."""
from __future__ import annotations

import socket
from datetime import date, datetime
from email import message_from_bytes, policy

import pytest

from zhuanbao.tasks import notices
from zhuanbao.tasks.report import approval
from zhuanbao.tasks.report.editors import publish_report

from .test_report import make_context

PERIOD = "2020-04"


def text_of(message) -> str:
    """The plain-text part of a mail (Apprise sends text and HTML)."""
    return message.get_body(preferencelist=("plain",)).get_content()


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port,
                                                 "smtp_sender": "zhuanbao@datonghu.example",
                                                 "notice_retry_seconds": 0})
    finally:
        controller.stop()


def test_draft_waiting_arrives_by_smtp_in_chinese_with_a_link(smtp, reference, fast_pdf):
    inbox, settings = smtp
    notices.add_recipient(settings, "office", "office@datonghu.example", "李华")
    notices.add_recipient(settings, "leader", "leader@datonghu.example", "王明")
    publish_report(settings, PERIOD, make_context(settings, reference))
    approval.announce_draft(settings, PERIOD)
    assert not (settings.home / "outbox").exists()  # sent, not kept
    (to, message), = inbox.messages
    assert to == ["office@datonghu.example"]
    assert message["Subject"] == "【专报】2020-04 专报第1期草稿待审核"
    body = text_of(message)
    draft_pdf = (settings.reports_dir(PERIOD) / "专报_2020-04_第1期.pdf").resolve()
    assert draft_pdf.as_uri() in body and "zhuanbao review --period 2020-04" in body

    approval.review(settings, PERIOD, "李华")  # now the leader is told
    to, message = inbox.messages[-1]
    assert to == ["leader@datonghu.example"] and message["Subject"] == "【专报】2020-04 专报第1期草稿已审核，待签发"
    approval.return_(settings, PERIOD, "王明", "河坝镇数据需核实")
    to, message = inbox.messages[-1]
    assert to == ["office@datonghu.example"] and "河坝镇数据需核实" in text_of(message)


def test_without_smtp_the_notice_is_kept_in_the_outbox(settings):
    path = notices.run_failed(settings, "【专报】月度汇总-2020-04 运行失败", "失败步骤：审核规则\n原因：磁盘已满\n",
                              PERIOD, {})
    kept = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert kept["Subject"] == "【专报】月度汇总-2020-04 运行失败" and "失败步骤：审核规则" in kept.get_content()


def test_deadline_three_days_away_sends_the_owing_units_to_the_office(smtp):
    inbox, settings = smtp
    notices.add_recipient(settings, "office", "office@datonghu.example")
    owing = [{"unit_code": "T04", "unit_name": "北洲子镇", "situation": "未报送", "contact": "赵六", "phone": "0737-1"}]
    assert notices.deadline_reminder(settings, PERIOD, owing, today=date(2020, 5, 11)) is None
    assert inbox.messages == []  # four days before: nothing yet
    notices.deadline_reminder(settings, PERIOD, owing, today=date(2020, 5, 12))
    (to, message), = inbox.messages
    assert to == ["office@datonghu.example"]
    assert message["Subject"] == "【专报】2020-04 报送截止前3天：1 家单位未报送"
    assert "北洲子镇（T04）：未报送，联系人 赵六 0737-1" in text_of(message)
    notices.deadline_reminder(settings, PERIOD, [], today=date(2020, 5, 12))
    assert len(inbox.messages) == 1  # nobody owing: no notice


def test_recipients_are_per_role_and_fall_back_to_notify_to(settings):
    fallback = settings.model_copy(update={"notify_to": ("all@datonghu.example",)})
    assert notices.recipients(fallback, "leader") == ["all@datonghu.example"]
    assert notices.add_recipient(settings, "leader", "leader@datonghu.example", "王明")
    assert not notices.add_recipient(settings, "leader", "leader@datonghu.example")
    assert notices.recipients(fallback, "leader") == ["leader@datonghu.example"]
    assert notices.targets(fallback, "unit", "T01") == []  # units have no fallback: they are phoned
    with pytest.raises(ValueError, match="未知的角色"):
        notices.add_recipient(settings, "clerk", "a@b.cn")
    with pytest.raises(ValueError, match="既不是电子邮件地址，也不是通知地址"):
        notices.add_recipient(settings, "office", "李华")
    with pytest.raises(ValueError, match="无法识别的通知地址（nosuch://…）"):
        notices.add_recipient(settings, "office", "nosuch://abc")
    with pytest.raises(ValueError, match="--unit"):
        notices.add_recipient(settings, "unit", "wecombot://KEY-1")


def test_a_unit_recipient_gets_only_its_own_notices(settings):
    notices.add_recipient(settings, "unit", "wecombot://KEY-T01", "河坝镇群", unit="T01")
    notices.add_recipient(settings, "unit", "t02@datonghu.example", "金盆镇统计员", unit="T02")
    assert [t.name for t in notices.targets(settings, "unit", "T01")] == ["河坝镇群"]
    assert [t.name for t in notices.targets(settings, "unit", "T02")] == ["金盆镇统计员"]
    assert notices.targets(settings, "office") == []
    assert notices.remove_recipient(settings, "unit", unit="T01") == 1
    assert notices.targets(settings, "unit", "T01") == []


def test_a_unit_reminder_by_mail_lists_what_that_unit_owes(smtp):
    inbox, settings = smtp
    settings = settings.model_copy(update={"portal_url": "https://tj.datonghu.example/portal"})
    notices.add_recipient(settings, "unit", "t02@datonghu.example", "金盆镇统计员", unit="T02")
    owing = [{"unit_code": "T02", "unit_name": "金盆镇", "status": "rejected", "situation": "已报送但被退回，需更正后重报",
              "last_file": "金盆镇.xlsx", "last_messages": ["表1 第5行 本年累计“约500”不是数字"]},
             {"unit_code": "T04", "unit_name": "北洲子镇", "status": "missing", "situation": "未报送"}]
    counts = notices.unit_reminders(settings, PERIOD, owing, now=datetime(2020, 5, 12, 9, tzinfo=settings.tz))
    assert counts == {"units_told": 1, "units_without_recipient": 1, "units_kept": 0}
    (to, message), = inbox.messages
    assert to == ["t02@datonghu.example"] and message["Subject"] == "【催报】金盆镇：2020-04 报表已报送但被退回，需更正后重报"
    body = text_of(message)
    assert "“约500”不是数字" in body and "金盆镇.xlsx" in body and "https://tj.datonghu.example/portal" in body
    assert "报送截止时间：2020-05-15" in body and "北洲子镇" not in body


def test_events_go_to_prefect_only_where_a_server_is_reachable(monkeypatch):
    import prefect.events
    from prefect.settings import PREFECT_API_URL, temporary_settings

    sent = []
    monkeypatch.setattr(prefect.events, "emit_event", lambda **kw: sent.append(kw))
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        notices.emit("zhuanbao.draft.waiting", PERIOD, {"waiting_for": "office"})
    assert sent == []  # no server: nothing emitted, none started
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        notices.emit("zhuanbao.draft.waiting", PERIOD, {"waiting_for": "office"})
    (event,) = sent
    assert event["event"] == "zhuanbao.draft.waiting"
    assert event["resource"]["prefect.resource.id"] == "zhuanbao.period.2020-04"


@pytest.mark.slow
def test_a_failed_run_tells_the_office_the_step_and_the_message(settings, prefect_harness):
    from prefect import flow, task

    from zhuanbao.flows import run_support

    notices.add_recipient(settings, "office", "office@datonghu.example")

    @task(name="审核规则")
    def check_rules():
        raise OSError("磁盘已满")

    @flow(name="月度汇总", on_failure=[run_support.notify_failure])
    def monthly(period: str, home: str):
        check_rules()

    with pytest.raises(OSError):
        monthly(period=PERIOD, home=str(settings.home))
    (kept,) = (settings.home / "outbox").glob("*run-failed.eml")
    message = message_from_bytes(kept.read_bytes(), policy=policy.default)
    assert message["To"] == "office@datonghu.example" and "运行失败" in message["Subject"]
    body = message.get_content()
    assert "失败步骤：审核规则" in body and "OSError: 磁盘已满" in body and "报告期：2020-04" in body


def test_a_wrong_notify_to_entry_is_skipped_not_fatal(settings, caplog):
    fallback = settings.model_copy(update={"notify_to": ("李华", "all@datonghu.example")})
    assert notices.recipients(fallback, "office") == ["all@datonghu.example"]
    assert "ZHUANBAO_NOTIFY_TO 中有一项被跳过" in caplog.text


def test_recipients_registered_by_e_mail_before_apprise_keep_working(tmp_path):
    """A registry at revision 0002 (recipients by e-mail address) reaches head: each address a mailto: URL."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from zhuanbao.tasks.core.settings import load_settings
    from zhuanbao.tasks.intake import migrate

    home = tmp_path / "home"
    home.mkdir()
    settings = load_settings(home=home)
    engine = create_engine(settings.db_url)
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.execute(text("INSERT INTO notice_recipients (role, email, name, added_at) "
                                "VALUES ('leader', 'leader@datonghu.example', '王明', '2020-05-01 00:00:00')"))
    engine.dispose()
    assert notices.list_recipients(settings) == [{"role": "leader", "unit_code": "", "name": "王明",
                                                  "email": "leader@datonghu.example",
                                                  "target": "mailto:leader@datonghu.example"}]
    assert notices.names_of(settings, "leader") == {"王明"}
