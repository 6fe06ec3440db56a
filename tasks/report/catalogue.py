"""The variable catalogue of the 专报 templates: one place that names and explains every variable.

`VARIABLES` maps a path (`overview.headline`, lists as `indicators.rows[].name`) to its meaning
in Chinese; `appendix` (the rows of the Excel 附表) is one opaque entry. The editors' guide
`templates/编辑指南.md` lists it with examples taken from `templates/sample_context.json`
(`guide.py`); tests check that the catalogue and the context built by
`build_context` have exactly the same paths, so the guide cannot drift from the code.
"""
from __future__ import annotations

import json

from ..core.resources import TEMPLATES_DIR

SAMPLE_CONTEXT = TEMPLATES_DIR / "sample_context.json"
GUIDE = TEMPLATES_DIR / "编辑指南.md"
RENDER_ADDED = {"chart_image": "图1（完成进度对比时序进度的条形图），渲染时由 chart 生成；HTML/PDF 中写 "
                               "<img src=\"{{ chart_image }}\">，Word 中单独成段写 {{ chart_image }}"}

VARIABLES: dict[str, str] = {
    "title": "专报标题（plan.toml 的 [report] title，如“大通湖区“奋战一百天”工作专报”；没有时为“区名工作专报”）",
    "issue.number": "期号数字（按年度连续编号）", "issue.label": "期号，如“第2期”（预览时为“第　期”）",
    "issue.year": "出刊年份", "issue.date": "出刊日期（中文格式）",
    "issue.office": "编印单位、版记的印发机关（plan.toml 的 [report] issuer；没有 plan.toml 时为设置项 office）",
    "issue.revision": "修订次数，首次出刊为0", "issue.is_revision": "是否为修订版（真/假，用于 if）",
    "issue.revision_label": "修订标记，如“（修订版）”，首次出刊为空",
    "issue.revision_notes": "修订说明（列表，每条一句）", "issue.revision_notes[]": "修订说明的一句",
    "issue.reason": "修订原因（重新生成时填写的原因）",
    "issue.printed_date": "版记中的印发日期（签发日期），如“2020年5月16日”", "issue.draft": "是否为送审稿（真/假；送审稿显示“送审稿”、不显示日期）",
    "issue.signer": "签发人（未签发时为空）", "issue.issued_at": "出刊时刻（ISO 格式，报告所依据的运行时刻）",
    "period.code": "报告期代码，如 2020-04", "period.year": "报告年份", "period.month": "报告月份",
    "period.label": "报告期，如“2020年4月”", "period.month_end": "如“4月底”",
    "period.time_progress": "时序进度（月份/12），如“33.3%”",
    "overview.milestones": ("本月报告的里程碑（plan.toml 的 [[milestones]]，如“双过半”；列表，没有里程碑时为空，"
                            "总体情况中不出现这一节）"),
    "overview.milestones[].n": "该里程碑小节的序号（1起，用 | int | cn 写成“一”）",
    "overview.milestones[].name": "里程碑名称，如“双过半”",
    "overview.milestones[].text": "里程碑进展：目标对照累计、滞后和未报指标、项目，到期前倒计时、到期后结论",
    "overview.n_lagging": "“滞后单位和事项”小节的序号（有里程碑时为2，没有时为1）",
    "overview.n_reporting": "“报送情况”小节的序号",
    "overview.double_half_text": "各里程碑进展的全文（兼容旧模板；没有里程碑时为空）",
    "overview.core_total": "纳入第一个里程碑的总量和增速指标数", "overview.core_on_track": "其中达到进度要求的指标数",
    "overview.core_lagging": "其中滞后的指标数", "overview.core_lagging_names": "滞后指标名称（顿号分隔）",
    "overview.lagging_units": "总体情况（二）滞后单位和事项（按滞后事项多少排列）",
    "overview.lagging_units_count": "有滞后事项的单位数", "overview.lagging_items_count": "滞后的指标、项目和任务事项数",
    "overview.as_of": "统计时刻，如“2020年5月16日 09:00”",
    "overview.headline": "总体情况（三）报送情况（截至统计时刻）", "overview.progress": "本月时序进度一句（兼容旧模板；第1页“本期要点”已说明）",
    "overview.summary": "第1页“本期要点”（列表，每行一句：总体、关键指标（对照年度目标）、滞后和协调、报送）",
    "overview.summary[].label": "要点的名称，如“总体”", "overview.summary[].text": "要点的内容（一句）",
    "overview.countdown": "没有里程碑时活动结束倒计时，如“距“奋战一百天”结束还有45天。”；否则为空",
    "overview.milestone_name": "第一个里程碑的名称（没有时为空）",
    "overview.milestone_verdict": "第一个里程碑的结论或倒计时，如“距6月底还有1个月。”",
    "overview.unreported_units_count": "有未报事项的单位数（不计入滞后）",
    "overview.unreported_items_count": "未报的指标、项目和任务事项数（不计入滞后）",
    "overview.units_required": "应报单位数", "overview.units_accepted": "已报送并受理单位数",
    "overview.units_on_time": "按时报送单位数", "overview.units_late": "逾期报送单位数",
    "overview.units_missing": "未报送单位数（含被退回未更正）", "overview.units_rejected": "被退回未更正单位数",
    "overview.submission_rate": "报送率", "overview.on_time_rate": "按时报送率", "overview.time_progress": "时序进度",
    "overview.indicators_total": "纳入监测的单位指标数", "overview.indicators_on_track": "达到进度的单位指标数",
    "overview.indicators_lagging": "滞后的单位指标数", "overview.projects_total": "重点项目数",
    "overview.projects_on_track": "按进度推进的项目数", "overview.double_half": "是否实现第一个里程碑（如“双过半”；真/假）",
    "indicators.sentence": "主要指标完成情况概述句", "indicators.rows": "主要指标表（全区口径，列表）",
    "indicators.by_unit": "附表1 分单位指标（列表，字段同 indicators.rows，另有 unit_name）",
    "indicators.more": "表1 未列出的指标数及所在 Excel 附表，如“其余3项指标见附表（Excel）“主要指标”。”；全部列出时为空",
    "indicators.by_unit_more": "附表1 未列出的行数说明（先列滞后的）；全部列出时为空",
    **{f"indicators.{part}[].{k}": v for part in ("rows", "by_unit") for k, v in {
        "code": "指标代码", "name": "指标名称", "measure": "计量单位", "unit": "责任单位（简称）或“全区”；全区数缺单位时如“全区（缺南湾湖）”，无单位报送时如“全区（南湾湖未报）”，"
                "几个单位共同承担、不汇总的指标为“各单位（不汇总）”",
        "kind": "目标类型：增速/总量/水平", "target": "年度目标，如“增长11.0%”“88,820”“≥84”；有允许偏差（tolerance）的加“左右”",
        "cumulative": "1-本月累计；未报时为“未报”", "rate": "增速或完成率，如“增长14.5%”“完成38.2%”",
        "time_progress": "时序进度（水平类目标为“—”）", "lagging": "是否滞后（真/假，滞后时标红；未报不算滞后）",
        "unreported": "是否未报（真/假：没有受理的数据）", "status": "“正常”“滞后”或“未报”"}.items()},
    "indicators.by_unit[].unit_name": "责任单位全称",
    "chart.title": "图表标题", "chart.caption": "图注", "chart.time_progress": "时序进度（小数，供作图）",
    "chart.time_progress_text": "时序进度（文字）", "chart.items": "作图数据（列表）",
    "chart.items[].label": "条目名称", "chart.items[].lagging": "是否滞后（真/假，滞后为红色）", "chart.items[].value": "完成进度（小数，供作图）",
    "chart.more": "条目过多时的说明（图中只列平均进度最低的任务）；全部列出时为空",
    "projects.sentence": "重点项目总体情况句", "projects.batches": "按批次的项目（列表）",
    "projects.batches[].name": "批次名称（竣工完工/复工推进/新开工）", "projects.batches[].sentence": "该批次概述句",
    "projects.batches[].rule": "该批次的判定口径", "projects.batches[].rows": "该批次的项目（列表）",
    "projects.more": "附表2 未列出的项目数说明（各批次先列滞后、完成率低的）；全部列出时为空",
    **{f"projects.batches[].rows[].{k}": v for k, v in {
        "code": "项目代码", "name": "项目名称", "unit": "责任单位", "annual_plan": "年度计划投资（万元）",
        "cumulative": "累计完成投资（万元）", "completion": "完成年度计划比例", "status": "项目状态（单位填报）",
        "progress": "形象进度（单位原文）", "lagging": "是否滞后（真/假；未报不算滞后）",
        "judgement": "“正常”“滞后”或“未报”"}.items()},
    "tasks.sentence": "重点任务概述句", "tasks.rows": "重点任务（列表，按任务类别排列）",
    "tasks.by_leader": "按牵头区领导列示的任务（plan.toml [report] by_leader = true 时；列表，否则为空）",
    "tasks.by_leader[].leader": "牵头区领导", "tasks.by_leader[].tasks": "其牵头的任务数",
    "tasks.by_leader[].text": "一句：牵头的任务，其中有单位滞后、未报的任务",
    "tasks.groups": "按任务类别（tasks.csv 的 task_area）分组的重点任务（列表）",
    "tasks.groups[].area": "任务类别", "tasks.groups[].heading": "表中该类别的标题行（只有一个类别时为空，不显示）",
    "tasks.groups[].rows": "该类别的任务（列表，字段同 tasks.rows）",
    "tasks.more": "表2 未列出的任务数说明（先列有单位滞后的）；全部列出时为空",
    **{f"tasks.{part}.{k}": v for part in ("rows[]", "groups[].rows[]") for k, v in {
        "code": "任务编号", "area": "任务领域", "name": "任务名称", "lead": "牵头单位（全部牵头部门，顿号分隔）",
        "leaders": "牵头区领导（顿号分隔；未填写时为空）",
        "lead_cell": "表2“牵头单位”格：全部牵头部门，有牵头区领导时加“（牵头区领导：…）”",
        "lead_progress": "第一牵头单位的进度",
        "mean_progress": "各责任单位平均进度", "units": "已报/应报单位数，如“7/7”",
        "behind": "未达时序进度的单位（简称，顿号分隔），再列“未报：”未报送的单位",
        "behind_lagging": "未达时序进度的单位（滞后时标红；都没有时为“无”）",
        "behind_unreported": "“未报：”未报送的单位（不标红；没有时为空）", "lagging": "是否有单位滞后（真/假）",
        "unreported": "是否有单位未报（真/假）"}.items()},
    "rankings.weights_text": "排名计分办法说明句", "rankings.kinds": "按单位类别的排名（列表）",
    "rankings.kinds[].kind": "单位类别，如“乡镇（办事处）”", "rankings.kinds[].ranked": "是否排名（同类只有1个单位时为假，不列排名表）", "rankings.kinds[].first": "该类第一名单位",
    "rankings.kinds[].sentence": "该类排名概述句", "rankings.kinds[].rows": "该类各单位（列表）",
    "rankings.kinds[].more": "只列前后各若干名时，中间名次的说明，如“其余940个单位（名次为第16至955名）见附表（Excel）“单位排名”。”；全部列出时为空",
    **{f"rankings.kinds[].rows[].{k}": v for k, v in {
        "rank": "名次", "unit": "单位名称", "score": "综合得分", "on_track": "按进度事项/承担事项，如“7/9”",
        "share": "按进度事项占比", "on_time": "是否按时报送（是/否）", "status": "报送状态"}.items()},
    "flags.sentence": "需核实说明的数据概述句", "flags.count": "尚未说明的核实性审核提示数",
    "flags.rows": "尚未说明的核实性审核提示（列表）", "flags.more": "未列出的条数说明；全部列出时为空",
    **{f"flags.rows[].{k}": v for k, v in {
        "no": "序号", "unit": "单位", "item": "数据项（名称、代码、所在表和行）", "rule": "审核规则编号，如 S01",
        "explain": "需说明的内容（审核规则的提示原文）"}.items()},
    "problems.sentence": "问题清单概述句", "problems.rows": "问题清单（列表，单位原文）",
    "problems.more": "问题清单未列出的条数说明；全部列出时为空",
    "problems.count": "问题和需协调事项的条数（全部，含未列出的）",
    **{f"problems.rows[].{k}": v for k, v in {
        "no": "序号", "unit": "反映单位", "item": "所属项目或任务", "problem": "存在问题（单位原文）",
        "coordination": "需协调事项（单位原文）"}.items()},
    "submissions.sentence": "报送情况概述句", "submissions.deadline": "报送截止日期",
    "submissions.late": "逾期报送单位（列表）", "submissions.late[].unit": "单位名称",
    "submissions.late[].received_at": "实际报送时间",
    "submissions.missing": "未报送且没有任何文件的单位（列表；被退回未更正的见 rejected）", "submissions.missing[].unit": "单位名称",
    "submissions.rejected": "被退回未更正单位（列表）", "submissions.rejected[].unit": "单位名称",
    "submissions.rejected[].file": "被退回的文件名", "submissions.rejected[].reason": "退回原因（校验信息）",
    "submissions.late_more": "未列出的逾期报送单位数说明；全部列出时为空",
    "submissions.missing_more": "未列出的未报送单位数说明；全部列出时为空",
    "submissions.rejected_more": "未列出的被退回单位数说明；全部列出时为空",
    "submissions.rows": "附表 各单位报送情况（列表）",
    "submissions.rows_more": "附表3 未列出的单位数说明（先列未报送、退回、逾期的）；全部列出时为空",
    **{f"submissions.rows[].{k}": v for k, v in {
        "unit_code": "单位代码", "unit": "单位名称", "status_code": "状态代码（accepted/rejected/missing）",
        "status": "报送状态", "received_at": "报送时间", "on_time": "按时/逾期", "note": "备注"}.items()},
    **{f"present.{k}": "是否出现（没有内容的不出现，用于 {% if %}）：" + v for k, v in {
        "indicators": "二、主要指标和表1（有指标时）", "by_leader": "按牵头区领导列示（plan.toml 打开 by_leader 时）", "chart": "图1（有可画的总量指标或任务时）",
        "projects": "重点项目一节（有项目时）", "tasks": "重点任务一节和表2（有任务时）", "rankings": "各单位排名一节",
        "problems_table": "问题清单表（有问题时）", "flags_table": "待说明数据表（有时）",
        "appendix_indicators": "附表 分单位指标", "appendix_projects": "附表 重点项目明细（有项目时）",
        "appendix_submissions": "附表 各单位报送情况"}.items()},
    **{f"numbers.{k}": "序号（没有内容的部分不编号，后面的前移；wording.j2 写“一、”“表1”）：" + v for k, v in {
        "overview": "总体情况的序号（1）", "indicators": "主要指标完成情况的序号", "projects": "重点项目一节的序号（没有时为空）",
        "tasks": "重点任务一节的序号（没有时为空）", "rankings": "各单位排名的序号", "problems": "存在问题一节的序号",
        "submissions": "报送情况的序号", "table_indicators": "主要指标表的表号", "table_tasks": "重点任务表的表号",
        "table_problems": "问题清单表的表号", "table_flags": "待说明数据表的表号",
        "appendix_indicators": "分单位指标附表的序号", "appendix_projects": "重点项目明细附表的序号",
        "appendix_submissions": "报送情况附表的序号"}.items()},
    "appendix": ("Excel 附表（专报_…_附表.xlsx）的全部明细，按工作表列出（名称、列名、各行数值）；"
                 "供生成 Excel，模板中一般不用"),
    "revision_data": ("本期主要数据的原始数值（各单位报送状态、各指标累计与增速或完成率、项目投资、任务进度、排名），"
                      "供下一次修订时比较并写出修订说明；模板中一般不用"),
}
OPAQUE = {"appendix", "revision_data"}  # documented as one variable each: data, not template fields


def leaf_paths(value, prefix: str = "") -> set[str]:
    """Every path of a context: dict keys joined by '.', list items as '[]'; lists themselves too."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            if path in OPAQUE:
                paths.add(path)
            elif isinstance(item, (dict, list)):
                if isinstance(item, list):
                    paths.add(path)
                paths |= leaf_paths(item, path)
            else:
                paths.add(path)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)):
                paths |= leaf_paths(item, f"{prefix}[]")
            else:
                paths.add(f"{prefix}[]")
    return paths


def catalogue_drift(context: dict) -> list[str]:
    """Paths in the context but not in the catalogue, and the other way round."""
    found, known = leaf_paths(context), set(VARIABLES)

    def seen(path: str) -> bool:  # items of a list that is empty in this context cannot be checked
        lists = [path[:i + 2] for i in range(len(path)) if path.startswith("[]", i)]
        return all(any(f.startswith(prefix) for f in found) for prefix in lists)

    return ([f"上下文有而变量目录没有：{p}" for p in sorted(found - known)]
            + [f"变量目录有而上下文没有：{p}" for p in sorted(known - found) if seen(p)])


def load_sample_context() -> dict:
    return json.loads(SAMPLE_CONTEXT.read_text(encoding="utf-8"))
