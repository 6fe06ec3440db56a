"""Text is data: the one place that cleans what units type and writes text into spreadsheets we produce.

- `clean_text`: control characters stripped (tab and line feed kept; Excel's `_x000B_` escapes
  decoded first so they are stripped too), NFC, the rest kept exactly as typed.
- `text_cell` / `safe_row`: every string cell of a workbook we write is stored as a string
  (`data_type = "s"`), so `=HYPERLINK(…)` or `=cmd|' /C calc'!A0` is shown as text, never evaluated.
- `safe_stem`: a file name as part of an output name — no separators or control characters,
  capped in bytes, so no unit's file name can make an output name illegal or too long.
- `cap_bytes` / `cap_name`: the one rule for the length of a stored name: at most N bytes of UTF-8
  (file systems count bytes: 255 bytes are 85 Chinese characters), never half a character, and
  `cap_name` keeps the suffix (`.xlsx`).
- `sane_number`: finite and within ±MAX_ABS (a figure beyond it is an error, not a figure).
"""
from __future__ import annotations

import math
import re
import unicodedata

_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
MAX_ABS = 1e15  # larger than any district figure in 万元 or 元; beyond it doubles stop being exact
STEM_BYTES = 80
NAME_BYTES = 200  # a stored file name (raw uploads, the registry): under the 255 bytes of a file system's name
SUFFIX_BYTES = 16  # a longer "suffix" is part of the name (`报表.2020年4月河坝镇`), not an extension


def _decode_escape(match: re.Match) -> str:
    char = chr(int(match.group(1), 16))
    return char if _CONTROL.match(char) else match.group(0)  # only control escapes are decoded (then stripped)


def clean_text(value: str) -> str:
    """Control characters removed (\\t and \\n kept, \\r\\n → \\n), NFC; everything else intact."""
    text = _EXCEL_ESCAPE.sub(_decode_escape, value).replace("\r\n", "\n")
    return unicodedata.normalize("NFC", _CONTROL.sub("", text.replace("\r", "\n")))


def sane_number(value: float) -> bool:
    """A figure we can add, divide and print: finite and |value| ≤ MAX_ABS."""
    return math.isfinite(value) and abs(value) <= MAX_ABS


def cap_bytes(text: str, max_bytes: int) -> str:
    """`text` cut to at most `max_bytes` bytes of UTF-8, at a character boundary (never half a 汉字)."""
    return text.encode("utf-8")[:max(max_bytes, 0)].decode("utf-8", errors="ignore")


def cap_name(name: str, max_bytes: int = NAME_BYTES) -> str:
    """A file name of at most `max_bytes` UTF-8 bytes: the stem is shortened, the suffix (`.xlsx`) kept."""
    if len(name.encode("utf-8")) <= max_bytes:
        return name
    dot = name.rfind(".")
    suffix = name[dot:] if dot > 0 and len(name[dot:].encode("utf-8")) <= SUFFIX_BYTES else ""
    stem = name[:len(name) - len(suffix)]
    return cap_bytes(stem, max_bytes - len(suffix.encode("utf-8"))).rstrip(" .") + suffix


def safe_stem(name: str, max_bytes: int = STEM_BYTES) -> str:
    """A readable, harmless piece of an output name from an input file name (capped in UTF-8 bytes)."""
    stem = _UNSAFE_NAME.sub("_", clean_text(name)).strip(" ._") or "file"
    return cap_bytes(stem, max_bytes).rstrip(" .") or "file"


def text_cell(ws, value):
    """A write-only cell whose string value is stored as text (never a formula); other values as is."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=clean_text(value) if isinstance(value, str) else value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def safe_row(ws, row) -> list:
    """A row for `ws.append`: every string as a text cell."""
    return [text_cell(ws, v) if isinstance(v, str) else v for v in row]
