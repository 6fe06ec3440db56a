"""Receipts (回执): one per received file, as HTML for the clerk and JSON for machines.

A receipt says who sent what and when (Asia/Shanghai, on time or late), the outcome in
Chinese, every finding with sheet, row, column, value, rule and message, and what to do next.
Everything a unit typed is escaped (Jinja2 autoescape); a missing template value is an error
(StrictUndefined), never a silent blank.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pandas as pd

from ..core import catalog
from ..core.periods import chinese_name, due_at, is_monthly, resubmit_by
from ..core.resources import template_dirs
from ..core.settings import cadence_deadline_days
from ..intake.registry import local
from ..intake.standing import arrived_on_time
from .outcomes import RECEIPT_LABELS, Outcome

if TYPE_CHECKING:
    from ..core.reference import Reference
    from ..core.settings import Settings

SEVERITY_TEXT = {"hard": "强制性", "soft": "核实性"}


def receipt_for(file_id: int, findings: pd.DataFrame | list[dict], *, period: str, unit_code: str | None,
                unit_name: str, file_name: str, sha256: str, received_at: datetime | str, on_time: bool,
                outcome: str, office: str = "", notes: list[str] | None = None,
                timezone: str = "Asia/Shanghai", deadline: datetime | str | None = None,
                resubmit_by: datetime | str | None = None, item_names: dict[str, str] | None = None) -> dict[str, Any]:
    """The facts of one receipt, JSON-ready: the file's findings become a list of plain dicts.

    `deadline`: the period's closing instant (the receipt states it, the time left or how late);
    `resubmit_by`: for a rejected file, by when the corrected file must arrive; `item_names`: code →
    indicator/project/task name, so a finding names its item.

    `findings` is the period's findings frame, or this file's findings already as records
    (`findings_by_file`), which is what a period of thousands of files should pass.
    """
    if isinstance(findings, pd.DataFrame):
        findings = findings[findings.file_id == file_id].drop(columns="file_id").to_dict("records")
    rows = [{k: _plain(v) for k, v in rec.items() if k != "file_id"} for rec in findings]
    names = item_names or {}
    for row in rows:
        row["item"] = names.get(str(row.get("code") or ""), "")
    return {"file_id": int(file_id), "period": period, "unit_code": unit_code or "", "unit_name": unit_name,
            "file_name": file_name, "notes": list(notes or []),
            "sha256": sha256, "received_at": _aware(received_at).isoformat(), "on_time": bool(on_time),
            "outcome": str(outcome), "office": office, "timezone": timezone, "findings": rows,
            "deadline": _aware(deadline).isoformat() if deadline else "",
            "resubmit_by": _aware(resubmit_by).isoformat() if resubmit_by else ""}


def receipt_paths(folder: Path, file_id: int, file_name: str) -> tuple[Path, Path]:
    """The receipt of a file: `<folder>/<file id>_<safe stem>.html` and `.json` (the one naming rule)."""
    from ..core.text import safe_stem

    stem = f"{file_id}_{safe_stem(Path(file_name).stem)}"
    return Path(folder) / f"{stem}.html", Path(folder) / f"{stem}.json"


def write_receipt(folder: Path, receipt: dict[str, Any], home: Path | None = None) -> tuple[Path, Path]:
    """Write `<folder>/<file id>_<safe stem>.html` and `.json`; returns both paths.

    Named by the registry's file id and a cleaned, length-capped stem of the name it arrived under, so
    no file name (82 Chinese characters, `../`, a formula, `A.xlsx` beside `A.XLSX`) can make a receipt
    name illegal or make two files share one receipt.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = receipt_paths(folder, receipt.get("file_id", 0), receipt["file_name"])
    _write_one(paths, receipt, lambda: _template(tuple(template_dirs(home or Path(".")))))
    return paths


def _write_one(paths: tuple[Path, Path], receipt: dict[str, Any], template) -> None:
    """One receipt's two files at `paths` (unless the JSON there already says the same); `template()` gives the
    compiled HTML template (looked up once per batch by `write_changed`)."""
    html_path, json_path = paths
    view = receipt_view(receipt)
    text = json.dumps(view, ensure_ascii=False, indent=2) + "\n"
    if html_path.exists() and json_path.exists() and json_path.read_text(encoding="utf-8") == text:
        return  # a rerun: this file's receipt says the same as before
    _write_aside(html_path, template().render(**view))
    _write_aside(json_path, text)


MANIFEST = ".receipts-index"  # file id -> digest of the receipt last written, and the template's version


