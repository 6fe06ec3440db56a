"""七、报送情况: every required unit's submission (late, missing, rejected), from the period's status.

Each unit's standing comes from tasks/intake/standing.py: the sentence's 未报送 units are every unit
without a usable file (spec §8), those whose files were all rejected counted among them as 退回未更正.
The sentence counts; the lines under it name each late, missing or rejected unit once (no name twice)."""
from __future__ import annotations

from datetime import datetime

from ...checks.outcomes import REPORT_LABELS, Outcome
from ...core.settings import Settings
from ...intake.standing import USABLE, Standing, standing_of
from ..appendix import SHEETS
from ..formatting import DASH, cn_date, cn_datetime, more_text

NOTES = {Standing.LATE: "逾期，{when}报送", Standing.REJECTED: "报送文件未通过校验，已退回",
         Standing.MISSING: "截至出刊未报送", Standing.ON_TIME: ""}


def submission_rows(settings: Settings, status: dict, names: dict) -> list[dict]:
    """Every required unit's submission (unit order), with its latest file's time and its rejection.

    Files are grouped by unit once, so this is linear in units + files.
    """
    files: dict[str, list[dict]] = {}
    for f in status.get("files", []):
        if f.get("outcome") != Outcome.DUPLICATE:
            files.setdefault(f.get("unit_code"), []).append(f)
    out = []
    for u in status.get("units", []):
        code = u["unit_code"]
        mine = files.get(code, [])
        current = [f for f in mine if f.get("outcome") in USABLE]
        when = (cn_datetime(datetime.fromisoformat(current[-1]["received_at"]).astimezone(settings.tz))
                if current else "")
        bad = [f for f in mine if f.get("outcome") == Outcome.REJECTED]
        standing = standing_of(u["status"], u.get("on_time"))
        kind = "" if standing == Standing.ON_TIME else str(standing)
        note = NOTES[standing].format(when=when)
        reason = "；".join(str(m) for m in (bad[-1].get("messages") or [])) if bad else ""
        out.append({"unit_code": code, "unit": names.get(code, u.get("unit_name") or code), "status_code": u["status"],
                    "status": REPORT_LABELS.get(u["status"], u["status"]), "received_at": when,
                    "received_iso": (datetime.fromisoformat(current[-1]["received_at"]).astimezone(settings.tz)
                                     .isoformat(timespec="seconds") if current else ""), "kind": kind,
                    "on_time": {True: "按时", False: "逾期"}.get(u.get("on_time"), DASH), "note": note,
                    "file": bad[-1]["file"] if bad else "", "reason": (reason or "未通过校验") if kind == "rejected" else ""})
    return out


def submissions(settings: Settings, status: dict, units: list[dict], limit: int) -> dict:
    late = [{"unit": u["unit"], "received_at": u["received_at"]} for u in units if u["kind"] == Standing.LATE]
    missing = [{"unit": u["unit"]} for u in units if u["kind"] == Standing.MISSING]
    rejected = [{"unit": u["unit"], "file": u["file"], "reason": u["reason"]} for u in units
                if u["kind"] == Standing.REJECTED]
    unreported = [u["unit"] for u in units if u["kind"] in (Standing.MISSING, Standing.REJECTED)]  # 未报 (spec §8)
    on_time = sum(1 for u in units if u["kind"] == "")
    # counts only: the lines under it (wording.j2 late_line, missing_line, rejected_line) name the units once
    parts = [f"本期应报单位{len(units)}个，按时报送{on_time}个，逾期报送{len(late)}个，未报送{len(unreported)}个"
             + (f"（其中报送文件被退回、尚未更正{len(rejected)}个）" if rejected else "") + "。"]
    deadline = datetime.fromisoformat(status["deadline"]) if status.get("deadline") else None
    shown = units
    if len(units) > limit:  # missing, rejected and late units first
        first = {Standing.MISSING: 0, Standing.REJECTED: 1, Standing.LATE: 2}
        shown = sorted(units, key=lambda u: first.get(u["kind"], 3))[:limit]
    rows = [{"unit_code": u["unit_code"], "unit": u["unit"], "status_code": u["status_code"], "status": u["status"],
             "received_at": u["received_at"] or DASH, "on_time": u["on_time"], "note": u["note"]} for u in shown]
    sheet = SHEETS["submissions"]
    return {"sentence": "".join(parts), "deadline": cn_date(deadline) if deadline else DASH,
            "late": late[:limit], "late_more": more_text(len(late) - limit, "个逾期报送单位", sheet),
            "missing": missing[:limit], "missing_more": more_text(len(missing) - limit, "个未报送单位", sheet),
            "rejected": rejected[:limit], "rejected_more": more_text(len(rejected) - limit, "个被退回单位", sheet),
            "rows": rows, "rows_more": more_text(len(units) - len(rows), "个单位（先列未报送、退回、逾期的）", sheet)}


