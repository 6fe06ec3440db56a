"""Editors' commands: preview and lint-templates."""
from __future__ import annotations

import typer

from .app import _period, app, console, current_settings


@app.command()
def preview(template: str = typer.Option(..., "--template", "-t", help="模板文件名（如 zhuanbao.docx、zhuanbao.html.j2）或编辑中副本的路径"),
            period: str | None = typer.Option(None, "--period", "-p", callback=_period,
                                              help="用该期已生成的数据预览；不指定则用样例"),
            html: bool = typer.Option(False, "--html", help="HTML 模板输出 HTML 而不是 PDF")) -> None:
    """编辑预览：用真实一期或样例数据渲染模板。"""
    from ...tasks.report.editors import PreviewError
    from ...tasks.report.editors import preview as render_preview

    try:
        path = render_preview(current_settings(), template, period, pdf=not html)
    except (FileNotFoundError, PreviewError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"预览已生成：{path}")


@app.command("lint-templates")
def lint_templates() -> None:
    """检查模板：未知变量、中文输入法打出的全角括号、docxtpl 无法渲染的标签。"""
    from ...tasks.report.editors import lint_problems

    problems = lint_problems(current_settings())
    for problem in problems:
        console.print(f"[red]✗[/red] {problem}")
    if problems:
        raise typer.Exit(1)
    console.print("[green]模板检查通过[/green]")
