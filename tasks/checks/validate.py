"""Check one period's submissions against the rule suites; say per file what is wrong and where.

This module owns the batches (one frame per suite: every file of the period at once, with the
context columns the rules need) and the findings (each failing row mapped back to file, sheet,
row, column and the value found). The rules themselves are data: `expectations/*.json`, run by
tasks/rules.py. The forms differ only in their suite's meta (code column, lookups, derivations).

Findings columns (`FINDINGS_COLUMNS`): file_id, sheet, row (Int64, NA for file/sheet level),
column (the Chinese header), value (as text), rule_id, severity (hard|soft), message (the full
sentence for the receipt), code (the row's indicator/project/task code, "" if none),
explained (soft only: the row's 说明 — 存在问题 on 表2, which has no 说明 — is filled).
"""
from __future__ import annotations

import math
import re
import string
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.periods import chinese_name, previous_period, said_of
from ..core.reference import FORMS, Reference
from ..core.resources import EXPECTATIONS_DIR
from ..intake.normalise import nfkc
from ..intake.workbook import HEADERS, SHEETS, WorkbookRead, tidy_frames
from .suites import ROW_ID, Suite, SuiteError, load_suites, run_suites

FINDINGS_COLUMNS = ["file_id", "sheet", "row", "column", "value", "rule_id", "severity", "message", "code",
                    "explained"]
FILE_LEVEL_HEADERS = {"file": "文件", "unit": "填报单位", "period": "报告期", "sheet": "工作表"}
CODE_NAME_COLUMN = {"indicators": "indicator_name", "projects": "project_name", "tasks": "task_name"}


def check_period(period: str, reads: list[tuple[int, WorkbookRead]], reference: Reference,
                 previous: dict[str, pd.DataFrame] | None = None, suites_dir: Path = EXPECTATIONS_DIR,
                 context=None, account_units: dict[int, str] | None = None, runner=None) -> pd.DataFrame:
    """Run every suite once over the period's files; the findings, hard ones first per file.

    `account_units` (file id -> the unit of the portal account that uploaded it) lets rule H09
    reject a workbook that names another unit than its uploader's. `runner(suites, batches)` runs the
    suites (the warm checker, tasks/checks/warm.py); default: in this process (`run_suites`).
    """
    suites = load_suites(suites_dir)
    batches = build_batches(period, reads, reference, previous or {}, suites, account_units)
    failures = runner(suites, batches) if runner else run_suites(suites, batches, context)
    parts = [_findings(suite, batches[suite.batch], failures[name], period)
             for name, suite in suites.items() if name in failures]
    return ordered_findings(pd.concat([empty_findings(), *parts], ignore_index=True))


def ordered_findings(found: pd.DataFrame) -> pd.DataFrame:
    """Findings typed and ordered for receipts: by file, hard ones first, then sheet, row and rule
    (a stable sort: ties keep the suites' order, however many files were checked together)."""
    found = found.astype({"file_id": "int64", "row": "Int64", "explained": "boolean"})
    order = found.assign(_hard=found.severity != "hard")
    order = order.sort_values(["file_id", "_hard", "sheet", "row", "rule_id"], na_position="first", kind="stable")
    return order[FINDINGS_COLUMNS].reset_index(drop=True)


def empty_findings() -> pd.DataFrame:
    """No findings, typed (a copy of one frame built once: building it took ≈ 5 ms, several times per upload)."""
    return _EMPTY_FINDINGS.copy()


_EMPTY_FINDINGS = pd.DataFrame({c: pd.Series(dtype="Int64" if c == "row" else "boolean" if c == "explained" else "object")
                                for c in FINDINGS_COLUMNS}).astype({"file_id": "int64"})


def findings_by_file(findings: pd.DataFrame) -> dict[int, list[dict]]:
    """The period's findings as records per file, built in one pass."""
    out: dict[int, list[dict]] = {}
    for record in findings.to_dict("records"):
        out.setdefault(int(record["file_id"]), []).append(record)
    return out


