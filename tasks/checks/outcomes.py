"""The one state machine of a file's outcome (spec §5, §6): its states, its transitions and their Chinese names.

    arrival ──▶ received ──checked──▶ accepted ──a later accepted file of the unit──▶ superseded
       │                   └─────────▶ rejected   (unreadable, or any hard finding)
       ├──▶ duplicate   (the same bytes as an earlier arrival from the same sender: one submission)
       └──▶ rejected    (refused unread: H00, e.g. over the size limit)

The stored values (`Outcome`) are the strings the registry, the receipts and `status --json` have always
held. `arrival_outcome` is an arrival's first outcome, `checked_outcome` a read file's once checked, and
`settle_outcomes` applies both checking and superseding to a period's files. Labels: `LABELS` is the one
Chinese name of each state (and of a unit with no file, `MISSING`); the receipt and the 专报 word some of
them their own way (`RECEIPT_LABELS`, `REPORT_LABELS`, `OWING_LABELS`), declared here beside it.
Which file counts for a unit, and whether on time, is tasks/intake/standing.py.
"""
from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas, the reader and the checks only when a period's files are settled (`status` needs none)
    import pandas as pd

    from ..intake.registry import Submission
    from ..intake.workbook import WorkbookRead


class Outcome(StrEnum):
    """A file's outcome as stored in the registry (`submissions.outcome`) and written in receipts."""

    RECEIVED = "received"  # kept and registered, not yet checked
    ACCEPTED = "accepted"  # checked, no hard finding: its rows are merged
    REJECTED = "rejected"  # refused unread, unreadable, or a hard finding: nothing of it is merged
    SUPERSEDED = "superseded"  # accepted, then replaced by a later accepted file of the same unit
    DUPLICATE = "duplicate"  # the same bytes as an earlier arrival: one submission, not two


MISSING = "missing"  # a unit's status when nothing of it arrived (a unit's status, never a file's outcome)
UNREADABLE_RULE = "H00"  # the rule of a file refused unread or that cannot be opened

LABELS: dict[str, str] = {
    Outcome.RECEIVED: "已收到，待审核", Outcome.ACCEPTED: "已受理", Outcome.REJECTED: "退回",
    Outcome.SUPERSEDED: "已被更正版替代", Outcome.DUPLICATE: "重复报送", MISSING: "未报",
}
# a receipt is read by the unit on its own: each state says what it means for that file
RECEIPT_LABELS: dict[str, str] = {
    **LABELS, Outcome.RECEIVED: "已收到，正在汇总，稍后自动审核",
    Outcome.SUPERSEDED: "已受理（已被本单位更新的报送替代）", Outcome.DUPLICATE: "重复报送（与已收文件内容相同）",
}
# the 专报 is a formal document: its tables use the words of its sentences (未报送, 退回待更正)
REPORT_LABELS: dict[str, str] = {**LABELS, Outcome.REJECTED: "退回待更正", MISSING: "未报送"}
# the 催报 list tells the clerk who phones what the unit still has to do
OWING_LABELS: dict[str, str] = {MISSING: "未报送", Outcome.REJECTED: "已报送但被退回，需更正后重报"}


def arrival_outcome(*, refused: bool, duplicates: bool) -> Outcome:
    """An arrival's first outcome: refused unread → rejected (H00); the same bytes as an earlier arrival of
    the same sender → duplicate; else received (read and checked later)."""
    if refused:
        return Outcome.REJECTED
    return Outcome.DUPLICATE if duplicates else Outcome.RECEIVED


def checked_outcome(error: str | None, severities: Iterable[str]) -> Outcome:
    """A read file's outcome once checked: rejected when it could not be read or on any hard finding."""
    return Outcome.REJECTED if error or any(s == "hard" for s in severities) else Outcome.ACCEPTED


def settle_outcomes(reads: list[tuple[Submission, WorkbookRead | str | None]], findings: pd.DataFrame) -> None:
    """Set outcome, rules and messages of every read file from its findings (the caller commits), then let
    the latest accepted file of each unit supersede its earlier accepted ones.

    Each file comes with its read, or only with its read's error (None when it could be read)."""
    from ..intake.workbook import WorkbookRead
    from .validate import findings_by_file

    by_file = findings_by_file(findings[["file_id", "rule_id", "message", "severity"]])
    for row, read in reads:
        mine = by_file.get(row.id, [])
        row.rules = sorted({f["rule_id"] for f in mine})
        row.messages = [f["message"] for f in mine]
        error = read.error if isinstance(read, WorkbookRead) else read
        row.outcome = checked_outcome(error, (f["severity"] for f in mine))
    latest: dict[str, Submission] = {}
    for row, _ in sorted(reads, key=lambda pair: (pair[0].received_at, pair[0].id)):
        if row.outcome == Outcome.ACCEPTED and row.unit_code:
            if row.unit_code in latest:
                latest[row.unit_code].outcome = Outcome.SUPERSEDED
            latest[row.unit_code] = row
