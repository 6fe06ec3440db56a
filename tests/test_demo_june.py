"""The demo's June (issue 26): every unit's workbook, clean and on time, its figures continuing May's, so June
— the 双过半 month — gets its 专报 and the campaign's 7月 考评 runs the assessment through June."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from tests.test_incremental import run_month
from zhuanbao.flows.cli import app
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.demo.scenario import (
    DEMO_APPROVALS,
    DEMO_ASSESSMENT,
    DEMO_LATER_APPROVALS,
    DEMO_LATER_RUNS,
    DEMO_RUNS,
    approve_demo_run,
    prepare_demo_june,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def project_rows(path: Path) -> dict[str, list]:
    """project code → its row on the 项目 sheet (header row 3, as the demo writes it)."""
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("表2 项目").to_python(skip_empty_area=False)
    header = sheet[2]
    return {row[0]: dict(zip(header, row, strict=True)) for row in sheet[3:] if str(row[0]).startswith("X")}


def test_june_is_every_unit_on_time_and_continues_mays_figures(demo_home):
    manifest = prepare_demo_june(demo_home)
    units = list(pd.read_csv(demo_home / "reference" / "2020" / "units.csv", dtype=str)["unit_code"])
    assert sorted(e["unit_code"] for e in manifest) == sorted(units) and {e["kind"] for e in manifest} == {"ok"}
    for path in (demo_home / "inbox" / "2020-06").iterdir():
        arrived = datetime.fromtimestamp(path.stat().st_mtime, SHANGHAI)
        assert datetime(2020, 7, 1, tzinfo=SHANGHAI) < arrived < datetime(2020, 7, 15, tzinfo=SHANGHAI), path.name
    may, june = (project_rows(demo_home / "inbox" / p / f"T01_{p}.xlsx") for p in ("2020-05", "2020-06"))
    cumulative, month = "1-本月累计完成投资(万元)", "本月完成投资(万元)"
    for code, row in june.items():
        assert row[cumulative] == pytest.approx(may[code][cumulative] + row[month], abs=0.11), code


def cli(home: Path, *args: str):
    return CliRunner().invoke(app, ["--home", str(home), *args])


@pytest.mark.slow
def test_the_demo_year_runs_june_and_assesses_through_it(demo_home, fast_pdf):
    prepare_demo_june(demo_home)
    settings = load_settings(home=demo_home)
    for (period, as_of, reason), approval in zip(DEMO_RUNS + DEMO_LATER_RUNS, DEMO_APPROVALS + DEMO_LATER_APPROVALS,
                                                 strict=True):
        counts = run_month(settings, period, as_of, reason)
        approve_demo_run(settings, period, *approval)
    assert counts["files"] == counts["accepted"] == 18  # June: every unit, nothing rejected
    year, through = DEMO_ASSESSMENT
    result = cli(demo_home, "assess", "--year", str(year), "--through", through, "--json")
    assert result.exit_code == 0, result.output
    assessed = json.loads(result.output)
    assert assessed["scored_periods"] == ["2020-03", "2020-04", "2020-05", "2020-06"]
    assert all(Path(p).parent == demo_home / "reports" / "2020" and Path(p).exists() for p in assessed["files"].values())
    june = {u["unit_code"]: u for u in assessed["ledger"]["units"]}
    assert all("2020-06" in u["on_time"]["periods"] for u in june.values())