# ---- batches: one frame per suite, all files of the period, context as columns -------------

def build_batches(period: str, reads: list[tuple[int, WorkbookRead]], reference: Reference,
                  previous: dict[str, pd.DataFrame], suites: dict[str, Suite],
                  account_units: dict[int, str] | None = None) -> dict[str, pd.DataFrame]:
    """`files`, `sheets`, `coverage` and one frame per form, each with a `_rid` row id."""
    assignments = reference.assignments(period)
    frames = tidy_frames(reads)
    files = _files_batch(period, reads, reference)
    files["account_unit"] = files.file_id.map(account_units or {}).astype(object)
    files["account_unit_name"] = files.account_unit.map(
        lambda code: f"{reference.unit_name(code)}（{code}）" if isinstance(code, str) else "")
    batches = {"files": files, "sheets": _sheets_batch(reads, files, assignments),
               "coverage": _coverage_batch(reads, files, assignments, frames, reference)}
    first = previous_period(period) is None  # the year's first period of its cadence: nothing to compare with
    for suite in suites.values():
        form = suite.meta.get("form")
        if form in FORMS:
            batches[suite.batch] = _form_batch(frames[form], form, suite.meta, assignments, reference,
                                               previous.get(form), first_month=first)
    return {name: frame.reset_index(drop=True).assign(**{ROW_ID: np.arange(len(frame))})
            for name, frame in batches.items()}


def _files_batch(period: str, reads: list[tuple[int, WorkbookRead]], reference: Reference) -> pd.DataFrame:
    files = pd.DataFrame([{
        "file_id": fid, "file_name": r.file_name, "error": r.error, "unit_code": r.unit_code,
        "unit_text": r.unit_text or "", "period": r.period, "period_text": r.period_text or "",
        "sheet": r.meta_sheet or "", "row": r.meta_row} for fid, r in reads],
        columns=["file_id", "file_name", "error", "unit_code", "unit_text", "period", "period_text", "sheet", "row"])
    files["unit_known"] = files.unit_code.isin(set(reference.units.unit_code))
    files["name_unit_code"] = files.file_name.map(lambda name: name_unit_code(name, reference))
    files["unit_code_text"] = files.unit_code.fillna("未识别")
    files["name_unit_ok"] = files.error.notna() | files.unit_code.isna() | files.name_unit_code.isna() | (
        files.name_unit_code == files.unit_code)
    files["expected_period"] = period
    files["expected_period_text"] = chinese_name(period)
    files["row"] = files["row"].astype("Int64")
    return files


_NAME_CODE = re.compile(r"^([A-Za-z]{1,3}\d{1,6})(?=[_\-\s.（(]|$)")


def name_unit_code(file_name: str, reference: Reference) -> str | None:
    """The unit code a file name starts with (`T03_2020-04.xlsx` → T03) when it is a known unit's."""
    match = _NAME_CODE.match(nfkc(Path(file_name).stem))
    code = match.group(1).upper() if match else None
    return code if code in reference.unit_names else None


def _checked_files(reads: list[tuple[int, WorkbookRead]], files: pd.DataFrame) -> list[tuple[int, WorkbookRead]]:
    """Files that opened and name a known unit: the only ones whose sheets and codes can be judged."""
    ok = set(files.loc[files.error.isna() & files.unit_known, "file_id"])
    return [(fid, r) for fid, r in reads if fid in ok]


def _sheets_batch(reads, files, assignments) -> pd.DataFrame:
    rows = []
    forms_of = assignments.groupby("unit_code")["form"].agg(set).to_dict()
    for fid, read in _checked_files(reads, files):  # a loop over files, not rows
        required = forms_of.get(read.unit_code, set())
        for form in [f for f in FORMS if f in required or f in read.sheets]:
            missing = read.missing_columns.get(form) or [None]
            rows += [{"file_id": fid, "form": form, "sheet": read.sheets.get(form, SHEETS[form]), "row": pd.NA,
                      "required": form in required, "present": form in read.sheets, "missing_column": m}
                     for m in missing]
    columns = ["file_id", "form", "sheet", "row", "required", "present", "missing_column"]
    return pd.DataFrame(rows, columns=columns).astype({"row": "Int64"})


