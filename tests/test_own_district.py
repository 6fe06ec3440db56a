"""A district set up from district-plan.md alone (issue 24, "Done when"): several lead units, leaders, a
"左右" tolerance, a ceiling, an indicator shared by two units, its own kinds, no projects, no milestone, the
sole reporter of an indicator rejected. Made from the 东湖 example's units and renamed throughout, so nothing of 东湖's plan is left; its
专报 and forms must speak of it alone and keep every item of its plan.
"""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

from zhuanbao.tasks.core.examples import example_home
from zhuanbao.tasks.core.reference import load_reference
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.demo.report_sample import demo_frames, demo_metrics, demo_status
from zhuanbao.tasks.forms.generate import build_form
from zhuanbao.tasks.report.context import build_context
from zhuanbao.tasks.report.render import render_html

PERIOD = "2022-05"
PLAN = '''source = "测试用：自建的工作方案"

[report]
title = "西湖管理区经济工作任务专报"
issuer = "西湖管理区经济工作领导小组办公室"
'''
KINDS = "kind,label,ranked,order\ndepartment,区直部门,true,1\ntownship,街道（社区）,true,2\nstationed,驻区单位,false,3\n" \
        "enterprise,区属国有企业,false,4\n"


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    home = tmp_path_factory.mktemp("own") / "home"
    shutil.copytree(example_home("donghu-2022"), home)
    folder = home / "reference" / "2022"
    (folder / "plan.toml").write_text(PLAN, encoding="utf-8")
    (folder / "kinds.csv").write_text(KINDS, encoding="utf-8")
    (folder / "projects.csv").write_text("project_code,project_name,batch,annual_plan_wan,unit_code,half_year_task\n",
                                         encoding="utf-8")
    indicators = pd.read_csv(folder / "indicators.csv", dtype=str, keep_default_na=False)
    ceiling = {"indicator_code": "I11", "indicator_name": "城镇调查失业率", "measure": "%", "target_kind": "level",
               "direction": "lower", "frequency": "M", "additive": "false", "note": "4.5%左右"}
    pd.concat([indicators, pd.DataFrame([ceiling])]).to_csv(folder / "indicators.csv", index=False)
    targets = pd.read_csv(folder / "targets.csv", dtype=str, keep_default_na=False)
    targets.loc[targets.indicator_code == "I02", ["target_value", "tolerance"]] = ["6.5", "0.5"]  # 6.5 %左右
    extra = [{"unit_code": "D21", "indicator_code": "I11", "target_value": "4.5", "half_year_value": "",
              "tolerance": "0.5", "note": "4.5%左右"},
             {"unit_code": "D21", "indicator_code": "I04", "target_value": "5", "half_year_value": "",  # shared
              "tolerance": "", "note": "与财政局共同承担"}]
    pd.concat([targets, pd.DataFrame(extra)]).to_csv(folder / "targets.csv", index=False)
    tasks = pd.read_csv(folder / "tasks.csv", dtype=str, keep_default_na=False)
    tasks.loc[tasks.task_code == "K01", "leaders"] = "张三;李四"
    tasks.to_csv(folder / "tasks.csv", index=False)
    for path in folder.glob("*.csv"):  # nothing of 东湖 stays: the district's own name everywhere
        path.write_text(path.read_text(encoding="utf-8").replace("东湖", "西湖"), encoding="utf-8")
    (home / "zhuanbao.toml").write_text((home / "zhuanbao.toml").read_text(encoding="utf-8").replace("东湖", "西湖"),
                                        encoding="utf-8")
    settings = load_settings(home=home)
    reference = load_reference(settings, 2022)
    missing, rejected = ("T05",), ("D07",)  # 区商务局: the sole reporter of 社会消费品零售总额
    status = demo_status(settings, reference, PERIOD, missing=missing, rejected=rejected)
    frames = demo_frames(reference, PERIOD, drop=missing + rejected)
    rows = frames["indicators"]
    i02 = rows.indicator_code == "I02"
    rows.loc[i02, "cumulative"] = rows.loc[i02, "last_year_cumulative"].astype(float) * 1.063  # +6.3 %
    i11 = rows.indicator_code == "I11"
    rows.loc[i11, "cumulative"] = 4.8  # under 4.5 + 0.5
    context = build_context(settings, PERIOD, reference, demo_metrics(settings, reference, PERIOD, status, frames),
                            status)
    return settings, reference, context, render_html(context, png=b"")


def test_its_report_speaks_of_it_alone(district):
    _, _, context, html = district
    assert context["title"] == "西湖管理区经济工作任务专报" and "西湖管理区经济工作领导小组办公室" in html
    for word in ("东湖", "大通湖", "双过半", "上半年目标", "距6月底", "强攻二季度", "乡镇（办事处）"):
        assert word not in html, word
    assert context["overview"]["milestones"] == [] and "（一）滞后单位和事项" in html


