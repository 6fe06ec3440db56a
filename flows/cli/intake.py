"""Intake commands: collect, submit, status, validate."""
from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ...tasks.core import catalog
from .app import (
    PERIOD_HELP,
    _context,
    _period,
    app,
    console,
    current_settings,
    parse_moment,
    refused_when_locked,
)


@app.command()
def collect(period: str = typer.Option(..., "--period", "-p", callback=_period, help=PERIOD_HELP)) -> None:
    """收取 inbox/<period>/ 中的新文件：登记、原样存档、读取。"""
    from ...tasks.intake.collect import collect_inbox
    from ...tasks.intake.read import read_period

    settings, db, reference = _context(period)
    result = collect_inbox(settings, db, period)
    read_period(settings, db, period, reference)
    console.print(f"{period}：新登记 {len(result.registered)} 个文件，重复 {len(result.duplicates)} 个，"
                  f"此前已登记 {result.already_known} 个。")


@app.command()
def submit(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="报送的工作簿"),
           period: str = typer.Option(..., "--period", "-p", callback=_period, help=PERIOD_HELP),
           received_at: str | None = typer.Option(None, "--received-at", help="到达时间 ISO8601，默认现在")) -> None:
    """登记一份直接交来的文件（上传、邮件），并读取。"""
    from ...tasks.checks.outcomes import LABELS
    from ...tasks.intake.collect import submit_file
    from ...tasks.intake.read import read_period

    settings, db, reference = _context(period)
    moment = parse_moment(received_at, settings)
    row = submit_file(settings, db, file, period, moment)
    read_period(settings, db, period, reference)
    console.print(f"已登记 {row.file_name}（sha256 {row.sha256[:12]}…）：{LABELS.get(row.outcome, row.outcome)}")
    for message in row.messages:
        console.print(f"  · {message}")


@app.command()
def status(period: str = typer.Option(..., "--period", "-p", callback=_period, help=PERIOD_HELP),
           as_json: bool = typer.Option(False, "--json", help="输出 JSON（供脚本使用）")) -> None:
    """报送情况：每个应报单位一行，每个文件一行。"""
    from ...tasks.intake.status import period_status

    settings, db, reference = _context(period, index=True)
    report = period_status(settings, db, period, reference)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    print_status(report)


def print_status(report: dict) -> None:
    from ...tasks.checks.outcomes import LABELS

    table = Table(title=f"{report['period']} 报送情况（截止 {report['deadline'][:10]}）")
    for column in ("单位代码", "单位", "状态", "按时", "版本数", "规则"):
        table.add_column(column)
    colours = {"accepted": "green", "received": "cyan", "rejected": "red", "missing": "yellow"}
    for unit in report["units"]:
        on_time = {True: "按时", False: "逾期", None: "—"}[unit["on_time"]]
        state = f"[{colours[unit['status']]}]{LABELS[unit['status']]}[/]"
        table.add_row(unit["unit_code"], unit["unit_name"], state, on_time, str(unit["versions"]),
                      " ".join(unit["rules"]))
    console.print(table)
    counts = report["counts"]
    console.print(f"应报 {counts['required']} 个单位：已报送 {counts['reported']}（按时 {counts['on_time']}，"
                  f"逾期 {counts['late']}），未报 {counts['unreported']}（其中退回 {counts['rejected']}）")
    files = Table(title="收到的文件")
    for column in ("文件", "到达时间", "单位", "结果", "说明"):
        files.add_column(column)
    for entry in report["files"]:
        files.add_row(entry["file"], entry["received_at"].replace("T", " ")[:16], entry["unit_code"] or "—",
                      LABELS.get(entry["outcome"], entry["outcome"]), "；".join(entry["messages"])[:80])
    console.print(files)


@app.command()
def validate(period: str = typer.Option(..., "--period", "-p", callback=_period, help=PERIOD_HELP)) -> None:
    """收取 + 读取 + 审核：每个文件出具回执，状态里给出规则编号。"""
    from ...tasks import steps
    from ...tasks.intake.lock import period_lock

    settings = current_settings()
    with refused_when_locked(), period_lock(settings, period, who="zhuanbao validate（收取与审核）"), \
            steps.recorded_run(settings, period, kind="validate", reason="validate") as record:
        steps.collect(record.context)
        counts = steps.check(record.context, steps.read(record.context))
        record.counts.update(counts)
    console.print(f"{period}：文件 {counts['files']} 个，受理 {counts['accepted']}，退回 {counts['rejected']}。"
                  f"回执在 {catalog.receipts_dir(settings.home, period)}")