def _coverage_batch(reads, files, assignments, frames, reference: Reference) -> pd.DataFrame:
    checked = _checked_files(reads, files)
    owners = pd.DataFrame({"file_id": pd.Series([f for f, _ in checked], dtype="int64"),
                           "unit_code": pd.Series([r.unit_code for _, r in checked], dtype=object)})
    sheets = pd.DataFrame([(f, form, name) for f, r in checked for form, name in r.sheets.items()],
                          columns=["file_id", "form", "found_sheet"]).astype({"file_id": "int64"})
    reported = pd.concat([frames[form].assign(form=form).rename(columns={next(iter(HEADERS[form])): "code"})
                          [["file_id", "form", "code"]] for form in FORMS], ignore_index=True)
    names = pd.concat([getattr(reference, form)[[next(iter(HEADERS[form])), CODE_NAME_COLUMN[form]]]
                       .set_axis(["code", "code_name"], axis=1).assign(form=form) for form in FORMS])
    cover = owners.merge(assignments, on="unit_code").merge(sheets, on=["file_id", "form"], how="left")
    cover = cover.merge(reported.drop_duplicates().assign(present=True), on=["file_id", "form", "code"], how="left")
    cover = cover.merge(names.drop_duplicates(["form", "code"]), on=["form", "code"], how="left")
    cover["present"] = cover.present.fillna(False).astype(bool)
    cover["sheet_present"] = cover.found_sheet.notna()
    cover["sheet"] = cover.found_sheet.fillna(cover.form.map(SHEETS))
    cover["code_name"] = cover.code_name.fillna("")
    return cover.assign(row=pd.array([pd.NA] * len(cover), dtype="Int64"))


def _form_batch(frame: pd.DataFrame, form: str, meta: dict, assignments: pd.DataFrame, reference: Reference,
                previous: pd.DataFrame | None, first_month: bool) -> pd.DataFrame:
    code = meta["code"]
    mine = assignments.loc[assignments.form == form, ["unit_code", "code"]].rename(columns={"code": code})
    out = frame.merge(mine.assign(assigned=True), on=["unit_code", code], how="left")
    given = out[code].fillna("").astype(str) != ""
    out["code_given"] = given  # an empty code is its own H03 finding (指标代码为空), not "not assigned"
    out["assigned"] = out.assigned.fillna(False).astype(bool).astype(object).where(given, None)
    out["duplicate_code"] = out.duplicated(["file_id", code], keep=False) & given
    out = _lookup(out, code, meta.get("lookup"), reference)
    out = _previous(out, code, meta.get("previous") or {}, previous, first_month)
    for name, expression in (meta.get("derive") or {}).items():
        try:
            derived = out.eval(expression) if len(out) else pd.Series(dtype="float64")
        except Exception as exc:
            raise SuiteError(f"派生列 {name} = {expression} 无法计算：{exc}") from exc
        out[name] = pd.to_numeric(derived, errors="coerce").replace([np.inf, -np.inf], np.nan)
    return out


def _lookup(out: pd.DataFrame, code: str, lookup: dict | None, reference: Reference) -> pd.DataFrame:
    if not lookup:
        return out
    table = getattr(reference, lookup["table"])[[lookup["key"], *lookup["columns"]]]
    table = table.rename(columns={lookup["key"]: code, **lookup["columns"]}).drop_duplicates(code)
    return out.merge(table, on=code, how="left")


