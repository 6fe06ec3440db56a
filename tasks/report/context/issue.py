"""The masthead and 版记 fields of an issue (第N期, dates, 送审稿, 签发人).

`issue.date` (masthead) and `issue.printed_date` (版记 "…印发") come from an explicit moment —
the run's as-of time in the office's time zone — never from the wall clock of a rerun long after
the period. `issue.draft` (送审稿) and `issue.signer` (签发人) default to a final, unsigned issue;
the approval step sets them (and printed_date = the signing date).
"""
from __future__ import annotations

from datetime import datetime

from ...core.periods import period_parts
from ...core.plan import Plan, default_plan
from ...core.settings import Settings
from ..formatting import cn_date


def issue_fields(settings: Settings, period: str, issue_no: int | None, revision: int, issued: datetime,
                 notes: list[str], reason: str | None, *, draft: bool = False, signer: str = "",
                 printed: datetime | None = None, office: str | None = None) -> dict:
    """Every `issue.*` value; `issue_no` None = not yet numbered (preview); `office` the issuer (plan.toml's
    `[report] issuer`; default the `office` setting)."""
    return {"number": str(issue_no or ""), "label": f"第{issue_no}期" if issue_no else "第　期",
            "year": str(period_parts(period)[0]), "date": cn_date(issued),
            "printed_date": cn_date(printed or issued), "office": office or settings.issuing_office,
            "revision": revision, "is_revision": revision > 0, "revision_label": "（修订版）" if revision else "",
            "revision_notes": notes, "reason": reason or "", "draft": draft, "signer": signer,
            "issued_at": issued.isoformat(timespec="seconds")}


def issue_placeholder(settings: Settings, period: str, issued: datetime, plan: Plan | None = None) -> dict:
    """Issue fields before publication (preview): publish_report replaces them (keeping the issuer)."""
    return issue_fields(settings, period, None, 0, issued, [], None, office=issuer(settings, plan))


def issuer(settings: Settings, plan: Plan | None = None) -> str:
    """The 编印单位 (masthead, 版记's 印发机关): plan.toml's `[report] issuer`; without a plan the `office` setting."""
    return (plan or default_plan(settings.district, settings.issuing_office)).issuer


def report_title(settings: Settings, plan: Plan | None = None) -> str:
    """The masthead: plan.toml's `[report] title` exactly; without a plan, "<district>工作专报"."""
    return (plan or default_plan(settings.district, settings.issuing_office)).title


def report_moment(settings: Settings, status: dict, as_of: datetime | str | None) -> datetime:
    """The moment the report speaks for: the run's as-of time; else the latest file's arrival
    (or the deadline) of the period — so a rerun years later still dates the report in its period."""
    if isinstance(as_of, str):
        as_of = datetime.fromisoformat(as_of)
    if as_of is not None:
        return (as_of if as_of.tzinfo else as_of.replace(tzinfo=settings.tz)).astimezone(settings.tz)
    arrivals = [datetime.fromisoformat(f["received_at"]) for f in status.get("files", []) if f.get("received_at")]
    if status.get("deadline"):
        arrivals.append(datetime.fromisoformat(status["deadline"]))
    if not arrivals:
        return datetime.now(settings.tz)
    moments = [m if m.tzinfo else m.replace(tzinfo=settings.tz) for m in arrivals]
    return max(moments).astimezone(settings.tz)
