"""A year of a small district with three cadences together (issue 26, "Done when"): the 大通湖 demo's units with
a monthly dispatch (2020-03..2020-05), a half-month project dispatch (April and May) and a weekly task dispatch
(weeks 15–22, 6 April – 31 May), every file generated here, run period by period in date order, each month's
专报 reviewed and signed. Cases: late and missing in every cadence, a weekly file rejected with nothing after it,
a downward correction of April after its signing (虚报).

`ledger --json` and `assess --json` are checked against figures worked out here alone: which units owe what
from the reference tables, deadlines with plain date arithmetic, standings from the files' arrival times (mtimes)
and which files the test spoilt, scores read from the parquet partitions with pandas.
"""
from __future__ import annotations

import calendar
import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.test_incremental import run_month
from tests.year_scenario import CORRECTIONS, SHANGHAI, correct_april
from zhuanbao.flows.cli import app
from zhuanbao.tasks.core.reference import load_reference
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.demo.figures import generate_month
from zhuanbao.tasks.demo.generate import write_workbook
from zhuanbao.tasks.demo.half_month import build_half_month_inbox
from zhuanbao.tasks.demo.scenario import DEMO_APPROVALS, DEMO_RUNS, approve_demo_run

MONTHS = ["2020-03", "2020-04", "2020-05"]
HALVES = ["2020-04-H1", "2020-04-H2", "2020-05-H1", "2020-05-H2"]
WEEKS = [f"2020-W{w:02d}" for w in range(15, 23)]
WEEKLY = '''
[[cadences]]
name = "任务周调度"
every = "week"
tables = ["tasks"]
deadline_days = 2
report = "通报"
'''
KINDS = "kind,label,ranked,order\ntownship,乡镇,true,1\ndepartment,区直部门,true,2\npark,园区,false,3\n" \
        "enterprise,国有企业,false,4\n"
WEEK_LATE, WEEK_MISSING, WEEK_SPOILT = ("2020-W16", "T01"), ("2020-W20", "D02"), ("2020-W18", "P01")
SPOILT = {"D02_2020-04.xlsx", f"{WEEK_SPOILT[1]}_{WEEK_SPOILT[0]}.xlsx"}  # rejected: the demo's D02, our P01 week
WEIGHTS = {"2020-03": 1.0, "2020-04": 1.0, "2020-05": 2.0}


# --- the calendar, worked out here --------------------------------------------------------------------------

def span(label: str) -> tuple[date, date]:
    """First and last day of a month, half month or ISO week label."""
    if "-W" in label:
        week = int(label[-2:])
        return date.fromisocalendar(2020, week, 1), date.fromisocalendar(2020, week, 7)
    year, month = int(label[:4]), int(label[5:7])
    last = calendar.monthrange(year, month)[1]
    if label.endswith("-H1"):
        return date(year, month, 1), date(year, month, 15)
    if label.endswith("-H2"):
        return date(year, month, 16), date(year, month, last)
    return date(year, month, 1), date(year, month, last)


def deadline(label: str) -> datetime:
    """A month: the 15th of the next, 23:59:59; a half month 3 days after its end, a week 2 days after."""
    if len(label) == 7:
        year, month = int(label[:4]), int(label[5:])
        closing = date(year + month // 12, month % 12 + 1, 15)
    else:
        closing = span(label)[1] + timedelta(days=3 if "-H" in label else 2)
    return datetime(closing.year, closing.month, closing.day, 23, 59, 59, tzinfo=SHANGHAI)


def run_day(label: str) -> str:
    """A sub-monthly period runs the day after its deadline at 09:00."""
    day = deadline(label).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=SHANGHAI).isoformat()


def owing(home: Path) -> dict[str, list[str]]:
    """Per kind of period, the units that owe it: every unit a month, the project units a half, the task units a week."""
    folder = home / "reference" / "2020"
    units = list(pd.read_csv(folder / "units.csv", dtype=str)["unit_code"])
    projects = set(pd.read_csv(folder / "projects.csv", dtype=str)["unit_code"])
    tasks = pd.read_csv(folder / "tasks.csv", dtype=str, keep_default_na=False)
    task_units = set(tasks["lead_unit"]) | {c for text in tasks["co_units"] for c in text.split(";") if c}
    return {"month": units, "half": [u for u in units if u in projects], "week": [u for u in units if u in task_units]}


def kind_of(label: str) -> str:
    return "week" if "-W" in label else "half" if "-H" in label else "month"


