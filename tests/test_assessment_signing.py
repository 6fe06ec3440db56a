"""The 考核通报 goes through the 专报's review and signing (issue 26): the same states, roles and records, signed
files read-only in reports/<Y>/published/ with the signer, a rerun of `assess` with unchanged data writes nothing,
and the 专报's own approval is untouched."""
from __future__ import annotations

import json
import sqlite3
import stat
import zipfile
from datetime import datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhuanbao.flows.cli import app
from zhuanbao.tasks.notices import add_recipient
from zhuanbao.tasks.report import approval
from zhuanbao.tasks.report.approval import ApprovalError
from zhuanbao.tasks.year import signing
from zhuanbao.tasks.year.drafts import draft_notice

from .test_approval import publish_draft
from .test_ledger import year_home  # noqa: F401 — the scenario's year, built once for this module

SIGNED = datetime.fromisoformat("2021-01-10T23:30:00+00:00")  # 2021-01-11 07:30 in Asia/Shanghai
MADE = datetime.fromisoformat("2021-01-05T09:00:00+08:00")


def _ledger_entry(code: str, name: str, late: list[str]) -> dict:
    return {"unit_code": code, "unit_name": name, "unit_kind": "town",
            "on_time": {"count": 2 - len(late), "periods": [p for p in ("2020-03", "2020-04") if p not in late]},
            "late": {"periods": late}, "missing": {"periods": []}, "rejected": {"periods": []},
            "corrected_after_signing": {"periods": [], "downward": []}}


def assessment(first: float = 92.5) -> dict:
    """A small year's assessment in the `assess --json` shape: 河坝镇 first, 北洲子镇 barred for a late April."""
    late = [{"record": "延误上报", "periods": ["2020-04"]}]
    units = [{"unit_code": "T01", "unit_name": "河坝镇", "unit_kind": "town", "score": first,
              "scores": {"2020-03": first, "2020-04": first}, "rank": 1, "advanced": True, "records": []},
             {"unit_code": "T04", "unit_name": "北洲子镇", "unit_kind": "town", "score": 80.0,
              "scores": {"2020-03": 80.0, "2020-04": 80.0}, "rank": 2, "advanced": False, "records": late}]
    return {"year": 2020, "through": None, "periods": ["2020-03", "2020-04"], "scored_periods": ["2020-03", "2020-04"],
            "weights": {"2020-03": 1.0, "2020-04": 1.0}, "leaders_per_kind": 2,
            "kinds": [{"kind": "town", "label": "乡镇", "ranked": True, "units": units, "advanced": ["T01"]}],
            "barred": [{k: units[1][k] for k in ("unit_code", "unit_name", "unit_kind", "records")}],
            "ledger": {"periods": ["2020-03", "2020-04"],
                       "units": [_ledger_entry("T01", "河坝镇", []), _ledger_entry("T04", "北洲子镇", ["2020-04"])]}}


@pytest.fixture
def drafted(settings, reference, fast_pdf):
    return draft_notice(settings, reference, assessment(), at=MADE)


