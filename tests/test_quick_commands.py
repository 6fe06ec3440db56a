"""`status` and `ledger` without pandas (issue 28): they read the reference's index (cache/reference/<year>.json,
tasks/core/reference_index.py), which must say what the tables say — the same units, names, kinds and who owes
each period, in every district — be rebuilt when a table changes, refuse a bad table as the tables' loader does,
and leave pandas unimported."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhuanbao.flows.cli import app
from zhuanbao.tasks.core import catalog
from zhuanbao.tasks.core.examples import example_home, example_year
from zhuanbao.tasks.core.reference import reference_for
from zhuanbao.tasks.core.reference_index import reference_index_for
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.intake.registry import session
from zhuanbao.tasks.intake.status import period_status


def cli(home: Path, *args: str):
    return CliRunner().invoke(app, ["--home", str(home), *args])


def _periods(year: int) -> list[str]:
    """Every month of the year and some periods of every cadence (the undeclared ones are refused alike)."""
    return ([f"{year}-{m:02d}" for m in range(1, 13)] + [f"{year}-05-H1", f"{year}-05-H2", f"{year}-W15",
                                                         f"{year}-W26", f"{year}-Q2", f"{year}-B08"])


@pytest.mark.parametrize("district", ["demo", "donghu-2022", "haizhou-2019"])
def test_the_index_owes_what_the_tables_owe_in_every_period(district, home, tmp_path):
    if district != "demo":
        home = tmp_path / district
        shutil.copytree(example_home(district) / "reference", home / "reference")
    year = 2020 if district == "demo" else example_year(district)
    settings = load_settings(home=home)
    for period in _periods(year):
        try:
            tables = reference_for(settings, period)
        except ValueError as refused:  # a cadence the plan does not declare: refused the same way
            with pytest.raises(ValueError) as also:
                reference_index_for(settings, period)
            assert str(also.value) == str(refused)
            continue
        for _ in range(2):  # written from the tables, then read back
            index = reference_index_for(settings, period)
            assert index.required_units(period) == tables.required_units(period), period
            assert index.unit_names == tables.unit_names
            assert index.unit_codes == list(tables.units.unit_code)
            assert index.unit_kinds == dict(zip(tables.units.unit_code, tables.units.unit_kind))
            assert index.forms_of(period) == tables.forms_of(period)
    assert catalog.reference_index_file(home, year).is_file()


def test_status_from_the_index_is_the_status_from_the_tables(demo_march_home):
    settings = load_settings(home=demo_march_home)
    for period in ("2020-03", "2020-04", "2020-05-H1", "2020-06"):
        with session(settings.db_url) as db:
            want = period_status(settings, db, period, reference_for(settings, period))
        assert cli(demo_march_home, "status", "--period", period, "--json").exit_code == 0  # writes the index
        got = cli(demo_march_home, "status", "--period", period, "--json")  # reads it
        assert got.exit_code == 0, got.output
        assert json.loads(got.output) == want
    assert want["units"] and json.loads(cli(demo_march_home, "status", "--period", "2020-03", "--json").output)[
        "counts"]["on_time"] > 0


def test_a_changed_table_is_read_again_and_a_bad_one_refused_as_before(demo_march_home):
    units_csv = demo_march_home / "reference" / "2020" / "units.csv"
    assert cli(demo_march_home, "status", "--period", "2020-03").exit_code == 0
    text = units_csv.read_text("utf-8-sig")
    units_csv.write_text(text.replace("河坝镇", "河坝新镇", 1), "utf-8")
    shown = cli(demo_march_home, "status", "--period", "2020-03", "--json")
    assert "河坝新镇" in {u["unit_name"] for u in json.loads(shown.output)["units"]}
    units_csv.write_text(text.replace("township", "village", 1), "utf-8")
    refused = cli(demo_march_home, "status", "--period", "2020-03")
    tables = cli(demo_march_home, "validate", "--period", "2020-03")  # loads the tables themselves
    assert refused.exit_code == tables.exit_code == 2
    assert "village" in refused.output and refused.output == tables.output


RUN = """
import sys
from zhuanbao.flows.cli import app
for args in {commands!r}:
    try:
        app(["--home", {home!r}, *args], prog_name="zhuanbao")
    except SystemExit as done:
        assert not done.code, (args, done.code)
print("HEAVY", sorted(m for m in ("pandas", "pyarrow", "numpy") if m in sys.modules))
"""


def test_status_and_ledger_import_no_pandas(demo_march_home):
    commands = [["status", "--period", "2020-03"], ["status", "--period", "2020-03", "--json"],
                ["ledger", "--year", "2020"], ["ledger", "--year", "2020", "--json"]]
    for first in (True, False):  # the first one writes the reference's index from the tables (pandas)
        script = RUN.format(commands=commands[:1] if first else commands, home=str(demo_march_home))
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        heavy = done.stdout.strip().splitlines()[-1]
    assert heavy == "HEAVY []", done.stdout[-2000:]
    assert "2020年报送台账" in done.stdout and "应报" in done.stdout
