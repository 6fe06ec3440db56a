"""Every workbook format units save (.ods, .xlsm, .xlsb, and WPS's .et) is read like .xlsx.

A held-out unit's workbook (shared/samples) saved in each format gives the same read, the same outcome and
the same curated rows as its .xlsx; each format meets the same limits before calamine opens it; an .et
that cannot be read gets a receipt asking for 另存为 .xlsx. How each file is made:
- .ods: odfpy (an OpenDocument library of its own, not our writer), and tasks/demo/saved_as.py's writer;
- .xlsm: openpyxl with keep_vba (the macro-enabled content type Excel gives a macro workbook);
- .xlsb: tasks/demo/saved_as.py's BIFF12 writer (no Python library writes .xlsb; LibreOffice cannot export it);
- .et: the .xls of the same rows (WPS writes .et as a BIFF8 workbook), and a damaged one.
"""
from __future__ import annotations

import io
import os
import shutil
import struct
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pandas as pd
import pytest
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P
from sqlalchemy import select

from tests.zip_bombs import padded
from zhuanbao.tasks import steps
from zhuanbao.tasks.checks.receipts import receipt_paths
from zhuanbao.tasks.core import catalog
from zhuanbao.tasks.core.resources import DEMO_REFERENCE_DIR
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.curated.consolidate import partition_path
from zhuanbao.tasks.demo import saved_as
from zhuanbao.tasks.demo.figures import generate_month
from zhuanbao.tasks.demo.generate import D05_LIKE, write_workbook
from zhuanbao.tasks.demo.saved_as import SheetValues, ods_bytes, save_as, sheet_values, xlsb_bytes
from zhuanbao.tasks.intake.archive import ReadLimits
from zhuanbao.tasks.intake.formats import ACCEPT, WPS_SAVE_AS
from zhuanbao.tasks.intake.registry import Submission, session
from zhuanbao.tasks.intake.workbook import read_workbook

TZ = ZoneInfo("Asia/Shanghai")
HELD_OUT = ["2020-03/T01_2020-03.xlsx", "2020-04-messy/D05_2020-04.xlsx"]
FORMATS = [".ods", ".xlsm", ".xlsb"]
FORMS = ["indicators", "projects", "tasks"]


def odfpy_ods(xlsx: Path, target: Path) -> Path:
    """The workbook's values written as .ods by odfpy."""
    document = OpenDocumentSpreadsheet()
    for sheet in sheet_values(xlsx):
        table = Table(name=sheet.name)
        for row in sheet.rows:
            line = TableRow()
            for value in row:
                if value is None:
                    line.addElement(TableCell())
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    line.addElement(TableCell(valuetype="float", value=value))
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=str(value)))
                    line.addElement(cell)
            table.addElement(line)
        document.spreadsheet.addElement(table)
    document.save(str(target))
    return target


def saved(xlsx: Path, suffix: str, folder: Path) -> Path:
    """The held-out .xlsx in `suffix`: .ods by odfpy, .xlsm by openpyxl (keep_vba), .xlsb by our writer."""
    target = folder / xlsx.with_suffix(suffix).name
    if suffix == ".ods":
        return odfpy_ods(xlsx, target)
    if suffix == ".xlsm":
        book = openpyxl.load_workbook(xlsx, keep_vba=True)
        book.save(target)
        return target
    return save_as(xlsx, suffix, target)


def what_was_read(read) -> tuple:
    return read.error, read.unit_code, read.period, read.sheets, read.missing_columns, read.records


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("sample", HELD_OUT)
def test_a_held_out_workbook_reads_the_same_in_every_format(samples, reference, tmp_path, sample, suffix):
    xlsx = samples / sample
    other = saved(xlsx, suffix, tmp_path)
    base = read_workbook(xlsx, reference)
    assert base.error is None and base.records
    assert what_was_read(read_workbook(other, reference)) == what_was_read(base)


def test_an_xlsm_is_macro_enabled_and_an_ods_is_opendocument(samples, tmp_path):
    xlsx = samples / HELD_OUT[0]
    with zipfile.ZipFile(saved(xlsx, ".xlsm", tmp_path)) as archive:
        assert b"macroEnabled" in archive.read("[Content_Types].xml")
    with zipfile.ZipFile(saved(xlsx, ".ods", tmp_path)) as archive:
        assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
    with zipfile.ZipFile(saved(xlsx, ".xlsb", tmp_path)) as archive:
        assert "xl/workbook.bin" in archive.namelist()


