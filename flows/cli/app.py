"""The typer app of `zhuanbao` and what its command modules share (options, console, running a period).

Command modules (intake, runs, report, ops) import this and register on `app`; flows/cli/__init__.py
imports them all. Heavy imports (Prefect, Great Expectations) happen inside the commands that need
them, so `--help` is instant.
"""
from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click
import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from ...tasks.core import catalog
from ...tasks.core.periods import normalise_label
from ...tasks.core.settings import Settings, load_settings
from .usage import USAGE_ERRORS, is_usage_error, usage_message


class UserError(Exception):
    """Something the user can fix: printed as one line (the message says how), exit code 2."""


_CJK = re.compile(r"[\u4e00-\u9fff]")


def user_message(exc: BaseException) -> str | None:
    """The one-line message for an error the user can fix; None for a bug (shown with its type)."""
    from sqlalchemy.exc import DatabaseError

    from ...tasks.core.settings import SettingsError

    if isinstance(exc, DatabaseError):
        return (f"登记库无法打开或已损坏（{str(getattr(exc, 'orig', exc)).splitlines()[0]}）：请检查 ZHUANBAO_DB_URL；"
                "SQLite 登记库可移走后运行 zhuanbao rebuild-registry 从 reports/ 与 raw/ 重建")
    if isinstance(exc, (UserError, SettingsError)) or (
            isinstance(exc, (ValueError, RuntimeError, LookupError, OSError)) and _CJK.search(str(exc))):
        return str(exc).replace("\n", " ")  # our own messages are Chinese and say what to do
    if isinstance(exc, FileNotFoundError):
        return f"找不到文件或目录：{exc.filename}（请检查 --home 或路径）"
    return None


def _usage_exit(exc: BaseException):
    """A usage error (missing, unknown or malformed option or command): one Chinese line on stderr, exit code 2."""
    Console(stderr=True).print(f"[red]{escape(usage_message(exc))}[/red]", soft_wrap=True)
    raise typer.Exit(2) from None


class _Group(TyperGroup):
    """The command group: every error of a command becomes one line and an exit code (tracebacks with --debug);
    usage errors of the group's own options and of every command's too (flows/cli/usage.py)."""

    def make_context(self, info_name, args, parent=None, **extra):
        if parent is None:
            _given["argv"] = list(args)  # the command as typed, for the warm runner (hand_to_warm_runner)
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except USAGE_ERRORS as exc:
            if not is_usage_error(exc) or _given.get("debug") or "--debug" in args:
                raise
            _usage_exit(exc)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except USAGE_ERRORS as exc:
            if not is_usage_error(exc) or _given.get("debug"):
                raise
            _usage_exit(exc)
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.ClickException, click.Abort, SystemExit,
                KeyboardInterrupt):
            raise
        except Exception as exc:
            if type(exc).__module__.startswith("typer._click"):  # typer's own Exit/Abort/ClickException
                raise
            if _given.get("debug"):
                raise
            message = user_message(exc)
            if message is None:
                first = str(exc).splitlines()[0] if str(exc) else ""
                console.print(f"[red]内部错误：{type(exc).__name__}: {first}（加 --debug 查看详情并报告给维护人员）[/red]",
                              soft_wrap=True)
                raise typer.Exit(1) from None
            console.print(f"[red]{escape(message)}[/red]", soft_wrap=True)  # escape: keeps 'zhuanbao[s3]' whole
            raise typer.Exit(2) from None


app = typer.Typer(help="zhuanbao（专报）：月度调度报表的收集、审核、汇总与专报生成。", no_args_is_help=True,
                  pretty_exceptions_enable=False, cls=_Group)
# Piped or redirected (not a terminal): no wrapping at rich's default 80 columns, so a printed path stays
# one line a script or a colleague can copy; in a terminal, rich wraps to the window as before.
console = Console(soft_wrap=not sys.stdout.isatty())
PERIOD_HELP = "报告期 YYYY-MM（如 2020-04），或调度期（如 2020-05-H1、2020-W15、2020-B08、2020-Q2）"


@contextmanager
def refused_when_locked() -> Iterator[None]:
    """Another run is writing the period: say who, exit 3, write nothing (every writing command)."""
    from ...tasks.intake.lock import PeriodLocked

    try:
        yield
    except PeriodLocked as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(3) from None


