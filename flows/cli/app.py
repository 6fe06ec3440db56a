"""The typer app of `zhuanbao` and what its command modules share (options, console, running a period).

Command modules (intake, runs, report, ops) import this and register on `app`; flows/cli/__init__.py
imports them all. Heavy imports (Prefect, Great Expectations) happen inside the commands that need
them, so `--help` is instant.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

from zhuanbao.tasks.core.periods import period_parts
from zhuanbao.tasks.core.settings import Settings, load_settings

app = typer.Typer(help="zhuanbao（专报）：月度调度报表的收集、审核、汇总与专报生成。", no_args_is_help=True,
                  pretty_exceptions_enable=False)
console = Console()
STATUS_ZH = {"received": "已接收", "accepted": "已受理", "rejected": "退回", "missing": "未报",
             "superseded": "已被更正版替代", "duplicate": "重复报送"}
PERIOD_HELP = "报告期 YYYY-MM，如 2020-04"


@contextmanager
def refused_when_locked() -> Iterator[None]:
    """Another run is writing the period: say who, exit 3, write nothing (every writing command)."""
    from zhuanbao.tasks.intake.lock import PeriodLocked

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


_given: dict[str, str | None] = {"home": None}  # --home as given on the command line (the boundary's one input)


def use_home(home: str | Path | None) -> None:
    """The home every command of this process works in (from --home, or the demo's folder)."""
    _given["home"] = None if home is None else str(home)


def current_settings() -> Settings:
    """The settings at the CLI boundary: --home, then ZHUANBAO_* and <home>/zhuanbao.toml (see core/settings.py)."""
    from zhuanbao.tasks.core.settings import SettingsError

    try:
        return load_settings(**({"home": _given["home"]} if _given["home"] else {}))
    except SettingsError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def flow_home(settings: Settings) -> str:
    """The home as a flow parameter: the lake URL when the lake is remote, else the local folder."""
    return settings.lake or str(settings.home)


@app.callback()
def main(home: str | None = typer.Option(None, "--home", envvar="ZHUANBAO_HOME",  # str: keeps s3:// intact
                                            help="数据目录（默认 ./data_lake；也可为 s3:// 等 fsspec 地址）")) -> None:
    use_home(home)


def _context(period: str):
    from zhuanbao.tasks.core.reference import ReferenceError, reference_for
    from zhuanbao.tasks.intake.registry import session

    settings = current_settings()
    try:
        reference = reference_for(settings, period)
    except ReferenceError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    return settings, session(settings.db_url), reference


def run_period(period: str, *, reason: str | None = None, as_of: str | None = None) -> dict:
    """Run the monthly flow with a progress display (used by run, rerun, backfill and demo)."""
    from zhuanbao.flows.prefect_env import prepare_prefect

    console.print(f"[dim]使用{prepare_prefect(current_settings().home)}[/dim]")
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from zhuanbao.flows.monthly import STEP_NAMES, flow_for, listen

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  transient=True) as progress:
        bar = progress.add_task(f"{period} 启动流程（首次启动 Prefect 需十余秒）…", total=len(STEP_NAMES))
        with refused_when_locked(), listen(lambda name: progress.update(bar, advance=1,
                                                                       description=f"{period} {name} 完成")):
            settings = current_settings()
            return flow_for(settings)(period=period, as_of=as_of, reason=reason, home=flow_home(settings))


def print_outputs(summary: dict) -> None:
    from zhuanbao.tasks import steps

    settings = current_settings()
    console.print(f"[bold]{steps.summary_line(summary)}[/bold]")
    console.print(f"  回执：{settings.reports_dir(summary['period']) / 'receipts'}")
    console.print(f"  汇总数据：{settings.curated_dir}")
    outputs = summary.get("outputs") or {}
    for label, path in outputs.items():
        if isinstance(path, str) and not (label == "context" and path == outputs.get("json")):
            console.print(f"  {label}：{path}")