def write_period_receipts(settings: Settings, period: str, reference: Reference, rows: list, findings: pd.DataFrame,
                          *, force: bool = False) -> int:
    """One receipt per file of the period (registry rows, duplicates included), under reports/<period>/receipts/;
    only the receipts that say something new are written (returns how many). A rejected file's receipt says by
    when a correction counts: the deadline while it is ahead, else the scheduled run (`periods.resubmit_by`)."""
    from .validate import findings_by_file  # the findings' owner (it imports the rule engine)

    by_file = findings_by_file(findings)
    closing = settings.deadline(period)
    run_at = due_at(period, tz=settings.tz, home=settings.home,
                    deadline_days=cadence_deadline_days(settings, period))
    receipts = []
    for row in rows:
        arrived = local(row.received_at, settings.tz)
        receipts.append(receipt_for(
            row.id, by_file.get(row.id, []), period=period, unit_code=row.unit_code,
            unit_name=reference.unit_name(row.unit_code) if row.unit_code else "（未识别的单位）",
            file_name=row.file_name, sha256=row.sha256, received_at=arrived,
            on_time=arrived_on_time(settings, period, row.received_at), outcome=row.outcome,
            office=settings.issuing_office, timezone=settings.timezone,
            notes=[row.arrival_note] if row.arrival_note else [], deadline=closing,
            resubmit_by=resubmit_by(arrived, closing, run_at) if row.outcome == Outcome.REJECTED else None,
            item_names=reference.item_names))
    return write_changed(catalog.receipts_dir(settings.home, period), receipts, home=settings.home, force=force)


