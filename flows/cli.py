"""The `zhuanbao` command: every job of the office reachable from one place.

Commands stay thin: they parse options, call tasks/ or a flow, and print. Heavy imports
(Prefect, Great Expectations) happen inside the commands that need them, so `--help` is instant.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from tasks.settings import load_settings, period_parts

app = typer.Typer(help="zhuanbao（专报）：月度调度报表的收集、审核、汇总与专报生成。", no_args_is_help=True,
                  pretty_exceptions_enable=False)
console = Console()
STATUS_ZH = {"received": "已接收", "accepted": "已受理", "rejected": "退回", "missing": "未报",
             "superseded": "已被更正版替代", "duplicate": "重复报送"}
PERIOD_HELP = "报告期 YYYY-MM，如 2020-04"


@contextmanager
def refused_when_locked() -> Iterator[None]:
    """Another run is writing the period: say who, exit 3, write nothing (every writing command)."""
    from tasks.lock import PeriodLocked

    try:
        yield
    except PeriodLocked as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(3) from None


def _period(value: str) -> str:
    try:
        period_parts(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


@app.callback()
def main(home: str | None = typer.Option(None, "--home", envvar="ZHUANBAO_HOME",  # str: keeps s3:// intact
                                            help="数据目录（默认 ./data_lake；也可为 s3:// 等 fsspec 地址）")) -> None:
    if home is not None:
        import os

        os.environ["ZHUANBAO_HOME"] = str(home)


def _context(period: str):
    from tasks.reference import ReferenceError, reference_for
    from tasks.registry import session

    settings = load_settings()
    try:
        reference = reference_for(settings, period)
    except ReferenceError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    return settings, session(settings.db_url), reference


@app.command()
def collect(period: str = typer.Option(..., "--period", "-p", callback=_period, help=PERIOD_HELP)) -> None:
    """收取 inbox/<period>/ 中的新文件：登记、原样存档、读取。"""
    from tasks.collect import collect_inbox
    from tasks.intake import read_period

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
    from tasks.collect import submit_file
    from tasks.intake import read_period

    settings, db, reference = _context(period)
    moment = datetime.fromisoformat(received_at) if received_at else None
    row = submit_file(settings, db, file, period, moment)
    read_period(settings, db, period, reference)
    console.print(f"已登记 {row.file_name}（sha256 {row.sha256[:12]}…）：{STATUS_ZH.get(row.outcome, row.outcome)}")
    for message in row.messages:
        console.print(f"  · {message}")


@app.command()
def status(period: str = typer.Option(..., "--period", "-p", callback=_period, help=PERIOD_HELP),
           as_json: bool = typer.Option(False, "--json", help="输出 JSON（供脚本使用）")) -> None:
    """报送情况：每个应报单位一行，每个文件一行。"""
    from tasks.status import period_status

    settings, db, reference = _context(period)
    report = period_status(settings, db, period, reference)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    print_status(report)


def print_status(report: dict) -> None:
    table = Table(title=f"{report['period']} 报送情况（截止 {report['deadline'][:10]}）")
    for column in ("单位代码", "单位", "状态", "按时", "版本数", "规则"):
        table.add_column(column)
    colours = {"accepted": "green", "received": "cyan", "rejected": "red", "missing": "yellow"}
    for unit in report["units"]:
        on_time = {True: "按时", False: "逾期", None: "—"}[unit["on_time"]]
        state = f"[{colours[unit['status']]}]{STATUS_ZH[unit['status']]}[/]"
        table.add_row(unit["unit_code"], unit["unit_name"], state, on_time, str(unit["versions"]),
                      " ".join(unit["rules"]))
    console.print(table)
    files = Table(title="收到的文件")
    for column in ("文件", "到达时间", "单位", "结果", "说明"):
        files.add_column(column)
    for entry in report["files"]:
        files.add_row(entry["file"], entry["received_at"].replace("T", " ")[:16], entry["unit_code"] or "—",
                      STATUS_ZH.get(entry["outcome"], entry["outcome"]), "；".join(entry["messages"])[:80])
    console.print(files)


@app.command()
def validate(period: str = typer.Option(..., "--period", "-p", callback=_period, help=PERIOD_HELP)) -> None:
    """收取 + 读取 + 审核：每个文件出具回执，状态里给出规则编号。"""
    from tasks import steps
    from tasks.lock import period_lock

    settings = load_settings()
    with refused_when_locked(), period_lock(settings, period, who="zhuanbao validate（收取与审核）"):
        ctx = steps.open_run(settings, period, reason="validate")
        steps.collect(ctx)
        counts = steps.check(ctx, steps.read(ctx))
    console.print(f"{period}：文件 {counts['files']} 个，受理 {counts['accepted']}，退回 {counts['rejected']}。"
                  f"回执在 {settings.reports_dir(period) / 'receipts'}")


@app.command()
def run(period: str = typer.Option(..., "--period", "-p", callback=_period, help=PERIOD_HELP),
        reason: str | None = typer.Option(None, "--reason", help="本次运行的原因（记入登记簿和修订说明）"),
        as_of: str | None = typer.Option(None, "--as-of", help="只收取此时刻之前到达的文件（ISO8601）")) -> None:
    """运行月度流程：收取 → 读取 → 审核 → 汇总 → 指标 → 专报。"""
    summary = run_period(period, reason=reason, as_of=as_of)
    print_outputs(summary)


def run_period(period: str, *, reason: str | None = None, as_of: str | None = None) -> dict:
    """Run the monthly flow with a progress display (used by run, rerun, backfill and demo)."""
    from flows.prefect_env import prepare_prefect

    prepare_prefect(load_settings().home)
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from flows.monthly import STEP_NAMES, flow_for, listen

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  transient=True) as progress:
        bar = progress.add_task(f"{period} 启动流程（首次启动 Prefect 需十余秒）…", total=len(STEP_NAMES))
        with refused_when_locked(), listen(lambda name: progress.update(bar, advance=1,
                                                                       description=f"{period} {name} 完成")):
            return flow_for(load_settings())(period=period, as_of=as_of, reason=reason)


def print_outputs(summary: dict) -> None:
    from tasks import steps

    settings = load_settings()
    console.print(f"[bold]{steps.summary_line(summary)}[/bold]")
    console.print(f"  回执：{settings.reports_dir(summary['period']) / 'receipts'}")
    console.print(f"  汇总数据：{settings.curated_dir}")
    outputs = summary.get("outputs") or {}
    for label, path in outputs.items():
        if isinstance(path, str) and not (label == "context" and path == outputs.get("json")):
            console.print(f"  {label}：{path}")


@app.command()
def demo(home: Path = typer.Option(Path("demo_home"), "--home", help="演示数据目录（会被重建）"),
         keep: bool = typer.Option(False, "--keep", help="保留已有的演示目录")) -> None:
    """演示：为大通湖区生成三个月的报表（含格式混乱、逾期、退回、未报、更正重报），逐月运行。"""
    import os
    import shutil

    from tasks.demo_run import DEMO_RUNS, prepare_demo_home

    home = home.resolve()
    if home.exists() and not keep:
        shutil.rmtree(home)
    os.environ["ZHUANBAO_HOME"] = str(home)
    manifest = prepare_demo_home(home)
    console.print(f"演示目录：{home}（{len(manifest)} 个报送文件）")
    for period, as_of, reason in DEMO_RUNS:
        summary = run_period(period, reason=reason, as_of=as_of)
        print_outputs(summary)
    status(period=DEMO_RUNS[-1][0], as_json=False)


@app.command()
def preview(template: str = typer.Option(..., "--template", "-t", help="模板文件名，如 zhuanbao.docx 或 zhuanbao.html.j2"),
            period: str | None = typer.Option(None, "--period", "-p", help="用该期已生成的数据预览；不指定则用样例"),
            html: bool = typer.Option(False, "--html", help="HTML 模板输出 HTML 而不是 PDF")) -> None:
    """编辑预览：用真实一期或样例数据渲染模板。"""
    from tasks.report import preview as render_preview

    try:
        path = render_preview(load_settings(), template, period, pdf=not html)
    except FileNotFoundError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"预览已生成：{path}")


@app.command("lint-templates")
def lint_templates() -> None:
    """检查模板：未知变量、中文输入法打出的全角括号、docxtpl 无法渲染的标签。"""
    from tasks.report import lint_problems

    problems = lint_problems()
    for problem in problems:
        console.print(f"[red]✗[/red] {problem}")
    if problems:
        raise typer.Exit(1)
    console.print("[green]模板检查通过[/green]")


if __name__ == "__main__":
    app()
import flows.cli_ops  # noqa: F401 — registers rerun, backfill, reminders, serve
