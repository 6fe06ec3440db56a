"""The GX memo (tasks/checks/gx_memo.py): the same findings, byte for byte, as plain GX on the demo's files
and the shared samples; pinned to one GX version and to the source of the functions it stands in front of."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tests.test_validate import BLANK_CASES, FIRING_CASES, PREVIOUS, QUIET_CASES, edited, ref, workbook  # noqa: F401
from zhuanbao.tasks.checks import gx_memo
from zhuanbao.tasks.checks.suites import run_suites
from zhuanbao.tasks.checks.validate import check_period
from zhuanbao.tasks.core.periods import previous_period
from zhuanbao.tasks.intake.workbook import read_workbook, tidy_frames

PROJECT = Path(__file__).resolve().parents[1]
WORKBOOKS = {".xlsx", ".xls", ".xlsm", ".xlsb", ".ods"}


def _frame_bytes(found: pd.DataFrame) -> bytes:
    return found.to_csv(index=False).encode() + str(found.dtypes.to_dict()).encode()


def test_the_memo_is_pinned_to_the_gx_in_constraints_and_its_functions_are_unchanged():
    """Fails loudly when GX moves: read the new GX's three functions, then update PINNED and SOURCE_DIGESTS."""
    import great_expectations as gx

    pinned = re.search(r"^great_expectations==(\S+)$", (PROJECT / "constraints.txt").read_text(), re.MULTILINE)
    assert pinned and pinned.group(1) == gx_memo.PINNED == gx.__version__
    assert gx_memo.source_digests() == gx_memo.SOURCE_DIGESTS
    assert gx_memo.supported() is None and gx_memo.install()


def _periods(folders: list[Path]) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for folder in folders:
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in WORKBOOKS:
                out.setdefault(folder.name.removesuffix("-messy"), []).append(path)
    return out


def _compare(periods: dict[str, list[Path]], reference) -> int:
    """Check each period's files with the memo and without; the findings' bytes must match. How many findings."""
    total, read = 0, {}
    for period, paths in sorted(periods.items()):
        reads = read[period] = [(i, read_workbook(p, reference, name=p.name)) for i, p in enumerate(paths, 1)]
        before = read.get(previous_period(period) or "")  # last month's figures: the rules comparing with them run
        previous = tidy_frames(before) if before else None
        fast = _same(period, reads, reference, previous)
        total += len(fast)
    return total


@pytest.mark.slow  # GX's import and ≈ 70 workbooks checked twice
def test_the_memo_gives_plain_gx_findings_byte_for_byte_on_the_demo_files_and_the_samples(
        built_demo_inbox, samples, reference):
    folders = sorted(p for p in (built_demo_inbox / "inbox").iterdir() if p.is_dir())
    demo = _compare(_periods(folders), reference)
    shared = _compare(_periods([samples / "2020-03", samples / "2020-04-messy"]), reference)
    assert demo and shared  # the rejected files (约500) were compared too, not only empty frames


def _same(period, reads, reference, previous=None) -> pd.DataFrame:
    fast = check_period(period, reads, reference, previous, runner=lambda s, b: run_suites(s, b, memo=True))
    plain = check_period(period, reads, reference, previous, runner=lambda s, b: run_suites(s, b, memo=False))
    pd.testing.assert_frame_equal(fast, plain)
    assert _frame_bytes(fast) == _frame_bytes(plain), period
    return fast


def test_the_memo_gives_plain_gx_findings_on_every_rule_test_validate_fires(ref):  # noqa: F811
    """Every hard and soft rule of tests/test_validate.py's cases, in one batch, with last month's figures."""
    cases = [edited({f: {c: {field: None}}}) for f, c, field, _ in BLANK_CASES if field != "status"]
    cases += [edited({f: {c: ch}}) for f, c, ch, *_ in FIRING_CASES + QUIET_CASES]
    reads = list(enumerate([workbook(forms=forms) for forms in cases] + [workbook(unit="Z99")], 1))
    found = _same("2020-04", reads, ref, PREVIOUS())
    assert {rule for _, _, _, rule in FIRING_CASES} | {"H05"} <= set(found.rule_id)


def test_outside_a_validation_gx_builds_a_fresh_configuration_each_time():
    """GX's own behaviour (an edited Expectation is always seen) is kept outside `memoized()`; inside, one."""
    from great_expectations.expectations import ExpectColumnValuesToNotBeNull

    gx_memo.install()
    expectation = ExpectColumnValuesToNotBeNull(column="a")
    assert expectation.configuration is not expectation.configuration
    with gx_memo.memoized():
        assert expectation.configuration is expectation.configuration
        config = expectation.configuration
        assert config.to_domain_obj() is config.to_domain_obj()
        config.kwargs["column"] = "b"  # edited in place: a new Expectation, not the memo's
        assert config.to_domain_obj().column == "b"
    expectation.column = "c"
    assert expectation.configuration.kwargs["column"] == "c"
    with gx_memo.memoized(enabled=False):
        assert expectation.configuration is not expectation.configuration


def test_metric_ids_inside_the_memo_are_gx_ids_and_equal_only_for_equal_content():
    from great_expectations.core.id_dict import IDDict

    kwargs = [{"column": "a", "batch_id": "b"}, {"column": "a", "batch_id": "b", "x": 1},
              {"column": "a", "batch_id": "b", "x": True}, {"column": "a", "batch_id": "b", "x": 1.0},
              {"column": "a", "batch_id": "b", "row_condition": {"type": "nullity", "column": {"name": "c"}}},
              {"column": "a", "batch_id": "b", "value_set": [True]}, {"column": "a", "batch_id": "b", "value_set": [1]}]
    plain = [IDDict(k).to_id() for k in kwargs]
    gx_memo.install()
    with gx_memo.memoized():
        assert [IDDict(k).to_id() for k in kwargs] == plain
        assert [IDDict(k).to_id() for k in kwargs] == plain  # the second time from the memo
    assert len(set(plain)) == len(plain)
