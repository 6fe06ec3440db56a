"""The file-outcome state machine (tasks/checks/outcomes.py): stored values, transitions, one set of labels."""
from __future__ import annotations

from zhuanbao.tasks.checks.outcomes import (
    LABELS,
    MISSING,
    OWING_LABELS,
    RECEIPT_LABELS,
    REPORT_LABELS,
    Outcome,
    arrival_outcome,
    checked_outcome,
)


def test_stored_values_are_the_registrys_strings():
    assert [o.value for o in Outcome] == ["received", "accepted", "rejected", "superseded", "duplicate"]
    assert Outcome.ACCEPTED == "accepted" and f"{Outcome.REJECTED}" == "rejected"


def test_an_arrival_is_refused_a_duplicate_or_received():
    assert arrival_outcome(refused=True, duplicates=False) == Outcome.REJECTED
    assert arrival_outcome(refused=False, duplicates=True) == Outcome.DUPLICATE
    assert arrival_outcome(refused=False, duplicates=False) == Outcome.RECEIVED


def test_a_checked_file_is_rejected_by_an_error_or_a_hard_finding_only():
    assert checked_outcome(None, ["soft", "soft"]) == Outcome.ACCEPTED
    assert checked_outcome(None, ["soft", "hard"]) == Outcome.REJECTED
    assert checked_outcome("文件已损坏", []) == Outcome.REJECTED


def test_every_state_has_one_label_and_each_variant_rewords_only_some():
    assert set(LABELS) == {*Outcome, MISSING}
    assert set(RECEIPT_LABELS) == set(REPORT_LABELS) == set(LABELS)
    assert (LABELS[Outcome.ACCEPTED], LABELS[Outcome.REJECTED], LABELS[MISSING]) == ("已受理", "退回", "未报")
    assert REPORT_LABELS[Outcome.REJECTED] == "退回待更正" and OWING_LABELS[MISSING] == "未报送"
