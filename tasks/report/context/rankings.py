"""五、各单位排名: within each kind of unit (spec §8), ties stated, a unit alone in its kind not ranked.

The kinds, their headings and their order come from the year's `kinds.csv` (`Reference.kinds`; without
it the four kinds of today); a kind declared `ranked = false` (e.g. 驻区单位) is listed, not ranked.
"""
from __future__ import annotations

import pandas as pd

from ...checks.outcomes import REPORT_LABELS
from ...core.plan import Kinds
from ...intake.standing import USABLE
from ..appendix import SHEETS
from ..formatting import DASH, UNREPORTED, join_names, more_text, num, pct

WEIGHT_LABELS = {"on_track": "承担事项按时序进度推进占比", "on_time": "按时报送", "explained": "预警事项已作说明"}


def _row(r, alone: bool) -> dict:
    reported = r.status in USABLE  # a unit that sent nothing is 未报, not 0 items on track (spec §7)
    return {"rank": DASH if alone else str(r.rank), "unit": r.unit_name, "score": num(r.score, 1),
            "on_track": f"{r.items_on_track}/{r.items_assigned}" if reported else UNREPORTED,
            "share": pct(r.share_on_track) if reported else DASH,
            "on_time": "是" if r.on_time == 1 else "否", "status": REPORT_LABELS.get(r.status, r.status)}


def kind_sentence(label: str, group: pd.DataFrame) -> str:
    """'乡镇（办事处）共5个，河坝镇、金盆镇并列第一。' — or, alone in its kind, its own standing without a rank."""
    if len(group) == 1:
        r = group.iloc[0]
        if r["status"] not in USABLE:
            return f"{label}仅{r['unit_name']}1个单位，不参与排名；本期未报，其承担的{r['items_assigned']}项事项不计入滞后。"
        return (f"{label}仅{r['unit_name']}1个单位，不参与排名；其承担的{r['items_assigned']}项事项中"
                f"{r['items_on_track']}项按时序进度推进。")
    best = group.loc[group["rank"] == group["rank"].min(), "unit_name"].tolist()
    top = f"{join_names(best)}并列第一" if len(best) > 1 else f"{best[0]}排名第一"
    worst = group.loc[group["rank"] == group["rank"].max(), "unit_name"].tolist()
    tail = f"，{join_names(worst)}并列末位" if len(worst) > 1 and len(worst) < len(group) else ""
    return f"{label}共{len(group)}个，{top}{tail}。"


def listed_sentence(label: str, group: pd.DataFrame, limit: int) -> str:
    """'驻区单位不参与排名，共2个：市生态环境局大通湖分局（按进度事项3/5）、…。' — a kind listed, not ranked."""
    names = [f"{r.unit_name}（按进度事项{r.items_on_track}/{r.items_assigned}"
             + ("" if r.status == "accepted" else f"，{REPORT_LABELS.get(r.status, r.status)}") + "）"
             for r in group.itertuples()]
    shown = "、".join(names[:limit]) + (f"等{len(names)}个单位" if len(names) > limit else "")
    return f"{label}不参与排名，共{len(group)}个：{shown}。"


def rankings(metrics: dict, weights: dict, limit: int, kinds: Kinds | None = None) -> dict:
    """Per kind of `kinds` (in its order; kinds not declared last), the ranking or, for a kind not ranked,
    the list of its units."""
    kinds = kinds or Kinds()
    scores = metrics["unit_scores"]
    order = {code: i for i, code in enumerate(kinds.codes)}
    scores = scores.assign(_o=scores["unit_kind"].map(order).fillna(len(order))).sort_values("_o", kind="stable")
    total = sum(weights.values()) or 1
    weights_text = "、".join(f"{WEIGHT_LABELS.get(k, k)}{v / total * 100:.0f}%" for k, v in weights.items() if v)
    out = []
    for kind, group in scores.groupby("unit_kind", sort=False):
        label, count, more, whole = kinds.label(kind), len(group), "", group
        if not kinds.ranked(kind):
            out.append({"kind": label, "first": "", "ranked": False, "rows": [], "more": "",
                        "sentence": listed_sentence(label, group, limit)})
            continue
        if len(group) > limit:  # the top and the bottom of the kind
            top, bottom = (limit + 1) // 2, limit // 2
            middle = group.iloc[top:len(group) - bottom]
            low, high = middle["rank"].iloc[0], middle["rank"].iloc[-1]
            more = more_text(len(middle), "个单位", SHEETS["rankings"],
                             f"（并列第{low}名）" if low == high else f"（名次为第{low}至{high}名）")
            group = pd.concat([group.iloc[:top], group.iloc[len(group) - bottom:]])
        best = whole.loc[whole["rank"] == whole["rank"].min(), "unit_name"].tolist() if count > 1 else []
        out.append({"kind": label, "first": "、".join(best), "ranked": count > 1,
                    "rows": [_row(r, count == 1) for r in group.itertuples()], "more": more,
                    "sentence": kind_sentence(label, whole)})
    return {"weights_text": f"综合得分按{weights_text}计算（满分100分），未报送或被退回的单位排在同类末位；"
                            f"同类仅1个单位的不排名次。",
            "kinds": out}
