"""One form sheet laid out as units know it (shared/spec/form-conventions.md), with openpyxl.

Title; legal marks top right (表号, 制表机关, 批准机关/文号, 有效期至); 填报单位 / 报告期 / 计量单位
under the title (the wording the reader keys on); the contract's headers; the unit's rows; the
footer and 说明. Input cells unlocked, shaded and validated; everything else locked (no password).
"""
from __future__ import annotations

from dataclasses import dataclass

from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..core.forms import FORM_SPECS, Column, marker_text
from ..core.periods import said_of
from .rows import TARGET_HEADER, FormRow, reference_headers

FOOTER = "单位负责人：　　　　统计负责人：　　　　填表人：　　　　联系电话：　　　　　　报出日期：　　　　年　　月　　日"
INPUT_FILL = PatternFill("solid", fgColor="FFF7D6")  # lightly shaded: the cells to fill
REFERENCE_FILL = PatternFill("solid", fgColor="EDEDED")  # the office's reference figures and n/a cells
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WIDTHS = {"code": 10, "name": 30, "measure": 12, "number": 16, "text": 26}
DECIMALS = {"万元": 2, "亿元": 2, "%": 1, "家": 0, "个": 0, "人": 0, "项": 0}
META_ROWS = 4  # rows 2..5: 填报单位/报告期/计量单位 on the left, the legal marks on the right
UNLOCKED = Protection(locked=False)


@dataclass(frozen=True)
class Frame:
    """The sheet's surroundings: who fills it for which month, and the office's legal marks."""

    unit_text: str  # 河坝镇（T01）
    period_text: str  # 2020年4月
    measures: str  # 万元、%
    marks: tuple[str, ...]  # 表号…, 制表机关…, 批准机关…, 有效期至…
    notes: tuple[str, ...]  # 说明 lines under the footer
    period: str | None = None  # its label: a reference column says 上期 for another cadence than the month (上月)


def number_format(measure: str) -> str:
    decimals = DECIMALS.get(measure, 2)
    return "0" if decimals == 0 else "0." + "0" * decimals


def _validation(column: Column, measure: str) -> DataValidation:
    if column.choices:
        return DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=True,
                              showInputMessage=True, showErrorMessage=True, promptTitle=column.header,
                              prompt="请从下拉列表中选择：" + "、".join(column.choices), errorTitle="填写有误",
                              error=f"{column.header}只能是：" + "、".join(column.choices))
    low, high = column.bounds
    unit = f"，单位：{measure}" if measure else ""
    span = (f"，不小于 {low:g}" if low is not None and high is None else
            f"，在 {low:g}～{high:g} 之间" if low is not None else "")
    operator, formulas = (("between", (low, high)) if low is not None and high is not None else
                          ("greaterThanOrEqual", (low,)) if low is not None else ("between", (-999999999999, 999999999999)))
    return DataValidation(type="decimal", operator=operator, formula1=str(formulas[0]),
                          formula2=str(formulas[1]) if len(formulas) > 1 else None, allow_blank=True,
                          showInputMessage=True, showErrorMessage=True, promptTitle=column.header,
                          prompt=f"请填写数字{unit}{span}；不要加单位、文字或千分位逗号", errorTitle="请填写数字",
                          error=f"{column.header}须为数字{unit}{span}。没有数的请留空，情况请写在“说明”栏")


def _extra_width(header: str) -> int:
    return 24 if header == TARGET_HEADER else 14


def write_form_sheet(ws: Worksheet, form: str, rows: list[FormRow], frame: Frame) -> None:
    """Lay out one form on an empty worksheet and protect it (no password): top to bottom, then the page."""
    spec = FORM_SPECS[form]
    extras = reference_headers(form)
    width = len(spec.columns) + len(extras)
    header_row = _write_head(ws, form, frame, width)
    validations = _write_rows(ws, form, rows, header_row)
    for validation in validations.values():
        ws.add_data_validation(validation)
    footer_row = header_row + len(rows) + 2
    _write_footer(ws, frame, footer_row, width)
    for c, column in enumerate(spec.columns, start=1):
        ws.column_dimensions[get_column_letter(c)].width = WIDTHS[column.kind]
    for c, header in enumerate(extras, start=len(spec.columns) + 1):
        ws.column_dimensions[get_column_letter(c)].width = _extra_width(header)
    ws.freeze_panes = ws.cell(header_row + 1, 3)
    ws.print_title_rows = f"1:{header_row}"
    ws.print_area = f"A1:{get_column_letter(width)}{footer_row + len(frame.notes)}"
    ws.page_setup.orientation, ws.page_setup.paperSize = "landscape", ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.protection.sheet = True  # no password: Excel's 撤消工作表保护 needs none
    ws.protection.formatColumns = ws.protection.formatRows = ws.protection.insertRows = False


