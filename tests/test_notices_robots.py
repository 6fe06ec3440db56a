"""Notices to 钉钉/企业微信/飞书 robots and any HTTP service, through Apprise, seen arriving on a local receiver;
secrets never shown; a failing receiver is retried, recorded, shown by doctor, and fails nothing."""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from email import message_from_bytes, policy
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

from zhuanbao.flows.cli import app
from zhuanbao.flows.doctor import check_notices
from zhuanbao.tasks import notices

from .receiver import Receiver

PERIOD = "2020-04"
TOKEN = "a1b2c3d4e5f6TOKENabcdef0123456789"
SECRET = "SECf00dfacecafe0123456789abcdefSIGN"
OWING = [{"unit_code": "T02", "unit_name": "金盆镇", "status": "missing", "situation": "未报送"}]


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def quick(settings):
    return settings.model_copy(update={"notice_retry_seconds": 0, "portal_url": "http://127.0.0.1:8000/"})


@pytest.fixture
def robots_here(monkeypatch, receiver):
    """钉钉, 企业微信 and 飞书 robots posted to the receiver instead of their services' hosts."""
    from apprise.plugins.dingtalk import NotifyDingTalk
    from apprise.plugins.feishu import NotifyFeishu
    from apprise.plugins.wecombot import NotifyWeComBot

    monkeypatch.setattr(NotifyDingTalk, "notify_url", receiver.base + "/robot/send?access_token={token}")
    monkeypatch.setattr(NotifyWeComBot, "notify_url", receiver.base + "/cgi-bin/webhook/send?key={key}")
    monkeypatch.setattr(NotifyFeishu, "notify_url", receiver.base + "/open-apis/bot/v2/hook/{token}/")
    return receiver


def cli(settings, *args):
    return CliRunner().invoke(app, ["--home", str(settings.home), *args])


def test_a_notice_arrives_on_a_json_receiver_in_chinese(quick, receiver):
    notices.add_recipient(quick, "office", f"json://127.0.0.1:{receiver.port}/hook", "李统计")
    assert notices.deadline_reminder(quick, PERIOD, OWING, force=True) is None  # delivered: nothing kept
    (got,) = receiver.received
    assert got["path"] == "/hook" and got["body"]["title"] == "【专报】2020-04 报送截止前3天：1 家单位未报送"
    assert "- 金盆镇（T02）：未报送" in got["body"]["message"] and "报送截止时间：2020-05-15" in got["body"]["message"]
    assert "填报门户：http://127.0.0.1:8000/" in got["body"]["message"]
    (row,) = notices.delivery.recent(quick)
    assert (row["recipient"], row["outcome"], row["attempts"], row["notice"]) == ("李统计", "sent", 1, "deadline")


def test_a_dingtalk_robot_gets_the_text_signed_with_its_secret(quick, robots_here):
    notices.add_recipient(quick, "unit", f"dingtalk://{SECRET}@{TOKEN}/", "金盆镇报表群", unit="T02")
    notices.unit_reminders(quick, PERIOD, OWING)
    (got,) = robots_here.received
    assert got["path"] == "/robot/send" and got["query"]["access_token"] == [TOKEN]
    assert got["body"]["msgtype"] == "text"  # Apprise 1.13 cannot send 钉钉 markdown (urls.MARKDOWN_SCHEMES)
    text = got["body"]["text"]["content"]
    assert "【催报】金盆镇：2020-04 报表未报送" in text and "- 本期报表尚未收到" in text and "填报门户：http://127.0.0.1:8000/" in text
    stamp = got["query"]["timestamp"][0]  # 加签: HMAC-SHA256 of "timestamp\nsecret", as 钉钉 checks it
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{stamp}\n{SECRET}".encode(), hashlib.sha256).digest())
    assert unquote(got["query"]["sign"][0]) == expected.decode()  # Apprise url-quotes it once more than needed


@pytest.mark.parametrize(("url", "path", "text_of"), [
    ("wecombot://WECOM-KEY-0123456789", "/cgi-bin/webhook/send", lambda b: b["text"]["content"]),
    ("feishu://FEISHU0123456789token", "/open-apis/bot/v2/hook/FEISHU0123456789token/", lambda b: b["content"]["text"]),
])
def test_wecom_and_feishu_robots_get_the_text(quick, robots_here, url, path, text_of):
    notices.add_recipient(quick, "unit", url, unit="T02")
    notices.unit_reminders(quick, PERIOD, OWING)
    (got,) = robots_here.received
    assert got["path"] == path
    text = text_of(got["body"])
    assert "【催报】金盆镇：2020-04 报表未报送" in text and "金盆镇（T02）：2020-04 统计报表未报送。" in text


def test_secrets_are_never_listed_or_echoed(quick):
    url = f"dingtalk://{SECRET}@{TOKEN}/"
    added = cli(quick, "notices", "recipients", "add", "--role", "office", "--name", "李统计", "--url", url)
    assert added.exit_code == 0 and "已登记" in added.output
    cli(quick, "notices", "recipients", "add", "--role", "unit", "--unit", "T01", "--url",
        "mailtos://clerk:PASSWORD123@smtp.example.cn:465?to=t01@example.cn")
    cli(quick, "notices", "recipients", "add", "--role", "leader", "--email", "leader@datonghu.example")
    listed = cli(quick, "notices", "recipients", "list")
    for shown in (added.output, listed.output, str(notices.list_recipients(quick))):
        assert TOKEN not in shown and SECRET not in shown and "PASSWORD123" not in shown
    assert "dingtalk://" in listed.output and "李统计" in listed.output
    assert "mailtos://clerk:****@smtp.example.cn" in listed.output and "unit T01" in listed.output
    assert "mailto:leader@datonghu.example" in listed.output  # an address is not a secret


