"""`zhuanbao notices …`: the recipients (per role, a unit's own), a test notice, the recent deliveries.

URLs hold secrets (robot tokens, signing secrets, SMTP passwords): no command prints one whole; lists show
the masked form (scheme and host kept). Pass a URL in quotes: `--url "dingtalk://…"`.
"""
from __future__ import annotations

import typer

from .app import app, console, current_settings

notices = typer.Typer(help="通知：收件人（按角色、按单位）、测试通知、送达记录。", no_args_is_help=True)
recipients_app = typer.Typer(help="通知收件人：office（办公室，审核、印发）、leader（领导，签发）、unit（报送单位，催报）。",
                             no_args_is_help=True)
notices.add_typer(recipients_app, name="recipients")
app.add_typer(notices, name="notices")

ROLE_HELP = "office、leader 或 unit"
URL_HELP = "通知地址（Apprise URL，如 \"dingtalk://加签密钥@access_token/\"、\"wecombot://key\"、\"feishu://token\"），请加引号"


def _failed(exc: ValueError) -> typer.Exit:
    console.print(f"[red]{exc}[/red]")
    return typer.Exit(2)


def _target(email: str | None, url: str | None) -> str | None:
    if email and url:
        raise ValueError("--email 与 --url 只能给一个")
    return email or url


@recipients_app.command("add")
def recipients_add(role: str = typer.Option(..., "--role", help=ROLE_HELP),
                   url: str | None = typer.Option(None, "--url", help=URL_HELP),
                   email: str | None = typer.Option(None, "--email", help="电子邮件地址（经 ZHUANBAO_SMTP_* 发送）"),
                   name: str | None = typer.Option(None, "--name", help="姓名或群名（office/leader 登记姓名后只有登记的人可以审核/签发）"),
                   unit: str | None = typer.Option(None, "--unit", help="单位代码（role 为 unit 时必填）")) -> None:
    """登记收件人（地址中的密钥不会显示）。"""
    from ...tasks.notices import add_recipient
    from ...tasks.notices.urls import masked, normalise

    try:
        target = _target(email, url)
        if target is None:
            raise ValueError("请给出 --url 通知地址或 --email 电子邮件地址")
        added = add_recipient(current_settings(), role, target, name, unit=unit)
        shown = masked(normalise(target))
    except ValueError as exc:
        raise _failed(exc) from None
    console.print(f"{'已登记' if added else '已存在'}：{role}{' ' + unit if unit else ''}　{name or ''}　{shown}")


@recipients_app.command("remove")
def recipients_remove(role: str = typer.Option(..., "--role", help=ROLE_HELP),
                      url: str | None = typer.Option(None, "--url", help=URL_HELP),
                      email: str | None = typer.Option(None, "--email", help="电子邮件地址"),
                      name: str | None = typer.Option(None, "--name", help="姓名或群名"),
                      unit: str | None = typer.Option(None, "--unit", help="单位代码")) -> None:
    """删除收件人（按地址、姓名或单位）。"""
    from ...tasks.notices import remove_recipient

    try:
        count = remove_recipient(current_settings(), role, _target(email, url), name=name, unit=unit)
    except ValueError as exc:
        raise _failed(exc) from None
    console.print(f"已删除 {count} 条")


@recipients_app.command("list")
def recipients_list() -> None:
    """列出收件人（地址中的令牌、密钥、密码已隐去）。"""
    from ...tasks.notices import ROLES, list_recipients

    rows = list_recipients(current_settings())
    for r in rows:
        unit = f" {r['unit_code']}" if r["unit_code"] else ""
        console.print(f"{r['role']}{unit}（{ROLES.get(r['role'], '')}）　{r['name'] or '—'}　{r['target']}",
                      markup=False, highlight=False)
    if not rows:
        console.print("尚未登记收件人：通知发往 ZHUANBAO_NOTIFY_TO，未设置时写入 <home>/outbox/")


@notices.command("test")
def notices_test(role: str = typer.Option("office", "--role", help=ROLE_HELP),
                 unit: str | None = typer.Option(None, "--unit", help="单位代码（role 为 unit 时）")) -> None:
    """给某一角色（或某单位）的收件人发一条测试通知，逐个显示是否送达。"""
    from ...tasks.notices import send_notice, targets
    from ...tasks.notices.delivery import recent

    settings = current_settings()
    to = targets(settings, role, unit)
    if not to:
        raise _failed(ValueError(f"{role}{' ' + unit if unit else ''} 没有登记收件人：用 zhuanbao notices recipients add 登记"))
    kept = send_notice(settings, "【专报】测试通知", "这是一条测试通知：收到即表示通知设置正确。\n", kind="test", to=to)
    for row in recent(settings, len(to)):
        mark = "✓" if row["ok"] else ("·" if row["outcome"] == "outbox" else "✗")
        console.print(f"{mark} {row['recipient']}　{row['target']}　{row['outcome']}"
                      + (f"：{row['reason']}" if row["reason"] else ""), markup=False, highlight=False)
    if kept:
        console.print(f"未能送达的通知已存入 {kept}")
        raise typer.Exit(1)


@notices.command("deliveries")
def notices_deliveries(limit: int = typer.Option(20, "--limit", help="显示最近几条"),
                       failed: bool = typer.Option(False, "--failed", help="只看失败的")) -> None:
    """最近的通知送达记录（时间、收件人、通知、结果、原因）。"""
    from ...tasks.notices.delivery import recent

    rows = recent(current_settings(), limit, failed_only=failed)
    for r in rows:
        mark = "✓" if r["ok"] else ("·" if r["outcome"] == "outbox" else "✗")
        console.print(f"{r['at'].replace('T', ' ')}　{mark} {r['outcome']}　{r['recipient']}　"
                      f"{r['notice']}　{r['subject']}" + (f"　{r['reason']}" if r["reason"] else ""),
                      markup=False, highlight=False)
    if not rows:
        console.print("暂无送达记录")