@pytest.mark.parametrize("suffix", FORMATS)
def test_hidden_rows_and_sheets_stay_hidden_in_every_format(reference, tmp_path, suffix):
    rows = generate_month(reference, "2020-04", rng_seed=1)[0]["D05"]
    path = write_workbook(tmp_path / "D05.xlsx", reference=reference, unit_code="D05", period="2020-04",
                          style=D05_LIKE, **rows)  # with a hidden sheet 隐藏参数
    shown = read_workbook(path, reference)
    form = next(iter(shown.records))
    book = openpyxl.load_workbook(path)
    book[shown.sheets[form]].row_dimensions[shown.records[form][0]["row"]].hidden = True
    book.save(path)
    base = read_workbook(path, reference)
    assert base.records[form] == shown.records[form][1:]
    other = read_workbook(save_as(path, suffix), reference)
    assert what_was_read(other) == what_was_read(base)
    assert "隐藏参数" not in other.sheets.values()


def test_a_wps_et_is_read_when_calamine_can_and_else_asks_for_xlsx(reference, tmp_path):
    rows = generate_month(reference, "2020-04", rng_seed=1)[0]["T02"]
    xlsx = write_workbook(tmp_path / "T02.xlsx", reference=reference, unit_code="T02", period="2020-04", **rows)
    xls = write_workbook(tmp_path / "T02.xls", reference=reference, unit_code="T02", period="2020-04", **rows)
    et = tmp_path / "T02_2020-04.et"
    et.write_bytes(xls.read_bytes())
    assert what_was_read(read_workbook(et, reference)) == what_was_read(read_workbook(xlsx, reference))
    damaged = xls.read_bytes()[:600] + b"\0" * 3000
    for data in (damaged, b"WPS private format"):
        assert read_workbook(data, reference, name="T02_2020-04.et").error == WPS_SAVE_AS


@pytest.mark.parametrize("name", ["a.ods", "a.xlsm", "a.xlsb", "a.et"])
@pytest.mark.parametrize("data", [b"PK\x03\x04rest", b"plain text"])
def test_new_formats_are_never_called_not_a_workbook(reference, name, data):
    error = read_workbook(data, reference, name=name).error
    assert error and "不是 Excel 工作簿" not in error
    assert error == WPS_SAVE_AS if name.endswith(".et") else "已损坏" in error


@pytest.mark.parametrize("name, words", [("a.pdf", "不是 Excel 工作簿"), ("a.numbers", "另存为 .xlsx"),
                                         ("a.csv", "另存为 .xlsx")])
def test_other_files_are_still_refused_by_name(reference, name, words):
    assert words in read_workbook(b"PK\x03\x04rest", reference, name=name).error


# ---------------------------------------------------------------- limits before calamine

def _rezip(data: bytes, part: str, change) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    parts[part] = change(parts[part])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return buffer.getvalue()


ONE_CELL = [SheetValues("表1 指标", [["指标代码"]])]
ODS_CELL = b'<table:table-cell office:value-type="string">'


@pytest.mark.parametrize("repeat", [
    b'<table:table-cell table:number-columns-repeated="1000000000" office:value-type="string">',
    b'<table:table-row table:number-rows-repeated="5000000"><table:table-cell office:value-type="string">',
])
def test_an_ods_whose_repeats_would_expand_past_the_limits_is_refused_unread(reference, repeat):
    data = _rezip(ods_bytes(ONE_CELL), "content.xml",
                  lambda xml: xml.replace(b"<table:table-row>" + ODS_CELL if b"row" in repeat else ODS_CELL, repeat))
    error = read_workbook(data, reference, name="a.ods", limits=ReadLimits(2000, 200)).error
    assert error.startswith("文件过大或已损坏：第1张工作表的范围为") and "2000 行 × 200 列" in error


def test_a_quoted_angle_bracket_does_not_hide_a_repeat(reference):
    cell = (b'<table:table-cell table:formula="of:=[.A1]>0" table:number-columns-repeated="1000000000" '
            b'office:value-type="float" office:value="1"/>')
    data = _rezip(ods_bytes(ONE_CELL), "content.xml", lambda xml: xml.replace(b"</table:table-row>",
                                                                             cell + b"</table:table-row>", 1))
    assert "1000000001 列" in read_workbook(data, reference, name="a.ods").error


def test_an_ods_with_libreoffices_trailing_empty_repeats_is_read(reference):
    tail = (b'<table:table-row table:number-rows-repeated="1048575">'
            b'<table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>')
    data = _rezip(ods_bytes(ONE_CELL), "content.xml", lambda xml: xml.replace(b"</table:table>", tail))
    assert read_workbook(data, reference, name="a.ods").error is None


