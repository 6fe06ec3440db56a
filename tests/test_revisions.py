"""Revisions only for data (issue 25): once a period's 专报 is signed, a run with the same data redraws
nothing and says so; a template-only change needs --reissue and is then a 文字修订; new data is a 修订版
whose 修订说明 lists only what changed as printed; the 修订版 never speaks for an earlier moment than the
signed one and the approval log reads in time order — in the demo's months and an example district's."""
from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhuanbao.tasks import steps
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.report.after_signing import report_as_of
from zhuanbao.tasks.report.approval import approval_state, history, review, sign
from zhuanbao.tasks.report.editors import publish_report
from zhuanbao.tasks.report.revisions import describe_changes, figure_changes

from .test_report import make_context

PERIOD = "2020-04"
MADE = datetime.fromisoformat("2020-05-16T09:00:00+08:00")
SIGNED = datetime.fromisoformat("2020-05-17T10:00:00+08:00")
BUMP = "重点工作推进情况{% endmacro %}"


@pytest.fixture
def signed(settings, reference, fast_pdf) -> dict:
    """The period's 专报 drafted, reviewed and signed; returns the context it was built from."""
    context = make_context(settings, reference)
    publish_report(settings, PERIOD, context, issued_at=MADE)
    review(settings, PERIOD, "李华", at=MADE.replace(hour=15))
    sign(settings, PERIOD, "王明", at=SIGNED)
    return context


def edit_wording(home: Path) -> None:
    """The office edits its copy of wording.j2 (the title gains 报告): a template-only change."""
    from zhuanbao.tasks.core.resources import TEMPLATES_DIR

    own = home / "templates"
    own.mkdir(exist_ok=True)
    text = (TEMPLATES_DIR / "wording.j2").read_text("utf-8")
    assert BUMP in text
    (own / "wording.j2").write_text(text.replace(BUMP, "重点工作推进情况报告{% endmacro %}"), "utf-8")


def test_same_data_after_signing_redraws_nothing_and_says_so(settings, reference, signed):
    before = history(settings, PERIOD)
    reworded = copy.deepcopy(signed)  # new code wording the same figures: text, not data
    reworded["overview"]["headline"] = "截至2020年5月19日 09:00，" + reworded["overview"]["headline"]
    again = publish_report(settings, PERIOD, reworded, reason="重跑", issued_at=SIGNED.replace(day=19))
    assert not again["created"] and again["revision"] == 0
    assert again["note"].startswith("2020-04 专报已签发，数据未变，不重新起草")
    assert "--reissue" in again["note"]  # the text did change: it says how to reissue
    assert history(settings, PERIOD) == before and approval_state(settings, PERIOD)["state"] == "已签发"
    assert not list(settings.reports_dir(PERIOD).glob("*修订1*"))
    assert Path(again["pdf"]).parent.name == "published"  # the signed documents, as they stand
    same = publish_report(settings, PERIOD, signed, reason="重跑")
    assert same["note"] == "2020-04 专报已签发，数据未变，不重新起草"  # nothing changed at all: nothing to reissue


def test_template_change_needs_reissue_and_is_a_text_revision(settings, reference, signed):
    edit_wording(settings.home)
    kept = publish_report(settings, PERIOD, signed, reason="标题改为报告")
    assert not kept["created"] and "请加 --reissue 重跑" in kept["note"]
    reissued = publish_report(settings, PERIOD, signed, reason="标题改为报告", reissue=True)
    assert reissued["created"] and reissued["revision"] == 1
    notes = reissued["changes"]["notes"]
    assert notes[0].startswith("文字修订") and not any("数据变动" in n or "变为" in n for n in notes)
    assert notes[-1] == "修订原因：标题改为报告"
    html = Path(reissued["html"]).read_text("utf-8")
    assert "重点工作推进情况报告" in html and "文字修订" in html
    assert approval_state(settings, PERIOD)["state"] == "草稿"  # a new draft, signed in turn
    review(settings, PERIOD, "李华")
    assert sign(settings, PERIOD, "王明")["revision"] == 1