def _period(value: str | None) -> str | None:
    """Every --period of every command: any cadence's label (2020-04, 2020-05-H1, 2020-W15, …) strictly after NFKC (tasks/core/periods.py), else one line, exit 2."""
    if value is None:
        return None
    try:
        return normalise_label(value)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def parse_moment(text: str | None, settings: Settings, option: str = "--received-at") -> datetime | None:
    """An ISO 8601 time from the command line, in the office's time zone when none is given."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{option} 的时间“{text}”无法识别：请写成 ISO 8601，如 2020-05-15T18:30 或 "
                        "2020-05-15 18:30:00+08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.tz)


_given: dict = {"home": None, "debug": False}  # --home as given on the command line (the boundary's one input)


def given_home() -> str | None:
    """The home named by --home or ZHUANBAO_HOME, if any (the demo says it leaves that one alone)."""
    return _given["home"]


def use_home(home: str | Path | None) -> None:
    """The home every command of this process works in (from --home, or the demo's folder)."""
    _given["home"] = None if home is None else str(home)


def current_settings() -> Settings:
    """The settings at the CLI boundary: --home, then ZHUANBAO_* and <home>/zhuanbao.toml (see core/settings.py)."""
    from ...tasks.core.settings import SettingsError

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
                                            help="数据目录（默认 ./data_lake；也可为 s3:// 等 fsspec 地址）"),
         debug: bool = typer.Option(False, "--debug", help="出错时显示完整的 Python 调用栈（供维护人员排查）")) -> None:
    use_home(home)
    _given["debug"] = debug


def _context(period: str, *, index: bool = False):
    """Settings, a registry session and the period's reference — or, with `index`, only its units and who owes
    what (tasks/core/reference_index.py: no pandas, for the quick commands)."""
    from ...tasks.core.reference_files import ReferenceError
    from ...tasks.intake.registry import session

    settings = current_settings()
    try:
        if index:
            from ...tasks.core.reference_index import reference_index_for

            reference = reference_index_for(settings, period)
        else:
            from ...tasks.core.reference import reference_for

            reference = reference_for(settings, period)
    except ReferenceError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    return settings, session(settings.db_url), reference


def hand_to_warm_runner() -> None:
    """Run this whole command in the home's warm runner when it would run there as here (flows/warm_runner.py),
    and exit with its exit code; return (run it here) when there is none, or it runs other code or settings."""
    import os

    from ...tasks.core.prefect_profile import configured_api_url
    from ..prefect_env import with_defaults
    from ..warm_runner import IN_CHILD, run_there, runner_address

    settings = current_settings()
    if (os.environ.get(IN_CHILD) or os.environ.get("PREFECT_API_URL") or not settings.warm_runner
            or settings.server_idle_minutes <= 0 or not _given.get("argv") or configured_api_url()):
        return
    address = runner_address(settings.home, with_defaults(dict(os.environ), settings.home))
    code = run_there(address, _given["argv"], dict(os.environ)) if address else None
    if code is not None:
        raise typer.Exit(code)


def run_period(period: str, *, reason: str | None = None, as_of: str | None = None,
               from_scratch: bool = False, reissue: bool = False) -> dict:
    """Run the monthly flow with a progress display (used by run, rerun, backfill and demo)."""
    from ...tasks.core.extras import DASK, require_installed
    from ..prefect_env import prepare_prefect

    if current_settings().task_runner == "dask":
        require_installed(*DASK)  # say so before a temporary server starts, not after
    # first: a temporary server (if one is needed) boots while Prefect and the flow's modules load
    used = prepare_prefect(current_settings().home, start_server=True,
                           keep_minutes=current_settings().server_idle_minutes)
    console.print(f"[dim]使用{used}[/dim]")
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ..monthly import STEP_NAMES, flow_for, listen

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  transient=True) as progress:
        bar = progress.add_task(f"{period} 启动流程…", total=len(STEP_NAMES))
        with refused_when_locked(), listen(lambda name: progress.update(bar, advance=1,
                                                                       description=f"{period} {name} 完成")):
            settings = current_settings()
            return flow_for(settings)(period=period, as_of=as_of, reason=reason, home=flow_home(settings),
                                      from_scratch=from_scratch, reissue=reissue)


def print_outputs(summary: dict) -> None:
    from ...tasks import steps

    settings = current_settings()
    console.print(f"[bold]{steps.summary_line(summary)}[/bold]")
    console.print(f"  回执：{catalog.receipts_dir(settings.home, summary['period'])}")
    console.print(f"  汇总数据：{settings.curated_dir}")
    outputs = summary.get("outputs") or {}
    if outputs.get("note"):  # a signed 专报 kept: say so, and how to reissue it
        console.print(f"  专报{outputs['issue_label']}：{outputs['note']}")
    elif outputs.get("issue_label"):
        state = "新生成（草稿，待审核、签发）" if outputs.get("created") else "输入未变，沿用已有文件"
        console.print(f"  专报{outputs['issue_label']}：{state}")
    elif outputs.get("document") == "通报":
        state = "新生成" if outputs.get("created") else "输入未变，沿用已有文件"
        console.print(f"  通报第{outputs['issue_no']}期：{state}")
    for key, label in (("pdf", "PDF"), ("docx", "Word"), ("html", "HTML"), ("xlsx", "Excel 附表")):
        if isinstance(outputs.get(key), str):
            console.print(f"    {label}：{outputs[key]}")
