"""All period and deadline arithmetic: what a period is, its neighbours, its deadline, its scheduled run.

A period of the monthly dispatch is a calendar month written `YYYY-MM` (spec §2); the other cadences of a
plan (district-plan.md, "Cadences") write theirs `2024-04-H1` / `-H2` (1st–15th, 16th–end), `2024-W15` (ISO
week), `2024-B08` (ISO weeks 15–16: B n is weeks 2n-1 and 2n; in a year of 53 ISO weeks B27 is week 53
alone) and `2024-Q2`. `Period` and the functions below it (`parse`, `previous`, `containing`, `chinese_name`,
`period_deadline`, …) work on any cadence; the month functions above them stay as they were. It is parsed strictly — after NFKC
(full-width digits typed with a Chinese input method become ASCII) it must match
`^\\d{4}-(0[1-9]|1[0-2])$`. A run scheduled for 2020-05-16 09:00 Asia/Shanghai builds 2020-04,
even if it starts late (the PC was off) or is retried on the 20th: the period comes from the run's
scheduled time, never from the clock.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .period_labels import CADENCES, HALF_MONTH, MONTH, QUARTER, TWO_WEEKS, WEEK, Period, parse
from .schedule import DEFAULT_TIMEZONE, monthly_schedule

PERIOD_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def normalise_period(text: str) -> str:
    """'２０２０-０４' -> '2020-04'; raises ValueError naming the text for anything else ('2020-4 ', '2020-+4')."""
    value = unicodedata.normalize("NFKC", str(text))
    if not PERIOD_PATTERN.match(value):
        raise ValueError(f"报告期格式应为 YYYY-MM（如 2020-04），收到“{text}”")
    return value


def period_parts(period: str) -> tuple[int, int]:
    """'2020-04' -> (2020, 4): the year and month a period's figures count in — for another cadence, the month
    holding its last day ('2020-05-H1' -> (2020, 5), '2020-W53' -> (2021, 1)); ValueError naming it otherwise."""
    if not is_monthly(period):
        end = parse(period).end
        return end.year, end.month
    value = normalise_period(period)
    return int(value[:4]), int(value[5:])


def is_monthly(period: str) -> bool:
    """Whether `period` is a month of the monthly dispatch (its label alone says so)."""
    return bool(PERIOD_PATTERN.match(unicodedata.normalize("NFKC", str(period))))


def shift(period: str, months: int) -> str:
    """The period `months` after (or before, if negative) `period`: shift('2020-12', 1) == '2021-01'."""
    year, month = period_parts(period)
    index = year * 12 + (month - 1) + months
    return f"{index // 12}-{index % 12 + 1:02d}"


def previous_period(period: str) -> str | None:
    """The period before `period` of the same cadence in the same year, or None in January (H07 compares within a
    year): the month before a month, '2020-05-H1' -> '2020-04-H2', '2020-W01' -> None."""
    if not is_monthly(period):
        return previous_in_year(period)
    return None if period_parts(period)[1] == 1 else shift(period, -1)


def months_between(start: str, end: str) -> list[str]:
    """'2020-03'..'2020-06' inclusive, in order; ValueError when start is after end."""
    if period_parts(start) > period_parts(end):
        raise ValueError(f"起始报告期 {start} 晚于结束报告期 {end}")
    out = [normalise_period(start)]
    while out[-1] != normalise_period(end):
        out.append(shift(out[-1], 1))
    return out


def quarter_end_month(period: str) -> int:
    """The last month of `period`'s quarter: 3, 6, 9 or 12."""
    return -(-period_parts(period)[1] // 3) * 3


def is_quarter_end(period: str) -> bool:
    """Quarterly indicators are due in 03, 06, 09 and 12 (spec §2) and in a quarter's period; never in a shorter one."""
    if not is_monthly(period):
        return parse(period).cadence == QUARTER
    return quarter_end_month(period) == period_parts(period)[1]


def deadline(period: str, day: int, tz: ZoneInfo, overrides: dict[str, int] | None = None) -> datetime:
    """The last instant a file for `period` counts as on time: day `day` of the next month, 23:59:59.999999.

    An override day past the end of that month is refused with a message (e.g. {"2020-01": 31} for
    February). The whole last second belongs to the day: 23:59:59.5 is on time, 00:00:00 the next day late.
    """
    nxt = shift(period, 1)
    year, month = period_parts(nxt)
    chosen = (overrides or {}).get(period, day)
    try:
        closing = date(year, month, int(chosen))
    except ValueError:
        raise ValueError(f"报告期 {period} 的截止日设置为 {chosen} 日，但 {year}年{month}月没有这一天；"
                         "请修改 ZHUANBAO_DEADLINE_DAY 或 ZHUANBAO_DEADLINE_OVERRIDES") from None
    return datetime.combine(closing, time(23, 59, 59, 999999), tzinfo=tz)


def period_of(moment: datetime, timezone: str = DEFAULT_TIMEZONE) -> str:
    """The calendar month `moment` falls in, in the office's time zone."""
    local = moment.astimezone(ZoneInfo(timezone)) if moment.tzinfo else moment
    return f"{local.year}-{local.month:02d}"


def period_before(moment: datetime, timezone: str = DEFAULT_TIMEZONE) -> str:
    """The calendar month before `moment`'s month, in the office's time zone: 2020-05-16 -> '2020-04'."""
    return shift(period_of(moment, timezone), -1)


def month_fraction(period: str) -> float:
    """m/12: the time progress of a monthly figure at the end of `period` (a quarter's: its last month's); for a
    shorter period, the share of the year's days up to its last day (2020-05-H1: 136/366)."""
    if is_monthly(period) or parse(period).cadence == QUARTER:
        return period_parts(period)[1] / 12
    end = parse(period).end
    return end.timetuple().tm_yday / date(end.year, 12, 31).timetuple().tm_yday


def due_at(period: str, tz: ZoneInfo | None = None, home: Path | str | None = None, deadline_days: int = 3) -> datetime:
    """When the scheduled run of `period` is planned: for a month, the next month's day and time of the monthly
    deployment in prefect.yaml (the 16th, 09:00 Asia/Shanghai; the home's prefect.yaml when it has one); for another
    cadence, the day after its deadline (`deadline_days` after its end) at the monthly run's time. In `tz` if given."""
    schedule = monthly_schedule(home)
    if is_monthly(period):
        year, month = period_parts(shift(period, 1))
        day = date(year, month, schedule.day)
    else:
        day = parse(period).end + timedelta(days=deadline_days + 1)
    planned = datetime(day.year, day.month, day.day, schedule.hour, schedule.minute, tzinfo=ZoneInfo(schedule.timezone))
    return planned.astimezone(tz) if tz is not None else planned


def scheduled_period(timezone: str = DEFAULT_TIMEZONE) -> str:
    """The period of the current flow run: the month before its scheduled start.

    Outside a flow run (or for a run without a scheduled time) Prefect falls back to its start
    time, which is the same thing for a run triggered by hand without a period.
    """
    from prefect.runtime import flow_run

    moment = flow_run.scheduled_start_time
    if moment is None:
        raise RuntimeError("没有指定报告期，且当前不在计划运行中，无法推算报告期；请用 --period 指定")
    return period_before(moment, timezone)


def resubmit_by(arrival: datetime, closing: datetime, run_at: datetime) -> datetime | None:
    """By when a rejected file's correction must arrive: the deadline while it is ahead, else the
    scheduled report run; None once both have passed (a correction then makes a revision)."""
    return next((moment for moment in (closing, run_at) if arrival < moment), None)


# --- periods of every cadence --------------------------------------------------------------------------------

def normalise_label(text: str) -> str:
    """Any cadence's label in its one printed form ('2024-w15' is refused: the letters are upper case)."""
    return parse(text).label


def cadence_of(label: str) -> str:
    """'2024-04-H1' -> 'half-month'; the cadence names are those of plan.toml's `every`."""
    return parse(label).cadence


def period_containing(day: date, cadence: str) -> str:
    """The label of the period of `cadence` that contains `day`."""
    if cadence == MONTH:
        return Period(MONTH, day.year, day.month).label
    if cadence == HALF_MONTH:
        return Period(HALF_MONTH, day.year, day.month * 2 - (1 if day.day <= 15 else 0)).label
    if cadence == QUARTER:
        return Period(QUARTER, day.year, (day.month + 2) // 3).label
    if cadence not in (WEEK, TWO_WEEKS):
        raise ValueError(f"未知的调度频次“{cadence}”，应为 {' / '.join(CADENCES)} 之一")
    year, week, _ = day.isocalendar()
    return Period(cadence, year, week if cadence == WEEK else (week + 1) // 2).label


def containing(label: str, cadence: str) -> str:
    """The period of `cadence` that holds `label`'s last day: a half month's month, a week's month or quarter."""
    return period_containing(parse(label).end, cadence)


def periods_in(label: str, cadence: str) -> list[str]:
    """The periods of `cadence` whose last day falls within `label`: the weeks of a quarter, the halves of a month."""
    outer = parse(label)
    current, out = parse(period_containing(outer.start, cadence)), []
    while current.start <= outer.end:
        if outer.start <= current.end <= outer.end:
            out.append(current.label)
        current = current.next()
    return out


def previous_label(label: str) -> str:
    """The period before `label` of the same cadence: '2024-04-H1' -> '2024-03-H2', '2024-W01' -> '2023-W52'."""
    return parse(label).previous().label


def previous_in_year(label: str) -> str | None:
    """The period before `label` of the same cadence when it ends in the same calendar year (cumulative figures
    start again each January), else None — as `previous_period` does for months."""
    period = parse(label)
    before = period.previous()
    return before.label if before.end.year == period.end.year else None


def sort_key(label: str) -> tuple[date, int]:
    """The order of periods of every cadence: by last day, and among periods ending the same day the shorter first
    (later start), so a month sorts after its halves and the week ending on its last day, a quarter after its last
    month: 2020-W22, 2020-05-H2, 2020-05 (all end 31 May). ValueError naming the label for anything unparseable."""
    period = parse(label)
    return period.end, -period.start.toordinal()


def ends_by(label: str, through: str) -> bool:
    """Whether `label` ends on or before the last day of `through` (any cadences): `--through 2020-05` holds
    2020-05-H1, 2020-05-H2 and 2020-W22 (25–31 May), not 2020-W23 (1–7 June) nor 2020-Q2."""
    return parse(label).end <= parse(through).end


def period_start(label: str) -> date:
    return parse(label).start


def period_end(label: str) -> date:
    return parse(label).end


def period_deadline(label: str, deadline_days: int, tz: ZoneInfo) -> datetime:
    """The last instant a file for `label` counts as on time: `deadline_days` after its last day, 23:59:59.999999."""
    closing = parse(label).end + timedelta(days=deadline_days)
    return datetime.combine(closing, time(23, 59, 59, 999999), tzinfo=tz)


def _day_span(start: date, end: date) -> str:
    return f"{start.month}月{start.day}日—{'' if end.month == start.month else f'{end.month}月'}{end.day}日"


def chinese_name(label: str) -> str:
    """As an office writes it: 2024年4月, 2024年4月上半月, 2024年第15周（4月8日—14日）, 2024年第8个双周, 2024年第二季度."""
    period = parse(label)
    if period.cadence == MONTH:
        return f"{period.year}年{period.index}月"
    if period.cadence == HALF_MONTH:
        return f"{period.year}年{(period.index + 1) // 2}月{'上' if period.index % 2 else '下'}半月"
    if period.cadence == QUARTER:
        return f"{period.year}年第{'一二三四'[period.index - 1]}季度"
    if period.cadence == TWO_WEEKS:
        return f"{period.year}年第{period.index}个双周"
    return f"{period.year}年第{period.index}周（{_day_span(period.start, period.end)}）"


def said_of(text: str, period: str, *, named: bool = True, keep_quoted: bool = False) -> str:
    """`text` written of a month (本月, 上月) said of `period`: a month's unchanged; another cadence's says 本期/当期
    and 上期（2020年5月上半月）, the period before of the same cadence (`previous_period`; 上期 alone when none, or
    with `named=False`, for a column header). `keep_quoted`: a “form header” stays as the form prints it."""
    if is_monthly(period):
        return text
    before = previous_period(period)
    words = {"上月": f"上期（{chinese_name(before)}）" if named and before else "上期", "本月": "本期", "当月": "当期"}
    parts = re.split(r"(“[^”]*”)", text) if keep_quoted else [text]
    pattern = re.compile("|".join(words))
    return "".join(part if part.startswith("“") and keep_quoted else pattern.sub(lambda m: words[m.group()], part)
                   for part in parts)


def cadence_run_period(cadence: str, moment: datetime, deadline_days: int, timezone: str = DEFAULT_TIMEZONE) -> str | None:
    """The period a cadence's scheduled run at `moment` builds: the one whose last day is `deadline_days` + 1 days
    before the run's (local) day; None when no period of `cadence` ends that day (a weekly cron's off week of a
    two-week cadence)."""
    local = moment.astimezone(ZoneInfo(timezone)) if moment.tzinfo else moment
    day = local.date() - timedelta(days=deadline_days + 1)
    label = period_containing(day, cadence)
    return label if parse(label).end == day else None


def reminder_period(cadence: str, day: date, deadline_days: int) -> str | None:
    """The period whose 催报 window holds `day` (after its last day, up to its deadline day), or None."""
    before = parse(period_containing(day, cadence)).previous()
    return before.label if before.end < day <= before.end + timedelta(days=deadline_days) else None
