"""Account commands of the 填报门户: `zhuanbao accounts add|token|tokens|revoke|reset|disable|enable|issue|list`.

Each command's action is written to the portal's audit log (tasks/access/accounts.py does it)."""
from __future__ import annotations

from pathlib import Path

import typer

from ...tasks.core import catalog
from .app import app, console, current_settings

accounts_app = typer.Typer(help="填报门户的账号：新建、令牌（签发、列出、吊销）、重置密码、停用、启用、为每个单位批量开户。", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")


def _db():
    from ...tasks.intake.registry import session

    settings = current_settings()
    return settings, session(settings.db_url)


def _units(settings) -> list[tuple[str, str]]:
    """(unit_code, name) of the latest reference year in the home."""
    from ...tasks.core.reference import ReferenceError, load_reference

    tables = catalog.reference_root(settings.home)
    years = sorted(int(p.name) for p in tables.glob("[0-9][0-9][0-9][0-9]") if p.is_dir())
    if not years:
        console.print(f"[red]{tables} 下没有参考表：请先配置单位名录[/red]")
        raise typer.Exit(2)
    try:
        reference = load_reference(settings, years[-1])
    except ReferenceError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    return list(zip(reference.units.unit_code, reference.units.unit_name))


def _fail(exc: Exception):
    console.print(f"[red]{exc}[/red]")
    raise typer.Exit(2) from None


def _apply(action):
    """`action(settings, db)` in one registry session: (settings, its value); an AccountError is one red line
    and exit code 2."""
    from ...tasks.access.accounts import AccountError

    settings, db = _db()
    with db:
        try:
            return settings, action(settings, db)
        except AccountError as exc:
            _fail(exc)


@accounts_app.command("add")
def add(login: str = typer.Argument(..., help="登录名"),
        unit: str | None = typer.Option(None, "--unit", help="填报员所属单位代码，如 T01"),
        role: str | None = typer.Option(None, "--role", help="office（统计员）或 leader（领导）；填报员用 --unit"),
        name: str = typer.Option(..., "--name", help="姓名")) -> None:
    """新建账号，打印一次性初始密码（首次登录须修改）。"""
    from ...tasks.access.accounts import add_account

    _, (account, password) = _apply(lambda settings, db: add_account(
        settings, db, login, name=name, role=role or "unit", unit_code=unit,
        known_units={c for c, _ in _units(settings)} if unit else None))
    console.print(f"已新建账号 {account.login}（{account.role}{'，' + account.unit_code if account.unit_code else ''}）。"
                  "初始密码（只显示这一次，首次登录须修改）：")
    typer.echo(password)


@accounts_app.command("token")
def token(login: str = typer.Argument(..., help="登录名")) -> None:
    """签发 API 令牌（用于脚本上传）；令牌单独打印在最后一行，只显示这一次。"""
    from ...tasks.access.accounts import issue_token

    settings, value = _apply(lambda settings, db: issue_token(settings, db, login))
    console.print(f"账号 {login} 的 API 令牌（请求头 Authorization: Bearer <令牌>；{settings.token_days} 天后过期；"
                  "只显示这一次）：")
    typer.echo(value)


@accounts_app.command("tokens")
def tokens(login: str = typer.Argument(..., help="登录名")) -> None:
    """列出账号的 API 令牌：编号、签发时间、过期时间、最近使用时间、状态（不显示令牌本身）。"""
    from datetime import datetime

    from ...tasks.access.accounts import token_expiry, tokens_of
    from ...tasks.intake.registry import local, utc

    settings, rows = _apply(lambda settings, db: tokens_of(db, login))
    if not rows:
        console.print(f"账号 {login} 没有 API 令牌。")
        return
    now = utc(datetime.now(settings.tz))

    def shown(moment):
        return local(moment, settings.tz).strftime("%Y-%m-%d %H:%M") if moment else "—"

    typer.echo("编号\t签发\t过期\t最近使用\t状态")
    for row in rows:
        expires = token_expiry(settings, row)
        state = "已吊销" if row.revoked else "已过期" if expires <= now else "有效"
        typer.echo(f"{row.id}\t{shown(row.created_at)}\t{shown(expires)}\t{shown(row.last_used_at)}\t{state}")


@accounts_app.command("revoke")
def revoke(token_id: int = typer.Argument(..., help="令牌编号（accounts tokens 登录名 列出）")) -> None:
    """吊销一个 API 令牌：立即失效，该账号的其他令牌不受影响。"""
    from ...tasks.access.accounts import revoke_token

    _apply(lambda settings, db: revoke_token(settings, db, token_id))
    console.print(f"已吊销令牌 {token_id}。")


@accounts_app.command("reset")
def reset(login: str = typer.Argument(..., help="登录名")) -> None:
    """重置密码：打印新的一次性密码，该账号已登录的会话和 API 令牌全部失效（已停用的账号重新启用）。"""
    from ...tasks.access.accounts import reset_password

    _, password = _apply(lambda settings, db: reset_password(settings, db, login))
    console.print(f"已重置 {login} 的密码（首次登录须修改）：")
    typer.echo(password)


@accounts_app.command("disable")
def disable(login: str = typer.Argument(..., help="登录名")) -> None:
    """停用账号：不能再登录，会话和 API 令牌全部失效（accounts enable 或 reset 可重新启用）。"""
    from ...tasks.access.accounts import disable as disable_account

    _apply(lambda settings, db: disable_account(settings, db, login))
    console.print(f"已停用账号 {login}。")


@accounts_app.command("enable")
def enable(login: str = typer.Argument(..., help="登录名")) -> None:
    """重新启用停用的账号（原密码可用；停用时吊销的令牌仍然无效）。"""
    from ...tasks.access.accounts import enable as enable_account

    _apply(lambda settings, db: enable_account(settings, db, login))
    console.print(f"已重新启用账号 {login}。")


@accounts_app.command("issue")
def issue(all_units: bool = typer.Option(False, "--all-units", help="为单位名录中每个还没有账号的单位开一个填报员账号"),
          out: Path = typer.Option(Path("账号.csv"), "--out", help="写出账号和初始密码的 CSV（请妥善保管后分发）")) -> None:
    """批量开户：每个单位一个填报员账号（登录名 = 单位代码），写入 CSV 以便分发。"""
    from ...tasks.access.accounts import issue_unit_accounts

    if not all_units:
        console.print("[red]请加 --all-units（为每个单位开户）[/red]")
        raise typer.Exit(2)
    settings, db = _db()
    with db:
        count = issue_unit_accounts(settings, db, _units(settings), out)
    console.print(f"已新建 {count} 个填报员账号，登录名和初始密码在 {out}（含密码，分发后请删除）。")


@accounts_app.command("list")
def list_accounts() -> None:
    """列出账号（不含密码）。"""
    from sqlalchemy import select

    from ...tasks.access.models import Account

    _, db = _db()
    with db:
        for a in db.scalars(select(Account).order_by(Account.role, Account.login)):
            state = "停用" if a.disabled else "待改初始密码" if a.must_change_password else "正常"
            console.print(f"{a.login}\t{a.role}\t{a.unit_code or ''}\t{a.name}\t{state}")
