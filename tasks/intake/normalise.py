"""Normalising what units type: headers, numbers, codes, the period and the unit cell (spec §4).

Pure functions over single cell values; the reader applies them column by column. The work on a
text cell is remembered per distinct text (`_clean`, `_header_text`: a province's workbooks repeat
the same headers, labels and codes thousands of times), so each distinct text is cleaned once a process.
"""
from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache

from ..core.periods import normalise_label
from ..core.text import clean_text

EMPTY_MARKS = {"", "—", "——", "-", "--", "－", "/", "／", "无", "空", "\\", "n/a", "na"}
MEASURES = ("微克/立方米", "μg/m3", "ug/m3", "万元", "亿元", "元", "%", "‰", "家", "个", "人", "吨", "亩",
            "公里", "千米", "平方米", "万人次", "人次", "项")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_CODE_IN_BRACKETS = re.compile(r"\(\s*([A-Za-z]{1,3}\d{1,6})\s*\)")
_PERIOD = re.compile(r"(\d{4})\s*(?:年|-|/|\.)\s*(\d{1,2})\s*月?")
_LABEL = re.compile(r"\d{4}-(?:\d{2}-H[12]|W\d{2}|B\d{2}|Q\d)")  # another cadence's label, as forms print it
_HALF = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*([上下])\s*半\s*月")
_WEEKS = re.compile(r"(\d{4})\s*年\s*第\s*(\d{1,2})\s*(周|个\s*双\s*周)")
_QUARTER = re.compile(r"(\d{4})\s*年\s*第\s*([一二三四1-4])\s*季度")


def nfkc(text: str) -> str:
    """Full-width letters, digits and brackets to their ASCII forms."""
    return unicodedata.normalize("NFKC", text)


CACHED_TEXTS = 1 << 16  # distinct texts remembered (a cell's text, a header): a few MB at most


def nfc(value: object) -> str:
    """Text a unit typed, kept as typed but in NFC, stripped and without control characters; '' for no value."""
    if type(value) is str:
        return _clean(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        value = int(value)
    return clean_text(str(value)).strip()


@lru_cache(maxsize=CACHED_TEXTS)
def _clean(text: str) -> str:
    return clean_text(text).strip()


def header_key(text: object) -> str:
    """A header as compared: NFKC, no white space or line breaks anywhere."""
    return _header_text(nfc(text))


@lru_cache(maxsize=CACHED_TEXTS)
def _header_text(text: str) -> str:
    return re.sub(r"\s+", "", nfkc(text))


def parse_number(value: object) -> tuple[float | None, str | None]:
    """(number, None) for a number or no value (None); (None, original text) when not a number.

    Accepts numbers stored as text, full-width digits, thousands separators, a trailing measure
    (`1234万元`, `8.5%`) and dashes or 无 meaning empty.
    """
    if value is None or isinstance(value, bool):
        return None, (None if value is None else str(value))
    if isinstance(value, (int, float)):
        return (None, None) if isinstance(value, float) and math.isnan(value) else (float(value), None)
    if isinstance(value, (date, datetime)):
        return None, str(value)
    return _parse_text(nfc(value))


@lru_cache(maxsize=CACHED_TEXTS)
def _parse_text(original: str) -> tuple[float | None, str | None]:
    text = _header_text(original)
    if text.lower() in EMPTY_MARKS:
        return None, None
    text = text.replace(",", "")
    for measure in MEASURES:
        if text.endswith(measure) and len(text) > len(measure):
            text = text[: -len(measure)]
            break
    if _NUMBER.match(text):
        return float(text), None
    return None, original


def normalise_code(value: object) -> str:
    """An indicator, project or task code: NFKC, upper case, no spaces (`ｉ０５` -> `I05`)."""
    return _header_text(nfc(value)).upper()


def parse_period(text: str) -> str | None:
    """`2020年4月`, `2020-04`, `２０２０年０４月` -> '2020-04'; another cadence's period as its label or its Chinese
    name (`2020年5月上半月` -> '2020-05-H1', `2024年第15周（4月8日—14日）`, `2024年第8个双周`, `2024年第二季度`,
    tasks/core/periods.py); None when no period is found."""
    other = _other_cadence(nfkc(text))
    if other is not None:
        return other
    match = _PERIOD.search(nfkc(text))
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return f"{match.group(1)}-{int(match.group(2)):02d}"


def _other_cadence(text: str) -> str | None:
    label = None
    if match := _LABEL.search(text):
        label = match.group(0)
    elif match := _HALF.search(text):
        label = f"{match.group(1)}-{int(match.group(2)):02d}-H{1 if match.group(3) == '上' else 2}"
    elif match := _WEEKS.search(text):
        label = f"{match.group(1)}-{'W' if match.group(3) == '周' else 'B'}{int(match.group(2)):02d}"
    elif match := _QUARTER.search(text):
        label = f"{match.group(1)}-Q{'一二三四'.index(match.group(2)) + 1 if match.group(2) in '一二三四' else match.group(2)}"
    try:
        return normalise_label(label) if label else None
    except ValueError:
        return None


def unit_code_in(text: str) -> str | None:
    """The unit code in brackets in `河坝镇（T01）`, or None."""
    match = _CODE_IN_BRACKETS.search(nfkc(text))
    return match.group(1).upper() if match else None


def split_label(cell: object) -> tuple[str, str] | None:
    """`填报单位：河坝镇（T01）` -> ('填报单位', '河坝镇（T01）'); None when the cell is no label."""
    text = nfc(cell)
    for sep in ("：", ":"):
        if sep in text:
            label, _, value = text.partition(sep)
            return header_key(label), value.strip()
    return None
