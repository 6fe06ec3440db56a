"""The period labels of every cadence (district-plan.md, "Cadences") and `Period`, the value they stand for.

`2024-04` (month), `2024-04-H1` / `-H2` (1st–15th, 16th–end), `2024-W15` (ISO week), `2024-B08` (ISO weeks
15–16: B n is weeks 2n-1 and 2n; in a year of 53 ISO weeks B27 is week 53 alone), `2024-Q2`. Parsing is strict
after NFKC. The rest of the code reaches these through tasks/core/periods.py, the owner of period arithmetic.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

WEEK, TWO_WEEKS, HALF_MONTH, MONTH, QUARTER = "week", "two-weeks", "half-month", "month", "quarter"
CADENCES = (WEEK, TWO_WEEKS, HALF_MONTH, MONTH, QUARTER)  # shortest first
CADENCE_NAMES = {WEEK: "周", TWO_WEEKS: "双周", HALF_MONTH: "半月", MONTH: "月", QUARTER: "季度"}
LABEL_PATTERN = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])(?:-H([12]))?|W(0[1-9]|[1-4]\d|5[0-3])"
                           r"|B(0[1-9]|1\d|2[0-7])|Q([1-4]))$")
LABEL_FORMATS = "YYYY-MM、YYYY-MM-H1/H2、YYYY-Wnn、YYYY-Bnn 或 YYYY-Qn（如 2024-04、2024-04-H1、2024-W15、2024-B08、2024-Q2）"


def iso_weeks(year: int) -> int:
    """52 or 53: how many ISO weeks `year` has (28 December is always in its last week)."""
    return date(year, 12, 28).isocalendar()[1]


@dataclass(frozen=True)
class Period:
    """One period of a cadence: `year` (the ISO year for weeks and two-weeks) and its `index` in that year
    (month 1–12, half month 1–24, week 1–53, two-weeks 1–27, quarter 1–4)."""

    cadence: str
    year: int
    index: int

    @property
    def label(self) -> str:
        if self.cadence == MONTH:
            return f"{self.year}-{self.index:02d}"
        if self.cadence == HALF_MONTH:
            return f"{self.year}-{(self.index + 1) // 2:02d}-H{2 - self.index % 2}"
        letter = {WEEK: "W", TWO_WEEKS: "B", QUARTER: "Q"}[self.cadence]
        return f"{self.year}-{letter}{self.index:0{1 if self.cadence == QUARTER else 2}d}"

    @property
    def start(self) -> date:
        year, index = self.year, self.index
        if self.cadence == MONTH:
            return date(year, index, 1)
        if self.cadence == HALF_MONTH:
            return date(year, (index + 1) // 2, 1 if index % 2 else 16)
        if self.cadence == QUARTER:
            return date(year, index * 3 - 2, 1)
        week = index if self.cadence == WEEK else 2 * index - 1
        return date.fromisocalendar(year, week, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    def count(self) -> int:
        """How many periods of this cadence the year has."""
        per_year = {MONTH: 12, HALF_MONTH: 24, QUARTER: 4}
        if self.cadence in per_year:
            return per_year[self.cadence]
        weeks = iso_weeks(self.year)
        return weeks if self.cadence == WEEK else (weeks + 1) // 2

    def next(self) -> Period:
        if self.index < self.count():
            return Period(self.cadence, self.year, self.index + 1)
        return Period(self.cadence, self.year + 1, 1)

    def previous(self) -> Period:
        if self.index > 1:
            return Period(self.cadence, self.year, self.index - 1)
        last = Period(self.cadence, self.year - 1, 1).count()
        return Period(self.cadence, self.year - 1, last)


def parse(text: str) -> Period:
    """Any cadence's label, strictly, after NFKC ('２０２４-Ｗ１５' -> week 15 of 2024); ValueError in one Chinese line."""
    value = unicodedata.normalize("NFKC", str(text))
    match = LABEL_PATTERN.match(value)
    if not match:
        raise ValueError(f"报告期格式应为 {LABEL_FORMATS}，收到“{text}”")
    year, month, half, week, pair, quarter = match.groups()
    year = int(year)
    if week is not None or pair is not None:
        period = Period(WEEK, year, int(week)) if week else Period(TWO_WEEKS, year, int(pair))
        if period.index > period.count():
            raise ValueError(f"报告期“{text}”不存在：{year}年只有 {iso_weeks(year)} 个ISO周")
        return period
    if quarter is not None:
        return Period(QUARTER, year, int(quarter))
    if half is not None:
        return Period(HALF_MONTH, year, int(month) * 2 - 2 + int(half))
    return Period(MONTH, year, int(month))