def docx_text(path: str | Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("word/document.xml").decode("utf-8")


def test_the_notice_is_reviewed_then_signed_into_read_only_files_with_the_signer(settings, drafted, fast_pdf):
    assert drafted["created"] and drafted["files"]["pdf"].parent == settings.home / "reports" / "2020"
    with pytest.raises(ApprovalError, match="2020年考核通报 当前为“草稿”，不能签发：请先审核（zhuanbao review --assessment 2020"):
        signing.change(settings, 2020, None, "sign", "王明")
    assert signing.change(settings, 2020, None, "review", "李华", "同意")["state"] == "已审核"
    state = signing.change(settings, 2020, None, "sign", "王明", at=SIGNED)
    assert state["state"] == "已签发" and state["signer"] == "王明" and state["next"] == ["publish"]
    files = {fmt: Path(p) for fmt, p in state["files"].items()}
    assert all(p.parent == settings.home / "reports" / "2020" / "published" for p in files.values())
    assert all(p.exists() and not p.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
               for p in files.values())
    html = files["html"].read_text("utf-8")
    assert "签发人：王明" in html and "送审稿" not in html and "2021年1月11日印发" in html
    assert "签发人：王明" in docx_text(files["docx"]) and "送审稿" not in docx_text(files["docx"])
    draft = drafted["files"]["html"].read_text("utf-8")
    assert "送审稿" in draft and "签发人" not in draft and "印发" not in draft
    with pytest.raises(ApprovalError, match="已签发的考核通报不能退回"):
        signing.change(settings, 2020, None, "return", "王明", "再改")
    assert signing.change(settings, 2020, None, "publish", "李华")["state"] == "已印发"
    assert [e["label"] for e in signing.history(settings, 2020)] == ["生成草稿", "审核", "签发", "印发"]


def test_return_needs_a_comment_and_sends_the_notice_back_to_draft(settings, drafted, fast_pdf):
    add_recipient(settings, "office", "lihua@example.cn", "李华")
    add_recipient(settings, "leader", "wangming@example.cn", "王明")
    signing.change(settings, 2020, None, "review", "李华")
    with pytest.raises(ApprovalError, match="退回须说明原因"):
        signing.change(settings, 2020, None, "return", "王明", "  ")
    assert signing.change(settings, 2020, None, "return", "王明", "先进名单请再核")["state"] == "草稿"
    assert signing.history(settings, 2020)[-1]["comment"] == "先进名单请再核"
    (kept,) = (settings.home / "outbox").glob("*draft-review.eml")  # the office is told, with the command to use
    told = message_from_bytes(kept.read_bytes(), policy=policy.default)
    assert told["Subject"] == "【考核通报】2020年考核通报已退回，待重新审核"
    assert "zhuanbao review --assessment 2020 --by 姓名" in told.get_content() and "先进名单请再核" in told.get_content()


def test_only_registered_people_of_the_right_role_may_act(settings, drafted, fast_pdf):
    add_recipient(settings, "office", "lihua@example.cn", "李华")
    add_recipient(settings, "leader", "wangming@example.cn", "王明")
    with pytest.raises(ApprovalError, match="张三 不在登记的办公室名单中，无权审核"):
        signing.change(settings, 2020, None, "review", "张三")
    signing.change(settings, 2020, None, "review", "李华")
    with pytest.raises(ApprovalError, match="李华 不在登记的领导名单中，无权签发"):
        signing.change(settings, 2020, None, "sign", "李华")
    with pytest.raises(ApprovalError, match="签发须由领导进行"):
        signing.change(settings, 2020, None, "sign", "王明", role="office")
    assert signing.approval_state(settings, 2020)["state"] == "已审核"


def test_assess_again_after_signing_writes_nothing_unless_the_data_changed(settings, reference, drafted, fast_pdf):
    signing.change(settings, 2020, None, "review", "李华")
    signed = signing.change(settings, 2020, None, "sign", "王明", at=SIGNED)
    stamp = {p: Path(p).stat().st_mtime_ns for p in (*signed["files"].values(), *signed["draft"].values())}
    again = draft_notice(settings, reference, assessment())
    assert not again["created"] and again["note"] == "2020年考核通报已签发，数据未变，不重新起草"
    assert {str(p) for p in again["files"].values()} == set(signed["files"].values())
    assert {p: Path(p).stat().st_mtime_ns for p in stamp} == stamp
    revised = draft_notice(settings, reference, assessment(first=95.0))
    assert revised["created"] and revised["revision"] == 1 and revised["files"]["pdf"].name == "考核通报_2020_修订1.pdf"
    assert signing.approval_state(settings, 2020)["state"] == "草稿"
    assert signing.current_published(settings, 2020)["files"] == signed["files"]


def test_new_data_before_signing_redoes_the_draft_in_place(settings, reference, drafted, fast_pdf):
    signing.change(settings, 2020, None, "review", "李华")
    assert not draft_notice(settings, reference, assessment())["created"]  # same data: the reviewed draft stays
    redone = draft_notice(settings, reference, assessment(first=95.0))
    assert redone["revision"] == 0 and redone["files"] == drafted["files"]
    assert "95.00" in redone["files"]["html"].read_text("utf-8")
    state = signing.approval_state(settings, 2020)
    assert state["state"] == "草稿" and [e["action"] for e in state["history"]] == ["draft", "review", "redraft"]


def test_the_reports_approval_is_untouched_by_the_notices(settings, reference, drafted, fast_pdf):
    report = publish_draft(settings, reference)  # the 专报 of 2020-04: report_issues row 1, as the notice's row is
    signing.change(settings, 2020, None, "review", "李华")
    signing.change(settings, 2020, None, "sign", "王明", at=SIGNED)
    state = approval.approval_state(settings, report["period"])
    assert state["state"] == "草稿" and [e["action"] for e in state["history"]] == ["draft"]
    assert [e["action"] for e in approval.history(settings, report["period"])] == ["draft"]
    approval.review(settings, report["period"], "李华")
    assert signing.approval_state(settings, 2020)["state"] == "已签发"
    assert [e["action"] for e in signing.history(settings, 2020)] == ["draft", "review", "sign"]


def cli(settings, *args: str):
    return CliRunner().invoke(app, ["--home", str(settings.home), *args])


def test_the_commands_take_assessment_and_show_its_history(settings, drafted, fast_pdf):
    refused = cli(settings, "review", "--period", "2020-04", "--assessment", "2020", "--by", "李华")
    assert refused.exit_code == 2 and "二者选一" in refused.output
    assert cli(settings, "sign", "--through", "2020-06", "--by", "王明").exit_code == 2
    early = cli(settings, "sign", "--assessment", "2020", "--by", "王明")
    assert early.exit_code == 2 and "请先审核" in early.output
    done = cli(settings, "review", "--assessment", "2020", "--by", "李华", "--comment", "同意")
    assert done.exit_code == 0 and "2020年考核通报：已审核" in done.output
    signed = cli(settings, "sign", "--assessment", "2020", "--by", "王明")
    assert signed.exit_code == 0 and "published/考核通报_2020.pdf" in signed.output
    shown = cli(settings, "approval", "--assessment", "2020")
    assert shown.exit_code == 0 and "已签发" in shown.output and "意见：同意" in shown.output
    as_json = json.loads(cli(settings, "approval", "--assessment", "2020", "--json").output)
    assert as_json["current_published"]["signer"] == "王明" and len(as_json["history"]) == 3
    none = cli(settings, "approval", "--assessment", "2019")
    assert none.exit_code == 2 and "还没有考核通报草稿" in none.output


def test_approval_records_made_before_the_document_kind_are_the_reports(tmp_path):
    """Migration 0004 on a registry at 0003: its approval records are the 专报's, the notices' table is new."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from zhuanbao.tasks.intake import migrate

    db_file = tmp_path / "zhuanbao.sqlite"
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    engine = create_engine(f"sqlite:///{db_file}")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        connection.exec_driver_sql(
            "INSERT INTO report_approvals (issue_id, period, issue_no, revision, action, from_state, to_state, by, "
            "comment, at) VALUES (1, '2020-04', 1, 0, 'sign', '已审核', '已签发', '王明', NULL, '2020-05-17 02:00:00')")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    engine.dispose()
    with sqlite3.connect(db_file) as db:
        assert db.execute("SELECT document, by FROM report_approvals").fetchall() == [("专报", "王明")]
        assert db.execute("SELECT COUNT(*) FROM assessment_issues").fetchone() == (0,)


def test_the_office_reviews_and_a_leader_signs_the_notice_in_the_portal(home, reference, fast_pdf):
    from fastapi.testclient import TestClient

    from tests.test_portal import account, csrf_of, log_in, portal_settings
    from zhuanbao.flows.portal.app import create_app

    settings = portal_settings(home)
    draft_notice(settings, reference, assessment(), at=MADE)
    office = log_in(TestClient(create_app(settings, warm=False)), "office",
                    account(settings, "office", unit=None, role="office", name="李华"))
    leader = log_in(TestClient(create_app(settings, warm=False)), "leader",
                    account(settings, "leader", unit=None, role="leader", name="王明"))
    unit = log_in(TestClient(create_app(settings, warm=False)), "t01", account(settings, "t01"))

    def act(client, action: str, comment: str = ""):
        token = csrf_of(client.get("/office/assessments/2020"))
        return client.post("/office/assessments/2020/approval", follow_redirects=False,
                           data={"action": action, "comment": comment, "csrf_token": token})

    page = office.get("/office/assessments/2020").text
    assert "2020年考核通报" in page and 'id="approval-review"' in page and 'id="approval-sign"' not in page
    assert unit.get("/office/assessments/2020", follow_redirects=False).status_code in (303, 403)
    assert act(office, "sign").status_code == 403
    assert act(office, "return").status_code == 409  # no reason given
    assert act(office, "review").status_code == 303
    assert act(leader, "sign").status_code == 303
    state = signing.approval_state(settings, 2020)
    assert state["state"] == "已签发" and state["signer"] == "王明"
    assert "签发人 王明" in office.get("/office/assessments/2020").text
    signed = office.get("/office/assessments/2020/file/html")
    assert signed.status_code == 200 and "签发人：王明" in signed.text and "送审稿" not in signed.text
    assert office.get("/office/assessments/2020?through=2021-03").status_code == 422


@pytest.mark.slow
def test_the_demo_years_assessment_is_signed_and_assess_again_writes_nothing(year_home):  # noqa: F811
    """The scenario's year (tests/year_scenario.py): assess, review and sign by the demo's registered people."""
    def run(*args: str):
        return CliRunner().invoke(app, ["--home", str(year_home), *args])

    made = run("assess", "--year", "2020", "--through", "2020-04", "--json")
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["created"] is True
    assert run("sign", "--assessment", "2020", "--through", "2020-04", "--by", "王明").exit_code == 2  # not reviewed
    assert run("review", "--assessment", "2020", "--through", "2020-04", "--by", "李华").exit_code == 0
    stranger = run("sign", "--assessment", "2020", "--through", "2020-04", "--by", "张三")
    assert stranger.exit_code == 2 and "张三 不在登记的领导名单中" in stranger.output
    signed = run("sign", "--assessment", "2020", "--through", "2020-04", "--by", "王明")
    assert signed.exit_code == 0, signed.output
    published = year_home / "reports" / "2020" / "published"
    html = (published / "考核通报_2020_截至2020-04.html").read_text("utf-8")
    assert "签发人：王明" in html and "送审稿" not in html and "北洲子镇：延误上报（2020年4月）" in html
    before = {p.name: p.stat().st_mtime_ns for p in (year_home / "reports" / "2020").rglob("考核通报_*")}
    again = run("assess", "--year", "2020", "--through", "2020-04")
    assert again.exit_code == 0 and "2020年考核通报（截至2020-04）已签发，数据未变，不重新起草" in again.output
    assert {p.name: p.stat().st_mtime_ns for p in (year_home / "reports" / "2020").rglob("考核通报_*")} == before
    assert "考核通报（送审稿）" in run("assess", "--year", "2020").output  # the whole year: a document of its own
