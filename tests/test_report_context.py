"""What the 专报 says (issue 13): 双过半 first, rankings that state ties, the chart's colours by the
text's rule, unexplained soft flags, dates from the run's moment, one format per column."""
from __future__ import annotations

import re

import pandas as pd

from zhuanbao.tasks.demo.report_sample import demo_flags, demo_frames, demo_metrics, demo_status
from zhuanbao.tasks.report.context import build_context
from zhuanbao.tasks.report.render import render_html

PERIOD = "2020-04"
AS_OF = "2020-05-16T09:00:00+08:00"


def context_for(settings, reference, *, flags=None, as_of=AS_OF):
    status = demo_status(settings, reference, PERIOD)
    metrics = demo_metrics(settings, reference, PERIOD, status, demo_frames(reference, PERIOD))
    return build_context(settings, PERIOD, reference, {**metrics, "flags": flags}, status, as_of=as_of)


def context_missing(settings, reference, *units: str) -> dict:
    """The sample month with `units` also not reporting."""
    missing = ("T05", *units)
    status = demo_status(settings, reference, PERIOD, missing=missing)
    frames = demo_frames(reference, PERIOD, drop=(*missing, "D02"))
    return build_context(settings, PERIOD, reference, demo_metrics(settings, reference, PERIOD, status, frames),
                         status, as_of=AS_OF)


def test_first_section_leads_with_double_half_then_lagging_units_then_reporting(settings, reference):
    context = context_for(settings, reference)
    overview = context["overview"]
    assert "双过半" in overview["double_half_text"] and "上半年目标" in overview["double_half_text"]
    lagging = [r["name"] for r in context["indicators"]["rows"] if r["lagging"] and r["kind"] in ("总量", "增速")]
    assert all(name in overview["double_half_text"] for name in lagging)
    assert "竣工完工项目8个，已竣工" in overview["double_half_text"]  # project batches, by their own rule
    html = render_html(context, png=b"")
    order = [html.index(text) for text in ("“双过半”进展", "滞后单位和事项", "（三）报送情况", "二、主要指标完成情况")]
    assert order == sorted(order)


def test_reporting_is_as_of_the_run_in_the_office_time_zone(settings, reference):
    overview = context_for(settings, reference)["overview"]
    assert overview["headline"].startswith("截至2020年5月16日 09:00，全区应报单位18个")
    later = context_for(settings, reference, as_of="2020-05-16T03:30:00+00:00")["overview"]
    assert later["headline"].startswith("截至2020年5月16日 11:30")  # UTC given, Shanghai printed


def test_a_tie_for_first_is_stated_and_a_unit_alone_in_its_kind_is_not_ranked(settings, reference):
    kinds = {k["kind"]: k for k in context_for(settings, reference)["rankings"]["kinds"]}
    departments, park = kinds["区直部门"], kinds["园区"]
    best = [r["unit"] for r in departments["rows"] if r["rank"] == "1"]
    assert len(best) > 1 and "并列第一" in departments["sentence"] and all(u in departments["sentence"] for u in best)
    assert park["ranked"] is False and "不参与排名" in park["sentence"] and "排名第一" not in park["sentence"]
    assert [r["rank"] for r in park["rows"]] == ["—"]


def test_chart_colours_bars_by_the_same_rule_as_the_text(settings, reference):
    context = context_for(settings, reference)
    by_name = {r["name"]: r["lagging"] for r in context["indicators"]["rows"]}
    items = context["chart"]["items"]
    assert not any("项目投资" in i["label"] for i in items)  # batches are judged by status, not drawn as completion
    for item in items:
        if item["label"] in by_name:
            assert item["lagging"] == by_name[item["label"]], item


def test_a_level_target_of_zero_reads_as_words_not_an_inequality(settings, reference):
    rows = {r["name"]: r for r in context_for(settings, reference)["indicators"]["rows"]}
    assert rows["未脱贫人口"]["target"] == "降至0"
    assert not any(r["target"].startswith(("≤", "≥")) for r in rows.values())


def test_amounts_print_one_format_per_column(settings, reference):
    context = context_for(settings, reference)
    one_decimal = re.compile(r"^-?\d{1,3}(,\d{3})*\.\d$")
    for batch in context["projects"]["batches"]:
        for row in batch["rows"]:
            for key in ("annual_plan", "cumulative"):
                assert row[key] == "—" or one_decimal.match(row[key]), row[key]
    for row in context["tasks"]["rows"]:
        for key in ("lead_progress", "mean_progress"):
            assert row[key] == "—" or re.match(r"^\d+\.\d%$", row[key]), row[key]


