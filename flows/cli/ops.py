"""Operations commands: serve (the Prefect server and the deployments) and doctor (checks and recovery)."""
from __future__ import annotations

import time

import typer

from ...tasks.core import catalog
from .app import app, console, current_settings


@app.command()
def serve(port: int = typer.Option(4200, "--port", help="Prefect 服务器端口"),
          host: str = typer.Option("127.0.0.1", "--host", help="监听地址；局域网访问用 0.0.0.0"),
          portal_port: int = typer.Option(8600, "--portal-port", help="填报门户端口")) -> None:
    """启动本机 Prefect 服务器、prefect.yaml 中的部署（定时任务、催报、重跑）和填报门户，打印地址。

    启动时：把上次意外中止的运行标记为崩溃并释放名额；若上月的月度汇总已过计划时间仍未完成，补跑一次。
    停止（Ctrl+C 或服务管理器的 SIGTERM）不会暂停部署，计划中的运行保留。
    """
    from ..portal.server import start_portal_process
    from ..serve import advertised_url, record_serving, start_checker, start_server, start_serving, stop_process

    settings = current_settings()
    logs = catalog.logs_dir(settings.home)
    logs.mkdir(parents=True, exist_ok=True)
    from ..kept_server import stop as stop_kept

    if stop_kept(settings.home):  # one server per home's Prefect database: serve's from now on
        console.print("已关闭命令行保留的 Prefect 服务器（改由 serve 提供）")
    console.print("正在启动 Prefect 服务器（约 10–20 秒）…")
    try:
        server = start_server(settings.home, port, host=host, log=logs / "prefect-server.log")
    except (RuntimeError, TimeoutError) as exc:
        console.print(f"[red]{exc}；日志：{logs / 'prefect-server.log'}（端口 {port} 被占用？用 --port 换一个）[/red]")
        raise typer.Exit(2) from None
    served = start_serving(settings.home, server.api_url, log=logs / "prefect-serve.log")
    checker = start_checker(settings.home, log=logs / "checker.log")  # GX warm for the portal and CLI runs
    portal = start_portal_process(settings, host, portal_port, logs / "portal.log")  # the 填报门户 beside Prefect
    shown = advertised_url(host, server.url.rsplit(":", 1)[1]) if host in ("0.0.0.0", "::") else server.url
    record_serving(settings.home, server, served, shown)
    portal_url = advertised_url(host, portal_port) if host in ("0.0.0.0", "::") else f"http://{host}:{portal_port}"
    console.print(f"[bold green]Prefect 界面：{shown}[/bold green]  （API：{shown}/api）")
    console.print("部署：monthly（每月16日09:00）、reminders（每月10–15日09:00）、rerun（手动，需填报告期和原因）")
    console.print(f"[bold green]填报门户：{portal_url}/[/bold green]")
    console.print(f"在其他终端使用：export PREFECT_API_URL={server.api_url}；日志在 {logs}。按 Ctrl+C 停止。")
    import signal

    def interrupt(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)  # a service manager stops it like Ctrl+C
    signal.signal(signal.SIGINT, interrupt)
    try:
        while server.process.poll() is None and served.poll() is None and portal.poll() is None:
            time.sleep(1)
        console.print("[red]服务器或部署进程意外退出，请查看日志[/red]")
        raise typer.Exit(1)
    except KeyboardInterrupt:
        console.print("正在停止…（部署保持启用，计划中的运行保留）")
    finally:
        stop_process(served)
        stop_process(portal)
        stop_process(checker)
        server.stop()


@app.command()
def doctor(fix: bool = typer.Option(False, "--fix", help="先修复：标记已中止的运行为崩溃、释放并发名额、清除过期锁")) -> None:
    """检查运行环境：数据目录、基础表、字体、登记簿、Prefect 服务器与调度、部署、并发名额、过期锁。"""
    from ..doctor import api_url, run_checks

    settings = current_settings()
    if fix:
        from ..recovery import recover

        url = api_url(settings)
        if url:
            from prefect.settings import PREFECT_API_URL, temporary_settings

            with temporary_settings(updates={PREFECT_API_URL: url}):
                done = recover(settings)
        else:
            done = recover(settings, with_prefect=False)
        for line in done or ["无需修复"]:
            console.print(f"[cyan]修复[/cyan] {line}")
    checks = run_checks(settings)
    for check in checks:
        mark = "[green]✓[/green]" if check.ok else "[red]✗[/red]"
        console.print(f"{mark} {check.name}：{check.detail}")
    if not all(c.ok for c in checks):
        raise typer.Exit(1)