def write_changed(folder: Path, receipts: list[dict[str, Any]], home: Path | None = None, *,
                  force: bool = False) -> int:
    """Write the receipts that say something new (or whose files are gone); returns how many.

    A receipt is a function of its facts (`receipt_for`), the code (`code_version`) and the template, so a digest of
    the facts, kept in `<folder>/.receipts-index` (JSON), tells which receipts are unchanged without rendering
    or reading them — a rerun of 10,000 files rewrites only the receipts of its new files. `force`
    (a `--from-scratch` run) ignores the manifest.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    version = _receipt_version(tuple(template_dirs(home or Path("."))))
    if force or manifest.get("_version") != version:
        manifest = {"_version": version}
    written = 0
    template = cache(lambda: _template(tuple(template_dirs(home or Path(".")))))  # looked up once, if needed
    for receipt in receipts:
        key = hashlib.sha256(json.dumps(receipt, ensure_ascii=False, sort_keys=True, default=str)
                             .encode()).hexdigest()[:32]
        fid = str(receipt.get("file_id", 0))
        paths = receipt_paths(folder, receipt.get("file_id", 0), receipt["file_name"])
        if manifest.get(fid) == key and paths[0].exists():
            continue
        _write_one(paths, receipt, template)
        manifest[fid] = key
        written += 1
    if written or not manifest_path.exists():
        _write_aside(manifest_path, json.dumps(manifest, ensure_ascii=False))
    return written


def _receipt_version(dirs: tuple[Path, ...]) -> str:
    """The code (every module of zhuanbao.tasks, and the installed version) and the receipt template in use."""
    from ..core.results import code_version, digest

    return digest(code_version(), _template_version(dirs))


@lru_cache(maxsize=4)
def _template_version(dirs: tuple[Path, ...]) -> str:
    from ..core.results import files_version

    template = next((Path(d) / "receipt.html.j2" for d in dirs if (Path(d) / "receipt.html.j2").exists()), None)
    return files_version([template] if template else [])


def _write_aside(path: Path, text: str) -> None:
    """`text` as UTF-8 into a file beside `path`, then renamed over it (a reader never sees half a receipt);
    one open, one write, one rename."""
    aside = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.tmp")
    handle = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        data = memoryview(text.encode("utf-8"))
        while data:
            data = data[os.write(handle, data):]
    finally:
        os.close(handle)
    os.replace(aside, path)


def receipt_view(receipt: dict[str, Any]) -> dict[str, Any]:
    """The receipt plus the sentences a clerk reads: arrival, 按时/逾期, outcome, next steps; for a period of another
    cadence than the month, its name (`period_text`: 2020年5月上半月; a month's receipt is as it always was)."""
    findings = [_finding_view(f, receipt["outcome"]) for f in receipt["findings"]]
    unexplained = [f for f in findings if f["severity"] == "soft" and not f["explained"]]
    outcome_text = RECEIPT_LABELS.get(receipt["outcome"], receipt["outcome"])
    zone = receipt.get("timezone", "Asia/Shanghai")
    if receipt["outcome"] == Outcome.ACCEPTED and unexplained:
        outcome_text = f"已受理（有 {len(unexplained)} 处待说明）"
    return {**receipt, "notes": receipt.get("notes") or [], "findings": findings, "outcome_text": outcome_text,
            "arrival_text": chinese_time(_aware(receipt["received_at"]), zone),
            "timeliness": "按时" if receipt["on_time"] else "逾期",
            "hard_count": sum(f["severity"] == "hard" for f in findings),
            "soft_count": sum(f["severity"] == "soft" for f in findings),
            "deadline_text": chinese_time(_aware(receipt["deadline"]), zone) if receipt.get("deadline") else "",
            "tz_label": "北京时间" if zone == "Asia/Shanghai" else zone,
            "timing_text": timing_text(receipt),
            "next_steps": next_steps(receipt["outcome"], findings, receipt.get("resubmit_by") or "", zone),
            **({} if is_monthly(receipt["period"]) else {"period_text": chinese_name(receipt["period"])})}


def _span(delta) -> str:
    """A duration as a clerk says it: '2天3小时', '5小时', '40分钟'."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天" + (f"{hours}小时" if hours else "")
    return f"{hours}小时" + (f"{mins}分钟" if mins else "") if hours else f"{mins}分钟"


def timing_text(receipt: dict[str, Any]) -> str:
    """'距截止还有2天3小时' or '逾期1天2小时' (empty without a deadline)."""
    if not receipt.get("deadline"):
        return ""
    arrival, closing = _aware(receipt["received_at"]), _aware(receipt["deadline"])
    return f"距截止还有{_span(closing - arrival)}" if arrival <= closing else f"逾期{_span(arrival - closing)}"


def next_steps(outcome: str, findings: list[dict[str, Any]], resubmit_by: str = "",
               timezone: str = "Asia/Shanghai") -> list[str]:
    hard = [f for f in findings if f["severity"] == "hard"]
    unexplained = [f for f in findings if f["severity"] == "soft" and not f["explained"]]
    if outcome == Outcome.REJECTED:
        by = f"，请于{chinese_time(_aware(resubmit_by), timezone)}前" if resubmit_by else "，请尽快"
        steps = ["本次报送未通过强制性审核，数据未被采用。",
                 f"请按下表逐条修改（共 {len(hard)} 处强制性问题）{by}重新报送同一报告期的报表；重新报送将替代本次报送。"]
        if unexplained:
            steps.append("表中的核实性问题请一并核实，如数据无误，请在该行「说明」栏写明原因。")
        return steps
    if outcome == Outcome.DUPLICATE:
        return ["本文件与此前报送的文件内容完全相同，按一次报送处理，无需再做处理。"]
    if outcome == Outcome.RECEIVED:
        return ["文件已收到并保存，尚未审核：本报告期正在汇总，汇总结束后将自动审核本文件，无需重新上传。",
                "请稍后刷新本回执查看审核结果（已受理或退回）。"]
    if unexplained:
        return ["数据已受理并纳入汇总。",
                (f"有 {len(unexplained)} 处核实性问题尚未说明：请核实数据，如无误，请在该行「说明」栏"
                "（表2 项目填在「存在问题」栏）写明原因后重新报送；未说明的问题将在专报中列出。")]
    return ["数据已受理并纳入汇总，无需进一步操作。"]


def chinese_time(moment: datetime, timezone: str = "Asia/Shanghai") -> str:
    """`2020年4月15日 23:59:59` in the office's time zone (ZHUANBAO_TIMEZONE) — to the second, so a late
    arrival never reads like the deadline minute."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M:%S}"


def _finding_view(finding: dict[str, Any], outcome: str) -> dict[str, Any]:
    severity = finding["severity"]
    explained = bool(finding.get("explained"))
    action = ("修改后重报" if severity == "hard" else "已说明" if explained
              else "请在「说明」栏说明原因" if outcome != Outcome.REJECTED else "请核实，必要时说明")
    row = finding.get("row")
    return {**finding, "row": row, "row_text": "" if row is None else f"第{row}行", "explained": explained,
            "severity_text": SEVERITY_TEXT.get(severity, severity), "action": action}


def _aware(moment: datetime | str) -> datetime:
    """A timezone-aware instant; naive values are taken as UTC (the registry stores UTC)."""
    moment = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


@lru_cache(maxsize=1)
def _template(dirs: tuple[Path, ...]):
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader([str(d) for d in dirs]), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html", "j2"], default=True))
    return env.get_template("receipt.html.j2")
