"""审核→签发 commands: review, sign, return, publish, approval (the history); the recipients are in notices.py."""
from __future__ import annotations

import typer

from .app import PERIOD_HELP, _period, app, console, current_settings

BY_HELP = "经办人姓名（记入登记簿）"


def _act(action: str, period: str, by: str, comment: str | None) -> None:
    from ...tasks.report.approval import ApprovalError, change

    try:
        state = change(current_settings(), period, action, by, comment)
    except ApprovalError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"[bold]{period} 专报{state['label']}：{state['state']}[/bold]（{by}）")
    if action == "sign":
        console.print(f"  签发稿（只读）：{state['files']['pdf']}")
        console.print(f"  　　　　　　　 {state['files']['docx']}")
    elif state["next"]:
        console.print(f"  草稿：{state['draft']['pdf']}")


@app.command()
def review(period: str = typer.Option(..., "--period", "-p", callback=_period, help=PERIOD_HELP),
           by: str = typer.Option(..., "--by", help=BY_HELP),
           comment: str | None = typer.Option(None, "--comment", help="审核意见")) -> None:
    """审核（办公室负责人）：草稿 → 已审核，并通知领导签发。"""
    _act("review", period, by, comment)


@app.command()
def sign(period: str = typer.Option(..., "--period", "-p", callback=_period, help=PERIOD_HELP),
         by: str = typer.Option(..., "--by", help="签发人姓名（印在专报上）"),
         comment: str | None = typer.Option(None, "--comment", help="签发意见")) -> None:
    """签发（领导）：已审核 → 已签发；生成印有签发人和印发日期的正式稿（reports/<期>/published/，只读）。"""
    _act("sign", period, by, comment)


@app.command("return")
def return_(period: str = typer.Option(..., "--period", "-p", callback=_period, help=PERIOD_HELP),
            by: str = typer.Option(..., "--by", help=BY_HELP),
            comment: str = typer.Option("", "--comment", help="退回原因（必填）")) -> None:
    """退回：草稿或已审核 → 草稿（须说明原因），并通知办公室。"""
    _act("return", period, by, comment)


@app.command()
def publish(period: str = typer.Option(..., "--period", "-p", callback=_period, help=PERIOD_HELP),
            by: str = typer.Option(..., "--by", help=BY_HELP),
            comment: str | None = typer.Option(None, "--comment", help="印发范围等说明")) -> None:
    """印发：已签发 → 已印发（已分送）。"""
    _act("publish", period, by, comment)


@app.command()
def approval(period: str = typer.Option(..., "--period", "-p", callback=_period, help=PERIOD_HELP),
             as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """审核签发记录：当前状态、当前印发稿和每一次状态变更（谁、何时、意见）。"""
    import json

    from ...tasks.report.approval import approval_state, current_published, history

    settings = current_settings()
    state, shown, events = approval_state(settings, period), current_published(settings, period), history(settings, period)
    if as_json:
        print(json.dumps({"latest": state, "current_published": shown, "history": events}, ensure_ascii=False,
                         indent=1))
        return
    if state is None:
        console.print(f"{period} 还没有专报草稿：请先运行 zhuanbao run --period {period}")
        raise typer.Exit(2)
    console.print(f"[bold]{period} 专报{state['label']}：{state['state']}[/bold]")
    console.print(f"  当前印发稿：{shown['label'] + '，' + shown['files']['pdf'] if shown else '无（尚未签发）'}")
    for e in events:
        revision = f"修订{e['revision']}" if e["revision"] else "首发"
        note = f"　意见：{e['comment']}" if e["comment"] else ""
        console.print(f"  {e['at'].replace('T', ' ')}　{revision}　{e['label']}　{e['from'] or '—'} → {e['to']}"
                      f"　{e['by']}{note}")
