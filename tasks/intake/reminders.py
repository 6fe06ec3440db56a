"""The 催报 list: units that still owe the period's report, with whom to call.

A unit owes the report when it is 未报 (tasks/intake/standing.py): it has sent nothing (`missing`)
or only files that were rejected (`rejected`); a unit whose file is accepted or still being checked owes
nothing. The list is
written to `reports/<period>/催报名单.md` (for the clerk who phones) and `.json` (for scripts).

Contacts are optional: `contacts.csv` (unit_code, contact, phone) in `reference/<year>/` or, for
all years, in `reference/`. Units without a row are listed with empty contacts.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from ..checks.outcomes import OWING_LABELS, Outcome
from ..core import catalog
from ..core.reference import Reference
from ..core.settings import Settings
from .standing import standing_of

CONTACT_COLUMNS = ["unit_code", "contact", "phone"]


def contacts_path(settings: Settings, year: int) -> Path | None:
    for path in (settings.reference_dir(year) / "contacts.csv", catalog.contacts_file(settings.home)):
        if path.is_file():
            return path
    return None


def load_contacts(settings: Settings, year: int) -> dict[str, dict]:
    """unit_code -> {contact, phone}; empty when there is no contacts.csv."""
    path = contacts_path(settings, year)
    if path is None:
        return {}
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in CONTACT_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path} 缺少列：{'、'.join(missing)}（应为 unit_code,contact,phone）")
    return {row.unit_code.strip(): {"contact": row.contact.strip(), "phone": row.phone.strip()}
            for row in frame.itertuples() if row.unit_code.strip()}


def owing_units(status: dict, contacts: dict[str, dict]) -> list[dict]:
    """From a period_status dict: one entry per unit still owing, in the order of units.csv."""
    last_file: dict[str, dict] = {}
    for entry in status["files"]:  # grouped once: linear in units + files
        if entry["outcome"] != Outcome.DUPLICATE and entry["unit_code"]:
            last_file[entry["unit_code"]] = entry
    entries = []
    for unit in status["units"]:
        if standing_of(unit["status"], unit.get("on_time")).reported:
            continue
        last = last_file.get(unit["unit_code"])
        who = contacts.get(unit["unit_code"], {})
        entries.append({"unit_code": unit["unit_code"], "unit_name": unit["unit_name"], "status": unit["status"],
                        "situation": OWING_LABELS[unit["status"]], "rules": unit["rules"],
                        "last_file": last["file"] if last else None,
                        "last_received_at": last["received_at"] if last else None,
                        "last_messages": last["messages"] if last else [],
                        "contact": who.get("contact", ""), "phone": who.get("phone", "")})
    return entries


def reminder_markdown(period: str, deadline: str, as_of: str, entries: list[dict], required: int) -> str:
    lines = [f"# {period} 催报名单", "",
             (f"截止时间：{deadline.replace('T', ' ')[:19]}　统计时间：{as_of.replace('T', ' ')[:19]}　"
              f"应报 {required} 家，尚欠 {len(entries)} 家"), ""]
    if not entries:
        return "\n".join(lines + ["所有应报单位均已报送。", ""])
    lines += ["| 单位代码 | 单位 | 情况 | 最近文件 | 联系人 | 电话 |", "| --- | --- | --- | --- | --- | --- |"]
    for e in entries:
        situation = e["situation"] + (f"（{'、'.join(e['rules'])}）" if e["rules"] else "")
        lines.append(f"| {e['unit_code']} | {e['unit_name']} | {situation} | {e['last_file'] or '—'} | "
                     f"{e['contact'] or '—'} | {e['phone'] or '—'} |")
    return "\n".join(lines + [""])


def write_reminders(settings: Settings, period: str, status: dict, entries: list[dict],
                    as_of: datetime | None = None) -> dict[str, Path]:
    """Write 催报名单.md and .json under reports/<period>/ (replacing the previous list)."""
    moment = (as_of or datetime.now(settings.tz)).isoformat(timespec="seconds")
    folder = settings.reports_dir(period)
    folder.mkdir(parents=True, exist_ok=True)
    md, js = folder / "催报名单.md", folder / "催报名单.json"
    md.write_text(reminder_markdown(period, status["deadline"], moment, entries, len(status["units"])), "utf-8")
    payload = {"period": period, "deadline": status["deadline"], "as_of": moment,
               "required": len(status["units"]), "owing": entries}
    js.write_text(json.dumps(payload, ensure_ascii=False, indent=2), "utf-8")
    return {"markdown": md, "json": js}


def reminder_list(settings: Settings, db: Session, period: str, reference: Reference,
                  as_of: datetime | None = None) -> tuple[list[dict], dict[str, Path]]:
    """The owing units from the registry as it stands, written to reports/<period>/."""
    from .status import period_status

    status = period_status(settings, db, period, reference)
    entries = owing_units(status, load_contacts(settings, reference.year))
    return entries, write_reminders(settings, period, status, entries, as_of)


def log_lines(period: str, entries: list[dict]) -> list[str]:
    """One line per owing unit, for the flow's log."""
    if not entries:
        return [f"{period}：所有应报单位均已报送，无需催报"]
    head = f"{period}：尚有 {len(entries)} 家单位未完成报送"
    return [head] + [f"  {e['unit_code']} {e['unit_name']}：{e['situation']}"
                     + (f"，联系人 {e['contact']} {e['phone']}".rstrip() if e["contact"] or e["phone"] else "")
                     for e in entries]
