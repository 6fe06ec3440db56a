"""Which files are workbooks: the suffixes units send and the words a clerk reads when one cannot be read.

Every format here is read by python-calamine exactly like .xlsx (tasks/intake/workbook.py) and goes
through the same limits (tasks/intake/archive.py: the zip formats .xlsx/.xlsm, .xlsb and .ods each have
their size and range checks before calamine opens them). `.et` is WPS's own format: read when calamine
can (WPS mostly writes it as a BIFF8 workbook, like .xls), else a receipt asking to save it as .xlsx.
"""
from __future__ import annotations

WORKBOOKS = {
    ".xlsx": "Excel 工作簿",
    ".xlsm": "含宏的 Excel 工作簿",
    ".xlsb": "Excel 二进制工作簿",
    ".xls": "Excel 97-2003 工作簿",
    ".ods": "OpenDocument 表格（WPS、LibreOffice）",
    ".et": "WPS 表格",
}
OTHER_SHEETS = {".numbers": "Numbers 表格", ".csv": "CSV 文本", ".fods": "OpenDocument 平面表格",
                ".xltx": "Excel 模板", ".xltm": "含宏的 Excel 模板", ".ett": "WPS 表格模板"}
ACCEPT = ",".join(WORKBOOKS)  # the portal's file picker (`accept=`)
LISTED = "、".join(WORKBOOKS)  # .xlsx、.xlsm、.xlsb、.xls、.ods、.et
WPS_SAVE_AS = "WPS 表格文件（.et）无法读取，请在 WPS 中点“文件—另存为”，选择 .xlsx 格式后重新报送"


def suffix_problem(suffix: str) -> str | None:
    """Why a file with this suffix is not taken as a workbook (None for every format in WORKBOOKS)."""
    suffix = suffix.lower()
    if suffix in WORKBOOKS:
        return None
    if suffix in OTHER_SHEETS:
        return f"文件类型“{suffix}”（{OTHER_SHEETS[suffix]}）系统不能接收，请在 Excel 或 WPS 中另存为 .xlsx 后报送"
    return f"文件类型“{suffix or '无扩展名'}”不是 Excel 工作簿，请以 {LISTED} 之一的格式报送（推荐 .xlsx）"


def in_its_words(problem: str | None, name: str) -> str | None:
    """A reader's "damaged" for this file: an .et's is the request to save it as .xlsx (calamine reads only
    the .et files WPS writes as BIFF8; the others are WPS's own format, not damage)."""
    if problem and name.lower().endswith(".et") and problem.startswith("文件已损坏，"):
        return WPS_SAVE_AS
    return problem


def cannot_open(suffix: str) -> str:
    """A file of an accepted suffix that no reader can open: damaged, or (.et) a WPS format calamine lacks."""
    suffix = suffix.lower()
    if suffix == ".et":
        return WPS_SAVE_AS
    if suffix in WORKBOOKS and suffix != ".xlsx":
        return f"文件已损坏或内容与扩展名“{suffix}”不符，无法打开，请重新导出后报送"
    return "文件已损坏或不是 Excel 工作簿，无法打开，请重新导出后报送"
