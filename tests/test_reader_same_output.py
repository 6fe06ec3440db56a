"""The reader's shortcuts (issue 28, per-file cost) change nothing it reads.

- The normalisers remember their work per distinct text: every cell of the shared samples and the demo's
  messy workbooks, and the awkward values (control characters, Excel's `_x000B_` escapes, full-width
  digits, floats that are integers, bools, dates, NaN), normalise exactly as the plain functions below
  (the code before the cache) do — first call and cached call alike.
- One opening of a workbook's zip (`scan_archive`) gives the same problem and hidden rows as the two
  scans it replaces (`archive_problem`, `hidden_rows`), in every zip format, for bombs and damaged files too.
"""
from __future__ import annotations

import io
import math
import re
import unicodedata
import zipfile
from datetime import date, datetime, time

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from tests.zip_bombs import padded
from zhuanbao.tasks.core.text import clean_text
from zhuanbao.tasks.demo.saved_as import SheetValues, ods_bytes, save_as, xlsb_bytes
from zhuanbao.tasks.intake import normalise
from zhuanbao.tasks.intake.archive import ReadLimits, archive_problem, hidden_rows, scan_archive

# ---- the normalisers as they were, uncached: the oracle ------------------------------------

def plain_nfc(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        value = int(value)
    return clean_text(str(value)).strip()


def plain_header_key(text):
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", plain_nfc(text)))


def plain_parse_number(value):
    if value is None or isinstance(value, bool):
        return None, (None if value is None else str(value))
    if isinstance(value, (int, float)):
        return (None, None) if isinstance(value, float) and math.isnan(value) else (float(value), None)
    if isinstance(value, (date, datetime)):
        return None, str(value)
    original = plain_nfc(value)
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", original))
    if text.lower() in normalise.EMPTY_MARKS:
        return None, None
    text = text.replace(",", "")
    for measure in normalise.MEASURES:
        if text.endswith(measure) and len(text) > len(measure):
            text = text[: -len(measure)]
            break
    if normalise._NUMBER.match(text):
        return float(text), None
    return None, original


def plain_normalise_code(value):
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", plain_nfc(value))).upper()


AWKWARD = [None, "", "  ", "—", "无", "N/A", 0, 1, True, False, 1.0, -0.0, 2.5, float("nan"), 1e17, 123456789.0,
           "１２３４", "４９．１万元", " 8.5% ", "1,234.5", "约500", "ｉ０５", " i 05 ", "a_x000B_b", "a_x0041_b",
           "x\r\ny\rz", "\ufeff指标代码\u2028", "e\u0301", "Å", "填报单位：河坝镇（T01）", "表1  指标",
           date(2020, 4, 1), datetime(2020, 4, 1, 8, 30), time(8, 30), "1e3", ".5", "+3.", "0x10"]


class Str(str):
    """A str subclass (not the cached path): normalised the same."""


def cells_of(path) -> list:
    book = CalamineWorkbook.from_path(str(path))
    return [cell for name in book.sheet_names
            for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False) for cell in row]


def test_cached_normalisers_agree_with_the_plain_ones_on_every_sample_cell(samples):
    cells = [cell for path in sorted(samples.rglob("*.xlsx")) for cell in cells_of(path)]
    assert len(cells) > 1000
    values = [*AWKWARD, Str(" Ｔ０１ "), *cells]
    for _ in range(2):  # the second pass is answered from the caches
        for value in values:
            assert normalise.nfc(value) == plain_nfc(value), value
            assert normalise.header_key(value) == plain_header_key(value), value
            assert normalise.normalise_code(value) == plain_normalise_code(value), value
            got, want = normalise.parse_number(value), plain_parse_number(value)
            assert got == want or (got[0] is not None and math.isnan(got[0]) and math.isnan(want[0])), value


def test_a_cached_text_keeps_its_own_type_apart():
    """1, 1.0 and True compare equal; their texts are not all the same."""
    assert [normalise.nfc(v) for v in (True, 1, 1.0, "1", "1.0")] == ["True", "1", "1", "1", "1.0"]
    assert [normalise.parse_number(v) for v in (True, "True")] == [(None, "True"), (None, "True")]


# ---- one zip scan for the limits and the hidden rows ---------------------------------------

def _workbook_with_hidden_rows(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "表1 指标"
    for number in range(1, 12):
        sheet.append([f"I{number:02d}", number])
    for number in (3, 7):
        sheet.row_dimensions[number].hidden = True
    book.create_sheet("空表")
    path = tmp_path / "hidden.xlsx"
    book.save(path)
    return path


def _bomb(data: bytes) -> bytes:
    return padded(data, 3 * 1024 * 1024)


def _twice(data: bytes) -> bytes:
    """The sheet part again under the same name (a zip may hold a name twice; the last one counts), without its
    hidden rows and padded past what the dimension scan reads."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = [(n, archive.read(n)) for n in archive.namelist()]
    sheet = next(body for name, body in parts if name == "xl/worksheets/sheet1.xml")
    buffer = io.BytesIO()
    with pytest.warns(UserWarning), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts:
            archive.writestr(name, body)
        archive.writestr("xl/worksheets/sheet1.xml", sheet.replace(b' hidden="1"', b"") + b" " * 20000)
    return buffer.getvalue()


def test_one_zip_scan_answers_as_the_two_scans_did(tmp_path, samples):
    xlsx = _workbook_with_hidden_rows(tmp_path)
    cases = {"hidden.xlsx": xlsx.read_bytes(),
             "hidden.ods": save_as(xlsx, ".ods").read_bytes(), "hidden.xlsb": save_as(xlsx, ".xlsb").read_bytes(),
             "long.ods": ods_bytes([SheetValues("表1 指标", [[n] for n in range(3000)])]),
             "long.xlsb": xlsb_bytes([SheetValues("表1 指标", [[n] for n in range(3000)])]),
             "bomb.xlsx": _bomb(xlsx.read_bytes()), "cut.xlsx": xlsx.read_bytes()[:-200],
             "twice.xlsx": _twice(xlsx.read_bytes()),
             "not-a-zip.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100}
    cases.update({path.name: path.read_bytes() for path in sorted(samples.rglob("*.xlsx"))})
    limits = ReadLimits(max_rows=2000, max_columns=200, max_inflated_bytes=2 * 1024 * 1024)
    found = {}
    for name, data in cases.items():
        problem = archive_problem(data, limits)
        expected = (problem, {} if problem else hidden_rows(data, limits.max_rows))
        assert scan_archive(data, limits) == expected, name
        found[name] = expected
    assert found["hidden.xlsx"] == (None, {"表1 指标": {3, 7}}) and found["twice.xlsx"] == (None, {})
    assert found["hidden.ods"][1] == found["hidden.xlsb"][1] == {"表1 指标": {3, 7}}
    assert "3000 行" in found["long.ods"][0] and "3000 行" in found["long.xlsb"][0]
    assert "超过 2 MB 上限" in found["bomb.xlsx"][0] and found["cut.xlsx"][0].startswith("文件已损坏")
