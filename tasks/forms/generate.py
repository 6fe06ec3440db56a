"""填报模板: each unit's own workbook for a period, in `<home>/forms/<period>/`.

`write_forms` writes every unit's (or some units') form; `form_path` is what a download serves
(it writes the unit's form when it is not there yet). A form holds only the unit's sheets and rows,
the legal marks and footer of form-conventions.md, a 填报说明 sheet generated from the rule suites
(only the rules of the sheets the unit has: no project rules for a unit, or a district, without projects),
notes generated from the reference (表1 names the unit's own level indicators, if any), and a very hidden marker sheet (version, unit code, period) the reader recognises.
"""
from __future__ import annotations

import os
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font

from ..checks.suites import rules_table
from ..core import catalog
from ..core.forms import FORM_SPECS, FORM_VERSION, MARKER_SHEET
from ..core.periods import chinese_name, is_monthly, period_parts, said_of
from ..core.reference import Reference
from ..core.settings import Settings
from .layout import Frame, write_form_sheet
from .rows import FormRow, previous_figures, unit_rows

INSTRUCTIONS_SHEET = "填报说明"
SEVERITY_ZH = {"hard": "强制性（不通过即退回）", "soft": "核实性（需在“说明”栏说明）"}
GENERAL_SUITES = ("structure", "sheets", "coverage")  # rules of every form; the others are a form's own
FORM_NOTES = {
    "indicators": "“本月”填本月当月数；“1-本月累计”填 1 月至本月的累计数{levels}；"
                  "“去年同期累计”填去年 1 月至同月的累计数；灰色单元格不适用于该指标，无需填写。",
    "projects": "“1-本月累计完成投资”填 1 月至本月的累计数；项目状态从下拉列表选择；存在问题和需协调事项将写入专报的问题清单。",
    "tasks": "完成进度填 0～100 的数字（百分数，不加 %）；进度不及上月的请在“说明”栏写明原因。",
}


def forms_dir(settings: Settings, period: str) -> Path:
    return catalog.forms_dir(settings.home, period)


def form_file_name(reference: Reference, unit_code: str, period: str) -> str:
    """`T01_河坝_2020-04.xlsx`: the unit's code, its short name and the period."""
    short = dict(zip(reference.units.unit_code, reference.units.short_name)).get(unit_code) or \
        reference.unit_name(unit_code)
    return f"{unit_code}_{short}_{period}.xlsx"


def _deadline_text(settings: Settings, period: str) -> str:
    d = settings.deadline(period)
    return f"{d.year}年{d.month}月{d.day}日{d:%H:%M}"


def form_note(reference: Reference, form: str, rows: list[FormRow]) -> str:
    """The sheet's note 2, from the reference: 表1 names the unit's own level indicators (none: no word of them)."""
    if form != "indicators":
        return FORM_NOTES[form]
    level = set(reference.indicators.loc[reference.indicators.target_kind == "level", "indicator_code"])
    names = [r.values.get("indicator_name", "") for r in rows if r.values.get("indicator_code") in level]
    names = [n for n in names if n]
    levels = (f"（{'、'.join(names[:2])}{'等' if len(names) > 2 else ''}水平类指标填本月末的水平）" if names else "")
    return FORM_NOTES[form].format(levels=levels)


def _headers_note(period: str, spec) -> str:
    """For a period of another cadence than the month, what the headers' 本月 means (the headers are the reader's
    contract and stay as they are): 表头中的“本月”即本期（2020年5月下半月）；"""
    if is_monthly(period) or not any("本月" in c.header for c in spec.columns):
        return ""
    return f"表头中的“本月”即本期（{chinese_name(period)}）；"


def rules_for(rules, forms) -> object:
    """The rules a unit with sheets `forms` meets: every form's general rules and those of its own sheets."""
    return rules.loc[rules.suite.isin([*GENERAL_SUITES, *forms])] if "suite" in rules.columns else rules


def _frame(settings: Settings, reference: Reference, period: str, unit_code: str, form: str,
           rows: list[FormRow], rules) -> Frame:
    year, _ = period_parts(period)
    spec = FORM_SPECS[form]
    rules = rules_for(rules, [form])
    measures = dict.fromkeys(r.measure for r in rows if r.measure) if form == "indicators" else \
        dict.fromkeys(c.measure for c in spec.columns if c.measure)
    hard = sorted(set(rules.loc[rules.severity == "hard", "rule_id"]))
    soft = sorted(set(rules.loc[rules.severity == "soft", "rule_id"]))
    send = f"，报送至：{settings.send_to}" if settings.send_to else ""
    notes = (
        ("说明：1. 只填写浅黄色单元格；代码、名称、计量单位、计划数和参考数由办公室填好并已锁定（无需密码，请勿改动）。"
        "数字不加单位和千分位逗号，没有数的留空。"),
        f"2. {_headers_note(period, spec)}{said_of(form_note(reference, form, rows), period, keep_quoted=True)}",
        (f"3. 报送后系统自动审核：强制性规则（{'、'.join(hard)}）不通过的文件将被退回，须改正后重报；"
        f"核实性规则（{'、'.join(soft)}）提示的，请在“说明”栏写明原因。各规则的含义见“{INSTRUCTIONS_SHEET}”工作表。"),
        f"4. 报送时限：{_deadline_text(settings, period)}前{send}。更正后重报的，以最后受理的一份为准。",
    )
    marks = (f"表　　号：{settings.form_prefix}{spec.table_no}表", f"制表机关：{settings.issuing_office}",
             f"批准机关 / 批准文号：{settings.form_approval}", f"有效期至：{year}年12月")
    return Frame(f"{reference.unit_name(unit_code)}（{unit_code}）", chinese_name(period), "、".join(measures),
                 marks, notes, period)


