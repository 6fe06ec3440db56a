"""Operations commands of `zhuanbao`: rerun, backfill, reminders, serve.

Registered on the same typer app as flows/cli.py (imported at its end).
"""
from __future__ import annotations

import time
from pathlib import Path

import typer

from flows.cli import PERIOD_HELP, _period, app, console, print_outputs, refused_when_locked, run_period
from tasks.settings import load_settings, period_parts


def _months(start: str, end: str) -> list[str]:
    """'2020-03'..'2020-06' inclusive, in order."""
    (y, m), (y2, m2) = period_parts(start), period_parts(end)
    if (y, m) > (y2, m2):
        raise typer.BadParameter(f"起始报告期 {start} 晚于结束报告期 {end}")
    out = []
    while (y, m) <= (y2, m2):
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@app.command()
def rerun(period: str = typer.Option(..., "--period", "-p", callback=_period, help=PERIOD_HELP),
          reason: str = typer.Option(..., "--reason", help="重跑原因（记入登记簿和专报的修订说明），如“T04 逾期报送”")) -> None:
    """重跑一个报告期：收取逾期/更正文件并重建（已读过的文件不再读取）；专报出修订版。"""
    if not reason.strip():
        raise typer.BadParameter("重跑必须说明原因", param_hint="--reason")
    print_outputs(run_period(period, reason=reason.strip()))


@app.command()
def backfill(start: str = typer.Option(..., "--from", callback=_period, help="起始报告期 YYYY-MM"),
             end: str = typer.Option(..., "--to", callback=_period, help="结束报告期 YYYY-MM（含）"),
             reason: str | None = typer.Option("补跑", "--reason", help="记入登记簿的原因")) -> None:
    """按月份顺序补跑一段报告期（每月用上月的汇总数据做环比审核，所以必须按顺序）。"""
    for period in _months(start, end):
        print_outputs(run_period(period, reason=reason))


@app.command()
def reminders(period: str = typer.Option(..., "--period", "-p", callback=_period, help=PERIOD_HELP),
              no_check: bool = typer.Option(False, "--no-check", help="只收取和读取，不运行审核规则（更快）")) -> None:
    """催报名单：收取并审核已到文件，列出尚未报送或仅有被退回文件的单位（含联系人）。"""
    from flows.prefect_env import prepare_prefect

    prepare_prefect(load_settings().home)
    from flows.reminders import submission_reminders
    from tasks.reminders import log_lines

    with refused_when_locked():
        result = submission_reminders(period=period, check=not no_check)
    settings = load_settings()
    import json

    entries = json.loads(Path(result["files"]["json"]).read_text("utf-8"))["owing"]
    for line in log_lines(period, entries):
        console.print(line)
    console.print(f"  名单：{settings.reports_dir(period) / '催报名单.md'}")


@app.command()
def serve(port: int = typer.Option(4200, "--port", help="Prefect 服务器端口（仅本机 127.0.0.1）"),
          host: str = typer.Option("127.0.0.1", "--host", help="监听地址；局域网访问用 0.0.0.0")) -> None:
    """启动本机 Prefect 服务器并运行 prefect.yaml 中的部署（定时任务、催报、重跑），打印界面地址。"""
    from flows.deploy import start_server, start_serving, stop_process

    settings = load_settings()
    logs = settings.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    console.print("正在启动 Prefect 服务器（约 10–20 秒）…")
    try:
        server = start_server(settings.home, port, host=host, log=logs / "prefect-server.log")
    except (RuntimeError, TimeoutError) as exc:
        console.print(f"[red]{exc}；日志：{logs / 'prefect-server.log'}（端口 {port} 被占用？用 --port 换一个）[/red]")
        raise typer.Exit(2) from None
    shown = server.url.replace("0.0.0.0", "127.0.0.1")
    served = start_serving(settings.home, f"{shown}/api", log=logs / "prefect-serve.log")
    console.print(f"[bold green]Prefect 界面：{shown}[/bold green]  （API：{shown}/api）")
    console.print("部署：monthly（每月16日09:00）、reminders（每月10–15日09:00）、rerun（手动，需填报告期和原因）")
    console.print(f"在其他终端使用：export PREFECT_API_URL={shown}/api；日志在 {logs}。按 Ctrl+C 停止。")
    import signal

    def interrupt(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)  # a service manager stops it like Ctrl+C
    signal.signal(signal.SIGINT, interrupt)
    try:
        while server.process.poll() is None and served.poll() is None:
            time.sleep(1)
        console.print("[red]服务器或部署进程意外退出，请查看日志[/red]")
    except KeyboardInterrupt:
        console.print("正在停止…")
    finally:
        stop_process(served)
        server.stop()
