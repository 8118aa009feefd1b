"""Lengths and report periods: "1 jam 30 menit", "2h"; "bulan lalu", "1..15 Nov", "7d".

A duration is a shift length or hold window (a number without a unit is refused: "90"
could be minutes or hours); a period is the half-open UTC interval of local days a report
covers.  The words and date shapes are `bot.timeparse.words`, shared with `parse_when`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from bot.timeparse.words import (
    DAY_MONTH_RE,
    DAY_UNITS,
    DMY_RE,
    HOUR_UNITS,
    ISO_DATE_RE,
    MINUTE_UNITS,
    MON_ALT,
    MONTH_DAY_RE,
    MONTHS,
    NUM,
    WEEK_UNITS,
    WhenParseError,
    full_year,
    local_now_in,
    make_date,
    normalize,
    number,
    to_utc,
    zone_of,
)

_DURATION_PART_RE: Final = re.compile(
    rf"(?P<n>{NUM}) ?(?P<u>{DAY_UNITS}|{HOUR_UNITS}|{MINUTE_UNITS})(?![a-z])"
)


def parse_duration(text: str) -> timedelta:
    """Parse a shift length or hold window: "2h", "90m", "1.5 jam", "1 jam 30 menit", "1:30".

    "m" is minutes (months make no sense for a shift).  A number without a unit is rejected,
    because "90" could be minutes or hours.  Zero is rejected with reason "zero".
    """
    s = normalize(text.replace(",", "."))
    if not s:
        raise WhenParseError("empty", text)
    if m := re.fullmatch(r"(\d{1,3}):(\d{2})", s):
        if int(m[2]) > 59:
            raise WhenParseError("unparseable", text)
        total = timedelta(hours=int(m[1]), minutes=int(m[2]))
    else:
        total = timedelta()
        pos = 0
        for m in _DURATION_PART_RE.finditer(s):
            between = s[pos : m.start()].strip()
            if between not in ("", "dan", "and"):
                raise WhenParseError("unparseable", text)
            amount = float(number(m["n"]))
            unit = m["u"]
            if re.fullmatch(DAY_UNITS, unit):
                total += timedelta(days=amount)
            elif re.fullmatch(HOUR_UNITS, unit):
                total += timedelta(hours=amount)
            else:
                total += timedelta(minutes=amount)
            pos = m.end()
        if pos == 0 or s[pos:].strip():
            raise WhenParseError("unparseable", text)
    # Sub-second precision from "0.33 jam" would only leak into stored values.
    total = timedelta(seconds=round(total.total_seconds()))
    if total <= timedelta():
        raise WhenParseError("zero", text)
    return total


_RANGE_SEP_RE: Final = re.compile(
    r"\s*(?:\.\.|–|—|\s-\s|\bs/d\b|\bsd\b|\bsampai(?: dengan)?\b|\bhingga\b|\bto\b|\buntil\b)\s*"
)
_LAST_DAYS_RE: Final = re.compile(
    rf"^(?:(?:last|past) )?(?P<n>\d+) ?(?P<u>{DAY_UNITS}|{WEEK_UNITS})(?: terakhir| lalu)?$"
)
_MONTH_ONLY_RE: Final = re.compile(
    rf"^(?:(?P<mon>{MON_ALT})(?: (?P<y>\d{{4}}))?|(?P<iy>\d{{4}})-(?P<im>\d{{1,2}}))$"
)


def _period_date(s: str, today: date, text: str) -> tuple[date, bool]:
    """A date in a report period; year-less dates mean this year.  Returns (date, had_year)."""
    s = re.sub(r"(?<=[a-z])\.", "", s).strip()
    if m := ISO_DATE_RE.match(s):
        return make_date(int(m["y"]), int(m["m"]), int(m["d"]), text), True
    if m := DMY_RE.match(s):
        year = full_year(m["y"]) if m["y"] else today.year
        return make_date(year, int(m["m"]), int(m["d"]), text), bool(m["y"])
    if m := (DAY_MONTH_RE.match(s) or MONTH_DAY_RE.match(s)):
        year = int(m["y"]) if m["y"] else today.year
        return make_date(year, MONTHS[m["mon"]], int(m["d"]), text), bool(m["y"])
    raise WhenParseError("unparseable", text)


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def parse_period(text: str, *, now: datetime, tz: ZoneInfo | str) -> tuple[datetime, datetime]:
    """Parse a report period; return the half-open UTC interval ``[start, end)``.

    Boundaries are local midnights in ``tz``; ``end`` is the midnight after the last day named,
    so "2026-11-01..2026-11-30" includes all of 30 November.  Accepted: two dates separated by
    "..", " - ", "s/d", "sampai", "to" or a space; one date; a month ("November 2026",
    "2026-11", "bulan ini"/"this month", "bulan lalu"/"last month"); an ISO week starting
    Monday ("minggu ini"/"this week", "minggu lalu"/"last week"); "hari ini"/"today",
    "kemarin"/"yesterday"; the last N days including today ("7d", "30 hari", "last 7 days").
    Year-less dates mean the current year, since reports look back; a year-less end before its
    start rolls into next year ("15 Des..15 Jan").  Raises WhenParseError, "end_before_start"
    when the end precedes the start.
    """
    zone = zone_of(tz)
    today = local_now_in(now, zone).date()
    s = normalize(text)
    if not s:
        raise WhenParseError("empty", text)

    monday = today - timedelta(days=today.weekday())
    this_week = (monday, monday + timedelta(days=7))
    last_week = (monday - timedelta(days=7), monday)
    this_month = (_month_start(today.year, today.month), _month_start(today.year, today.month + 1))
    last_month = (_month_start(today.year, today.month - 1), this_month[0])
    named: dict[str, tuple[date, date]] = {
        "hari ini": (today, today + timedelta(days=1)),
        "today": (today, today + timedelta(days=1)),
        "kemarin": (today - timedelta(days=1), today),
        "yesterday": (today - timedelta(days=1), today),
        "minggu ini": this_week, "pekan ini": this_week, "this week": this_week,
        "minggu lalu": last_week, "pekan lalu": last_week, "last week": last_week,
        "bulan ini": this_month, "this month": this_month,
        "bulan lalu": last_month, "last month": last_month,
        "tahun ini": (date(today.year, 1, 1), date(today.year + 1, 1, 1)),
        "this year": (date(today.year, 1, 1), date(today.year + 1, 1, 1)),
    }  # fmt: skip
    if s in named:
        first, after = named[s]
    elif m := _LAST_DAYS_RE.match(s):
        days = int(m["n"]) * (7 if re.fullmatch(WEEK_UNITS, m["u"]) else 1)
        if days <= 0:
            raise WhenParseError("zero", text)
        first, after = today - timedelta(days=days - 1), today + timedelta(days=1)
    elif m := _MONTH_ONLY_RE.match(s):
        year = int(m["y"] or m["iy"] or today.year)
        month = MONTHS[m["mon"]] if m["mon"] else int(m["im"])
        if not 1 <= month <= 12:
            raise WhenParseError("invalid_date", text)
        first, after = _month_start(year, month), _month_start(year, month + 1)
    else:
        parts = [p for p in _RANGE_SEP_RE.split(s) if p]
        if len(parts) == 1 and re.fullmatch(r"\S+ \S+", s) and not re.search(r"[a-z]", s):
            parts = s.split(" ")  # "2026-11-01 2026-11-30"
        if len(parts) == 1:
            first, _ = _period_date(parts[0], today, text)
            after = first + timedelta(days=1)
        elif len(parts) == 2:
            first, _ = _period_date(parts[0], today, text)
            last, last_had_year = _period_date(parts[1], today, text)
            if last < first and not last_had_year:
                last = make_date(last.year + 1, last.month, last.day, text)
            if last < first:
                raise WhenParseError("end_before_start", text)
            after = last + timedelta(days=1)
        else:
            raise WhenParseError("unparseable", text)
    return (
        to_utc(datetime.combine(first, time()), zone),
        to_utc(datetime.combine(after, time()), zone),
    )
