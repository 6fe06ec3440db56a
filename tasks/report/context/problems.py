"""六、存在问题及需协调事项 (the units' own words) and the soft flags no unit has explained.

Soft flags (spec §5): an accepted row a rule questioned; "explained" when the row's 说明 is
filled. Those not explained are listed with the unit, the item, the rule and what the unit must
explain — the rule's own message, verbatim.
"""
from __future__ import annotations

import pandas as pd

from ..appendix import SHEETS
from ..formatting import DASH, more_text
from .common import text


def problems_from_metrics(metrics: dict) -> pd.DataFrame:
    """The 问题清单 in the units' own words: unit_code, item, problem, coordination."""
    projects = metrics["project_metrics"]
    tasks = metrics["task_metrics"]
    frames = [pd.DataFrame({"unit_code": projects["unit_code"], "item": "项目：" + projects["project_name"],
                            "problem": projects["problems"].map(text),
                            "coordination": projects["coordination"].map(text)}),
              pd.DataFrame({"unit_code": tasks["unit_code"], "item": "任务：" + tasks["task_name"],
                            "problem": tasks["problems"].map(text), "coordination": tasks["note"].map(text)})]
    out = pd.concat(frames, ignore_index=True)
    return out.loc[(out["problem"] != "") | (out["coordination"] != "")].reset_index(drop=True)


def ordered_problems(problems: pd.DataFrame, unit_order: list[str]) -> pd.DataFrame:
    """The 问题清单 in the order of the units' table (units not in it last)."""
    order = {u: i for i, u in enumerate(unit_order)}
    frame = problems.assign(_o=problems["unit_code"].map(order).fillna(len(order)))
    return frame.sort_values(["_o", "unit_code"], kind="stable").drop(columns="_o").reset_index(drop=True)


def problems(frame: pd.DataFrame, names: dict, limit: int) -> dict:
    rows = [{"no": str(i), "unit": names.get(r.unit_code, r.unit_code), "item": text(r.item),
             "problem": text(r.problem) or DASH, "coordination": text(r.coordination) or DASH}
            for i, r in enumerate(frame.iloc[:limit].itertuples(), start=1)]
    units = frame["unit_code"].nunique()
    sentence = (f"各单位共反映问题和需协调事项{len(frame)}条，涉及{units}个单位，按单位原文列示如下。" if len(frame)
                else "本月各单位未反映需协调解决的问题。")
    return {"sentence": sentence, "rows": rows, "count": str(len(frame)),
            "more": more_text(len(frame) - len(rows), "条问题和需协调事项", SHEETS["problems"])}


def _item(flag, items: dict) -> str:
    code = text(flag.code)
    name = items.get(code, "")
    where = f"{text(flag.sheet)}第{int(flag.row)}行" if text(flag.sheet) and pd.notna(flag.row) else text(flag.sheet)
    label = f"{name}（{code}）" if name else code
    return "，".join(x for x in (label, where) if x) or DASH


def unexplained_flags(flags: pd.DataFrame | None, names: dict, items: dict, limit: int) -> dict:
    """Soft flags not explained: unit, item, rule, what to explain (at most `limit` rows)."""
    if flags is None or flags.empty:
        open_flags = pd.DataFrame(columns=["unit_code", "rule_id", "code", "message", "sheet", "row"])
    else:
        open_flags = flags.loc[~flags["explained"].fillna(False).astype(bool)]
    rows = [{"no": str(i), "unit": names.get(f.unit_code, f.unit_code), "item": _item(f, items),
             "rule": text(f.rule_id), "explain": text(f.message) or DASH}
            for i, f in enumerate(open_flags.iloc[:limit].itertuples(), start=1)]
    count, units = len(open_flags), open_flags["unit_code"].nunique()
    sentence = (f"审核中发现需核实的数据{count}处、涉及{units}个单位，尚未在“说明”栏作出解释，"
                f"请相关单位在下次报送前核实说明。" if count else "本月核实性审核提示的数据均已由报送单位作出说明。")
    return {"sentence": sentence, "rows": rows, "count": str(count),
            "more": more_text(count - len(rows), "处待说明数据", SHEETS["problems"])}
