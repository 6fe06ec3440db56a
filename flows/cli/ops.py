"""Operations commands: serve (the Prefect server and the deployments)."""
from __future__ import annotations

import time

import typer

from zhuanbao.flows.cli.app import app, console, current_settings


@app.command()
def serve(port: int = typer.Option(4200, "--port", help="Prefect 服务器端口（仅本机 127.0.0.1）"),
          host: str = typer.Option("127.0.0.1", "--host", help="监听地址；局域网访问用 0.0.0.0"),
          portal_port: int = typer.Option(8600, "--portal-port", help="填报门户端口")) -> None:
    """启动本机 Prefect 服务器并运行 prefect.yaml 中的部署（定时任务、催报、重跑），打印界面地址。"""
    from zhuanbao.flows.serve import start_server, start_serving, stop_process

    settings = current_settings()
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
    from zhuanbao.flows.portal.server import start_portal_process  # the 填报门户 beside Prefect

    portal = start_portal_process(settings, host, portal_port, logs / "portal.log")
    console.print(f"[bold green]Prefect 界面：{shown}[/bold green]  （API：{shown}/api）")
    console.print("部署：monthly（每月16日09:00）、reminders（每月10–15日09:00）、rerun（手动，需填报告期和原因）")
    console.print(f"[bold green]填报门户：http://{host.replace('0.0.0.0', '127.0.0.1')}:{portal_port}/[/bold green]")
    console.print(f"在其他终端使用：export PREFECT_API_URL={shown}/api；日志在 {logs}。按 Ctrl+C 停止。")
    import signal

    def interrupt(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)  # a service manager stops it like Ctrl+C
    signal.signal(signal.SIGINT, interrupt)
    try:
        while server.process.poll() is None and served.poll() is None and portal.poll() is None:
            time.sleep(1)
        console.print("[red]服务器或部署进程意外退出，请查看日志[/red]")
    except KeyboardInterrupt:
        console.print("正在停止…")
    finally:
        stop_process(served)
        stop_process(portal)
        server.stop()
