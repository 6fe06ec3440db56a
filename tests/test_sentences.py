"""Every generated sentence agrees with itself as printed (issue 25).

The property test renders many random months through the milestone paragraph (一、总体情况 （一）) — random
annual and half-year targets (fractional ones included), cumulative values, counts (家, 个) and amounts
(万元) — and reads each "累计A，完成…目标B的C%，距…目标还差D" back: C is A/B as printed, D = B − A and never 0,
a count is whole and a count's half target that is not whole is rounded up and said so, "月均完成k" times the
months left gives D, and "需在6月全部完成" is said once.
"""
from __future__ import annotations

import math
import re
from datetime import date

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from zhuanbao.tasks.core.plan import Milestone
from zhuanbao.tasks.report.context.milestones import growth_clause, milestone

NAMES = ["新增规模工业企业", "招商引资签约产业项目", "市重点建设项目完成投资", "立项争取资金", "新增市场主体", "争取专项债券"]
COUNTS, AMOUNTS = ["家", "个", "项"], ["万元", "亿元"]
CLAUSE = re.compile(
    r"(?P<name>[^；。，）]+?)累计(?P<a>[\d,.]+)(?P<m>[^\d，；。]+?)，完成(?P<word>[^，；。]*?目标)(?P<b>[\d,.]+)(?P=m)"
    r"(?:（(?P<raw>[\d,.]+)(?P=m)向上取整）)?的(?P<c>[\d.]+)%"
    r"(?:(?P<past>，已过(?P=word))|，距(?P=word)还差(?P<d>[\d,.]+)(?P=m)"
    r"(?:，(?P<first>\d+)—(?P<last>\d+)月(?:需月均完成(?P<monthly>[\d,.]+)(?P=m)|共需完成(?P<total>[\d,.]+)(?P=m)))?)")


def number(text: str) -> float:
    return float(text.replace(",", ""))


@st.composite
def indicator(draw, name: str) -> dict:
    counted = draw(st.booleans())
    measure = draw(st.sampled_from(COUNTS if counted else AMOUNTS))
    if counted:
        target = float(draw(st.integers(1, 40)))
        cumulative = float(draw(st.integers(0, int(target) + 3)))
    else:
        target = draw(st.floats(0.5, 500_000, allow_nan=False))
        cumulative = draw(st.floats(0, target * 1.2, allow_nan=False))
    half = draw(st.one_of(st.none(), st.floats(0.1, max(target, 0.2), allow_nan=False),
                          st.just(target / 2), st.just(math.floor(target / 2) + 0.5)))
    return {"indicator_code": name, "indicator_name": name, "measure": measure, "target_kind": "amount",
            "aggregation": "sum", "target_value": target, "half_year_value": half, "cumulative": cumulative,
            "completion": cumulative / target, "growth_pct": float("nan"), "on_track": False, "lagging": True}


@st.composite
def month_of(draw) -> tuple[pd.DataFrame, int, Milestone]:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=len(NAMES), unique=True))
    rows = [draw(indicator(n)) for n in names]
    which = draw(st.sampled_from([(date(2020, 6, 30), 0.5), (date(2020, 6, 30), 0.6), (date(2020, 9, 30), 0.75)]))
    m = Milestone("双过半" if which[1] == 0.5 else "阶段目标", *which)
    return pd.DataFrame(rows), draw(st.integers(1, m.date.month)), m


def paragraph(totals: pd.DataFrame, month: int, m: Milestone) -> str:
    empty = pd.DataFrame({"batch": [], "projects": [], "completed": [], "started": [], "on_track": [],
                          "cumulative_investment": []})
    projects = pd.DataFrame({"half_year_task": [], "batch": [], "reported": [], "on_track": [], "project_name": []})
    metrics = {"district_totals": totals, "batch_summary": empty, "project_metrics": projects}
    return milestone(metrics, month, 30, m)["text"]