def test_unexplained_soft_flags_are_listed_with_what_to_explain(settings, reference):
    flags = demo_flags()
    context = context_for(settings, reference, flags=flags)
    rows = context["flags"]["rows"]
    assert len(rows) == int((~flags["explained"]).sum()) == 1
    assert rows[0]["unit"] == "金盆镇" and rows[0]["rule"] == "S01" and "社会消费品零售总额" in rows[0]["item"]
    assert "说明" in rows[0]["explain"]
    html = render_html(context, png=b"")
    assert "需核实说明的数据" in html and rows[0]["explain"] in html
    none = context_for(settings, reference, flags=pd.DataFrame(columns=flags.columns))
    assert none["flags"]["rows"] == [] and "均已" in none["flags"]["sentence"]


def test_draft_and_signer_show_in_the_masthead_only_when_set(settings, reference):
    context = context_for(settings, reference)
    plain = render_html(context, png=b"")
    assert "送审稿" not in plain and "签发人" not in plain and "2020年5月16日印发" in plain
    draft = render_html({**context, "issue": {**context["issue"], "draft": True, "signer": "张三"}}, png=b"")
    assert "送审稿" in draft and "签发人：张三" in draft


def test_one_edit_of_wording_changes_the_docx_and_the_html(settings, reference, tmp_path):
    import io

    from docx import Document

    from zhuanbao.tasks.core.resources import TEMPLATES_DIR
    from zhuanbao.tasks.report.render import render_docx

    own = settings.home / "templates"
    own.mkdir(parents=True, exist_ok=True)
    text = (TEMPLATES_DIR / "wording.j2").read_text("utf-8").replace("、总体情况", "、本月要情")
    (own / "wording.j2").write_text(text, encoding="utf-8")
    context = context_for(settings, reference)
    assert "一、本月要情" in render_html(context, home=settings.home, png=b"")
    out = io.BytesIO()
    render_docx(context, out, home=settings.home)
    headings = [p.text for p in Document(io.BytesIO(out.getvalue())).paragraphs if p.style.name == "Heading 1"]
    assert headings[0] == "一、本月要情"


def test_preview_takes_an_edited_copy_and_reports_errors_in_chinese(settings, tmp_path):
    import pytest

    from zhuanbao.tasks.core.resources import TEMPLATES_DIR
    from zhuanbao.tasks.report.editors import PreviewError, preview
    from zhuanbao.tasks.report.lint import lint_templates

    copy = tmp_path / "我的模板.html.j2"
    copy.write_text((TEMPLATES_DIR / "zhuanbao.html.j2").read_text("utf-8"), encoding="utf-8")
    assert preview(settings, str(copy), pdf=False).read_text("utf-8").count("一、总体情况") == 1
    copy.write_text(copy.read_text("utf-8").replace("{% endfor %}", "", 1), encoding="utf-8")
    with pytest.raises(PreviewError) as error:
        preview(settings, str(copy), pdf=False)
    message = str(error.value)  # the unmatched {% endif %} after the removed {% endfor %}, in Chinese, with its line
    assert re.search(r"第\d+行：缺少 {% endfor %}", message) and "Traceback" not in message
    with pytest.raises(FileNotFoundError, match="找不到模板"):
        preview(settings, "不存在.html.j2", pdf=False)
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "zhuanbao.html.j2").write_text((TEMPLATES_DIR / "zhuanbao.html.j2").read_text("utf-8").replace(
        "{{ overview.headline }}", "{{ overview.headlin }}"), encoding="utf-8")
    problems = lint_templates(folder)
    assert any("overview.headlin" in p and "是否应为 overview.headline" in p for p in problems), problems


