"""A demo 专报 context from generated figures: the bundled sample for previews, and the tests' fixture.

The month is `generate_month` of the demo district; the status has one late unit (T04), one
missing (T05) and one rejected (D02), like the demo inbox of 2020-04. Their figures are left
out, as the curated data of a real run would.

`write_sample_context` regenerates templates/sample_context.json (the context previews and the template
lint render): `python -m zhuanbao.tasks.demo.report_sample`.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..core.reference import Reference, load_reference
from ..core.resources import DEMO_REFERENCE_DIR
from ..core.settings import Settings, load_settings
from ..metrics.headline import compute_metrics
from ..report.catalogue import SAMPLE_CONTEXT
from .figures import generate_month

LATE, MISSING, REJECTED = "T04", "T05", "D02"
REJECTION = "表1 指标 第3行 列“1-本月累计”：“约500”不是数值"

SAMPLE_ISSUE = {"number": "2", "label": "第2期", "year": "2020", "date": "2020年5月18日", "revision": 1,
                "is_revision": True, "revision_label": "（修订版）",
                "revision_notes": ["新增报送单位：北洲子镇，其数据已纳入本期汇总。",
                                   "数据变动：报送率由83.3%变为88.9%。", "修订原因：北洲子镇逾期报送，补录后修订"],
                "reason": "北洲子镇逾期报送，补录后修订", "draft": False, "signer": "王　明",
                "printed_date": "2020年5月18日"}


def demo_frames(reference: Reference, period: str, seed: int = 2020, drop: tuple[str, ...] = (MISSING, REJECTED)
                ) -> dict[str, pd.DataFrame]:
    rows, _ = generate_month(reference, period, rng_seed=seed)
    frames = {}
    for form in ("indicators", "projects", "tasks"):
        records = [{**r, "unit_code": unit, "period": period} for unit, forms in rows.items() if unit not in drop
                   for r in forms.get(form, [])]
        frames[form] = pd.DataFrame(records)
    return frames


def demo_status(settings: Settings, reference: Reference, period: str, *, late=(LATE,), missing=(MISSING,),
                rejected=(REJECTED,)) -> dict:
    """A `period_status`-shaped dict: everyone on time except the named units."""
    from ..core.periods import shift

    nxt = shift(period, 1)
    units, files = [], []
    for code in reference.required_units(period):
        status = "missing" if code in missing else "rejected" if code in rejected else "accepted"
        on_time = None if status != "accepted" else code not in late
        units.append({"unit_code": code, "unit_name": reference.unit_name(code), "status": status,
                      "on_time": on_time, "versions": 0 if status == "missing" else 1,
                      "rules": ["H05"] if status == "rejected" else []})
        if status != "missing":
            day = 18 if code in late else 10
            files.append({"file": f"{code}_{period}.xlsx", "sha256": "0" * 64,
                          "received_at": f"{nxt}-{day:02d}T10:05:00+08:00", "unit_code": code,
                          "outcome": status, "rules": units[-1]["rules"],
                          "messages": [REJECTION] if status == "rejected" else []})
    return {"period": period, "deadline": settings.deadline(period).isoformat(timespec="seconds"),
            "units": units, "files": files}


def demo_metrics(settings: Settings, reference: Reference, period: str, status: dict, frames: dict | None = None
                 ) -> dict:
    frames = frames or demo_frames(reference, period)
    subs = pd.DataFrame([{"unit_code": u["unit_code"], "status": u["status"], "on_time": u["on_time"]}
                         for u in status["units"]])
    return compute_metrics(period, reference, frames["indicators"], frames["projects"], frames["tasks"], subs,
                           None, settings.score_weights)


def demo_context(settings: Settings, reference: Reference, period: str = "2020-04") -> dict:
    from ..report.context import build_context

    status = demo_status(settings, reference, period)
    metrics = {**demo_metrics(settings, reference, period, status), "flags": demo_flags()}
    return build_context(settings, period, reference, metrics, status)


def demo_flags() -> pd.DataFrame:
    """Two soft flags of the demo month: one explained by its unit, one not (for the 待说明 list)."""
    return pd.DataFrame([
        {"unit_code": "T02", "file_id": 1, "sheet": "表1 指标", "row": 6, "column": "1-本月累计", "rule_id": "S01",
         "code": "I04", "message": "同比增速超出-50%～+100%，请核实数据或在“说明”栏说明原因", "explained": False},
        {"unit_code": "T03", "file_id": 2, "sheet": "表1 指标", "row": 5, "column": "1-本月累计", "rule_id": "S03",
         "code": "I02", "message": "本月数与累计差额不一致，请核实", "explained": True}])


def write_sample_context(settings: Settings | None = None) -> Path:
    """Regenerate templates/sample_context.json from the demo district (2020-04)."""
    settings = settings or load_settings(home=DEMO_REFERENCE_DIR.parent)
    context = demo_context(settings, load_reference(settings, 2020), "2020-04")
    context["issue"] = {**context["issue"], **SAMPLE_ISSUE}
    SAMPLE_CONTEXT.write_text(json.dumps(context, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return SAMPLE_CONTEXT


if __name__ == "__main__":
    print(write_sample_context())
