"""审核→签发 commands: review, sign, return, publish, approval (the history); the recipients are in notices.py.

Each acts on a period's 专报 (`--period`) or on a year's 考核通报 (`--assessment Y [--through P]`,
tasks/year/signing.py): the same states, roles and records."""
from __future__ import annotations

import typer

from .app import PERIOD_HELP, UserError, _period, app, console, current_settings

BY_HELP = "经办人姓名（记入登记簿）"
ASSESSMENT_HELP = "考核通报的年度，如 2020（审核签发该年的考核通报，而不是专报）"
THROUGH_HELP = "阶段考核通报的截止报告期，如 2020-06（与 --assessment 同用）"
PERIOD_OPTION = typer.Option(None, "--period", "-p", callback=_period, help=PERIOD_HELP)
ASSESSMENT_OPTION = typer.Option(None, "--assessment", help=ASSESSMENT_HELP)
THROUGH_OPTION = typer.Option(None, "--through", callback=_period, help=THROUGH_HELP)


def _which(period: str | None, year: int | None, through: str | None) -> None:
    """Exactly one document: a period's 专报 or a year's 考核通报."""
    if (period is None) == (year is None):
        raise UserError("请用 --period 指定专报的报告期，或用 --assessment 指定考核通报的年度（二者选一）")
    if through is not None and year is None:
        raise UserError("--through 只用于考核通报：请同时写 --assessment 年度")
    if year is not None and through is not None and not through.startswith(f"{year}-"):
        raise UserError(f"--through {through} 不在 {year} 年内：请写 {year} 年的报告期，如 {year}-06")


def _act(action: str, period: str | None, by: str, comment: str | None, year: int | None = None,
         through: str | None = None) -> None:
    from ...tasks.report.approval import ApprovalError, change
    from ...tasks.year import signing

    _which(period, year, through)
    try:
        if year is not None:
            state = signing.change(current_settings(), year, through, action, by, comment)
        else:
            state = change(current_settings(), str(period), action, by, comment)
    except ApprovalError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    what = state["what"] if year is not None else f"{period} 专报{state['label']}"
    console.print(f"[bold]{what}：{state['state']}[/bold]（{by}）")
    if action == "sign":
        console.print(f"  签发稿（只读）：{state['files']['pdf']}")
        console.print(f"  　　　　　　　 {state['files']['docx']}")
    elif state["next"]:
        console.print(f"  草稿：{state['draft']['pdf']}")


@app.command()
def review(period: str | None = PERIOD_OPTION, by: str = typer.Option(..., "--by", help=BY_HELP),
           comment: str | None = typer.Option(None, "--comment", help="审核意见"),
           assessment: int | None = ASSESSMENT_OPTION, through: str | None = THROUGH_OPTION) -> None:
    """审核（办公室负责人）：草稿 → 已审核，并通知领导签发（专报用 --period，考核通报用 --assessment）。"""
    _act("review", period, by, comment, assessment, through)


@app.command()
def sign(period: str | None = PERIOD_OPTION, by: str = typer.Option(..., "--by", help="签发人姓名（印在专报或考核通报上）"),
         comment: str | None = typer.Option(None, "--comment", help="签发意见"),
         assessment: int | None = ASSESSMENT_OPTION, through: str | None = THROUGH_OPTION) -> None:
    """签发（领导）：已审核 → 已签发；生成印有签发人和印发日期的正式稿（reports/<期或年>/published/，只读）。"""
    _act("sign", period, by, comment, assessment, through)


@app.command("return")
def return_(period: str | None = PERIOD_OPTION, by: str = typer.Option(..., "--by", help=BY_HELP),
            comment: str = typer.Option("", "--comment", help="退回原因（必填）"),
            assessment: int | None = ASSESSMENT_OPTION, through: str | None = THROUGH_OPTION) -> None:
    """退回：草稿或已审核 → 草稿（须说明原因），并通知办公室。"""
    _act("return", period, by, comment, assessment, through)


@app.command()
def publish(period: str | None = PERIOD_OPTION, by: str = typer.Option(..., "--by", help=BY_HELP),
            comment: str | None = typer.Option(None, "--comment", help="印发范围等说明"),
            assessment: int | None = ASSESSMENT_OPTION, through: str | None = THROUGH_OPTION) -> None:
    """印发：已签发 → 已印发（已分送）。"""
    _act("publish", period, by, comment, assessment, through)


@app.command()
def approval(period: str | None = PERIOD_OPTION, as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
             assessment: int | None = ASSESSMENT_OPTION, through: str | None = THROUGH_OPTION) -> None:
    """审核签发记录：当前状态、当前印发稿和每一次状态变更（谁、何时、意见）；专报用 --period，考核通报用 --assessment。"""
    import json

    from ...tasks.report import approval as report
    from ...tasks.year import signing

    _which(period, assessment, through)
    settings = current_settings()
    if assessment is not None:
        state, shown = signing.approval_state(settings, assessment, through), signing.current_published(
            settings, assessment, through)
        events, missing = signing.history(settings, assessment, through), (
            f"{assessment}年还没有考核通报草稿：请先运行 zhuanbao assess --year {assessment}")
    else:
        state, shown = report.approval_state(settings, str(period)), report.current_published(settings, str(period))
        events, missing = report.history(settings, str(period)), (
            f"{period} 还没有专报草稿：请先运行 zhuanbao run --period {period}")
    if as_json:
        print(json.dumps({"latest": state, "current_published": shown, "history": events}, ensure_ascii=False,
                         indent=1))
        return
    if state is None:
        console.print(missing)
        raise typer.Exit(2)
    _print_history(state["what"] if assessment is not None else f"{period} 专报{state['label']}", state, shown, events)


def _print_history(what: str, state: dict, shown: dict | None, events: list[dict]) -> None:
    console.print(f"[bold]{what}：{state['state']}[/bold]")
    console.print(f"  当前印发稿：{shown['label'] + '，' + shown['files']['pdf'] if shown else '无（尚未签发）'}")
    for e in events:
        revision = f"修订{e['revision']}" if e["revision"] else "首发"
        note = f"　意见：{e['comment']}" if e["comment"] else ""
        console.print(f"  {e['at'].replace('T', ' ')}　{revision}　{e['label']}　{e['from'] or '—'} → {e['to']}"
                      f"　{e['by']}{note}")
