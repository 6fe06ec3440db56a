"""One 未报 count everywhere: a rejected-only unit is 未报 (spec §8) in the run's log line and artifact,
`status --json`, the 专报, the 催报 list and the portal's board — all counted by tasks/intake/standing.py."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from zhuanbao.flows.cli import app
from zhuanbao.flows.portal.views import board
from zhuanbao.flows.run_support import summary_markdown
from zhuanbao.tasks import steps
from zhuanbao.tasks.demo.generate import build_demo_inbox
from zhuanbao.tasks.intake.registry import session
from zhuanbao.tasks.intake.reminders import reminder_list
from zhuanbao.tasks.intake.standing import Standing, standing_of, tally
from zhuanbao.tasks.report.context import build_context

PERIOD = "2020-04"


@pytest.mark.parametrize(("status", "on_time", "standing"), [
    ("accepted", True, Standing.ON_TIME), ("received", True, Standing.ON_TIME), ("accepted", False, Standing.LATE),
    ("accepted", 1.0, Standing.ON_TIME), ("accepted", 0.0, Standing.LATE),  # the unit scores' on_time
    ("rejected", None, Standing.REJECTED), ("missing", None, Standing.MISSING)])
def test_each_status_has_one_standing(status, on_time, standing):
    assert standing_of(status, on_time) == standing
    assert standing.reported == (status in ("accepted", "received"))


def test_a_rejected_only_unit_is_unreported_and_named_as_rejected():
    counted = tally([{"unit_code": "T01", "status": "accepted", "on_time": True},
                     {"unit_code": "D02", "status": "rejected", "on_time": None},
                     {"unit_code": "T04", "status": "accepted", "on_time": False},
                     {"unit_code": "T05", "status": "missing", "on_time": None}])
    assert (counted.unreported, counted.rejected, counted.missing, counted.late) == (["D02", "T05"], ["D02"], ["T05"],
                                                                                      ["T04"])
    assert counted.submission_rate == 0.5 and counted.on_time_rate == 0.25


def test_the_unreported_count_is_the_same_in_the_log_artifact_status_report_reminders_and_board(settings, reference):
    """2020-04 of the demo district without D02's corrected file: D02 sent only a rejected file, T05 nothing,
    T04 was late. The monthly flow's steps run in-process; then every place that counts 未报 is read."""
    build_demo_inbox(settings.home, reference, periods=[PERIOD])
    (settings.home / "inbox" / PERIOD / "D02_2020-04_更正.xlsx").unlink()
    with steps.recorded_run(settings, PERIOD) as record:  # what flows/monthly.py does, without Prefect
        ctx = record.context
        arrived = steps.collect(ctx)
        reads = steps.read(ctx)
        checked = steps.check(ctx, reads)
        steps.consolidate(ctx, reads)
        status = steps.period_status(ctx)
        steps.metrics(ctx, status)
        record.counts.update({**arrived, **checked, **steps.settled_counts(status)})
    summary = {"period": PERIOD, **record.counts, "outputs": {}}
    unreported = {"D02", "T05"}

    log_line = steps.summary_line(summary)
    assert "逾期 1，未报 2" in log_line, log_line
    artifact = summary_markdown(summary, status)
    assert "| 未报送 | 2 |" in artifact and "区科技工信局（D02）" in artifact.split("- 未报送：")[1].split("\n")[0], artifact

    cli = CliRunner().invoke(app, ["--home", str(settings.home), "status", "-p", PERIOD, "--json"])
    assert cli.exit_code == 0, cli.output
    as_json = json.loads(cli.stdout)
    assert as_json["counts"]["unreported"] == 2 and as_json["counts"]["rejected"] == 1
    assert {u["unit_code"] for u in as_json["units"] if u["status"] in ("rejected", "missing")} == unreported

    context = build_context(settings, PERIOD, reference, {**steps.load_metrics(ctx), "flags": None}, status)
    overview, section = context["overview"], context["submissions"]
    assert overview["units_missing"] == "2" and overview["units_rejected"] == "1"
    assert "未报送2个（区科技工信局、南湾湖办事处，其中退回待更正1个）" in overview["headline"]
    assert "逾期报送1个，未报送2个（其中报送文件被退回、尚未更正1个）。" in section["sentence"]
    assert [r["unit"] for r in section["missing"]] == ["南湾湖办事处"]  # named once, in its line
    assert [r["unit"] for r in section["rejected"]] == ["区科技工信局"]

    with session(settings.db_url) as db:
        entries, paths = reminder_list(settings, db, PERIOD, reference)
    owing = json.loads(paths["json"].read_text("utf-8"))["owing"]
    assert {e["unit_code"] for e in owing} == {e["unit_code"] for e in entries} == unreported
    assert "尚欠 2 家" in paths["markdown"].read_text("utf-8")

    view = board(settings, PERIOD)
    assert view["counts"]["missing"] == 2 and view["counts"]["rejected"] == 1 and view["counts"]["late"] == 1
    assert {u["unit_code"] for u in view["chase"]} == unreported