def _write_head(ws: Worksheet, form: str, frame: Frame, width: int) -> int:
    """The title, 填报单位/报告期/计量单位 beside the legal marks, the headers and the hidden marker; returns
    the header row."""
    spec, extras = FORM_SPECS[form], reference_headers(form)
    ws.cell(1, 1, spec.title).font = Font(bold=True, size=16)
    ws.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A1:{get_column_letter(width)}1")
    ws.row_dimensions[1].height = 30
    left = (f"填报单位：{frame.unit_text}", f"报告期：{frame.period_text}", f"计量单位：{frame.measures}")
    mark_from = max(width - 2, 4)
    for offset in range(META_ROWS):
        r = 2 + offset
        if offset < len(left):
            ws.cell(r, 1, left[offset])
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=3)
        if offset < len(frame.marks):
            ws.cell(r, mark_from, frame.marks[offset]).font = Font(size=9)
            ws.merge_cells(start_row=r, start_column=mark_from, end_row=r, end_column=width)
    header_row = 2 + META_ROWS
    headers = [c.header for c in spec.columns] + [said_of(h, frame.period, named=False) if frame.period else h
                                                  for h in extras]
    for c, text in enumerate(headers, start=1):
        cell = ws.cell(header_row, c, text)
        cell.font, cell.border = Font(bold=True), BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[header_row].height = 32
    marker_col = width + 1  # hidden: lets the reader find this form after renamed sheets or inserted rows
    ws.cell(header_row, marker_col, marker_text(form))
    ws.column_dimensions[get_column_letter(marker_col)].hidden = True
    return header_row


def _write_rows(ws: Worksheet, form: str, rows: list[FormRow], header_row: int) -> dict[tuple[str, str], DataValidation]:
    """The unit's rows under the headers: input cells unlocked, shaded and validated, the office's reference
    figures shaded; each row tall enough for its wrapped text. Returns the validations to add."""
    spec, extras = FORM_SPECS[form], reference_headers(form)
    validations: dict[tuple[str, str], DataValidation] = {}
    for i, row in enumerate(rows):
        r = header_row + 1 + i
        for c, column in enumerate(spec.columns, start=1):
            cell = ws.cell(r, c, row.values.get(column.field))
            cell.border = BOX
            measure = column.measure or row.measure
            if column.numeric:
                cell.number_format = number_format(measure)
            cell.alignment = Alignment(wrap_text=column.kind in ("text", "name"), vertical="top")
            if column.field in row.inputs:
                cell.protection, cell.fill = UNLOCKED, INPUT_FILL
                key = (column.field, measure if column.numeric else "")
                if key not in validations and (column.numeric or column.choices):
                    validations[key] = _validation(column, measure)
                if key in validations:
                    validations[key].add(cell.coordinate)
            elif column.is_input:
                cell.fill = REFERENCE_FILL  # does not apply to this row (e.g. 去年同期 of an amount target)
        for c, header in enumerate(extras, start=len(spec.columns) + 1):
            cell = ws.cell(r, c, row.reference.get(header))
            cell.fill, cell.border = REFERENCE_FILL, BOX
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(cell.value, float):
                cell.number_format = number_format(spec.column(spec.previous_field).measure or row.measure)
    widths = [WIDTHS[c.kind] for c in spec.columns] + [_extra_width(h) for h in extras]
    for i, row in enumerate(rows):  # tall enough for the wrapped names and targets (no auto-fit on open)
        texts = [row.values.get(c.field) for c in spec.columns] + [row.reference.get(h) for h in extras]
        lines = max(-(-2 * len(str(t)) // max(w - 1, 1)) for t, w in zip(texts, widths) if t is not None)
        ws.row_dimensions[header_row + 1 + i].height = 15 * max(1, lines)
    return validations


def _write_footer(ws: Worksheet, frame: Frame, footer_row: int, width: int) -> None:
    """The signatures line (unlocked) and the 说明 lines under it."""
    ws.cell(footer_row, 1, FOOTER).protection = UNLOCKED
    ws.merge_cells(start_row=footer_row, start_column=1, end_row=footer_row, end_column=width)
    for offset, line in enumerate(frame.notes, start=1):
        cell = ws.cell(footer_row + offset, 1, line)
        cell.alignment, cell.font = Alignment(wrap_text=True, vertical="top"), Font(size=9)
        ws.merge_cells(start_row=footer_row + offset, start_column=1, end_row=footer_row + offset, end_column=width)
        ws.row_dimensions[footer_row + offset].height = 15 * (1 + len(line) // (width * 9))
