"""The Excel 附表 of the 专报: every row the document shortens, as numbers where numeric.

`appendix_tables` turns the metrics frames (and the submission rows and 问题清单 the context
already computed) into `{"sheets": [{"name", "columns", "rows"}]}` — plain JSON, kept in the
report context under `appendix` so the issue's digest covers it. `write_appendix` streams it
(tasks/report/xlsx.py; openpyxl's cell object per value was most of a province's report step):
Chinese headers, the header row frozen and filtered, column widths from the content. Each sheet starts with a title row naming the report and
the month (a sheet with no rows — no projects, no problems — is left out); every numeric column has one number format (percent columns, 列名带“（%）”, one decimal;
万元 amounts with thousands separators and one decimal; counts whole); 报送时间 is a real date and
time; a column holds one measure (增速目标 and 数量目标 apart).
"""
from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..checks.outcomes import REPORT_LABELS
from ..core.plan import Kinds
from .formatting import TARGET_KIND_LABELS, UNREPORTED

SHEETS = {"totals": "主要指标", "indicators": "分单位指标", "projects": "重点项目", "tasks": "重点任务",
          "task_units": "分单位任务", "rankings": "单位排名", "problems": "问题清单", "submissions": "报送情况"}

ROLE_LABELS = {"lead": "牵头", "co": "配合"}
WIDTH_SAMPLE = 300  # rows looked at to size the columns
MAX_WIDTH = 60


def _yes_no(values: pd.Series, yes: str = "是", no: str = "否") -> pd.Series:
    return pd.Series(np.where(values.fillna(False).astype(bool), yes, no), index=values.index)


def _percent(values: pd.Series, fraction: bool = True) -> pd.Series:
    values = pd.to_numeric(values, errors="coerce").astype("float64")
    return (values * 100 if fraction else values).round(2)


