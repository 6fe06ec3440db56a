"""Starting an office: `zhuanbao init DIR`, `zhuanbao reference check --year Y`, `zhuanbao reference roll`."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from ...tasks.core import catalog
from .app import app, console, current_settings

reference_app = typer.Typer(help="参考表（单位、指标、目标、项目、任务）：检查、滚动到新的一年。", no_args_is_help=True)
app.add_typer(reference_app, name="reference")


@app.command()
def init(folder: Path = typer.Argument(..., help="新数据目录（可以不存在）"),
         district: str = typer.Option("某某区", "--district", help="区县名称，如 沙河区"),
         year: int = typer.Option(date.today().year, "--year", help="第一套参考表的年份"),
         office: str | None = typer.Option(None, "--office", help="制表机关名称；默认“<区县>领导小组办公室”")) -> None:
    """新建一个办公室的数据目录：文件夹、zhuanbao.toml、空白参考表（附示例行）、填表说明 README.md。"""
    from ...tasks.core.home_init import HomeExists, init_home

    try:
        written = init_home(folder, district=district, year=year, office=office)
    except HomeExists as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"已新建数据目录 {folder}：")
    for path in written:
        console.print(f"  {path}")
    console.print(f"下一步：按 {folder / 'README.md'} 填写 {folder / 'reference' / str(year)} 下的五张表，然后运行\n"
                  f"  zhuanbao --home {folder} reference check --year {year}")


@reference_app.command("check")
def reference_check(year: int = typer.Option(..., "--year", help="参考表年份")) -> None:
    """检查一年的参考表，逐条列出问题所在的文件、行、列。"""
    from ...tasks.core.reference_check import check_reference

    settings = current_settings()
    folder = settings.reference_dir(year)
    problems = check_reference(folder)
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        colour, label = ("red", "错误") if problem.severity == "error" else ("yellow", "提醒")
        console.print(f"[{colour}]{label}[/{colour}] {problem}", highlight=False, soft_wrap=True)
    if not problems:
        console.print(f"{folder}：没有发现问题。下一步：zhuanbao --home {settings.home} forms --period {year}-MM")
    elif errors:
        console.print(f"{folder}：{len(errors)} 个错误、{len(problems) - len(errors)} 个提醒。改正错误后再运行本命令。",
                      soft_wrap=True)
        raise typer.Exit(2)
    else:
        console.print(f"{folder}：没有错误，{len(problems)} 个提醒（可以运行，建议改正）。")


@reference_app.command("roll")
def reference_roll(source: int = typer.Option(..., "--from", help="复制哪一年的参考表"),
                   target: int = typer.Option(..., "--to", help="新的一年")) -> None:
    """复制一年的参考表作为新一年的起点（不覆盖已有的）。"""
    from ...tasks.core.home_init import HomeExists, roll_reference

    settings = current_settings()
    try:
        copied = roll_reference(catalog.reference_root(settings.home), source, target)
    except (HomeExists, FileNotFoundError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"已把 {source} 年的 {len(copied)} 张参考表复制到 {settings.reference_dir(target)}。"
                  f"请修改目标、项目和任务后运行：zhuanbao --home {settings.home} reference check --year {target}")
