"""The portal command: `zhuanbao portal [--host 127.0.0.1] [--port 8600]` (the 填报门户, uvicorn)."""
from __future__ import annotations

import typer

from .app import app, console, current_settings


@app.command()
def portal(host: str = typer.Option("127.0.0.1", "--host", help="监听地址；由本机 HTTPS 反向代理转发时保持 127.0.0.1"),
           port: int = typer.Option(8600, "--port", help="端口")) -> None:
    """启动填报门户：各单位上传报表、立即拿到回执；统计员在看板上看本月进度。"""
    from ..portal.server import run_portal

    settings = current_settings()
    console.print(f"填报门户：http://{host}:{port}/  （数据目录 {settings.home}；按 Ctrl+C 停止）")
    if host not in settings.portal_allowed_hosts and host not in ("0.0.0.0", "::"):
        console.print(f"[yellow]提示：{host} 不在 ZHUANBAO_PORTAL_ALLOWED_HOSTS 中，浏览器用它访问会得到 400。[/yellow]")
    run_portal(settings, host, port)


def portal_lines(settings, port: int = 8600) -> list[str]:
    """How to open the portal on a home with ready demo accounts (printed by `zhuanbao demo`)."""
    from ...tasks.access.accounts import demo_accounts

    lines = [f"填报门户：zhuanbao --home {settings.home} portal --port {port}，然后打开 http://127.0.0.1:{port}/"]
    for login, password, role in demo_accounts(settings):
        label = "填报员（T01）" if role == "unit" else "统计员"
        lines.append(f"  {label} 登录名 {login}  密码 {password}")
    return lines
