"""The reader on the shared samples and on the layouts and rejections of spec §4."""
from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from zhuanbao.tasks.intake.workbook import read_workbook

INDICATOR_HEADERS = ["指标代码", "指标名称", "计量单位", "本月", "1-本月累计", "去年同期累计", "同比增长(%)", "说明"]


def sheet_bytes(rows: list[list], *, title="表1 指标", extra_hidden=False, first_sheet=None) -> bytes:
    """A workbook of one form sheet with exactly the given rows (None = empty cell)."""
    book = openpyxl.Workbook()
    sheet = book.active
    if first_sheet:
        sheet.title = first_sheet
        sheet.append(["请于每月15日前报送上月数据。"])
        sheet = book.create_sheet(title)
    else:
        sheet.title = title
    for row in rows:
        sheet.append(row)
    if extra_hidden:
        hidden = book.create_sheet("表1 指标 (旧)")
        hidden.append(["指标代码", "1-本月累计"])
        hidden.append(["I99", 1])
        hidden.sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def d01_rows(value="11246.9") -> list[list]:
    return [["表1 主要指标完成情况"], ["填报单位：区发改财政局（D01）", None, None, "报告期：2020年3月"],
            INDICATOR_HEADERS, ["I05", "地方一般公共预算收入", "万元", "3286.9", value, "10644.8", "5.7", ""],
            [], ["单位负责人：王某  填报人：李某"]]


def test_every_clean_sample_is_read_with_its_unit_period_and_rows(samples, reference):
    files = sorted((samples / "2020-03").glob("*.xlsx"))
    assert len(files) == 18
    for path in files:
        read = read_workbook(path, reference)
        assert read.error is None, path.name
        assert read.unit_code == path.name[:3]
        assert read.period == "2020-03"
        assigned = reference.assignments("2020-03").query("unit_code == @read.unit_code")
        for form, frame in read.frames.items():
            code_col = frame.columns[3]
            assert set(frame[code_col]) == set(assigned.loc[assigned.form == form, "code"]), (path.name, form)


def test_messy_t01_headers_text_numbers_blank_rows_and_dashes(samples, reference):
    read = read_workbook(samples / "2020-04-messy" / "T01_2020-04.xlsx", reference)
    assert read.error is None and read.unit_code == "T01" and read.period == "2020-04"
    assert read.missing_columns == {}
    project = read.frames["projects"].iloc[0]
    assert (project.annual_plan, project.cumulative_investment) == (4188.0, 1178.9)  # "4,188.0", "1,178.9"
    indicator = read.frames["indicators"].iloc[0]
    assert indicator.row == 5 and indicator.cumulative == 0.0
    assert indicator.last_year_cumulative != indicator.last_year_cumulative  # "—" read as no value
    assert indicator.last_year_cumulative_unparsed is None
    tasks = read.frames["tasks"]
    assert list(tasks.row) == [5, 6, 8, 9, 10, 11, 12]  # the blank row 7 is skipped, rows keep their numbers
    assert list(tasks.progress_pct[:2]) == [29.0, 39.0]


def test_messy_d05_full_width_measures_unit_name_and_extra_sheet(samples, reference):
    read = read_workbook(samples / "2020-04-messy" / "D05_2020-04.xlsx", reference)
    assert read.unit_code == "D05" and read.unit_text == "区住房城乡建设局"
    assert set(read.sheets) == {"projects", "tasks"}
    projects = read.frames["projects"].set_index("project_code")
    assert projects.loc["X07", "cumulative_investment"] == 49.1  # "４９．１万元"
    assert projects.loc["X10", "annual_plan"] == 30781.0
    assert read.frames["tasks"].progress_pct.tolist() == [37.0, 36.0]


def test_d02_keeps_the_non_number_with_its_row(samples, reference):
    read = read_workbook(samples / "2020-04-messy" / "D02_2020-04.xlsx", reference)
    bad = read.frames["indicators"].dropna(subset=["cumulative_unparsed"])
    assert len(bad) == 1
    assert (bad.iloc[0].sheet, bad.iloc[0].row, bad.iloc[0].cumulative_unparsed) == ("表1 指标", 4, "约500")


