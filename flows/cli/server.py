"""`zhuanbao server status|stop`: the Prefect server (and warm checker, warm runner) the CLI keeps between commands."""
from __future__ import annotations

import typer

from .app import app, console, current_settings

server_app = typer.Typer(help="命令行保留的 Prefect 服务器和预热审核进程：查看、立即关闭。", no_args_is_help=True)
app.add_typer(server_app, name="server")


@server_app.command("status")
def status() -> None:
    """显示本数据目录保留的 Prefect 服务器和预热审核进程。"""
    from ...tasks.checks.warm import ping
    from ..kept_server import kept_server
    from ..warm_runner import runner_pid

    home = current_settings().home
    record = kept_server(home)
    if record:
        console.print(f"保留的 Prefect 服务器：{record['url']}（启动于 {record['started_at']}，"
                      f"空闲 {record['idle_minutes']:g} 分钟后关闭）")
    else:
        console.print("没有保留的 Prefect 服务器（下一条 run/rerun/demo 命令会启动一个）")
    checker = ping(home)
    console.print(f"预热审核进程：{'运行中（进程 ' + str(checker['pid']) + '）' if checker else '未运行（审核在命令本身的进程中进行）'}")
    runner = runner_pid(home)
    state = f"运行中（进程 {runner}；run/rerun/backfill 在其分叉进程中运行，免去导入）" if runner else "未运行（命令在自己的进程中运行）"
    console.print(f"预热运行进程：{state}")


@server_app.command("stop")
def stop() -> None:
    """立即关闭命令行保留的 Prefect 服务器和预热审核进程（zhuanbao serve 启动的不受影响）。"""
    from ..kept_server import stop as stop_kept

    if stop_kept(current_settings().home):
        console.print("已关闭保留的 Prefect 服务器和预热审核进程")
    else:
        console.print("没有正在运行的保留服务器")
