"""Which new passwords the 填报门户 refuses, and why (in Chinese): too short, containing the login,
common (the shipped `common_passwords.txt`, also after stripping the digits and symbols people add
before or after a word), all digits, one character repeated, or a run along the keyboard or the
alphabet (`123456789012`, `qwertyuiopas`, `abcdefghijkl`). Used by `accounts` (CLI) and the portal's
password page alike."""
from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib.resources import files

MIN_PASSWORD = 12
_RUNS = ("01234567890123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm",
         "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "qazwsxedcrfvtgbyhnujmikolp", "1q2w3e4r5t6y7u8i9o0p",
         "qwertyuiopasdfghjklzxcvbnm")
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@cache
def common_passwords() -> frozenset[str]:
    text = files("zhuanbao.tasks.access").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _along_a_run(text: str) -> bool:
    """Every character follows the one before it on a keyboard row or the alphabet (either way)."""
    runs = [*_RUNS, *(r[::-1] for r in _RUNS)]
    return len(text) > 2 and any(text in r * 3 for r in runs)


def password_problem(password: str, login: str = "") -> str | None:
    """Why a new password is refused (Chinese, for the person choosing it), or None."""
    password = unicodedata.normalize("NFC", password)
    lowered = password.lower()
    if len(password) < MIN_PASSWORD:
        return f"新密码至少 {MIN_PASSWORD} 个字符"
    if login and login.lower() in lowered:
        return "新密码不能包含登录名"
    if password.isdigit():
        return "新密码不能全是数字：请混用汉字、字母、数字或符号"
    core = _EDGES.sub("", lowered)
    if len(set(lowered)) <= 3 or re.fullmatch(r"(.{1,4})\1+", core) or re.fullmatch(r"(.{1,4})\1+", lowered):
        return "新密码不能只由几个字符反复重复组成"
    if _along_a_run(lowered) or (len(core) >= 4 and _along_a_run(core)):
        return "新密码不能是键盘或字母表上连续的一串字符（如 123456789012、qwertyuiop）"
    if lowered in common_passwords() or (len(core) >= 4 and core in common_passwords()):
        return "新密码太常见（在常用密码名单中），容易被猜中：请换一个不常见的密码"
    return None
