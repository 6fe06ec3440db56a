"""Property tests (Hypothesis): whatever a unit types, the normaliser and the reader keep text as data.

Cells are random text (any Unicode, control characters as Excel's `_xHHHH_` escapes, number-like
strings such as `1e400` or twenty digits), integers and floats; the reader must never raise, never
return a control character, and return each numeric field as a finite float, None or the unparsed text.
"""
from __future__ import annotations

import io
import math
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from zhuanbao.tasks.core.text import clean_text, text_cell
from zhuanbao.tasks.intake.normalise import nfc, parse_number
from zhuanbao.tasks.intake.workbook import HEADERS, NUMERIC, read_workbook

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
NUMBERISH = st.sampled_from(["1e400", "-1e400", "inf", "NaN", "12345678901234567890", "１２３４", "1,234.5万元",
                             "—", "=1+1", "=HYPERLINK(\"x\")", "0x1F", "1e-400", "+.5", "5%"])
TEXT = st.one_of(st.text(max_size=40), NUMBERISH,
                 st.lists(st.integers(0, 0x1F), min_size=1, max_size=4).map(
                     lambda codes: "前" + "".join(f"_x{c:04X}_" for c in codes) + "后"))
CELL = st.one_of(st.none(), TEXT, st.integers(-10**12, 10**12),
                 st.floats(allow_nan=False, allow_infinity=False, width=64))


@given(TEXT)
def test_cleaned_text_has_no_control_characters_and_is_stable(value):
    cleaned = nfc(value)
    assert not CONTROL.search(cleaned) and nfc(cleaned) == cleaned
    assert clean_text(clean_text(value)) == clean_text(value)


@given(CELL)
def test_a_parsed_number_is_a_float_or_the_text_kept_for_the_rules(value):
    number, unparsed = parse_number(value)
    assert number is None or isinstance(number, float)
    assert number is None or unparsed is None
    assert unparsed is None or isinstance(unparsed, str)


def _workbook(rows: list[list]) -> bytes:
    book = Workbook(write_only=True)
    ws = book.create_sheet("表1 指标")
    ws.append([text_cell(ws, "填报单位：河坝镇（T01）")])
    ws.append([text_cell(ws, "报告期：2020年3月")])
    ws.append([text_cell(ws, header) for header in HEADERS["indicators"].values()])
    for index, row in enumerate(rows):
        cells = [f"I{index + 1:02d}", *row]
        ws.append([text_cell(ws, v) if isinstance(v, str) else v for v in cells])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _escaped(value):
    """openpyxl refuses raw control characters; a unit's Excel stores them as `_xHHHH_`."""
    if isinstance(value, str):
        return CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    return value


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(CELL, min_size=7, max_size=7), min_size=1, max_size=5))
def test_the_reader_keeps_any_cell_as_data(reference, rows):
    read = read_workbook(_workbook([[_escaped(v) for v in row] for row in rows]), reference, name="随机.xlsx")
    assert read.error is None and read.unit_code == "T01"
    for record in read.records.get("indicators", []):
        for field, value in record.items():
            if isinstance(value, str):
                assert not CONTROL.search(value), (field, value)
            if field in NUMERIC["indicators"] and value is not None:
                assert isinstance(value, float) and not math.isnan(value)