def _number(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype("float64").round(4)


def _sheet(name: str, frame: pd.DataFrame) -> dict:
    """A sheet as JSON: NaN → None, numpy scalars → Python numbers."""
    frame = frame.astype(object).where(frame.notna(), None)
    return {"name": name, "columns": [str(c) for c in frame.columns], "rows": frame.to_numpy().tolist()}


def _indicator_frame(rows: pd.DataFrame, who: pd.Series) -> dict:
    growth = rows["target_kind"] == "growth"
    return {"指标代码": rows["indicator_code"], "指标名称": rows["indicator_name"], "计量单位": rows["measure"],
            "目标类型": rows["target_kind"].map(lambda k: TARGET_KIND_LABELS.get(k, k)), "责任单位": who,
            "年度目标（数量）": _number(rows["target_value"]).where(~growth),
            "年度目标增速（%）": _number(rows["target_value"]).where(growth), "本月": _number(rows["month_value"]),
            "1-本月累计": _number(rows["cumulative"]), "上年同期累计": _number(rows["last_year_cumulative"]),
            "增速（%）": _number(rows["growth_pct"]).round(2), "完成率（%）": _percent(rows["completion"]),
            "时序进度（%）": _percent(rows["time_progress"]),
            "进度": _judgement(_reported(rows), rows["lagging"])}


def _reported(rows: pd.DataFrame) -> pd.Series:
    """A figure arrived — for a district row shared by several units (no district figure), any unit judged."""
    reported = rows["cumulative"].notna()
    if "aggregation" in rows.columns:
        judged = rows["lagging"].astype(bool) | rows["on_track"].astype(bool)
        reported |= (rows["aggregation"] == "units") & judged
    return reported


def _judgement(reported: pd.Series, lagging: pd.Series) -> pd.Series:
    """正常 / 滞后 — or 未报 where no accepted figure arrived (never 滞后)."""
    return _yes_no(lagging, "滞后", "正常").where(reported.fillna(False).astype(bool), UNREPORTED)


def appendix_tables(metrics: dict, units: list[dict], problems: pd.DataFrame, names: dict, short: dict,
                    kinds: Kinds | None = None) -> dict:
    """Every sheet of the 附表 (see the module docstring); `units` from report_context.submission_rows,
    `problems` the ordered 问题清单 (unit_code, item, problem, coordination).
    Long because: one block per sheet, its columns listed in the workbook's order."""
    totals, indicators = metrics["district_totals"], metrics["indicator_metrics"]
    projects, tasks, summary = metrics["project_metrics"], metrics["task_metrics"], metrics["task_summary"]
    scores = metrics["unit_scores"]
    name_of = lambda codes: codes.map(lambda c: names.get(c, c))

    owner = totals["unit_code"].map(lambda c: short.get(c, c) if isinstance(c, str) and c in short else None)
    who = owner.where(totals["aggregation"] == "single", "全区").fillna("全区")
    total_sheet = pd.DataFrame(_indicator_frame(totals, who))
    missing = indicators.loc[indicators["cumulative"].isna()].assign(n=lambda f: name_of(f["unit_code"]))
    total_sheet["应报单位数"] = totals["units_assigned"].to_numpy()
    total_sheet["已报单位数"] = totals["units_reported"].to_numpy()
    total_sheet["未报单位"] = totals["indicator_code"].map(
        missing.groupby("indicator_code", sort=False)["n"].agg("、".join)).fillna("").to_numpy()

    by_unit = _indicator_frame(indicators, name_of(indicators["unit_code"]))
    by_unit = pd.DataFrame({"单位代码": indicators["unit_code"], "单位名称": by_unit.pop("责任单位"), **by_unit})

    project_sheet = pd.DataFrame({
        "批次": projects["batch"], "项目代码": projects["project_code"], "项目名称": projects["project_name"],
        "单位代码": projects["unit_code"], "责任单位": name_of(projects["unit_code"]),
        "年度计划投资（万元）": _number(projects["annual_plan"]),
        "本月完成投资（万元）": _number(projects["month_investment"]),
        "累计完成投资（万元）": _number(projects["cumulative_investment"]),
        "完成率（%）": _percent(projects["completion"]),
        "序时要求投资（万元）": _number(projects["required_investment"]),
        "项目状态": projects["status"].fillna("未报送").replace("", "未报送"),
        "进度": _judgement(projects["reported"], ~projects["on_track"].astype(bool)),
        "形象进度": projects["progress_text"],
        "存在问题": projects["problems"], "需协调事项": projects["coordination"]})

    reported = tasks["reported"].astype(bool)
    behind = tasks.loc[reported & ~tasks["on_track"].astype(bool)]
    behind_names = behind.assign(n=behind["unit_code"].map(lambda c: short.get(c, c))).groupby(
        "task_code", sort=False)["n"].agg("、".join)
    owed = tasks.loc[~reported]
    owed_names = owed.assign(n=owed["unit_code"].map(lambda c: short.get(c, c))).groupby(
        "task_code", sort=False)["n"].agg("、".join)
    lead_names = tasks.loc[tasks["role"] == "lead"].assign(n=lambda f: name_of(f["unit_code"])).groupby(
        "task_code", sort=False)["n"].agg("、".join)
    task_sheet = pd.DataFrame({
        "任务编号": summary["task_code"], "任务领域": summary["task_area"], "任务名称": summary["task_name"],
        "牵头单位": summary["task_code"].map(lead_names).fillna(name_of(summary["lead_unit"])),
        "牵头单位进度（%）": _number(summary["lead_progress_pct"]).round(2),
        "平均进度（%）": _number(summary["mean_progress_pct"]).round(2),
        "应报单位数": summary["units_assigned"], "已报单位数": summary["units_reported"],
        "未达时序进度单位数": summary["task_code"].map(behind.groupby("task_code").size()).fillna(0).astype("int64"),
        "未达时序进度的单位": summary["task_code"].map(behind_names).fillna(""),
        "未报单位": summary["task_code"].map(owed_names).fillna("")})

    task_units = pd.DataFrame({
        "任务编号": tasks["task_code"], "任务领域": tasks["task_area"], "任务名称": tasks["task_name"],
        "单位代码": tasks["unit_code"], "单位名称": name_of(tasks["unit_code"]),
        "角色": tasks["role"].map(lambda r: ROLE_LABELS.get(r, r)), "已报送": _yes_no(tasks["reported"]),
        "进度（%）": _number(tasks["progress_pct"]).round(2), "时序进度（%）": _percent(tasks["time_progress"]),
        "进度判断": _judgement(tasks["reported"], ~tasks["on_track"].astype(bool)), "进展情况": tasks["progress_text"],
        "存在问题": tasks["problems"], "备注": tasks["note"]})

    kinds = kinds or Kinds()
    order = {code: i for i, code in enumerate(kinds.codes)}
    scores = scores.assign(_o=scores["unit_kind"].map(order).fillna(len(order))).sort_values("_o", kind="stable")
    ranked = scores["unit_kind"].map(kinds.ranked).astype(bool)
    ranking = pd.DataFrame({
        "单位类别": scores["unit_kind"].map(kinds.label), "名次": scores["rank"].where(ranked),
        "单位代码": scores["unit_code"], "单位名称": scores["unit_name"], "综合得分": _number(scores["score"]).round(2),
        "承担事项": scores["items_assigned"], "按进度事项": scores["items_on_track"],
        "按进度占比（%）": _percent(scores["share_on_track"]),
        "按时报送": _yes_no(scores["on_time"] == 1), "预警事项": scores["flags_total"],
        "已说明预警": scores["flags_explained"], "报送状态": scores["status"].map(lambda s: REPORT_LABELS.get(s, s))})

    problem_sheet = pd.DataFrame({
        "序号": range(1, len(problems) + 1), "单位代码": problems["unit_code"].to_numpy(),
        "单位": name_of(problems["unit_code"]).to_numpy(), "项目或任务": problems["item"].to_numpy(),
        "存在问题": problems["problem"].to_numpy(), "需协调事项或说明": problems["coordination"].to_numpy()})

    submission_sheet = pd.DataFrame(
        [{"单位代码": u["unit_code"], "单位": u["unit"], "报送状态": u["status"],
          "报送时间": u.get("received_iso") or None,
          "按时": u["on_time"], "备注": u["note"], "退回文件": u["file"], "退回原因": u["reason"]} for u in units],
        columns=["单位代码", "单位", "报送状态", "报送时间", "按时", "备注", "退回文件", "退回原因"])

    sheets = [_sheet(SHEETS["totals"], total_sheet), _sheet(SHEETS["indicators"], by_unit),
              _sheet(SHEETS["projects"], project_sheet), _sheet(SHEETS["tasks"], task_sheet),
              _sheet(SHEETS["task_units"], task_units), _sheet(SHEETS["rankings"], ranking),
              _sheet(SHEETS["problems"], problem_sheet), _sheet(SHEETS["submissions"], submission_sheet)]
    return {"sheets": [sheet for sheet in sheets if sheet["rows"]]}  # an empty sheet is left out


DATE_COLUMNS = {"报送时间"}  # ISO strings in the JSON, real date-times in the workbook
DATE_FORMAT = "yyyy-mm-dd hh:mm"


def number_format(column: str, values: list) -> str | None:
    """The one format of a column, from its header and values (None: not numeric)."""
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not numbers:
        return None
    if "（%）" in column or "得分" in column:  # percents and scores: one decimal (84.4 beside 90.0)
        return "0.0"
    if all(isinstance(v, int) or float(v).is_integer() for v in numbers) and "万元" not in column \
            and not column.startswith(("年度目标", "本月", "1-本月", "上年")):
        return "#,##0"
    return "#,##0.0" if "万元" in column else "#,##0.0###"


def _width(value) -> int:
    """Display width of a cell: CJK characters count double."""
    text = value if isinstance(value, str) else ("" if value is None else f"{value:,}" if isinstance(value, int)
                                                 else f"{value:,.2f}" if isinstance(value, float) else str(value))
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def appendix_title(context: dict) -> str:
    """The title row of every sheet: the report, its 期号, the month — '… 第2期 2020年4月 附表' (no 修订版:
    a revision without new data reuses the original's workbook)."""
    issue, period = context.get("issue") or {}, context.get("period") or {}
    label = issue.get("label", "")
    return " ".join(part for part in (context.get("title", ""), label, period.get("label", ""), "附表") if part)


def write_appendix(appendix: dict, path: Path, title: str = "", parts: Path | None = None) -> Path:
    """The 附表 workbook at `path`, streamed (tasks/report/xlsx.py: one pass, one string per cell);
    `title` heads each sheet. `parts` (`catalog.appendix_parts`): where sheets are kept, and a sheet whose
    rows are the same as before is copied from there (tasks/report/appendix_parts.py) — the same bytes."""
    from .xlsx import XlsxWriter

    plans = [(sheet, *_layout(sheet, parts)) for sheet in appendix["sheets"]]
    used = list(dict.fromkeys(f for _, formats, _, _ in plans for f in formats if f))
    path = Path(path)
    with XlsxWriter(path, used) as book:
        for sheet, formats, widths, digest in plans:
            heading = f"{title}：{sheet['name']}" if title else sheet["name"]
            _write_sheet(book, sheet, formats, widths, heading, parts, digest)
    return path


def _layout(sheet: dict, parts: Path | None) -> tuple[list, list, str]:
    """A sheet's number format and width per column (as computed before for the same rows, when kept),
    and its rows' digest ('' without `parts`)."""
    from .appendix_parts import keep_layout, load_layout, rows_digest

    columns, rows = sheet["columns"], sheet["rows"]
    digest = rows_digest(sheet) if parts is not None else ""
    kept = load_layout(parts, digest)
    if kept is not None:
        return *kept, digest
    formats = [(DATE_FORMAT if c in DATE_COLUMNS else number_format(c, [r[i] for r in rows]))
               for i, c in enumerate(columns)]
    widths = [min(max(max([_width(column), *(_width(r[i]) for r in rows[:WIDTH_SAMPLE]),
                           16 if column in DATE_COLUMNS else 0]) + 2, 8), MAX_WIDTH)
              for i, column in enumerate(columns)]
    keep_layout(parts, digest, formats, widths)
    return formats, widths, digest


def _write_sheet(book, sheet: dict, formats: list, widths: list, heading: str, parts: Path | None,
                 digest: str) -> None:
    """One sheet: its part as kept before for the same strings, layout and rows, or streamed (and kept)."""
    from .appendix_parts import keep_part, load_part, part_key
    from .xlsx import HEADER, TITLE

    columns, rows = sheet["columns"], sheet["rows"]
    styles = [book.style_of(f) for f in formats]
    shape = {"frozen_rows": 2, "filter_row": 2 if columns else None, "rows": len(rows)}
    key = part_key(book.strings_state(), [sheet["name"], heading, columns, styles, widths, shape], digest) \
        if parts is not None else ""
    kept = load_part(parts, key) if parts is not None else None
    if kept is not None:
        book.add_sheet(sheet["name"], widths, kept.xml, kept.strings, **shape)
        return
    dates = [i for i, f in enumerate(formats) if f == DATE_FORMAT]
    before, copy = book.string_count(), io.BytesIO() if parts is not None else None
    with book.sheet(sheet["name"], widths, keep=copy, **shape) as ws:
        ws.row([heading], TITLE)
        ws.row(list(columns), HEADER)
        for row in rows:
            if dates:
                row = list(row)
                for i in dates:
                    if isinstance(row[i], str) and row[i]:  # shown in the office's time zone
                        row[i] = datetime.fromisoformat(row[i]).replace(tzinfo=None)
            ws.row(row, styles, text_style=0)
    if copy is not None:
        keep_part(parts, key, copy.getvalue(), book.strings_since(before))