def test_every_item_is_kept_the_rejected_sole_reporter_is_unreported_and_tolerance_counts(district):
    _, reference, context, _html = district
    rows = {r["name"]: r for r in context["indicators"]["rows"]}
    due = set(reference.assignments(PERIOD).query("form == 'indicators'").code)
    assert {r["code"] for r in rows.values()} == due
    assert context["indicators"]["sentence"].startswith(f"全区口径的{len(due)}项主要指标中")
    retail = rows["社会消费品零售总额"]
    assert (retail["status"], retail["lagging"]) == ("未报", False)
    assert "社会消费品零售总额，商务未报送" in context["indicators"]["sentence"]
    fixed = rows["固定资产投资"]
    assert (fixed["target"], fixed["rate"], fixed["status"]) == ("增长6.5%左右", "增长6.3%", "正常")
    shared = rows["一般公共预算收入"]  # growth, not additive, two units: no district figure, still its row
    assert (shared["unit"], shared["cumulative"]) == ("各单位（不汇总）", "—") and shared["status"] in ("正常", "滞后")
    ceiling = rows["城镇调查失业率"]
    assert (ceiling["target"], ceiling["time_progress"], ceiling["status"]) == ("不高于4.5左右", "—", "正常")


def test_no_projects_no_project_section_and_tasks_with_their_leads_and_leaders(district):
    _, reference, context, html = district
    assert not context["present"]["projects"] and "重点项目推进" not in html and "0个重点项目" not in html
    assert "三、重点任务推进情况" in html and "表2 重点任务推进情况" in html
    k01 = next(r for r in context["tasks"]["rows"] if r["code"] == "K01")
    names = reference.unit_names
    assert k01["lead_cell"] == "、".join(names[u] for u in reference.task_leads["K01"]) + "（牵头区领导：张三、李四）"
    assert len(reference.task_leads["K01"]) == 3
    assert [k["kind"] for k in context["rankings"]["kinds"]][:2] == ["区直部门", "街道（社区）"]
    assert "重点项目" not in {s["name"] for s in context["appendix"]["sheets"]}


def test_its_forms_carry_no_project_rules_and_no_other_districts_words(district):
    settings, reference, _, _ = district
    wb = build_form(settings, reference, PERIOD, "D21")  # 统计局: growth indicators and the ceiling
    text = "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)
    for word in ("空气优良率", "未脱贫人口", "S04", "S05", "项目状态", "东湖", "大通湖"):
        assert word not in text, word
    assert "城镇调查失业率水平类指标填本月末的水平" in text


def test_a_month_run_through_the_steps_gives_receipts_reminders_and_a_report_of_this_district_alone(
        district, tmp_path, fast_pdf):
    """The same district as an office would run its month: workbooks from its own forms' layout in the inbox (the
    sole reporter of 社会消费品零售总额 writes 约500 and is rejected, one street sends nothing), the monthly steps
    in-process, then what the units and the office read: receipts, the 催报 list and the 专报 draft."""
    import json

    from tests.test_incremental import run_month
    from zhuanbao.tasks.demo.figures import generate_month
    from zhuanbao.tasks.demo.generate import write_workbook
    from zhuanbao.tasks.intake.registry import session
    from zhuanbao.tasks.intake.reminders import reminder_list

    source, reference = district[0].home, district[1]
    home = tmp_path / "home"
    shutil.copytree(source, home)
    settings = load_settings(home=home)
    rows_by_unit = generate_month(reference, PERIOD, rng_seed=2022)[0]
    inbox = home / "inbox" / PERIOD
    inbox.mkdir(parents=True)
    for unit, forms in rows_by_unit.items():
        if unit == "T05":
            continue  # 百花洲街道 sends nothing
        forms = {form: [dict(r) for r in rows] for form, rows in forms.items()}
        if unit == "D07":
            forms["indicators"][0]["cumulative"] = "约500"
        write_workbook(inbox / f"{unit}_{PERIOD}.xlsx", reference=reference, unit_code=unit, period=PERIOD, **forms)
    run_month(settings, PERIOD, None, None)

    foreign = ("东湖", "大通湖", "双过半", "南湾湖", "河坝")
    receipts = {json.loads(p.read_text("utf-8"))["unit_code"]: json.loads(p.read_text("utf-8"))
                for p in (home / "reports" / PERIOD / "receipts").glob("*.json")}
    assert receipts["D07"]["outcome"] == "rejected" and receipts["D07"]["unit_name"] == "区商务局"
    assert receipts["D07"]["office"] == settings.issuing_office and "西湖" in settings.issuing_office
    assert all(word not in json.dumps(receipts, ensure_ascii=False) for word in foreign)
    with session(settings.db_url) as db:
        entries, paths = reminder_list(settings, db, PERIOD, reference)
    assert {e["unit_code"] for e in entries} == {"T05", "D07"}
    reminders = paths["markdown"].read_text("utf-8")
    assert "百花洲街道" in reminders and "区商务局" in reminders
    assert all(word not in reminders for word in foreign), reminders
    html = next(p for p in (home / "reports" / PERIOD).glob("专报_*.html")).read_text("utf-8")
    assert "西湖管理区经济工作任务专报" in html and "西湖管理区经济工作领导小组办公室" in html
    assert all(word not in html for word in foreign)
    due = reference.indicators.loc[reference.indicators.frequency == "M", "indicator_name"]  # May: no quarter end
    for name in due:  # every indicator due keeps its row
        assert name in html, name
    assert "社会消费品零售总额" in html and "未报" in html
