"""The notices themselves: a draft waiting, a run failed, the deadline near (to the office), 催报 (to each unit).

Short Chinese text with the period, what is needed, by when, and the links (the draft, the 催报名单, the
填报门户 when ZHUANBAO_PORTAL_URL is set); written as light Markdown — paragraphs and "- " lists — which
reads the same as plain text where the service does not render it (企业微信、飞书 robots) and is rendered
by 钉钉 (format=markdown) and mail (HTML). Each office notice is also a Prefect event (events.py).
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from ..core.settings import Settings
from .delivery import send_counted, send_notice
from .events import emit
from .recipients import targets

DEADLINE_NOTICE_DAYS = 3


def paragraphs(*blocks: str) -> str:
    """Markdown paragraphs (a blank line between), each block's own lines kept."""
    return "\n\n".join(b for b in blocks if b) + "\n"


def _link(path: str | Path | None) -> str:
    return Path(path).resolve().as_uri() if path else "—"


def _portal(settings: Settings) -> str:
    return f"填报门户：{settings.portal_url}" if settings.portal_url else ""


def draft_waiting(settings: Settings, state: dict, role: str, returned: str | None = None) -> Path | None:
    """A draft waits for `role` (tasks/report/approval.py `waiting_for`): review by the office or signing
    by the leaders; `state` is the revision's `approval_state`."""
    step = "审核" if role == "office" else "签发"
    command = "review" if role == "office" else "sign"
    period, what = state["period"], state.get("what") or f"{state['period']} 专报{state['label']}"
    target, document = state.get("target") or f"--period {period}", state.get("document") or "专报"  # a 考核通报's own
    head = f"{what}已被退回，退回意见：{returned}。修改后请重新审核。" if returned else f"{what}草稿已生成，待{step}。"
    body = paragraphs(head, f"- 草稿（PDF）：{_link(state['draft'].get('pdf'))}\n"
                            f"- 草稿（Word）：{_link(state['draft'].get('docx'))}",
                      f"{step}：zhuanbao {command} {target} --by 姓名\n\n"
                      f"退回：zhuanbao return {target} --by 姓名 --comment 原因", _portal(settings))
    emit("zhuanbao.draft.waiting", period, {"waiting_for": role, "state": state["state"], "revision": state["revision"],
                                            "pdf": state["draft"].get("pdf"), "returned": returned or ""})
    subject = (f"【{document}】{what}已退回，待重新审核" if returned
               else f"【{document}】{what}草稿{'已审核，' if role == 'leader' else ''}待{step}")
    return send_notice(settings, subject, body, kind=f"draft-{command}", to=targets(settings, role))


def run_failed(settings: Settings, subject: str, body: str, period: str | None, payload: dict) -> Path | None:
    """A run failed or crashed: the office is told (with the step and the message)."""
    emit("zhuanbao.run.failed", period, payload)
    return send_notice(settings, subject, paragraphs(*body.strip().split("\n")), kind="run-failed",
                       to=targets(settings, "office"))


def _who(entry: dict) -> str:
    if not (entry.get("contact") or entry.get("phone")):
        return ""
    return f"，联系人 {entry.get('contact', '')} {entry.get('phone', '')}".rstrip()


def deadline_reminder(settings: Settings, period: str, entries: list[dict], today: date | None = None,
                      force: bool = False) -> Path | None:
    """Three days before the deadline, the 催报 list (units that have not submitted) to the office."""
    closing = settings.deadline(period)
    today = today or datetime.now(settings.tz).date()
    if not entries or not (force or (closing.date() - today).days == DEADLINE_NOTICE_DAYS):
        return None
    head = (f"{period} 报送截止时间：{closing:%Y-%m-%d %H:%M}（还有{(closing.date() - today).days}天），"
            f"尚有 {len(entries)} 家单位未完成报送：")
    units = "\n".join(f"- {e['unit_name']}（{e['unit_code']}）：{e['situation']}{_who(e)}" for e in entries)
    emit("zhuanbao.deadline.near", period, {"deadline": closing.isoformat(), "owing": [e["unit_code"] for e in entries]})
    return send_notice(settings, f"【专报】{period} 报送截止前{DEADLINE_NOTICE_DAYS}天：{len(entries)} 家单位未报送",
                       paragraphs(head, units, f"名单：{_link(settings.reports_dir(period) / '催报名单.md')}", _portal(settings)),
                       kind="deadline", to=targets(settings, "office"))


def _owed(entry: dict) -> str:
    """What one unit still owes, as Markdown list lines: the report, or the corrections of its returned file."""
    if entry["status"] == "missing":
        return "- 本期报表尚未收到"
    lines = [f"- 已收到的文件“{entry.get('last_file') or '—'}”未通过审核，需更正后重报"]
    lines += [f"- {message}" for message in (entry.get("last_messages") or [])[:8]]
    return "\n".join(lines)


def unit_reminder_text(settings: Settings, period: str, entry: dict, now: datetime) -> tuple[str, str]:
    """(subject, body) of one unit's 催报: its own situation, what it owes, by when, and where to send it."""
    closing = settings.deadline(period)
    when = (f"报送截止时间：{closing:%Y-%m-%d %H:%M}" if now < closing
            else f"报送截止时间 {closing:%Y-%m-%d %H:%M} 已过，请尽快报送")
    subject = f"【催报】{entry['unit_name']}：{period} 报表{entry['situation']}"
    body = paragraphs(f"{entry['unit_name']}（{entry['unit_code']}）：{period} 统计报表{entry['situation']}。",
                      _owed(entry), when, _portal(settings) or (f"报送方式：{settings.send_to}" if settings.send_to else ""))
    return subject, body


def unit_reminders(settings: Settings, period: str, entries: list[dict], now: datetime | None = None) -> dict[str, int]:
    """Each owing unit's 催报 to its own recipients (units without one are skipped): how many units were told
    (reached by at least one of their recipients), kept (reached by none: in the outbox) and without recipient."""
    now = now or datetime.now(settings.tz)
    counts = {"units_told": 0, "units_without_recipient": 0, "units_kept": 0}
    for entry in entries:
        mine = targets(settings, "unit", entry["unit_code"])
        if not mine:
            counts["units_without_recipient"] += 1
            continue
        subject, body = unit_reminder_text(settings, period, entry, now)
        reached, _kept = send_counted(settings, subject, body, kind="unit-reminder", to=mine)
        counts["units_told" if reached else "units_kept"] += 1
    return counts