def expected_standings(home: Path) -> dict[str, dict[str, list[str]]]:
    """unit → {on_time, late, missing, rejected, downward: [labels]} from the inbox's files and their mtimes."""
    owed = owing(home)
    out = {u: {k: [] for k in ("on_time", "late", "missing", "rejected", "downward")} for u in owed["month"]}
    for label in MONTHS + HALVES + WEEKS:
        files: dict[str, list[tuple[float, str]]] = {}
        for path in (home / "inbox" / label).iterdir():
            files.setdefault(path.name.split("_")[0], []).append((path.stat().st_mtime, path.name))
        for unit in owed[kind_of(label)]:
            arrived = sorted(files.get(unit, []))
            good = [(t, n) for t, n in arrived if n not in SPOILT]
            if good:
                late = datetime.fromtimestamp(good[-1][0], SHANGHAI) > deadline(label)
                out[unit]["late" if late else "on_time"].append(label)
            else:
                out[unit]["rejected" if arrived else "missing"].append(label)
    for unit, (_, _, change, _) in CORRECTIONS.items():
        if change < 0:
            out[unit]["downward"].append("2020-04")
    return out


def in_order(labels: list[str]) -> list[str]:
    """By last day; of periods ending the same day the shorter first (a week, then a half, then its month)."""
    return sorted(labels, key=lambda label: (span(label)[1], -span(label)[0].toordinal()))


# --- the district's files and runs ---------------------------------------------------------------------------

def write_weeks(home: Path, reference) -> None:
    """Each task unit's tasks for each week (its month's figures), arriving the day after the week; the cases."""
    state, by_month = None, {}
    for month in MONTHS:
        by_month[month], state = generate_month(reference, month, rng_seed=2020, prev_state=state)
    for label in WEEKS:
        first, last = span(label)
        rows_by_unit = by_month[f"{last.year}-{last.month:02d}"]
        for unit in owing(home)["week"]:
            if (label, unit) == WEEK_MISSING:
                continue
            rows = [dict(r) for r in rows_by_unit[unit]["tasks"]]
            if (label, unit) == WEEK_SPOILT:
                rows[0]["progress_pct"] = "约50"
            day = last + timedelta(days=1)
            arrival = datetime(day.year, day.month, day.day, 10, 0, tzinfo=SHANGHAI)
            if (label, unit) == WEEK_LATE:  # the morning of the run, after the deadline
                arrival = datetime.fromisoformat(run_day(label)) - timedelta(hours=1)
            path = write_workbook(home / "inbox" / label / f"{unit}_{label}.xlsx", reference=reference, unit_code=unit,
                                  period=label, tasks=rows, reported_on=arrival)
            os.utime(path, (arrival.timestamp(), arrival.timestamp()))


def build_district(built: Path, home: Path) -> Path:
    import shutil

    shutil.copytree(built, home, symlinks=True)
    folder = home / "reference" / "2020"
    (folder / "plan.toml").write_text((folder / "plan.toml").read_text(encoding="utf-8") + WEEKLY, encoding="utf-8")
    (folder / "kinds.csv").write_text(KINDS, encoding="utf-8")
    (home / "zhuanbao.toml").write_text('assess_leaders = 2\n\n[assess_weights]\n"2020-05" = 2.0\n', encoding="utf-8")
    settings = load_settings(home=home)
    reference = load_reference(settings, 2020)
    build_half_month_inbox(home, reference, "2020-04", seed=2020)  # May's halves are the demo's own
    write_weeks(home, reference)
    correct_april(home)  # T02 lower (虚报) and D01 higher, after April's 专报 was signed
    script = [(p, at, reason, approval) for (p, at, reason), approval in zip(DEMO_RUNS, DEMO_APPROVALS, strict=True)]
    script += [(label, run_day(label), None, None) for label in HALVES + WEEKS]
    script.append(("2020-04", "2020-05-25T09:00:00+08:00", "签发后两单位更正4月数据", None))
    for period, as_of, reason, approval in sorted(script, key=lambda step: datetime.fromisoformat(step[1])):
        run_month(settings, period, as_of, reason)
        if approval:
            approve_demo_run(settings, period, *approval)
    return home


@pytest.fixture(scope="module")
def district(built_demo_inbox, tmp_path_factory) -> Path:
    from zhuanbao.tasks.report import render

    with pytest.MonkeyPatch.context() as patch:  # PDFs are not read here (tests/conftest.py fast_pdf)
        patch.setattr(render, "write_pdf", lambda html, out, **_: Path(out).write_bytes(b"%PDF-stub\n") and Path(out))
        return build_district(built_demo_inbox, tmp_path_factory.mktemp("cadences") / "home")


