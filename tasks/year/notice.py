"""The 考核通报's content: every sentence and table of it, from the assessment (tasks/year/assess.py).

One context feeds the HTML (and so the PDF), the Word file and the Excel 附表 (tasks/year/document.py).
The title and the issuer come from the plan (`[report] issuer`, the district setting); nothing of one
district is written here. The context is the draft's (送审稿, `draft` true); signing adds `signer` and
`printed_date` (tasks/year/signing.py).
"""
from __future__ import annotations

from datetime import datetime

from ..core.periods import is_monthly
from ..core.reference import Reference
from ..core.settings import Settings
from ..report.formatting import cn_date, join_names, num
from .assess import SCORING_RULE
from .calendar import period_text


def _span(periods: list[str]) -> str:
    if not periods:
        return "无报告期"
    first, last = period_text(periods[0]), period_text(periods[-1])
    return first if first == last else f"{first}至{last}"


def _records_text(records: list[dict]) -> str:
    return "；".join(f"{r['record']}（{'、'.join(period_text(p) for p in r['periods'])}）" for r in records)


def _weights_text(result: dict) -> str:
    weights = result["weights"]
    if not weights:
        return "本期间没有已计算的单位得分。"
    if len(set(weights.values())) == 1:
        return f"年度得分为{len(weights)}个月度得分的平均值。"
    parts = "、".join(f"{period_text(p)}{num(w, 1)}" for p, w in weights.items())
    return f"年度得分为各期得分的加权平均值（权重：{parts}）。"


def _bar_sentence(result: dict) -> str:
    """Who may not be 先进; over mixed cadences also which periods are scored (tasks/year/assess.py SCORING_RULE)."""
    if all(map(is_monthly, result["periods"])):
        return "凡有延误上报、漏报或虚报数据记录的单位，不得评为先进单位。"
    return f"{SCORING_RULE}凡有虚报数据记录的单位，同样不得评为先进单位。"


def _group_rows(group: dict, scored: list[str]) -> list[dict]:
    return [{"rank": u["rank"] if group["ranked"] else "—", "name": u["unit_name"], "code": u["unit_code"],
             "score": num(u["score"], 2), "scores": [num(u["scores"][p], 1) if p in u["scores"] else "—"
                                                      for p in scored],
             "advanced": "先进" if u["advanced"] else "", "records": _records_text(u["records"])}
            for u in group["units"]]


def notice_context(settings: Settings, reference: Reference | None, result: dict, at: datetime) -> dict:
    """Everything the 考核通报 prints (JSON-ready)."""
    plan = reference.plan if reference is not None else None
    issuer = plan.issuer if plan is not None else settings.issuing_office
    span = _span(result["periods"])
    scored = result["scored_periods"]
    groups = [{"label": g["label"], "ranked": g["ranked"], "rows": _group_rows(g, scored),
               "advanced": [u["unit_name"] for u in g["units"] if u["advanced"]]} for g in result["kinds"]]
    advanced = [f"{g['label']}：{join_names(g['advanced'])}" for g in groups if g["ranked"] and g["advanced"]]
    barred = [{"name": b["unit_name"], "records": _records_text(b["records"])} for b in result["barred"]]
    intro = (f"根据工作方案，对各单位{span}共{len(result['periods'])}个报告期的调度报送和工作推进情况进行了考核。"
             f"各期单位得分按工作方案的评分办法计算；{_weights_text(result)}"
             f"{_bar_sentence(result)}")
    return {"title": f"关于{settings.district}{span}工作考核情况的通报", "issuer": issuer,
            "date": cn_date(at), "draft": True, "signer": "", "printed_date": "", "year": result["year"], "span": span, "intro": intro,
            "leaders_per_kind": result["leaders_per_kind"], "advanced": advanced,
            "advanced_sentence": (f"经考核，以下单位评为先进单位（每类前{result['leaders_per_kind']}名）：" if advanced
                                  else "本次考核没有评出先进单位。"),
            "barred": barred, "periods": [period_text(p) for p in scored], "groups": groups,
            "ledger": _ledger_rows(result["ledger"])}


def _ledger_rows(ledger: dict) -> list[dict]:
    def cell(entry: dict, key: str) -> str:
        periods = entry[key]["periods"]
        return f"{len(periods)}（{'、'.join(period_text(p) for p in periods)}）" if periods else "0"

    return [{"name": u["unit_name"], "code": u["unit_code"], "on_time": str(u["on_time"]["count"]),
             "late": cell(u, "late"), "missing": cell(u, "missing"), "rejected": cell(u, "rejected"),
             "corrected": cell(u, "corrected_after_signing"),
             "downward": "、".join(period_text(p) for p in u["corrected_after_signing"]["downward"])}
            for u in ledger["units"]]
