"""`zhuanbao forms`: write each unit's 填报模板 for a period into <home>/forms/<period>/."""
from __future__ import annotations

import typer

from .app import PERIOD_HELP, _context, _period, app, console


@app.command()
def forms(period: str = typer.Option(..., "--period", "-p", callback=_period, help=PERIOD_HELP),
          unit: list[str] = typer.Option(None, "--unit", "-u", help="只生成这些单位（代码，可重复）；默认全部应报单位"),
          ) -> None:
    """生成各单位本期的填报模板（只含本单位应报的指标、项目、任务）。"""
    from ...tasks.forms.generate import forms_dir, write_forms

    settings, _, reference = _context(period)
    units = [u.strip().upper() for u in unit or []]
    unknown = [u for u in units if u not in reference.unit_names]
    if unknown:
        console.print(f"[red]单位代码 {'、'.join(unknown)} 不在 {reference.year} 年单位名录（units.csv）中，"
                      f"请检查代码或先补充名录。[/red]")
        raise typer.Exit(2)
    written = write_forms(settings, reference, period, units or None)
    owing = set(reference.required_units(period))
    for code in [u for u in units if u not in owing]:
        console.print(f"[yellow]{code} {reference.unit_name(code)} 本期没有应报的指标、项目或任务，未生成模板。[/yellow]")
    console.print(f"{period}：生成填报模板 {len(written)} 份，在 {forms_dir(settings, period)}")
    for path in written:
        console.print(f"  {path.name}")