def _previous(out: pd.DataFrame, code: str, carry: dict[str, str], previous: pd.DataFrame | None,
              first_month: bool) -> pd.DataFrame:
    """Last month's accepted values as `prev_*` columns; 0 in January (nothing before it that year)."""
    if first_month or previous is None or previous.empty:
        return out.assign(**{new: 0.0 if first_month else np.nan for new in carry.values()})
    last = previous[["unit_code", code, *carry]].rename(columns=carry).drop_duplicates(["unit_code", code])
    out = out.merge(last, on=["unit_code", code], how="left")
    return out.astype({new: "float64" for new in carry.values()})


# ---- findings: failing rows back to file, sheet, row, column ------------------------------

def _findings(suite: Suite, batch: pd.DataFrame, failures: pd.DataFrame, period: str) -> pd.DataFrame:
    """The failing rows as findings; a rule's message (written of a month: 本月, 上月) said of `period`'s cadence."""
    parts = [empty_findings()]
    expectations = suite.body["expectations"]
    for position, group in failures.groupby("position"):  # a loop over failed rules, not rows
        exp = expectations[position]
        meta, kwargs = exp["meta"], exp["kwargs"]
        rows = batch.take(group[ROW_ID].to_numpy())
        value = _text(rows[meta.get("value") or kwargs.get("column") or kwargs["column_A"]])
        header = _headers(meta["column"], rows, suite.meta.get("form"))
        body = _fill(said_of(meta["message"], period), rows, value)
        where = _location(rows, header) if meta.get("locate", True) else ""
        explanation = suite.meta.get("explanation")
        explained = (rows[explanation].fillna("").astype(str).str.strip() != "") if (
            explanation and meta["severity"] == "soft") else pd.Series(pd.NA, index=rows.index)
        code = suite.meta.get("code") or ("code" if "code" in rows else None)
        parts.append(pd.DataFrame({
            "file_id": rows.file_id.astype("int64"), "sheet": rows.sheet.fillna("").astype(str),
            "row": rows.row.astype("Int64"), "column": header, "value": value, "rule_id": meta["rule_id"],
            "severity": meta["severity"], "message": where + body,
            "code": rows[code].fillna("").astype(str) if code else "", "explained": explained.astype("boolean"),
        }))
    return pd.concat(parts, ignore_index=True)


def _headers(column: str, rows: pd.DataFrame, form: str | None) -> pd.Series:
    """The Chinese header a finding is about; `@name` takes it from the batch column `name`."""
    if column.startswith("@"):
        return rows[column[1:]].fillna("").astype(str)
    forms = pd.Series(form, index=rows.index) if form else rows.get("form", pd.Series("", index=rows.index))

    def header(f: str) -> str:
        cols = HEADERS.get(f, {})
        if column == "code" and cols:
            return next(iter(cols.values()))
        return cols.get(column) or FILE_LEVEL_HEADERS.get(column, column)

    return forms.fillna("").map(header)


def _location(rows: pd.DataFrame, header: pd.Series) -> pd.Series:
    sheet = rows.sheet.fillna("").astype(str)
    with_row = sheet + " 第" + rows.row.astype("string").fillna("") + "行「" + header + "」："
    without_row = np.where(sheet != "", sheet + "「" + header + "」：", "")
    return pd.Series(np.where(rows.row.notna(), with_row, without_row), index=rows.index)


def _fill(template: str, rows: pd.DataFrame, value: pd.Series) -> pd.Series:
    """The message template with `{value}` and `{batch column}` filled in, per failing row."""
    out = pd.Series("", index=rows.index, dtype=object)
    for literal, field, _, _ in string.Formatter().parse(template):
        out = out + literal
        if field is None:
            continue
        if field != "value" and field not in rows:
            raise SuiteError(f"规则消息“{template}”引用了不存在的列 {field}")
        out = out + (value if field == "value" else _text(rows[field]))
    return out


def _text(values: pd.Series) -> pd.Series:
    return values.map(_format).astype(object)


def _format(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    if isinstance(value, (int, float, np.integer, np.floating)):
        text = f"{float(value):.2f}".rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    return str(value)
