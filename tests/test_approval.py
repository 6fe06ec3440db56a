"""审核→签发: the order of states, comments and roles, the documents each state carries, a rerun after signing."""
from __future__ import annotations

import json
import re
import stat
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from zhuanbao.tasks.notices import add_recipient
from zhuanbao.tasks.report import approval
from zhuanbao.tasks.report.approval import ApprovalError, current_published, history, review, sign
from zhuanbao.tasks.report.editors import publish_report

from .test_report import make_context

PERIOD = "2020-04"
MADE = datetime.fromisoformat("2020-05-16T09:00:00+08:00")
SIGNED = datetime.fromisoformat("2020-05-17T23:30:00+00:00")  # 2020-05-18 07:30 in Asia/Shanghai


def publish_draft(settings, reference) -> dict:
    return publish_report(settings, PERIOD, make_context(settings, reference, late=(), missing=("T04", "T05")),
                          issued_at=MADE)


@pytest.fixture
def draft(settings, reference, fast_pdf):
    """The period's draft, its PDF a stub (these tests are about the steps; one test below reads typeset PDFs)."""
    return publish_draft(settings, reference)


def pdf_text(path: str | Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def docx_xml(path: str | Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("word/document.xml").decode("utf-8")


def test_states_go_in_order_and_out_of_order_is_refused(settings, draft, fast_pdf):
    assert approval.approval_state(settings, PERIOD)["state"] == "草稿"
    with pytest.raises(ApprovalError, match="当前为“草稿”，不能签发：请先审核"):
        sign(settings, PERIOD, "王明")
    with pytest.raises(ApprovalError, match="须先签发再印发"):
        approval.publish(settings, PERIOD, "李华")
    assert review(settings, PERIOD, "李华", "数据已核")["state"] == "已审核"
    with pytest.raises(ApprovalError, match="当前为“已审核”，不能审核"):
        review(settings, PERIOD, "李华")
    assert sign(settings, PERIOD, "王明")["state"] == "已签发"
    with pytest.raises(ApprovalError, match="已签发的专报不能退回；如需更正，请重跑"):
        approval.return_(settings, PERIOD, "王明", "再改改")
    assert approval.publish(settings, PERIOD, "李华", "分送各单位")["state"] == "已印发"
    steps = [(e["action"], e["from"], e["to"], e["by"], e["comment"]) for e in history(settings, PERIOD)]
    assert steps == [("draft", None, "草稿", "月度流程", ""), ("review", "草稿", "已审核", "李华", "数据已核"),
                     ("sign", "已审核", "已签发", "王明", ""), ("publish", "已签发", "已印发", "李华", "分送各单位")]


def test_return_needs_a_comment_and_sends_the_draft_back(settings, draft, fast_pdf):
    review(settings, PERIOD, "李华")
    with pytest.raises(ApprovalError, match="退回须说明原因"):
        approval.return_(settings, PERIOD, "王明", "  ")
    state = approval.return_(settings, PERIOD, "王明", "河坝镇数据需核实")
    assert state["state"] == "草稿" and state["next"] == ["review", "return"]
    assert history(settings, PERIOD)[-1]["comment"] == "河坝镇数据需核实"
    with pytest.raises(ApprovalError, match="请先审核"):
        sign(settings, PERIOD, "王明")


def test_roles_decide_who_may_review_and_sign(settings, draft, fast_pdf):
    with pytest.raises(ApprovalError, match="签发须由领导进行"):
        review(settings, PERIOD, "李华", role="office") and sign(settings, PERIOD, "李华", role="office")
    add_recipient(settings, "leader", "wangming@example.cn", "王明")
    with pytest.raises(ApprovalError, match="张三 不在登记的领导名单中，无权签发"):
        sign(settings, PERIOD, "张三")
    assert sign(settings, PERIOD, "王明")["signer"] == "王明"
    with pytest.raises(ApprovalError, match="须写明经办人"):
        approval.publish(settings, PERIOD, " ")


def test_draft_is_marked_and_undated_signed_carries_signer_and_signing_date(settings, reference):
    draft = publish_draft(settings, reference)  # typeset by WeasyPrint: the PDF's text is read back
    text = pdf_text(draft["pdf"])
    assert "送审稿" in text and "签发人" not in text and "印发" not in text.replace("此前印发", "")
    assert "送审稿" in docx_xml(draft["docx"]) and "签发人" not in docx_xml(draft["docx"])
    assert not re.search(r"\d+年\d+月\d+日", text.split("重点工作推进情况")[0])  # the draft's header has no date
    review(settings, PERIOD, "李华")
    state = sign(settings, PERIOD, "王明", at=SIGNED)
    files = state["files"]
    assert Path(files["pdf"]).parent == settings.reports_dir(PERIOD) / "published"
    signed = pdf_text(files["pdf"])
    assert "送审稿" not in signed and "签发人：王明" in signed and "2020年5月18日印发" in signed
    assert "2020年5月18日" in signed.split("重点工作推进情况")[0]  # in the header, the signing day in Shanghai
    xml = docx_xml(files["docx"])
    assert "送审稿" not in xml and "签发人：王明" in xml and "2020年5月18日印发" in xml
    assert json.loads(Path(files["json"]).read_text("utf-8"))["issue"]["signer"] == "王明"
    for path in files.values():
        assert stat.S_IMODE(Path(path).stat().st_mode) == 0o444
    assert "送审稿" in pdf_text(draft["pdf"])  # the draft stays a draft


def test_rerun_after_signing_is_a_revision_that_is_signed_in_turn(settings, reference, draft, fast_pdf):
    review(settings, PERIOD, "李华")
    sign(settings, PERIOD, "王明", at=SIGNED)
    first = current_published(settings, PERIOD)
    revised = publish_report(settings, PERIOD, make_context(settings, reference), reason="北洲子镇逾期报送")
    assert revised["revision"] == 1
    state = approval.approval_state(settings, PERIOD)
    assert (state["revision"], state["state"]) == (1, "草稿")
    assert current_published(settings, PERIOD)["revision"] == 0  # the signed one is still what is shown
    with pytest.raises(ApprovalError, match="请先审核"):
        sign(settings, PERIOD, "王明")
    review(settings, PERIOD, "李华")
    sign(settings, PERIOD, "王明")
    shown = current_published(settings, PERIOD)
    assert (shown["revision"], shown["signer"]) == (1, "王明")
    assert Path(shown["files"]["docx"]).name == "专报_2020-04_第1期_修订1.docx"
    assert Path(first["files"]["docx"]).exists() and Path(shown["files"]["docx"]).exists()
    assert [e["revision"] for e in history(settings, PERIOD) if e["action"] == "sign"] == [0, 1]


def test_rerun_before_signing_redoes_the_draft_in_place(settings, reference, draft, fast_pdf):
    review(settings, PERIOD, "李华")
    again = publish_report(settings, PERIOD, make_context(settings, reference), reason="北洲子镇逾期报送")
    assert (again["issue_no"], again["revision"], again["created"]) == (1, 0, True)  # nothing left the office
    assert again["pdf"] == draft["pdf"] and not again["changes"]
    saved = json.loads(Path(again["json"]).read_text("utf-8"))
    assert "北洲子镇" not in saved["overview"]["headline"].split("未报送")[-1]  # the new figures, not the old
    state = approval.approval_state(settings, PERIOD)
    assert (state["revision"], state["state"]) == (0, "草稿")  # the review was of other figures
    assert state["history"][-1]["label"] == "重新生成草稿" and "北洲子镇逾期报送" in state["history"][-1]["comment"]
    review(settings, PERIOD, "李华")
    assert sign(settings, PERIOD, "王明")["revision"] == 0


def test_nothing_to_review_before_the_run(settings):
    with pytest.raises(ApprovalError, match="还没有专报草稿：请先运行月度流程"):
        review(settings, PERIOD, "李华")
    assert current_published(settings, PERIOD) is None


def test_cli_refuses_out_of_order_with_exit_2_and_shows_the_history(settings, draft, fast_pdf):
    from typer.testing import CliRunner

    from zhuanbao.flows.cli import app

    runner = CliRunner()
    home = ["--home", str(settings.home)]
    refused = runner.invoke(app, [*home, "sign", "--period", PERIOD, "--by", "王明"])
    assert refused.exit_code == 2 and "请先审核" in refused.output and "Traceback" not in refused.output
    no_reason = runner.invoke(app, [*home, "return", "--period", PERIOD, "--by", "李华"])
    assert no_reason.exit_code == 2 and "退回须说明原因" in no_reason.output
    assert runner.invoke(app, [*home, "review", "--period", PERIOD, "--by", "李华", "--comment", "已核"]).exit_code == 0
    signed = runner.invoke(app, [*home, "sign", "--period", PERIOD, "--by", "王明"])
    assert signed.exit_code == 0 and "已签发" in signed.output
    shown = runner.invoke(app, [*home, "approval", "--period", PERIOD])
    assert "当前印发稿：第1期" in shown.output and "审核　草稿 → 已审核　李华　意见：已核" in shown.output
