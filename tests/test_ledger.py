"""The ledger (issue 26): per unit and year, the periods it reported on time, late, not at all (missing, or
rejected only) and those it corrected after the 专报 was signed — checked against the files themselves."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.year_scenario import CORRECTIONS, PERIODS, build_year, expected_standings
from zhuanbao.flows.cli import app
from zhuanbao.tasks.intake.workbook import WorkbookRead
from zhuanbao.tasks.year.corrections import lowered


@pytest.fixture(scope="module")
def year_home(built_demo_inbox, tmp_path_factory) -> Path:
    from zhuanbao.tasks.report import render

    with pytest.MonkeyPatch.context() as patch:  # the PDFs are not read here (tests/conftest.py fast_pdf)
        patch.setattr(render, "write_pdf", lambda html, out, **_: Path(out).write_bytes(b"%PDF-stub\n") and Path(out))
        return build_year(built_demo_inbox, tmp_path_factory.mktemp("year") / "home")


def cli(home: Path, *args: str):
    return CliRunner().invoke(app, ["--home", str(home), *args])


@pytest.mark.slow
def test_the_ledger_counts_every_unit_as_its_files_say(year_home):
    result = cli(year_home, "ledger", "--year", "2020", "--json")
    assert result.exit_code == 0, result.output
    ledger = json.loads(result.output)
    units = list(pd.read_csv(year_home / "reference" / "2020" / "units.csv", dtype=str)["unit_code"])
    expected = expected_standings(year_home, units)
    assert ledger["periods"] == PERIODS
    assert [u["unit_code"] for u in ledger["units"]] == units
    for unit in ledger["units"]:
        want = expected[unit["unit_code"]]
        got = {key: unit[key]["periods"] for key in ("on_time", "late", "missing", "rejected")}
        assert got == {key: want[key] for key in got}, unit["unit_code"]
        assert all(unit[key]["count"] == len(unit[key]["periods"]) for key in got)
        fixed = unit["corrected_after_signing"]
        assert (fixed["periods"], fixed["downward"]) == (want["corrected"], want["downward"]), unit["unit_code"]
    # the cases are there: late, missing, rejected only, corrected down and up after signing
    assert expected["T04"]["late"] == ["2020-04"] and expected["T05"]["missing"] == ["2020-05"]
    assert expected["E01"]["rejected"] == ["2020-05"] and expected["T02"]["downward"] == ["2020-04"]


@pytest.mark.slow
def test_a_correction_after_signing_lists_the_lowered_figure_and_both_files(year_home):
    ledger = json.loads(cli(year_home, "ledger", "--year", "2020", "--json").output)
    by_unit = {u["unit_code"]: u for u in ledger["units"]}
    [record] = by_unit["T02"]["corrected_after_signing"]["records"]
    assert record["corrected_file"] == CORRECTIONS["T02"][0] and record["signed_file"] == "T02_2020-04.xlsx"
    [figure] = record["lowered"]
    assert figure["form"] == "tasks" and figure["field"] == "progress_pct"
    assert figure["corrected"] == pytest.approx(figure["signed"] - 1)
    [up] = by_unit["D01"]["corrected_after_signing"]["records"]
    assert up["downward"] is False and up["lowered"] == []
    assert by_unit["T04"]["corrected_after_signing"]["count"] == 0  # late after signing, but nothing to correct


@pytest.mark.slow
def test_the_ledger_prints_a_chinese_table_and_stops_at_through(year_home):
    result = cli(year_home, "ledger", "--year", "2020")
    assert result.exit_code == 0 and "2020年报送台账" in result.output and "北洲子镇" in result.output
    assert "1（4月）" in result.output
    through = json.loads(cli(year_home, "ledger", "--year", "2020", "--through", "2020-04", "--json").output)
    assert through["periods"] == ["2020-03", "2020-04"]
    assert all(u["missing"]["count"] == 0 for u in through["units"])


def test_a_year_without_runs_or_a_through_of_another_year_is_one_line(home):
    result = cli(home, "ledger", "--year", "2020")
    assert result.exit_code == 2 and "2020 年还没有已过报送期限的报告期" in result.output
    result = cli(home, "ledger", "--year", "2020", "--through", "2021-03")
    assert result.exit_code == 2 and "不在 2020 年内" in result.output


def test_only_figures_that_fall_count_as_lowered():
    def read(values):
        return WorkbookRead(file_name="x.xlsx", records={"indicators": [
            {"indicator_code": code, "cumulative": value} for code, value in values.items()]})

    signed, later = read({"A01": 100.0, "A02": 50.0, "A03": None}), read({"A01": 99.5, "A02": 51.0, "A03": 7.0})
    assert lowered(signed, later) == [{"form": "indicators", "code": "A01", "field": "cumulative", "signed": 100.0,
                                       "corrected": 99.5}]
    assert lowered(later, later) == []


@pytest.mark.slow
def test_the_portal_shows_a_unit_its_own_ledger_and_the_office_everyones(year_home):
    from fastapi.testclient import TestClient

    from tests.test_portal import account, log_in, portal_settings
    from zhuanbao.flows.portal import create_app

    settings = portal_settings(year_home)
    unit = log_in(TestClient(create_app(settings, warm=False)), "t04", account(settings, "t04", unit="T04"))
    page = unit.get("/unit/ledger?year=2020")
    assert page.status_code == 200 and "北洲子镇" in page.text and "1</b> （4月）" in page.text
    assert "南湾湖办事处" not in page.text and "金盆镇" not in page.text  # its own line only
    assert unit.get("/office/ledger?year=2020", follow_redirects=False).status_code in (303, 403)
    office = log_in(TestClient(create_app(settings, warm=False)), "tongji",
                    account(settings, "tongji", unit=None, role="office"))
    page = office.get("/office/ledger?year=2020")
    assert page.status_code == 200 and all(name in page.text for name in ("北洲子镇", "南湾湖办事处", "金盆镇"))
    assert "签发后更正" in page.text and '/office/ledger?year=2020' in office.get("/office?period=2020-04").text
