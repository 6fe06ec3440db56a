"""三、重点项目推进情况 (by batch): each batch's sentence and rows, 未报 apart from 滞后.

Investment in 万元 prints with one decimal in every row, so a column reads one way; a project not
reported reads 未报 (never 滞后) and the batch sentences count it apart.
"""
from __future__ import annotations

from ..appendix import SHEETS
from ..formatting import DASH, UNREPORTED, more_text, num, pct
from .common import shares, text

BATCH_RULES = {"竣工完工": "以项目状态为“竣工”计为按进度", "复工推进": "以累计完成投资达到时序进度投资要求计为按进度",
               "新开工": "以项目状态不为“未开工”计为已开工"}


def projects(metrics: dict, names: dict, limit: int) -> dict:
    projects, batches = metrics["project_metrics"], metrics["batch_summary"]
    groups = {batch: group for batch, group in projects.groupby("batch", sort=False)}
    mine_all = [groups.get(b.batch, projects.iloc[:0]) for b in batches.itertuples()]
    taken = shares([len(m) for m in mine_all], limit)
    out = []
    for b, mine, share in zip(batches.itertuples(), mine_all, taken):
        sentence = (f"{b.batch}项目{b.projects}个，年度计划投资{num(b.annual_plan, 1)}万元，累计完成投资"
                    f"{num(b.cumulative_investment, 1)}万元，完成年度计划的{pct(b.completion)}；")
        missing = b.projects - b.reported
        sentence += {"竣工完工": f"已竣工{b.completed}个", "新开工": f"已开工{b.started}个，未开工{b.reported - b.started}个"
                     }.get(b.batch, f"按时序进度推进{b.on_track}个，滞后{b.reported - b.on_track}个")
        sentence += f"，未报{missing}个。" if missing else "。"
        if share < len(mine):  # lagging first, least complete first
            mine = mine.sort_values(["on_track", "completion"], kind="stable", na_position="first").iloc[:share]
        rows = [{"code": p.project_code, "name": p.project_name, "unit": names.get(p.unit_code, p.unit_code),
                 "annual_plan": num(p.annual_plan, 1), "cumulative": num(p.cumulative_investment, 1),
                 "completion": pct(p.completion), "status": text(p.status) or "未报送",
                 "progress": text(p.progress_text) or DASH, "lagging": bool(p.reported) and not bool(p.on_track),
                 "judgement": UNREPORTED if not p.reported else "正常" if p.on_track else "滞后"}
                for p in mine.itertuples()]
        out.append({"name": b.batch, "sentence": sentence, "rule": BATCH_RULES.get(b.batch, ""), "rows": rows})
    total_plan, total_cum = batches["annual_plan"].sum(), batches["cumulative_investment"].sum(min_count=1)
    sentence = (f"全区{len(projects)}个重点项目年度计划投资{num(total_plan, 1)}万元，累计完成投资{num(total_cum, 1)}万元，"
                f"完成年度计划的{pct(total_cum / total_plan if total_plan else None)}，"
                f"{int(projects['on_track'].sum())}个按进度推进"
                + (f"，{missing}个未报" if (missing := int((~projects['reported'].astype(bool)).sum())) else "") + "。")
    left_out = sum(len(m) for m in mine_all) - sum(taken)
    return {"sentence": sentence, "batches": out,
            "more": more_text(left_out, "个项目（各批次先列滞后、完成率低的）", SHEETS["projects"])}