def test_an_ods_declaring_entities_is_refused_as_damaged(reference):
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    data = _rezip(ods_bytes(ONE_CELL), "content.xml", lambda xml: bomb + xml.split(b"?>", 1)[1])
    assert read_workbook(data, reference, name="a.ods").error == "文件已损坏，无法打开，请重新导出后报送"


def _xlsb_with(records: bytes, dimension: tuple[int, int] | None = None) -> bytes:
    def change(sheet: bytes) -> bytes:
        end = sheet.index(saved_as._record(0x92))
        if dimension:
            dim = saved_as._record(0x94, struct.pack("<IIII", 0, 0, 0, 0))
            sheet = sheet.replace(dim, saved_as._record(0x94, struct.pack("<IIII", 0, dimension[0], 0, dimension[1])))
        return sheet[:end] + records + sheet[end:]
    return _rezip(xlsb_bytes(ONE_CELL), "xl/worksheets/sheet1.bin", change)


def test_an_xlsb_with_a_far_cell_or_a_huge_declared_range_is_refused_unread(reference):
    far = (saved_as._record(0x00, struct.pack("<IIHBBBI", 1048000, 0, 300, 0, 0, 0, 0))
           + saved_as._record(0x06, struct.pack("<II", 16000, 0) + saved_as._wide("x")))
    for data in (_xlsb_with(far), _xlsb_with(b"", dimension=(1048575, 16383))):
        error = read_workbook(data, reference, name="a.xlsb", limits=ReadLimits(2000, 200)).error
        assert error.startswith("文件过大或已损坏：第1张工作表的范围为") and "超过 2000 行 × 200 列" in error


def test_an_xlsb_cut_short_is_damaged_not_a_crash(reference):
    data = _rezip(xlsb_bytes(ONE_CELL), "xl/worksheets/sheet1.bin", lambda sheet: sheet[:-7] + b"\x86\x01\xff\xff")
    assert "已损坏" in read_workbook(data, reference, name="a.xlsb").error


@pytest.mark.parametrize("suffix", [".ods", ".xlsb"])
def test_a_zip_bomb_in_any_zip_format_is_refused_from_the_directory(reference, suffix):
    data = (ods_bytes if suffix == ".ods" else xlsb_bytes)(ONE_CELL)
    bomb = padded(data, 8 * 1024 * 1024)
    limits = ReadLimits(max_inflated_bytes=4 * 1024 * 1024)
    assert "解压后约 8 MB，超过 4 MB 上限" in read_workbook(bomb, reference, name=f"a{suffix}",
                                                       limits=limits).error


@pytest.mark.parametrize("suffix", [".ods", ".xlsb"])
def test_three_thousand_rows_are_refused_in_every_format(reference, suffix):
    sheets = [SheetValues("表1 指标", [[n] for n in range(3000)])]
    data = (ods_bytes if suffix == ".ods" else xlsb_bytes)(sheets)
    assert "3000 行 × 1 列，超过 2000 行" in read_workbook(data, reference, name=f"a{suffix}").error


# ---------------------------------------------------------------- the month: outcome, receipts, curated rows

def _checked_alone(root: Path, path: Path, arrival: datetime, extra: list[Path] = ()) -> dict:
    """The file alone in a fresh home's inbox, collected, read, checked and consolidated."""
    home = root / path.suffix.lstrip(".")
    shutil.copytree(DEMO_REFERENCE_DIR, home / "reference", ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    settings = load_settings(home=home)
    period = "2020-0" + path.name.split("_2020-0")[1][0]
    inbox = settings.inbox_dir(period)
    inbox.mkdir(parents=True)
    for number, source in enumerate([*extra, path]):
        target = inbox / source.name
        shutil.copyfile(source, target)
        os.utime(target, (arrival.timestamp() - 60 + number, arrival.timestamp() - 60 + number))
    with steps.recorded_run(settings, period) as record:
        steps.collect(record.context)
        reads = steps.read(record.context)
        steps.check(record.context, reads)
        steps.consolidate(record.context, reads)
    with session(settings.db_url) as db:
        rows = {row.file_name: row for row in db.scalars(select(Submission))}
        db.expunge_all()
    curated = {form: pd.read_parquet(partition_path(settings.curated_dir, form, period)).drop(
        columns=["source_sha256"]) for form in FORMS if Path(partition_path(settings.curated_dir, form, period)).exists()}
    return {"settings": settings, "period": period, "rows": rows, "row": rows[path.name], "curated": curated}


@pytest.fixture(scope="module")
def checked(samples, tmp_path_factory):
    """The held-out messy D05 of April in each format, each checked alone; and a damaged .et beside the .et."""
    root = tmp_path_factory.mktemp("formats")
    xlsx = samples / HELD_OUT[1]
    arrival = datetime(2020, 5, 12, 10, tzinfo=TZ)
    made = root / "made"
    made.mkdir()
    files = {".xlsx": xlsx, **{suffix: saved(xlsx, suffix, made) for suffix in FORMATS}}
    out = {suffix: _checked_alone(root, path, arrival) for suffix, path in files.items()}
    damaged = made / "D05_2020-04_WPS.et"
    damaged.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000)
    out[".et"] = _checked_alone(root, damaged, arrival)
    return out


