"""Each example district's 专报 speaks of that district alone and keeps every item of its plan (issue 24).

Built in-process from the demo generator's figures for the example's reference (the same scenario as
大通湖's: T04 late, T05 missing, D02 rejected), so no server and no flow run is needed.
"""
from __future__ import annotations

import shutil

import pytest

from zhuanbao.tasks.core.examples import example_home, example_year
from zhuanbao.tasks.core.reference import load_reference
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.demo.districts import demo_periods
from zhuanbao.tasks.demo.report_sample import demo_frames, demo_metrics, demo_status
from zhuanbao.tasks.report.context import build_context
from zhuanbao.tasks.report.render import render_html

OTHERS = {"donghu-2022": ("大通湖", "奋战一百天", "海州", "2019项目年"),
          "haizhou-2019": ("大通湖", "奋战一百天", "东湖", "双过半", "强攻二季度")}


@pytest.fixture(scope="module", params=sorted(OTHERS))
def district(request, tmp_path_factory):
    name = request.param
    home = tmp_path_factory.mktemp(name) / "home"
    shutil.copytree(example_home(name), home)
    settings = load_settings(home=home)
    reference = load_reference(settings, example_year(name))
    out = {}
    for period in demo_periods(reference)[1:]:  # the month before the milestone and the milestone's month
        status = demo_status(settings, reference, period)
        metrics = demo_metrics(settings, reference, period, status, demo_frames(reference, period))
        context = build_context(settings, period, reference, metrics, status)
        out[period] = (context, render_html(context, png=b""))
    return name, reference, out


def test_the_report_has_its_own_title_issuer_and_milestone_and_no_other_districts_words(district):
    name, reference, months = district
    for period, (context, html) in months.items():
        assert context["title"] == reference.plan.title and html.count(reference.plan.title) >= 1
        assert context["issue"]["office"] == reference.plan.issuer and reference.plan.issuer in html
        for word in OTHERS[name]:
            assert word not in html, (period, word)
        names = [m["name"] for m in context["overview"]["milestones"]]
        assert names == [m.name for m in reference.plan.milestones if m.date.month == 6], period
        for m in names:
            assert f"（{'一二'[names.index(m)]}）“{m}”进展" in html


def test_every_indicator_project_and_task_of_the_plan_is_in_its_table(district):
    _, reference, months = district
    for period, (context, _html) in months.items():
        due = reference.assignments(period).query("form == 'indicators'")
        assert {r["code"] for r in context["indicators"]["rows"]} == set(due.code)
        assert context["indicators"]["sentence"].startswith(f"全区口径的{due.code.nunique()}项主要指标中")
        by_unit = {(r["unit_name"], r["code"]) for r in context["indicators"]["by_unit"]}
        assert len(by_unit) == len(due) or context["indicators"]["by_unit_more"]
        projects = {r["code"] for b in context["projects"]["batches"] for r in b["rows"]}
        assert projects == set(reference.projects.project_code) or context["projects"]["more"]
        tasks = {r["code"] for r in context["tasks"]["rows"]}
        assert tasks == set(reference.tasks.task_code) or context["tasks"]["more"]


def test_a_unit_that_did_not_report_is_named_unreported_never_lagging(district):
    _, reference, months = district
    missing = reference.units.set_index("unit_code").short_name["T05"]
    for period, (context, _html) in months.items():
        lagging, _, unreported = context["overview"]["lagging_units"].partition("另有")
        assert missing not in lagging, period
        if reference.assignments(period).query("unit_code == 'T05'").shape[0]:
            assert missing in unreported, period


def test_tasks_name_all_their_lead_units_and_leaders(district):
    _, reference, months = district
    context, _html = next(iter(months.values()))
    names = reference.unit_names
    rows = {r["code"]: r for r in context["tasks"]["rows"]}
    for code, leads in reference.task_leads.items():
        if code in rows:
            assert rows[code]["lead"] == "、".join(names[u] for u in leads)
            assert rows[code]["leaders"] == "、".join(reference.task_leaders[code])
    areas = list(dict.fromkeys(reference.tasks.task_area))
    if len(areas) > 1:
        assert [g["area"] for g in context["tasks"]["groups"]] == areas


def test_the_plans_by_leader_switch_adds_the_tasks_listed_by_leader(district):
    _, reference, months = district
    context, html = next(iter(months.values()))
    if reference.plan.by_leader:  # 海州 2019
        people = list(dict.fromkeys(p for names in reference.task_leaders.values() for p in names))
        assert [r["leader"] for r in context["tasks"]["by_leader"]] == people and "按牵头区领导列示" in html
        assert all(r["text"].startswith(f"{r['leader']}：牵头") for r in context["tasks"]["by_leader"])
    else:
        assert context["tasks"]["by_leader"] == [] and "按牵头区领导列示" not in html


@pytest.mark.parametrize("name", sorted(OTHERS))
def test_each_example_runs_its_first_month_end_to_end_from_its_own_inbox(name, tmp_path, fast_pdf):
    """`zhuanbao demo --district NAME`'s first month without Prefect: its generated inbox (clean, messy, late,
    rejected, a legacy .xls) through the monthly steps to receipts and a 专报 draft of that district alone."""
    import json

    from tests.test_incremental import run_month
    from zhuanbao.tasks.demo.districts import prepare_district_home

    home = tmp_path / "home"
    manifest, script = prepare_district_home(home, name)
    first = script[0]
    settings = load_settings(home=home)
    checked = run_month(settings, first["period"], first["as_of"], None)
    reference = load_reference(settings, example_year(name))
    arrived = [e for e in manifest if e["period"] == first["period"] and e["arrival"] <= first["as_of"]]
    assert checked["files"] == len(arrived)
    assert checked["rejected"] == sum(e["kind"] == "rejected" for e in arrived)
    receipts = [json.loads(p.read_text("utf-8")) for p in (home / "reports" / first["period"] / "receipts").glob("*.json")]
    html = next((home / "reports" / first["period"]).glob("专报_*.html")).read_text("utf-8")
    for text in (html, json.dumps(receipts, ensure_ascii=False)):
        for word in OTHERS[name]:
            assert word not in text, word
    assert reference.plan.title in html and reference.plan.issuer in html
    due = reference.assignments(first["period"]).query("form == 'indicators'")
    names = reference.indicators.set_index("indicator_code").indicator_name
    for code in due.code.unique():  # every indicator due keeps its row, reported or not
        assert names[code] in html, names[code]