def test_new_data_after_signing_is_a_revision_listing_real_changes(settings, reference, signed):
    revised = publish_report(settings, PERIOD, make_context(settings, reference, late=(), missing=()),
                             reason="南湾湖办事处补报")
    assert revised["created"] and revised["revision"] == 1
    notes = "".join(revised["changes"]["notes"])
    assert "新增报送单位：南湾湖办事处" in notes and "修订原因：南湾湖办事处补报" in notes
    for change in revised["changes"]["figures_changed"]:
        assert change["before"] != change["after"], change


def test_changes_that_print_the_same_are_not_listed():
    def facts(rate: float, cumulative: float, progress: float) -> dict:
        return {"counts": {"submission_rate": rate},
                "indicators": {"I01": {"name": "地区生产总值", "cumulative": cumulative, "rate": 0.447,
                                       "rate_kind": "completion", "on_track": True},
                               "I02": {"name": "固定资产投资", "cumulative": 10.0, "rate": rate,
                                       "rate_kind": "completion", "on_track": True}},
                "tasks": {"K01": {"name": "打通供应链行动", "mean_progress": progress}}}

    before, after = facts(0.44712, 1200.0, 32.71), facts(0.44738, 1250.0, 32.74)
    changes = figure_changes(before, after)
    assert changes == [{"item": "地区生产总值累计", "before": "1,200", "after": "1,250"}]  # 44.7% → 44.7% is none
    text = "".join(describe_changes(before, after, None)["notes"])
    assert "由44.7%变为44.7%" not in text and "32.7%变为32.7%" not in text
    assert "地区生产总值累计由1,200变为1,250" in text
    assert describe_changes(before, facts(0.44738, 1200.0, 32.74), None)["notes"] == ["部分数据有更新，所列主要数字未变。"]


def test_revision_speaks_for_no_earlier_moment_and_the_log_keeps_time_order(settings, reference, signed):
    status = {"files": [{"received_at": "2020-05-15T10:00:00+08:00"}], "deadline": "2020-05-15T23:59:59+08:00"}
    assert report_as_of(settings, PERIOD, status, None) == MADE  # not the deadline: the signed one's moment
    later = datetime.fromisoformat("2020-05-20T09:00:00+08:00")
    assert report_as_of(settings, PERIOD, status, later.isoformat()) == later
    assert report_as_of(settings, "2020-05", status, None).day == 15  # nothing signed: the arrivals decide
    revised = publish_report(settings, PERIOD, make_context(settings, reference, late=(), missing=()),
                             reason="补报", issued_at=MADE)  # a draft dated before the signing it revises
    assert revised["revision"] == 1
    moments = [datetime.fromisoformat(e["at"]) for e in history(settings, PERIOD)]
    assert moments == sorted(moments) and history(settings, PERIOD)[-1]["action"] == "draft"
    assert moments[-1] >= SIGNED


def test_cli_run_and_rerun_offer_reissue_in_chinese():
    from zhuanbao.flows.cli import app

    runner = CliRunner()
    for command in ("run", "rerun"):
        shown = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert shown.exit_code == 0 and "--reissue" in shown.output and "文字修订" in shown.output


def test_rerun_passes_reissue_to_the_flow_and_prints_the_note(settings, monkeypatch):
    from zhuanbao.flows.cli import app, runs

    calls = []
    note = "2020-05 专报已签发，数据未变，不重新起草"

    def fake_run(period, **kwargs):
        calls.append((period, kwargs))
        return {"period": period, "outputs": {"issue_label": "第3期", "issue_no": 3, "note": note}}

    monkeypatch.setattr(runs, "run_period", fake_run)
    home = ["--home", str(settings.home)]
    kept = CliRunner().invoke(app, [*home, "rerun", "--period", "2020-05", "--reason", "核对"],
                              env={"COLUMNS": "200"})
    assert kept.exit_code == 0 and note in kept.output and "沿用已有文件" not in kept.output
    CliRunner().invoke(app, [*home, "rerun", "--period", "2020-05", "--reason", "改标题", "--reissue"])
    CliRunner().invoke(app, [*home, "run", "--period", "2020-05", "--reissue"])
    assert [c[1]["reissue"] for c in calls] == [False, True, True]