@pytest.mark.slow  # five homes each collect, read, check and consolidate (≈ 20 s)
@pytest.mark.parametrize("suffix", FORMATS)
def test_each_format_gets_the_xlsx_outcome_findings_and_curated_rows(checked, suffix):
    base, other = checked[".xlsx"], checked[suffix]
    assert base["row"].outcome == "accepted"
    assert (other["row"].outcome, other["row"].unit_code, other["row"].rules, other["row"].messages) == (
        base["row"].outcome, base["row"].unit_code, base["row"].rules, base["row"].messages)
    assert set(other["curated"]) == set(base["curated"]) and base["curated"]
    for form, frame in base["curated"].items():
        pd.testing.assert_frame_equal(other["curated"][form], frame)


@pytest.mark.slow
def test_an_unreadable_et_is_kept_and_its_receipt_asks_for_xlsx(checked):
    result = checked[".et"]
    row, settings = result["row"], result["settings"]
    assert row.outcome == "rejected" and row.messages == [WPS_SAVE_AS]
    assert (settings.home / row.raw_path).read_bytes().startswith(b"\xd0\xcf\x11\xe0")  # the file is kept
    _, receipt = receipt_paths(catalog.receipts_dir(settings.home, result["period"]), row.id, row.file_name)
    assert "另存为" in receipt.read_text("utf-8") and ".xlsx" in receipt.read_text("utf-8")


# ---------------------------------------------------------------- the portal and the demo

def test_the_upload_form_offers_every_format(home):
    from fastapi.testclient import TestClient

    from tests.test_portal import account, log_in, portal_settings
    from zhuanbao.flows.portal import create_app

    settings = portal_settings(home)
    client = log_in(TestClient(create_app(settings, warm=False)), "t01", account(settings, "t01"))
    page = client.get("/unit?period=2020-04").text
    assert f'accept="{ACCEPT}"' in page and ".ods" in ACCEPT and ".xlsb" in ACCEPT and ".et" in ACCEPT


@pytest.mark.slow  # two checked uploads per format (≈ 9 s each)
@pytest.mark.parametrize("suffix", FORMATS)
def test_a_unit_uploads_each_format_on_the_page_and_the_api(tmp_path, home, suffix):
    from fastapi.testclient import TestClient

    from tests.test_portal import _token, account, log_in, portal_settings, upload, workbook
    from zhuanbao.flows.portal import create_app

    settings = portal_settings(home)
    client = log_in(TestClient(create_app(settings, warm=False)), "t01", account(settings, "t01"))
    path = save_as(workbook(tmp_path, settings), suffix)
    answer = upload(client, path)
    assert "已受理" in client.get(answer.headers["location"]).text
    api = {"Authorization": f"Bearer {_token(settings, 't01')}"}
    spoiled = save_as(workbook(tmp_path, settings, spoil="约500", name="T01_again.xlsx"), suffix)
    body = client.post("/api/v1/periods/2020-04/submissions", headers=api,
                       files={"file": (spoiled.name, spoiled.read_bytes())}).json()
    assert body["outcome"] == "rejected" and body["findings"][0]["rule"] == "H05"


def test_the_demo_units_send_ods_xlsm_and_xlsb_and_are_on_time(demo_home):
    from zhuanbao.tasks.demo.scenario import OTHER_FORMATS
    from zhuanbao.tasks.intake.standing import arrived_on_time

    settings = load_settings(home=demo_home)
    sent = {(p.parent.name, p.name.split("_")[0]): p.suffix for p in (demo_home / "inbox").rglob("*_2020-*.*")}
    assert {key: sent[key] for key in OTHER_FORMATS} == OTHER_FORMATS
    with steps.recorded_run(settings, "2020-05", as_of="2020-06-16T09:00:00+08:00") as record:
        steps.collect(record.context)
        steps.check(record.context, steps.read(record.context))
    with session(settings.db_url) as db:
        rows = {row.file_name: row for row in db.scalars(select(Submission))}
        db.expunge_all()
    for (period, unit), suffix in OTHER_FORMATS.items():
        row = rows[f"{unit}_{period}{suffix}"]
        assert row.outcome == "accepted" and row.unit_code == unit
        assert arrived_on_time(settings, period, row.received_at)
