"""Usage errors (a missing, unknown or malformed option) as one Chinese line and exit code 2.

Typer (≥ 0.20 vendors click as `typer._click`) would otherwise print an English box, or — raised inside
a command group that catches every other error — 内部错误 with exit code 1. `usage_message` turns
either click's UsageError into the line a clerk reads: what is wrong and where to look.
"""
from __future__ import annotations

import re

import click

try:  # typer's own copy of click, when it vendors one
    from typer._click import exceptions as _typer_click
except ImportError:  # pragma: no cover - an older typer uses click itself
    _typer_click = click.exceptions

USAGE_ERRORS = (click.exceptions.UsageError, _typer_click.UsageError)
_NO_SUCH_COMMAND = re.compile(r"No such command '([^']*)'")
_EXTRA = re.compile(r"unexpected extra arguments?(?:\(s\))? \((.*)\)")
_NEEDS_VALUE = re.compile(r"requires (?:an|\d+) arguments?")
_VALUE_WORDS = (  # click's words for a bad value, in the clerk's language
    (re.compile(r"^'?(.*?)'? is not a valid integer(?: range)?\.?$"), "“{0}”不是整数"),
    (re.compile(r"^'?(.*?)'? is not a valid float(?: range)?\.?$"), "“{0}”不是数字"),
    (re.compile(r"^'?(.*?)'? is not a valid boolean\.?$"), "“{0}”不是是/否值（true/false）"),
    (re.compile(r"^'?(.*?)'? is not one of (.*?)\.?$"), "“{0}”不是可选值之一（{1}）"),
    (re.compile(r"^'?(.*?)'? is not a valid choice\.?.*$"), "“{0}”不是可选值之一"),
    (re.compile(r"^(?:File|Path|Directory) '?(.*?)'? does not exist\.?$"), "“{0}”不存在"),
    (re.compile(r"^Input should be a valid integer.*$"), "应为整数"),
    (re.compile(r"^Input should be a valid number.*$"), "应为数字"),
    (re.compile(r"^Input should be a valid boolean.*$"), "应为是/否值（true/false）"),
)


def is_usage_error(exc: BaseException) -> bool:
    """A usage error to be told in one line; `zhuanbao` without a command (its help) is none."""
    return isinstance(exc, USAGE_ERRORS) and type(exc).__name__ != "NoArgsIsHelpError"


def _hint(exc) -> str:
    param = getattr(exc, "param", None)
    if getattr(exc, "param_hint", None):
        hint = exc.param_hint
        return " / ".join(hint) if isinstance(hint, (list, tuple)) else str(hint)
    if param is not None:
        opts = [o for o in getattr(param, "opts", []) if o.startswith("--")] or list(getattr(param, "opts", []))
        if opts and param.param_type_name == "option":
            return opts[0]
        return str(getattr(param, "metavar", None) or param.name or "").upper()
    return ""


def _value_text(message: str) -> str:
    for pattern, words in _VALUE_WORDS:
        if match := pattern.match(message.strip()):
            return words.format(*match.groups())
    return message


def _help_of(exc) -> str:
    text = (getattr(getattr(exc, "param", None), "help", None) or "").strip()
    return text.split("（")[0].split("(")[0].rstrip("，。 ") if text else ""


def usage_message(exc) -> str:
    """The one Chinese line for a usage error of any click flavour."""
    ctx = getattr(exc, "ctx", None)
    where = f"；用法见 {ctx.command_path} --help" if ctx is not None else "；用法见 zhuanbao --help"
    name = type(exc).__name__
    hint = _hint(exc)
    if name == "MissingParameter":
        param = getattr(exc, "param", None)
        kind = "选项" if param is None or param.param_type_name == "option" else "参数"
        what = _help_of(exc)
        return f"缺少{kind} {hint}" + (f"：请写明{what}" if what else "") + where
    if name == "NoSuchOption":
        similar = list(getattr(exc, "possibilities", None) or [])
        guess = f"（是否想用 {'、'.join(similar)}？）" if similar else ""
        return f"没有选项 {exc.option_name}{guess}" + where
    if name == "BadParameter":
        return f"{hint or '参数'} 的值无效：{_value_text(exc.message)}" + where
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    if match := _NO_SUCH_COMMAND.search(message):
        return f"没有命令 {match.group(1)}" + where
    if match := _EXTRA.search(message):
        return f"多余的参数：{match.group(1)}" + where
    if name == "BadOptionUsage" and _NEEDS_VALUE.search(message):
        return f"选项 {getattr(exc, 'option_name', '') or hint} 后缺少取值" + where
    if name == "BadOptionUsage":
        return f"选项 {getattr(exc, 'option_name', '') or hint} 用法有误：{exc.message}" + where
    return f"命令用法有误：{message}" + where
