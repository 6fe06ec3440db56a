"""Each normalisation of spec §4, pinned on single cells."""
import pytest

from zhuanbao.tasks.intake.normalise import (
    header_key,
    normalise_code,
    parse_number,
    parse_period,
    split_label,
    unit_code_in,
)


@pytest.mark.parametrize("cell, expected", [
    (1234.5, 1234.5),
    ("1234.5", 1234.5),            # number stored as text
    ("１２３４", 1234.0),           # full-width digits
    ("1,234.5", 1234.5),           # thousands separator
    ("４９．１万元", 49.1),          # full-width with trailing measure
    ("1234万元", 1234.0),
    ("8.5%", 8.5),
    ("８．５％", 8.5),
    (" -3.2 ", -3.2),
    ("0.0", 0.0),
])
def test_numbers_are_read_after_normalising(cell, expected):
    assert parse_number(cell) == (expected, None)


@pytest.mark.parametrize("cell", [None, "", "  ", "—", "-", "/", "无", "——"])
def test_dashes_and_blanks_mean_no_value(cell):
    assert parse_number(cell) == (None, None)


@pytest.mark.parametrize("cell", ["约500", "500左右", "12..3", "待统计", "1,2,3万元元"])
def test_text_that_is_not_a_number_is_kept_as_typed(cell):
    assert parse_number(cell) == (None, cell)


def test_headers_compare_without_spaces_breaks_or_full_width_brackets():
    assert header_key("1-本月\n累计") == header_key("1-本月累计")
    assert header_key("同比增长（%）") == header_key("同比增长(%)")
    assert header_key(" 说明 ") == "说明"


def test_codes_are_upper_case_ascii():
    assert normalise_code(" ｉ０５ ") == "I05"


@pytest.mark.parametrize("text, period", [
    ("2020年4月", "2020-04"), ("2020年04月", "2020-04"), ("２０２０年１２月", "2020-12"),
    ("2020-04", "2020-04"), ("2020.4", "2020-04"), ("四月", None), ("2020年13月", None),
])
def test_period_text(text, period):
    assert parse_period(text) == period


def test_unit_cell_gives_code_in_brackets_full_or_half_width():
    assert unit_code_in("河坝镇（T01）") == "T01"
    assert unit_code_in("河坝镇(t01)") == "T01"
    assert unit_code_in("区住房城乡建设局") is None


def test_label_cells_split_on_either_colon():
    assert split_label("填报单位：河坝镇（T01）") == ("填报单位", "河坝镇（T01）")
    assert split_label("报告期: 2020年4月") == ("报告期", "2020年4月")
    assert split_label("指标代码") is None
