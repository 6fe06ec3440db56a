"""`zhuanbao docs`: the 使用手册 without the portal — build it into `<home>/.site/` and show it."""
from __future__ import annotations

import typer

from .app import app, console, current_settings


@app.command()
def docs(open_browser: bool = typer.Option(False, "--open", help="用浏览器打开手册"),
         build_only: bool = typer.Option(False, "--build-only", help="只生成手册（<home>/.site/），不启动网页服务"),
         port: int = typer.Option(8700, "--port", help="手册网页服务的端口（仅本机 127.0.0.1）")) -> None:
    """使用手册（各岗位操作指南）：生成到 <home>/.site/，在本机网页服务中打开（填报门户的 /help 也有）。"""
    import functools
    import http.server
    import webbrowser

    from ..docs_site import site_for

    settings = current_settings()
    console.print("正在生成使用手册（约 10–30 秒）…")
    try:
        root = site_for(settings, rebuild=True)
    except RuntimeError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"[green]使用手册已生成：{root / 'index.html'}[/green]（也可直接双击打开，搜索同样可用）")
    if build_only:
        return
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:  # no line per request in the console
            pass

    handler = functools.partial(Quiet, directory=str(root))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError:
        console.print(f"[red]端口 {port} 被占用：用 --port 换一个[/red]")
        raise typer.Exit(2) from None
    url = f"http://127.0.0.1:{port}/"
    console.print(f"[bold green]使用手册：{url}[/bold green]  按 Ctrl+C 停止。")
    if open_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
