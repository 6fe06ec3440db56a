"""Editors' commands: preview, lint-templates, templates copy."""
from __future__ import annotations

import typer
from rich.markup import escape

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
        console.print(f"[red]{escape(str(exc))}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None
    console.print(f"预览已生成：{path}", soft_wrap=True)


@app.command("lint-templates")
def lint_templates() -> None:
    """检查专报会用到的全部模板（先 wording.j2）：未知变量、语法、全角括号；指出文件、行和宏。"""
    from ...tasks.report.editors import lint_problems

    problems = lint_problems(current_settings())
    for problem in problems:
        console.print(f"[red]✗[/red] {escape(problem)}", soft_wrap=True)
    if problems:
        raise typer.Exit(1)
    console.print("[green]模板检查通过[/green]")


templates_app = typer.Typer(help="专报模板：把自带模板复制到数据目录的 templates/ 以便修改。", no_args_is_help=True)
app.add_typer(templates_app, name="templates")


@templates_app.command("copy")
def templates_copy(names: list[str] = typer.Argument(None, help="模板文件名；默认 wording.j2（专报的全部固定文字）和编辑指南.md"),
                   force: bool = typer.Option(False, "--force", help="覆盖数据目录中已有的副本（丢弃其中的修改）")) -> None:
    """把自带模板复制到 <数据目录>/templates/（运行时先用这里的副本）；已有副本不覆盖。"""
    from ...tasks.report.editors import CopyRefused, copy_templates

    try:
        copied = copy_templates(current_settings(), list(names or []), force)
    except CopyRefused as exc:
        console.print(f"[red]{exc}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None
    for path in copied:
        console.print(f"已复制：{path}", soft_wrap=True)
    console.print("改完后运行 zhuanbao lint-templates 检查，再用 zhuanbao preview --template zhuanbao.html.j2 预览", soft_wrap=True)


@templates_app.command("list")
def templates_list() -> None:
    """列出专报用到的模板，以及各用哪一份：数据目录 templates/ 中的副本，或自带的。"""
    from ...tasks.core import catalog
    from ...tasks.report.template_check import effective_templates

    home = current_settings().home
    own = catalog.templates_dir(home)
    for name, path in effective_templates(None, home).items():
        where = "数据目录副本" if path.parent == own else "自带"
        console.print(f"{name}　{where}　{path}", soft_wrap=True, highlight=False)