def test_blank_columns_titles_and_hidden_sheets_do_not_matter(reference):
    rows = [[None, *r] for r in ([], [], *d01_rows())]  # a blank first column, two blank rows on top
    read = read_workbook(sheet_bytes(rows, extra_hidden=True, first_sheet="填报说明"), reference, name="d01.xlsx")
    frame = read.frames["indicators"]
    assert read.unit_code == "D01" and read.period == "2020-03"
    assert frame.indicator_code.tolist() == ["I05"]  # I99 of the hidden sheet is not read
    assert frame.row.tolist() == [6]


def test_renamed_sheet_is_found_by_its_headers(reference):
    read = read_workbook(sheet_bytes(d01_rows(), title="Sheet1"), reference, name="d01.xlsx")
    assert read.sheets == {"indicators": "Sheet1"}


def test_unit_in_the_next_cell_after_the_label(reference):
    rows = d01_rows()
    rows[1] = ["填报单位：", "区发改财政局", "报告期：", None]
    rows[1][3] = "2020年3月"
    read = read_workbook(sheet_bytes(rows), reference, name="d01.xlsx")
    assert read.unit_code == "D01"


def test_unknown_unit_and_other_period_are_reported_not_guessed(reference):
    rows = d01_rows()
    rows[1] = ["填报单位：大通湖区某某局", None, None, "报告期：2020年5月"]
    read = read_workbook(sheet_bytes(rows), reference, name="x.xlsx")
    assert read.unit_code is None and read.unit_text == "大通湖区某某局" and read.period == "2020-05"


def test_missing_required_column_is_named(reference):
    rows = d01_rows()
    rows[2] = [h for h in INDICATOR_HEADERS if h != "1-本月累计"]
    read = read_workbook(sheet_bytes(rows), reference, name="d01.xlsx")
    assert read.missing_columns == {"indicators": ["1-本月累计"]}


@pytest.mark.parametrize("name, data, words", [
    ("report.pdf", b"%PDF-1.4 ...", "不是 Excel 工作簿"),
    ("T01_2020-04.xlsx", b"this is not a workbook at all", "已损坏"),
    ("T01_2020-04.xlsx", b"PK\x03\x04" + b"\x00" * 100, "已损坏"),
])
def test_non_spreadsheets_and_corrupt_files_are_rejected_in_plain_words(reference, name, data, words):
    read = read_workbook(data, reference, name=name)
    assert read.error and words in read.error


def test_truncated_workbook_is_corrupt(samples, reference):
    data = (samples / "2020-03" / "T01_2020-03.xlsx").read_bytes()
    read = read_workbook(data[: len(data) // 2], reference, name="T01.xlsx")
    assert "已损坏" in read.error


def test_zip_that_is_no_workbook_is_corrupt(reference):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert "已损坏" in read_workbook(buffer.getvalue(), reference, name="a.xlsx").error


def test_encrypted_workbook_asks_for_the_password_to_be_removed(samples, reference):
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    with open(samples / "2020-03" / "T01_2020-03.xlsx", "rb") as plain:
        OOXMLFile(plain).encrypt("secret", out)
    read = read_workbook(out.getvalue(), reference, name="T01_2020-04.xlsx")
    assert "密码" in read.error


def test_oversized_file_is_rejected_with_the_limit(samples, reference):
    path = samples / "2020-03" / "T01_2020-03.xlsx"
    read = read_workbook(path, reference, max_bytes=1024)
    assert "超过" in read.error and "上限" in read.error


def test_chinese_text_stays_intact(samples, reference):
    read = read_workbook(samples / "2020-04-messy" / "D05_2020-04.xlsx", reference)
    name = read.frames["projects"].set_index("project_code").loc["X10", "project_name"]
    assert name == "大通湖中心城区“一河两岸”综合整治建设项目"