def _instructions(ws, settings: Settings, reference: Reference, period: str, unit_code: str, rules) -> None:
    lines = [(f"{chinese_name(period)} 填报说明（{reference.unit_name(unit_code)}）", Font(bold=True, size=14)),
             (f"报送时限：{_deadline_text(settings, period)}前。" + (f"报送至：{settings.send_to}。" if settings.send_to
                                                                  else ""), None),
             ("填写顺序：各表浅黄色单元格 → 表尾的负责人、填表人、联系电话、报出日期 → 保存为 .xlsx 后报送（文件名可不改）。", None),
             ("请勿删除或改动表头、代码和工作表结构；可以增加行高列宽。系统依据表内的填报单位和报告期识别文件。", None),
             ("报送后系统按下列规则审核，并出具回执说明问题所在的表、行、列：", None), ("", None)]
    for text, font in lines:
        ws.append([text])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=3)
        ws.cell(ws.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
        if font:
            ws.cell(ws.max_row, 1).font = font
    ws.append(["规则", "类别", "检查内容"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for rule_id, group in rules.groupby("rule_id", sort=True):  # one row per rule, its meanings joined
        severity = "/".join(SEVERITY_ZH[s] for s in dict.fromkeys(group.severity))
        ws.append([rule_id, severity, "；".join(dict.fromkeys(said_of(m, period) for m in group.meaning))])
        ws.cell(ws.max_row, 3).alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in zip("ABC", (8, 26, 90)):
        ws.column_dimensions[column].width = width
    ws.page_setup.orientation, ws.page_setup.paperSize = "landscape", ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.protection.sheet = True


def build_form(settings: Settings, reference: Reference, period: str, unit_code: str,
               previous: dict | None = None, rules=None) -> openpyxl.Workbook | None:
    """The unit's workbook for `period`, or None when it owes nothing that month."""
    by_form = unit_rows(reference, period, unit_code, previous)
    if not by_form:
        return None
    rules = rules if rules is not None else rules_table(settings.expectations_dir)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for form, rows in by_form.items():
        ws = wb.create_sheet(FORM_SPECS[form].sheet)
        write_form_sheet(ws, form, rows, _frame(settings, reference, period, unit_code, form, rows, rules))
    _instructions(wb.create_sheet(INSTRUCTIONS_SHEET), settings, reference, period, unit_code,
                  rules_for(rules, list(by_form)))
    marker = wb.create_sheet(MARKER_SHEET)
    for key, value, label in (("version", FORM_VERSION, "表单版本"), ("unit_code", unit_code, "填报单位代码"),
                              ("period", period, "报告期")):
        marker.append([key, value, label])
    marker.sheet_state = "veryHidden"
    wb.active = 0
    return wb


def write_forms(settings: Settings, reference: Reference, period: str,
                unit_codes: list[str] | None = None) -> list[Path]:
    """Write the forms of `unit_codes` (default: every unit that owes `period`); the paths written."""
    previous, rules = previous_figures(settings.curated_dir, period), rules_table(settings.expectations_dir)
    folder = forms_dir(settings, period)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for unit_code in unit_codes or reference.required_units(period):
        wb = build_form(settings, reference, period, unit_code, previous, rules)
        if wb is None:
            continue
        target = folder / form_file_name(reference, unit_code, period)
        aside = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        wb.save(aside)
        os.replace(aside, target)
        written.append(target)
    return written


def form_path(settings: Settings, reference: Reference, period: str, unit_code: str, *,
              refresh: bool = False) -> Path | None:
    """The unit's form for a download: the file in forms/<period>/, written now if it is not there yet
    (or always, with `refresh`: after last month's rerun changed the figures shown beside the rows).

    None when the unit owes nothing in `period` (or is unknown).
    """
    target = forms_dir(settings, period) / form_file_name(reference, unit_code, period)
    if target.is_file() and not refresh:
        return target
    written = write_forms(settings, reference, period, [unit_code])
    return written[0] if written else None