def test_an_item_without_an_accepted_figure_is_unreported_never_lagging_and_never_disappears(settings, reference):
    """The sample month: 南湾湖 (T05) sends nothing, 科技工信 (D02, the sole reporter of four indicators) is
    rejected. Every indicator of the plan keeps its row and count; the units are named as not reporting."""
    context = context_for(settings, reference)
    rows = {r["name"]: r for r in context["indicators"]["rows"]}
    assigned = set(reference.assignments(PERIOD).query("form == 'indicators'").code)
    assert {r["code"] for r in context["indicators"]["rows"]} == assigned  # nothing vanishes from 表1
    assert context["indicators"]["sentence"].startswith(f"全区口径的{len(assigned)}项主要指标中")
    for name in ("工业投资", "技改投资", "工业企业实缴税金", "新增规模工业企业"):
        assert (rows[name]["status"], rows[name]["lagging"], rows[name]["cumulative"]) == ("未报", False, "未报")
        assert name in context["indicators"]["sentence"]
    assert "科技工信未报送" in context["indicators"]["sentence"]
    assert rows["新增规模工业企业"]["unit"] == "全区（科技工信未报）"
    partial = context_missing(settings, reference, "T01")["indicators"]
    assert {r["name"]: r["unit"] for r in partial["rows"]}["招商引资签约产业项目"] == "全区（缺河坝）"
    assert "招商引资签约产业项目的全区数" in partial["sentence"] and "缺未报单位的数据" in partial["sentence"]
    overview = context["overview"]
    lagging, unreported = overview["lagging_units"].split("另有")
    assert "南湾湖" not in lagging and "科技工信" not in lagging  # 未报 is not 滞后
    assert "南湾湖7项" in unreported and "不计入滞后" in unreported
    assert "4项未报" in overview["double_half_text"]
    assert all("南湾湖" not in r["behind"].partition("未报：")[0] for r in context["tasks"]["rows"])
    assert any("南湾湖" in r["behind"].partition("未报：")[2] for r in context["tasks"]["rows"])
    sheets = {s["name"]: s for s in context["appendix"]["sheets"]}
    units = sheets["分单位指标"]
    column = units["columns"].index("进度")
    code = units["columns"].index("单位代码")
    assert {r[column] for r in units["rows"] if r[code] == "D02"} == {"未报"}


def with_plan(reference, **changes):
    """The demo reference with its plan changed (plan.toml's keys as Plan fields)."""
    from dataclasses import replace

    return replace(reference, plan=replace(reference.plan, **changes))


def test_the_milestone_section_comes_from_the_plan_and_without_one_there_is_no_double_half(settings, reference):
    demo = render_html(context_for(settings, reference), png=b"")
    assert "（一）“双过半”进展" in demo and "（二）滞后单位和事项" in demo and "（三）报送情况" in demo
    plain = with_plan(reference, milestones=(), campaign=None, title="西洞庭管理区工作专报", issuer="西洞庭管理区经济工作领导小组办公室")
    context = context_for(settings, plain)
    assert context["overview"]["milestones"] == [] and context["overview"]["double_half_text"] == ""
    html = render_html(context, png=b"")
    assert "双过半" not in html and "上半年目标" not in html and "距6月底" not in html
    assert "（一）滞后单位和事项" in html and "（二）报送情况" in html  # the numbering closes up
    assert context["title"] == "西洞庭管理区工作专报" and context["issue"]["office"] == "西洞庭管理区经济工作领导小组办公室"
    assert html.count("西洞庭管理区经济工作领导小组办公室") == 2  # masthead and 版记


def test_a_milestone_of_its_own_name_date_and_share(settings, reference):
    from datetime import date

    from zhuanbao.tasks.core.plan import Milestone

    plan = with_plan(reference, milestones=(Milestone("任务过半", date(2020, 9, 30), 0.6),))
    text = context_for(settings, plan)["overview"]["milestones"][0]["text"]
    assert text.startswith("对照“任务过半”目标") and text.endswith("距9月底还有5个月。")
    assert "完成9月底60%目标" in text and "5—9月需月均完成" in text and "双过半" not in text


def test_after_the_milestone_the_verdict_and_without_one_the_campaign_counts_down(settings, reference):
    status = demo_status(settings, reference, "2020-07")
    metrics = demo_metrics(settings, reference, "2020-07", status, demo_frames(reference, "2020-07"))
    july = build_context(settings, "2020-07", reference, metrics, status, as_of="2020-08-16T09:00:00+08:00")
    assert july["overview"]["milestones"][0]["text"].endswith(("上半年全区主要指标实现“双过半”。",
                                                               "上半年全区主要指标未能全部实现“双过半”。"))
    progress = context_for(settings, with_plan(reference, milestones=()))["overview"]["progress"]
    assert progress.endswith("距“奋战一百天”结束还有45天。")  # 16 May to 30 June


def test_ranking_groups_their_headings_and_order_come_from_kinds_and_an_unranked_kind_is_listed(settings, reference):
    from dataclasses import replace

    from zhuanbao.tasks.core.plan import Kind, Kinds

    kinds = Kinds((Kind("department", "区直部门", True, 1), Kind("township", "镇（街道）", True, 2),
                   Kind("park", "园区", False, 3), Kind("enterprise", "区属国有企业", True, 4)), declared=True)
    context = context_for(settings, replace(reference, kinds=kinds))
    groups = context["rankings"]["kinds"]
    assert [g["kind"] for g in groups][:3] == ["区直部门", "镇（街道）", "园区"]
    assert "乡镇（办事处）" not in render_html(context, png=b"")
    park = groups[2]
    assert not park["ranked"] and park["rows"] == [] and park["sentence"].startswith("园区不参与排名，共1个：")
    sheet = next(s for s in context["appendix"]["sheets"] if s["name"] == "单位排名")
    kind, rank = sheet["columns"].index("单位类别"), sheet["columns"].index("名次")
    assert {r[rank] for r in sheet["rows"] if r[kind] == "园区"} == {None}
    assert sheet["rows"][0][kind] == "区直部门"