def run_month(settings, period: str, as_of: str | None, reason: str | None, *, reissue: bool = False) -> dict:
    """The monthly flow's steps in order, without Prefect (flows/monthly.py wires the same calls)."""
    with steps.recorded_run(settings, period, reason=reason, as_of=as_of) as record:
        ctx = record.context
        steps.collect(ctx)
        reads = steps.read(ctx)
        steps.check(ctx, reads)
        steps.consolidate(ctx, reads)
        status = steps.period_status(ctx)
        steps.metrics(ctx, status)
        return steps.report(ctx, status, reissue)


def as_of_line(path: str) -> str:
    return re.search(r"截至\d+年\d+月\d+日 \d+:\d+", json.loads(Path(path).read_text("utf-8"))["overview"]["headline"])[0]


def assert_rerun_after_signing(settings, period: str) -> None:
    """Rerun a signed period without --as-of: nothing; after a template edit: nothing without --reissue, a
    文字修订 as of the signed one's moment with it; every period's log in time order."""
    signed = approval_state(settings, period)
    kept = run_month(settings, period, None, "重跑核对")
    assert not kept["created"] and kept["note"] == f"{period} 专报已签发，数据未变，不重新起草"
    edit_wording(settings.home)
    assert "--reissue" in run_month(settings, period, None, "模板修改")["note"]
    reissued = run_month(settings, period, None, "模板修改", reissue=True)
    assert reissued["revision"] == signed["revision"] + 1
    assert reissued["changes"]["notes"][0].startswith("文字修订")
    assert as_of_line(reissued["json"]) == as_of_line(signed["draft"]["json"])  # not re-dated to the deadline
    for month in sorted(p.name for p in settings.reports_dir(period).parent.glob("20*-*")):
        moments = [datetime.fromisoformat(e["at"]) for e in history(settings, month)]
        assert moments == sorted(moments), month


@pytest.mark.slow
def test_demo_months_rerun_after_signing(demo_home, fast_pdf):
    from zhuanbao.tasks.demo.scenario import DEMO_APPROVALS, DEMO_RUNS, approve_demo_run

    settings = load_settings(home=demo_home)
    for (period, as_of, reason), (reviewed_at, signed_at) in zip(DEMO_RUNS, DEMO_APPROVALS, strict=True):
        run_month(settings, period, as_of, reason)
        approve_demo_run(settings, period, reviewed_at, signed_at)
    late = approval_state(settings, "2020-04")  # the late file's revision: real changes only
    notes = json.loads(Path(late["draft"]["json"]).read_text("utf-8"))["issue"]["revision_notes"]
    assert late["revision"] == 1 and "新增报送单位：北洲子镇" in notes[0]
    assert not re.search(r"由([^；。]+)变为\1[；。]", "".join(notes))
    assert_rerun_after_signing(settings, "2020-05")


@pytest.mark.slow
def test_example_district_rerun_after_signing(tmp_path, fast_pdf):
    from zhuanbao.tasks.demo.districts import approve_district_run, prepare_district_home

    home = tmp_path / "donghu"
    _, script = prepare_district_home(home, "donghu-2022")
    settings = load_settings(home=home)
    for step in script:
        run_month(settings, step["period"], step["as_of"], step["reason"])
        approve_district_run(settings, "donghu-2022", step["period"], step["reviewed_at"], step["signed_at"])
    assert_rerun_after_signing(settings, script[-1]["period"])