def test_a_failing_receiver_is_retried_recorded_kept_and_shown_by_doctor(quick, robots_here, caplog):
    robots_here.status = 500
    quick = quick.model_copy(update={"notice_attempts": 3})
    notices.add_recipient(quick, "office", f"dingtalk://{SECRET}@{TOKEN}/", "办公室群")
    with caplog.at_level(logging.DEBUG):
        kept = notices.deadline_reminder(quick, PERIOD, OWING, force=True)  # returns: a failure fails nothing
    assert len(robots_here.received) == 3  # three tries
    (row,) = notices.delivery.recent(quick)
    assert (row["outcome"], row["attempts"], row["ok"]) == ("failed", 3, False)
    assert "500" in row["reason"] and TOKEN not in row["reason"] and SECRET not in row["reason"]
    assert TOKEN not in caplog.text and SECRET not in caplog.text and "通知未送达：办公室群" in caplog.text
    message = message_from_bytes(kept.read_bytes(), policy=policy.default)  # the outbox keeps it
    assert message["Subject"].startswith("【专报】2020-04 报送截止前3天") and "办公室群" in message["X-Zhuanbao-Recipients"]
    assert TOKEN not in kept.read_text("utf-8", "replace")
    (check,) = check_notices(quick)
    assert not check.ok and "办公室群" in check.detail and "deadline" in check.detail and TOKEN not in check.detail
    robots_here.status = 200
    tested = cli(quick, "notices", "test")
    assert tested.exit_code == 0 and "✓ 办公室群" in tested.output


def test_a_good_delivery_after_a_failure_counts_one_try_more(quick, robots_here, monkeypatch):
    from zhuanbao.tasks.notices import delivery

    answers = iter([500, 200])
    original = delivery._attempt

    def flaky(url, subject, body):
        robots_here.status = next(answers)
        return original(url, subject, body)

    monkeypatch.setattr(delivery, "_attempt", flaky)
    notices.add_recipient(quick, "office", "wecombot://WECOM-KEY-0123456789", "办公室群")
    assert notices.run_failed(quick, "【专报】月度汇总 运行失败", "失败步骤：审核规则\n原因：磁盘已满\n", PERIOD, {}) is None
    (row,) = delivery.recent(quick)
    assert (row["outcome"], row["attempts"]) == ("sent", 2)
    assert not (quick.home / "outbox").exists()


@pytest.mark.slow
def test_a_reminders_run_succeeds_when_a_unit_robot_fails(settings, prefect_harness, robots_here, monkeypatch):
    from zhuanbao.flows.reminders import submission_reminders

    monkeypatch.setenv("ZHUANBAO_NOTICE_RETRY_SECONDS", "0")
    robots_here.status = 500
    notices.add_recipient(settings, "unit", "wecombot://WECOM-KEY-0123456789", "金盆镇群", unit="T02")
    result = submission_reminders(period=PERIOD, check=False, home=str(settings.home))
    assert "T02" in result["owing"] and result["units"]["units_kept"] == 1  # the run finished, the notice kept
    assert len(robots_here.received) == settings.notice_attempts
    (row,) = notices.delivery.recent(settings)
    assert (row["recipient"], row["outcome"], row["notice"]) == ("金盆镇群", "failed", "unit-reminder")
    assert list((settings.home / "outbox").glob("*unit-reminder.eml"))


def test_a_unit_reached_by_one_of_its_recipients_counts_as_told(quick, receiver):
    notices.add_recipient(quick, "unit", f"json://127.0.0.1:{receiver.port}/T02", "金盆镇群", unit="T02")
    notices.add_recipient(quick, "unit", "json://127.0.0.1:9/down", "金盆镇统计员", unit="T02")  # nobody listens
    assert notices.unit_reminders(quick, PERIOD, OWING) == {"units_told": 1, "units_without_recipient": 0,
                                                            "units_kept": 0}
    assert [got["path"] for got in receiver.received] == ["/T02"]
    outcomes = {row["recipient"]: row["outcome"] for row in notices.delivery.recent(quick)}
    assert outcomes == {"金盆镇群": "sent", "金盆镇统计员": "failed"}
    (kept,) = (quick.home / "outbox").glob("*unit-reminder.eml")  # the one who missed it: kept
    assert "金盆镇统计员" in message_from_bytes(kept.read_bytes(), policy=policy.default)["X-Zhuanbao-Recipients"]


def test_doctor_is_green_without_failures_and_a_recipient_is_removed_by_its_url(quick):
    (check,) = check_notices(quick)
    assert check.ok and "未登记收件人" in check.detail
    url = "wecombot://WECOM-KEY-0123456789"
    cli(quick, "notices", "recipients", "add", "--role", "unit", "--unit", "T01", "--url", url)
    (check,) = check_notices(quick)
    assert check.ok and "1 个收件人" in check.detail and "近7天无失败" in check.detail
    wrong = cli(quick, "notices", "recipients", "add", "--role", "unit", "--url", url)
    assert wrong.exit_code == 2 and "--unit" in wrong.output
    removed = cli(quick, "notices", "recipients", "remove", "--role", "unit", "--url", url)
    assert removed.exit_code == 0 and "已删除 1 条" in removed.output and notices.list_recipients(quick) == []