def check_clause(c: re.Match, m: Milestone, month: int) -> None:
    a, b, shown_c = number(c["a"]), number(c["b"]), float(c["c"])
    counted = c["m"] in COUNTS
    assert b > 0, c[0]
    assert abs(shown_c - a / b * 100) <= 0.05 + 1e-9, c[0]  # C is A/B as printed, rounded once
    if counted:  # counts are whole: no "1.5家", no decimals at all
        assert "." not in c["a"] + c["b"] + (c["d"] or "") + (c["monthly"] or "") + (c["total"] or ""), c[0]
    if c["raw"]:  # a count's target that is not whole is rounded up, and the sentence says so
        raw = number(c["raw"])
        assert counted and b - 1 < raw < b, c[0]
    if c["past"]:
        assert a >= b, c[0]
        return
    d = number(c["d"])
    assert a < b and d > 0, c[0]  # never "还差0"
    assert abs(d - (b - a)) < 1e-6, c[0]  # D = B − A as printed
    left = m.date.month - month
    if c["monthly"]:
        assert int(c["first"]) == month + 1 and int(c["last"]) == m.date.month, c[0]
        monthly = number(c["monthly"])
        if counted:
            assert monthly * left == d, c[0]  # "月均完成k家" only when it adds up
        else:
            assert abs(monthly * left - d) <= 0.05 * left + 1e-6, c[0]
    if c["total"]:
        assert number(c["total"]) == d and counted, c[0]


@settings(max_examples=200, deadline=None)  # ~6 s on a busy 2-core machine
@given(month_of())
def test_every_milestone_sentence_agrees_with_itself(case):
    totals, month, m = case
    text = paragraph(totals, month, m)
    clauses = list(CLAUSE.finditer(text))
    assert len(clauses) == len(totals), text  # every indicator's sentence is read back
    for c in clauses:
        check_clause(c, m, month)
    assert not re.search(r"还差0(?![.\d])", text) and not re.search(r"\d\.\d+[家个项](?!向上取整)", text), text
    assert text.count("全部完成") <= 1, text  # "6月需全部完成" once, not once per indicator
    if m.date.month - month == 1 and any(not c["past"] for c in clauses):
        assert f"需在{m.date.month}月全部完成" in text, text


def test_demo_half_year_count_targets_are_rounded_up_and_agree():
    """I10 (3家 a year) and I13 (5个) without half_year_value: 1.5 and 2.5 print as 2 and 3, said so."""
    rows = pd.DataFrame([
        {"indicator_code": "I10", "indicator_name": "新增规模工业企业", "measure": "家", "target_value": 3.0,
         "cumulative": 1.0},
        {"indicator_code": "I13", "indicator_name": "招商引资签约产业项目", "measure": "个", "target_value": 5.0,
         "cumulative": 1.0}]).assign(target_kind="amount", aggregation="sum", half_year_value=None, on_track=False,
                                     lagging=True, growth_pct=float("nan"), completion=0.3)
    may = paragraph(rows, 5, Milestone("双过半", date(2020, 6, 30), 0.5))
    assert "新增规模工业企业累计1家，完成上半年目标2家（1.5家向上取整）的50.0%，距上半年目标还差1家" in may
    assert "招商引资签约产业项目累计1个，完成上半年目标3个（2.5个向上取整）的33.3%，距上半年目标还差2个" in may
    assert may.count("需在6月全部完成") == 1 and "上述2项需在6月全部完成" in may
    april = paragraph(rows, 4, Milestone("双过半", date(2020, 6, 30), 0.5))
    assert "还差1家，5—6月共需完成1家" in april  # not "月均完成1家" twice for one 家
    assert "还差2个，5—6月需月均完成1个" in april


def test_growth_equal_at_one_decimal_prints_more_decimals():
    row = pd.Series({"indicator_name": "技改投资", "growth_pct": 35.96, "target_value": 36.0, "lagging": True})
    assert growth_clause(row) == "技改投资增长35.96%（目标36.00%，低于目标）"
    row = pd.Series({"indicator_name": "技改投资", "growth_pct": 29.74, "target_value": 36.0, "lagging": True})
    assert growth_clause(row) == "技改投资增长29.7%（目标36.0%，低于目标）"