def cli_json(home: Path, *args: str) -> dict:
    result = CliRunner().invoke(app, ["--home", str(home), *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.slow
def test_the_ledger_of_three_cadences_matches_the_files(district):
    ledger = cli_json(district, "ledger", "--year", "2020")
    expected = expected_standings(district)
    assert ledger["periods"] == in_order(MONTHS + HALVES + WEEKS)
    assert ledger["names"]["2020-05-H1"] == "2020年5月上半月" and ledger["names"]["2020-W16"].startswith("2020年第16周")
    assert [u["unit_code"] for u in ledger["units"]] == owing(district)["month"]
    for unit in ledger["units"]:
        want, code = expected[unit["unit_code"]], unit["unit_code"]
        for key in ("on_time", "late", "missing", "rejected"):
            assert unit[key]["periods"] == in_order(want[key]), (code, key)
            assert unit[key]["count"] == len(want[key])
        assert unit["corrected_after_signing"]["downward"] == want["downward"], code
    # every cadence has its cases
    assert WEEK_LATE[0] in expected[WEEK_LATE[1]]["late"] and WEEK_MISSING[0] in expected[WEEK_MISSING[1]]["missing"]
    assert expected[WEEK_SPOILT[1]]["rejected"] == [WEEK_SPOILT[0]]
    assert "2020-04-H1" in expected["T03"]["late"] and "2020-05-H2" in expected["D09"]["missing"]
    assert expected["T04"]["late"] == ["2020-04"] and expected["T05"]["missing"] == ["2020-05"]
    assert expected["T02"]["downward"] == ["2020-04"]


@pytest.mark.slow
def test_through_a_month_takes_every_period_ending_by_its_last_day(district):
    ledger = cli_json(district, "ledger", "--year", "2020", "--through", "2020-04")
    ending = [p for p in MONTHS + HALVES + WEEKS if span(p)[1] <= date(2020, 4, 30)]
    assert ledger["periods"] == in_order(ending) and "2020-W17" in ending and "2020-W18" not in ending
    by_week = cli_json(district, "ledger", "--year", "2020", "--through", "2020-W18")
    assert by_week["periods"] == in_order([p for p in MONTHS + HALVES + WEEKS if span(p)[1] <= date(2020, 5, 3)])


def expected_assessment(home: Path) -> dict:
    """Scores (months only, weighted), ranks in the ranked kinds, bars from any cadence, 2 先进 a ranked kind."""
    units = pd.read_csv(home / "reference" / "2020" / "units.csv", dtype=str)
    standings = expected_standings(home)
    total: dict[str, float] = {}
    weight: dict[str, float] = {}
    for month in MONTHS:
        scores = pd.read_parquet(home / "curated" / "metrics_unit_scores" / f"period={month}" / "data.parquet")
        for code, score in zip(scores["unit_code"], scores["score"], strict=True):
            total[code] = total.get(code, 0.0) + WEIGHTS[month] * score
            weight[code] = weight.get(code, 0.0) + WEIGHTS[month]
    score = {code: round(total[code] / weight[code], 2) for code in total}
    barred = {code for code, s in standings.items() if s["late"] or s["missing"] or s["rejected"] or s["downward"]}
    advanced, ranks = set(), {}
    for kind in ("township", "department"):
        ordered = sorted(units.loc[units.unit_kind == kind, "unit_code"], key=lambda c: (-score[c], c))
        ranks |= {c: 1 + sum(1 for o in ordered if score[o] > score[c]) for c in ordered}
        advanced |= set([c for c in ordered if c not in barred][:2])
    return {"score": score, "barred": barred, "advanced": advanced, "ranks": ranks}


@pytest.mark.slow
def test_the_assessment_scores_months_and_bars_late_or_missing_in_any_cadence(district):
    result = cli_json(district, "assess", "--year", "2020")
    want = expected_assessment(district)
    half_scores = district / "curated" / "metrics_unit_scores" / "period=2020-05-H1" / "data.parquet"
    assert result["scored_periods"] == MONTHS and result["weights"] == WEIGHTS
    assert len(pd.read_parquet(half_scores))  # stored for a half month, yet not scored
    lines = {u["unit_code"]: u for g in result["kinds"] for u in g["units"]}
    assert {c: u["score"] for c, u in lines.items()} == pytest.approx(want["score"])
    assert {c: u["rank"] for c, u in lines.items() if c in want["ranks"]} == want["ranks"]
    assert {b["unit_code"] for b in result["barred"]} == want["barred"]
    assert {c for c, u in lines.items() if u["advanced"]} == want["advanced"]
    records = {b["unit_code"]: {r["record"]: r["periods"] for r in b["records"]} for b in result["barred"]}
    assert WEEK_LATE[0] in records[WEEK_LATE[1]]["延误上报"] and records[WEEK_MISSING[1]]["漏报"] == [WEEK_MISSING[0]]
    assert records[WEEK_SPOILT[1]]["漏报"] == [WEEK_SPOILT[0]] and "2020-04" in records["T02"]["虚报"]
    assert "半月、周等调度不计分" in result["scoring_rule"]
    html = Path(result["files"]["html"]).read_text("utf-8")
    assert "半月、周等调度不计分" in html and "2020年第16周" in html  # the 考核通报 says so and names the week
    printed = CliRunner().invoke(app, ["--home", str(district), "assess", "--year", "2020", "--through", "2020-05"])
    assert printed.exit_code == 0 and "半月、周等调度不计分" in printed.output and "第16周" in printed.output
