"""The assessment (issue 26): weighted scores over the periods, ranks within each ranked kind, the 先进, the units
barred for 延误上报 / 漏报 / 虚报 with their records, and the 考核通报's files — checked against the stored monthly
scores read directly and the scenario's files (tests/year_scenario.py: assess_weights 2020-05 = 2, 2 先进 a kind)."""
from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from docx import Document

from tests.test_ledger import cli, year_home  # noqa: F401 — the scenario's home, built once for this module
from tests.year_scenario import expected_standings

WEIGHTS = {"2020-03": 1.0, "2020-04": 1.0, "2020-05": 2.0}


def expected_assessment(home: Path, periods: list[str]) -> dict:
    """Scores, ranks, bars and 先进 worked out from the parquet partitions, units.csv and the files."""
    units = pd.read_csv(home / "reference" / "2020" / "units.csv", dtype=str)
    standings = expected_standings(home, list(units["unit_code"]))
    total: dict[str, float] = {}
    weight: dict[str, float] = {}
    for period in periods:
        scores = pd.read_parquet(home / "curated" / "metrics_unit_scores" / f"period={period}" / "data.parquet")
        for code, score in zip(scores["unit_code"], scores["score"], strict=True):
            total[code] = total.get(code, 0.0) + WEIGHTS[period] * score
            weight[code] = weight.get(code, 0.0) + WEIGHTS[period]
    score = {code: total[code] / weight[code] for code in total}
    barred = {code for code, s in standings.items()
              if any(p in periods for p in s["late"] + s["missing"] + s["rejected"] + s["downward"])}
    advanced, ranks = set(), {}
    for _, members in units.groupby("unit_kind"):
        ordered = sorted(members["unit_code"], key=lambda c: (-round(score[c], 2), c))
        for code in ordered:
            ranks[code] = 1 + sum(1 for other in ordered if round(score[other], 2) > round(score[code], 2))
        advanced |= set([c for c in ordered if c not in barred][:2])
    return {"score": score, "barred": barred, "advanced": advanced, "ranks": ranks}


def assessed(home: Path, *through: str) -> dict:
    result = cli(home, "assess", "--year", "2020", *(("--through", through[0]) if through else ()), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.slow
@pytest.mark.parametrize("through", [None, "2020-04"])
def test_scores_ranks_bars_and_leaders_match_an_independent_count(year_home, through):
    result = assessed(year_home, *((through,) if through else ()))
    periods = ["2020-03", "2020-04"] if through else ["2020-03", "2020-04", "2020-05"]
    assert result["periods"] == periods and result["weights"] == {p: WEIGHTS[p] for p in periods}
    want = expected_assessment(year_home, periods)
    lines = {u["unit_code"]: u for g in result["kinds"] for u in g["units"]}
    assert set(lines) == set(want["score"])
    for code, line in lines.items():
        assert line["score"] == pytest.approx(want["score"][code], abs=0.006), code
        assert line["rank"] == want["ranks"][code], code
    assert {b["unit_code"] for b in result["barred"]} == want["barred"]
    assert {c for c, u in lines.items() if u["advanced"]} == want["advanced"]
    assert all(len(g["advanced"]) <= 2 for g in result["kinds"])


@pytest.mark.slow
def test_each_barred_unit_lists_its_records(year_home):
    records = {b["unit_code"]: {r["record"]: r["periods"] for r in b["records"]} for b in assessed(year_home)["barred"]}
    assert records["T04"] == {"延误上报": ["2020-04"]}
    assert records["T05"] == {"漏报": ["2020-05"]} and records["E01"] == {"漏报": ["2020-05"]}
    assert records["T02"] == {"延误上报": ["2020-04"], "虚报": ["2020-04"]}  # its correction arrived late, and lower
    assert records["D01"] == {"延误上报": ["2020-04"]}  # corrected upward: late, not 虚报


@pytest.mark.slow
def test_the_notice_is_written_in_every_format_under_the_years_reports(year_home):
    result = assessed(year_home, "2020-05")
    files = {fmt: Path(path) for fmt, path in result["files"].items()}
    assert all(p.parent == year_home / "reports" / "2020" and p.exists() for p in files.values())
    html = files["html"].read_text("utf-8")
    assert "送审稿" in html and "考核情况的通报" in html and "南湾湖办事处：漏报（2020年5月）" in html
    text = "\n".join(p.text for p in Document(str(files["docx"])).paragraphs)
    assert "不得评为先进的单位" in text and "北洲子镇：延误上报（2020年4月）" in text
    book = openpyxl.load_workbook(files["xlsx"], read_only=True)
    assert "报送台账" in book.sheetnames and len(book.sheetnames) == len(result["kinds"]) + 1
    printed = cli(year_home, "assess", "--year", "2020", "--through", "2020-05")
    assert printed.exit_code == 0 and "先进" in printed.output and "考核通报（送审稿）" in printed.output


def test_later_months_can_weigh_more_and_single_periods_can_be_weighted(home):
    from zhuanbao.tasks.core.settings import load_settings
    from zhuanbao.tasks.year.assess import period_weights

    periods = ["2020-03", "2020-04", "2020-05"]
    assert period_weights(load_settings(home=home), periods) == dict.fromkeys(periods, 1.0)
    later = load_settings(home=home, assess_later_weigh_more=True, assess_weights={"2020-05": 2})
    assert period_weights(later, periods) == {"2020-03": 1.0, "2020-04": 2.0, "2020-05": 6.0}


def test_a_barred_unit_keeps_its_rank_but_the_next_clean_one_is_named_and_unranked_kinds_are_listed():
    from zhuanbao.tasks.core.plan import Kind, Kinds
    from zhuanbao.tasks.year.assess import _group

    def unit(code, kind, score, records=()):
        return {"unit_code": code, "unit_name": code, "unit_kind": kind, "score": score, "scores": {}, "rank": None,
                "advanced": False, "records": list(records)}

    late = [{"record": "延误上报", "periods": ["2020-04"]}]
    lines = [unit("A", "town", 90.0, late), unit("B", "town", 80.0), unit("C", "town", 80.0), unit("D", "town", 50.0),
             unit("S", "stationed", 99.0)]
    kinds = Kinds((Kind("town", "乡镇", True, 1), Kind("stationed", "驻区单位", False, 2)), declared=True)
    town, stationed = _group(kinds, lines, leaders=2)
    assert [(u["unit_code"], u["rank"]) for u in town["units"]] == [("A", 1), ("B", 2), ("C", 2), ("D", 4)]
    assert town["advanced"] == ["B", "C"]
    assert stationed["ranked"] is False and stationed["units"][0]["rank"] is None and stationed["advanced"] == []
