"""The year's commands: `ledger` (who reported how, per unit) and `assess` (the assessment and its 考核通报)."""
from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from .app import UserError, _period, app, console, current_settings

YEAR_HELP = "年度，如 2020"
THROUGH_HELP = "只计结束不晚于该报告期的各期（含；任一调度频次，如 2020-06、2020-06-H1、2020-W26）"


def _checked(year: int, through: str | None) -> None:
    if not 2000 <= year <= 2100:
        raise UserError(f"--year 应为四位年份（如 2020），收到 {year}")
    if through is not None and not through.startswith(f"{year}-"):
        raise UserError(f"--through {through} 不在 {year} 年内：请写 {year} 年的报告期，如 {year}-06")


def _year_data(year: int, through: str | None, build):
    from ...tasks.intake.registry import session

    _checked(year, through)
    settings = current_settings()
    with session(settings.db_url) as db:
        result = build(settings, db, year, through)
    if not result["periods"]:
        raise UserError(f"{year} 年还没有已过报送期限的报告期：请先运行月度流程（zhuanbao run --period {year}-MM）")
    return settings, result


def _cell(entry: dict, key: str) -> str:
    from ...tasks.year.calendar import period_text

    periods = entry[key]["periods"]
    return f"{len(periods)}（{'、'.join(period_text(p, short=True) for p in periods)}）" if periods else "0"


@app.command()
def ledger(year: int = typer.Option(..., "--year", "-y", help=YEAR_HELP),
           through: str | None = typer.Option(None, "--through", callback=_period, help=THROUGH_HELP),
           as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """报送台账：每个单位全年按时、逾期、未报、退回未补、签发后更正的期数和报告期。"""
    from ...tasks.year.calendar import period_text
    from ...tasks.year.ledger import build_ledger

    _, result = _year_data(year, through, build_ledger)
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return
    span = "、".join(period_text(p) for p in result["periods"])
    table = Table(title=f"{year}年报送台账（{span}）")
    for column in ("单位", "按时", "逾期", "未报", "退回未补", "签发后更正", "其中向下更正"):
        table.add_column(column, overflow="fold")
    for u in result["units"]:
        down = u["corrected_after_signing"]["downward"]
        table.add_row(escape(u["unit_name"]), str(u["on_time"]["count"]), _cell(u, "late"), _cell(u, "missing"),
                      _cell(u, "rejected"), _cell(u, "corrected_after_signing"),
                      "、".join(period_text(p, short=True) for p in down) or "—")
    console.print(table)


@app.command()
def assess(year: int = typer.Option(..., "--year", "-y", help=YEAR_HELP),
           through: str | None = typer.Option(None, "--through", callback=_period, help=THROUGH_HELP),
           as_json: bool = typer.Option(False, "--json", help="输出 JSON（并照常写出考核通报）")) -> None:
    """年度（或阶段）考核：加权得分、分类排名、先进单位和不得评先单位，写出考核通报（reports/<年>/，送审稿），
    再经审核、签发（zhuanbao review/sign --assessment 年度）；签发后数据未变则不重新起草。"""
    from ...tasks.core.reference import reference_for
    from ...tasks.year.assess import assess as build
    from ...tasks.year.drafts import draft_notice

    settings, result = _year_data(year, through, build)
    drafted = draft_notice(settings, reference_for(settings, result["periods"][-1]), result)
    files = drafted["files"]
    if as_json:
        print(json.dumps({**result, "files": {k: str(v) for k, v in files.items()}, "created": drafted["created"],
                          "revision": drafted["revision"], "note": drafted["note"]}, ensure_ascii=False, indent=1))
        return
    _print_assessment(result)
    if drafted["note"]:
        console.print(drafted["note"])
    elif not drafted["created"]:
        console.print("数据未变，草稿未重写")
    console.print("考核通报（已签发，只读）：" if drafted["note"] else "考核通报（送审稿）：")
    for fmt, label in (("pdf", "PDF"), ("docx", "Word"), ("html", "HTML"), ("xlsx", "Excel 附表")):
        console.print(f"  {label}：{files[fmt]}")
    if drafted["created"]:
        options = f"--assessment {year}" + (f" --through {through}" if through else "")
        console.print(f"  下一步：zhuanbao review {options} --by 姓名，再由领导 zhuanbao sign {options} --by 姓名")


def _print_assessment(result: dict) -> None:
    from ...tasks.year.calendar import period_text

    span = "、".join(period_text(p) for p in result["periods"])
    console.print(f"[bold]{result['year']}年考核（{span}）[/bold]")
    console.print(result["scoring_rule"])
    for group in result["kinds"]:
        table = Table(title=f"{group['label']}{'' if group['ranked'] else '（不排名）'}")
        for column in ("排名", "单位", "得分", "评定", "不得评先记录"):
            table.add_column(column)
        for u in group["units"]:
            records = "；".join(f"{r['record']}（{'、'.join(period_text(p) for p in r['periods'])}）"
                               for r in u["records"])
            table.add_row(str(u["rank"] or "—"), escape(u["unit_name"]), f"{u['score']:.2f}",
                          "先进" if u["advanced"] else "", records)
        console.print(table)
