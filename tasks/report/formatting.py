"""Formatting for the 专报: numbers, percentages and dates as an office writes them.

Templates receive only strings made here (thousands separators, one decimal for %, dates
like 2020年5月16日), so the Word, PDF and HTML versions print exactly the same figures.
A value that cannot be computed prints as an em dash.
"""
from __future__ import annotations

import math
from datetime import date, datetime

DASH = "—"
UNREPORTED = "未报"  # an item without an accepted figure: never 滞后 (spec §7)
TARGET_KIND_LABELS = {"growth": "增速", "amount": "总量", "level": "水平"}
COUNT_MEASURES = {"个", "家", "人", "户", "起", "项", "件", "座", "所", "名"}  # whole numbers; others one decimal
CN_NUMERALS = "一二三四五六七八九十"


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(math.isnan(value))
    except TypeError:
        return False


def num(value, decimals: int | None = None) -> str:
    """12345.67 → '12,345.7'; integers print without decimals unless `decimals` says so."""
    if _missing(value):
        return DASH
    value = float(value)
    if decimals is None:
        decimals = 0 if value == int(value) else 1
    return f"{value:,.{decimals}f}"


def decimals_for(measure: str | None) -> int:
    """Decimals of a measure, so a column prints one format: 0 for counts (家, 个, 人), 1 for amounts."""
    return 0 if (measure or "").strip() in COUNT_MEASURES else 1


def quantity(value, measure: str | None) -> str:
    """A figure in its measure's format: 2,060.0 万元 → '2,060.0'; 3 家 → '3'."""
    return num(value, decimals_for(measure))


def cn_ordinal(n: int) -> str:
    """1 → '一', 12 → '十二' (heading numbers 一、（一）)."""
    if n <= 10:
        return CN_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (CN_NUMERALS[tens - 1] if tens > 1 else "") + "十" + (CN_NUMERALS[ones - 1] if ones else "")


def pct(fraction, decimals: int = 1) -> str:
    """0.3333 → '33.3%' (a fraction)."""
    return DASH if _missing(fraction) else f"{float(fraction) * 100:.{decimals}f}%"


def pct_points(percent, decimals: int = 1) -> str:
    """14.503 → '14.5%' (already a percentage, like growth_pct)."""
    return DASH if _missing(percent) else f"{float(percent):.{decimals}f}%"


def signed_growth(percent) -> str:
    """Growth as an office writes it: '增长14.5%' / '下降3.2%'."""
    if _missing(percent):
        return DASH
    word = "增长" if percent >= 0 else "下降"
    return f"{word}{abs(float(percent)):.1f}%"


def cn_date(moment: date | datetime) -> str:
    """2020-05-16 → '2020年5月16日'."""
    return f"{moment.year}年{moment.month}月{moment.day}日"


def cn_datetime(moment: datetime) -> str:
    """→ '2020年5月18日 10:05'."""
    return f"{cn_date(moment)} {moment.hour:02d}:{moment.minute:02d}"


def join_names(names: list[str], sep: str = "、") -> str:
    return sep.join(names) if names else "无"


def cap_names(names, limit: int, noun: str = "个单位") -> str:
    """Names joined by 、; past `limit` the first `limit` and '等N个单位' (N counts them all)."""
    names = list(names)
    if len(names) <= limit:
        return join_names(names)
    return f"{'、'.join(names[:limit])}等{len(names)}{noun}"


def more_text(omitted: int, noun: str, sheet: str, detail: str = "") -> str:
    """The line under a shortened list: '其余950个单位见附表（Excel）“单位排名”。'; '' when nothing is left out."""
    return f"其余{omitted}{noun}{detail}见附表（Excel）“{sheet}”。" if omitted > 0 else ""
