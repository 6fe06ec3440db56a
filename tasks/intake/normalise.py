"""Normalising what units type: headers, numbers, codes, the period and the unit cell (spec §4).

Pure functions over single cell values; the reader applies them column by column.
"""
from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime

from ..core.text import clean_text

EMPTY_MARKS = {"", "—", "——", "-", "--", "－", "/", "／", "无", "空", "\\", "n/a", "na"}
MEASURES = ("微克/立方米", "μg/m3", "ug/m3", "万元", "亿元", "元", "%", "‰", "家", "个", "人", "吨", "亩",
            "公里", "千米", "平方米", "万人次", "人次", "项")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_CODE_IN_BRACKETS = re.compile(r"\(\s*([A-Za-z]{1,3}\d{1,6})\s*\)")
_PERIOD = re.compile(r"(\d{4})\s*(?:年|-|/|\.)\s*(\d{1,2})\s*月?")


def nfkc(text: str) -> str:
    """Full-width letters, digits and brackets to their ASCII forms."""
    return unicodedata.normalize("NFKC", text)


def nfc(value: object) -> str:
    """Text a unit typed, kept as typed but in NFC, stripped and without control characters; '' for no value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        value = int(value)
    return clean_text(str(value)).strip()


def header_key(text: object) -> str:
    """A header as compared: NFKC, no white space or line breaks anywhere."""
    return re.sub(r"\s+", "", nfkc(nfc(text)))


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
    original = nfc(value)
    text = re.sub(r"\s+", "", nfkc(original))
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
    return re.sub(r"\s+", "", nfkc(nfc(value))).upper()


def parse_period(text: str) -> str | None:
    """`2020年4月`, `2020-04`, `２０２０年０４月` -> '2020-04'; None when no period is found."""
    match = _PERIOD.search(nfkc(text))
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return f"{match.group(1)}-{int(match.group(2)):02d}"


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