def test_tasks_print_every_lead_unit_and_leader_grouped_by_area(settings, reference):
    from dataclasses import replace

    tasks = reference.tasks.copy()
    tasks.loc[tasks.task_code == "K01", ["lead_unit", "lead_units", "leaders"]] = ["D02", "D02;D01", "张三;李四"]
    context = context_for(settings, replace(reference, tasks=tasks))
    groups = context["tasks"]["groups"]
    assert [g["heading"] for g in groups] == ["聚焦园区和企业", "聚焦项目建设和招商引资", "打好三大攻坚战"]
    k01 = next(r for g in groups for r in g["rows"] if r["code"] == "K01")
    assert k01["lead_cell"] == "区科技工信局、区发改财政局（牵头区领导：张三、李四）"
    assert [r["code"] for r in context["tasks"]["rows"]] == [f"K0{i}" for i in range(1, 10)]
    html = render_html(context, png=b"")
    assert '<td class="area" colspan="6">打好三大攻坚战</td>' in html and "（牵头区领导：张三、李四）" in html
    sheet = next(s for s in context["appendix"]["sheets"] if s["name"] == "重点任务")
    assert sheet["rows"][0][sheet["columns"].index("牵头单位")] == "区科技工信局、区发改财政局"


def test_an_empty_section_table_chart_or_appendix_is_left_out_and_the_numbering_closes_up(settings, reference):
    import io
    from dataclasses import replace

    from docx import Document

    from zhuanbao.tasks.report.render import render_docx

    amounts = set(reference.indicators.query("target_kind == 'amount'").indicator_code)
    bare = replace(reference, projects=reference.projects.iloc[0:0],
                   targets=reference.targets.loc[~reference.targets.indicator_code.isin(amounts)])
    context = context_for(settings, bare)
    assert not context["present"]["projects"] and not context["present"]["appendix_projects"]
    html = render_html(context, png=b"")
    for absent in ("重点项目推进情况", "重点项目推进明细", "0个重点项目", "总量指标年度目标完成率"):
        assert absent not in html, absent
    for present in ("三、重点任务推进情况", "四、各单位排名", "六、报送情况", "表2 重点任务推进情况",
                    "附表2 各单位报送情况", "图1 重点任务平均进度对比时序进度"):
        assert present in html, present
    assert "重点项目" not in {s["name"] for s in context["appendix"]["sheets"]}
    assert "重点项目" not in context["overview"]["progress"]
    out = io.BytesIO()
    render_docx(context, out)
    headings = [p.text for p in Document(io.BytesIO(out.getvalue())).paragraphs if p.style.name == "Heading 1"]
    assert headings[:4] == ["一、总体情况", "二、主要指标完成情况", "三、重点任务推进情况", "四、各单位排名"]
    assert "附表2 各单位报送情况" in headings and not any("重点项目" in h for h in headings)
    full = render_html(context_for(settings, reference), png=b"")  # the demo keeps every section and number
    for text in ("三、重点项目推进情况", "四、重点任务推进情况", "七、报送情况", "附表3 各单位报送情况",
                 "图1 总量指标年度目标完成率与重点任务平均进度对比时序进度"):
        assert text in full, text


def test_an_office_wording_from_before_the_plan_still_renders(settings, reference):
    """A home whose editors changed wording.j2 before milestones and numbering came from the plan."""
    import io

    from docx import Document

    from zhuanbao.tasks.core.resources import TEMPLATES_DIR
    from zhuanbao.tasks.report.render import render_docx

    own = settings.home / "templates"
    own.mkdir(parents=True, exist_ok=True)
    lines = [line for line in (TEMPLATES_DIR / "wording.j2").read_text("utf-8").splitlines()
             if not line.startswith(("{% macro h_milestone", "{% macro h_by_leader", "{% macro h_double_half"))]
    lines.append("{% macro h_double_half() %}（一）“双过半”进展{% endmacro %}")  # as it was written then
    (own / "wording.j2").write_text("\n".join(lines), encoding="utf-8")
    context = context_for(settings, reference)
    html = render_html(context, home=settings.home, png=b"")
    assert "（一）“双过半”进展" in html and "七、报送情况" in html
    out = io.BytesIO()
    render_docx(context, out, home=settings.home)
    headings = [p.text for p in Document(io.BytesIO(out.getvalue())).paragraphs if p.style.name == "Heading 2"]
    assert headings[0] == "（一）“双过半”进展"
