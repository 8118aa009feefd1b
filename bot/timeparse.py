"""Turn what volunteers type ("besok 19:00", "Sabtu 08.00", "5 Des 14:00") into UTC datetimes.

Coordinators schedule shifts from a phone keyboard, in Bahasa Indonesia or English, and
nobody types ISO 8601.  This module is the one place that decides what such text means, so
every handler reads "Sabtu" the same way.  It is pure: callers pass ``now`` and the campaign
timezone, nothing reads the clock, and whether a result lies in the past is for the caller
to judge (a coordinator back-filling yesterday's shift is legitimate).

A hand-written pre-pass covers the common shapes.  ``dateparser`` is only the fallback for the
long tail, because it is slow on its first call and gets some Indonesian forms wrong (it drops
the time from "hari ini 18.00" and cannot read "lusa" or "2 jam lagi"); when it is used, it only
ever sees the date part, and the time is taken from our own parse.

Rules worth knowing (they are also what the tests pin):

* Both languages are always accepted; ``language`` only orders dateparser's guesses.
* Day-first numeric dates: "05/12/2026" and "5/12" are 5 December.
* A date without a year is its next occurrence on or after today (local); a "5 Jan" typed in
  December is next January.  Today's date with an already-passed time stays today.
* A weekday ("Sabtu", "sat") is the next such day: today if today is that day and the time is
  still ahead of ``now``, otherwise the same weekday next week.
* A bare time ("19:00", "jam 7 malam") is today if still ahead, otherwise tomorrow; with an
  explicit "hari ini"/"today" it stays today.
* Indonesian day parts shift the hour: "jam 7 malam" 19:00, "jam 3 sore" 15:00, "jam 1 siang"
  13:00, "jam 12 malam" midnight at the end of that day.
* "WIB"/"WITA"/"WIT" after a time override the campaign timezone, because Indonesians write
  them precisely when the reader might be in another zone.
* Local times that do not exist (a DST gap) move forward by the gap; repeated times (DST fold)
  take the first occurrence.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "WhenParseError",
    "WhenReason",
    "describe_formats",
    "parse_duration",
    "parse_period",
    "parse_when",
]

WhenReason = Literal[
    "empty",
    "unparseable",
    "no_time",
    "invalid_date",
    "invalid_time",
    "weekday_mismatch",
    "end_before_start",
    "zero",
]


class WhenParseError(ValueError):
    """Text that cannot be turned into a date, time, duration or period.

    ``reason`` is a stable code for choosing the localized error message.
    """

    def __init__(self, reason: WhenReason, text: str = "") -> None:
        super().__init__(f"{reason}: {text!r}")
        self.reason: WhenReason = reason
        self.text = text


_WEEKDAYS: Final[dict[str, int]] = {
    # Indonesian, with the abbreviations used on calendars and in chat.
    "senin": 0, "sen": 0,
    "selasa": 1, "sel": 1,
    "rabu": 2, "rab": 2,
    "kamis": 3, "kam": 3,
    "jumat": 4, "jum": 4, "jumaat": 4,
    "sabtu": 5, "sab": 5,
    "minggu": 6, "min": 6, "ahad": 6,
    # English.
    "monday": 0, "mon": 0,
    "tuesday": 1, "tue": 1, "tues": 1,
    "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3,
    "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
}  # fmt: skip

_MONTHS: Final[dict[str, int]] = {
    "januari": 1, "january": 1, "jan": 1,
    "februari": 2, "pebruari": 2, "february": 2, "feb": 2,
    "maret": 3, "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "agustus": 8, "august": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nov": 11, "nop": 11,
    "desember": 12, "december": 12, "des": 12, "dec": 12,
}  # fmt: skip

_ZONE_SUFFIXES: Final[dict[str, str]] = {
    "wib": "Asia/Jakarta",
    "wita": "Asia/Makassar",
    "wit": "Asia/Jayapura",
}

_RELATIVE_DAYS: Final[dict[str, int]] = {
    "hari ini": 0, "hr ini": 0, "today": 0, "nanti": 0,
    "besok": 1, "besuk": 1, "bsk": 1, "tomorrow": 1, "tmr": 1, "tmrw": 1,
    "lusa": 2, "day after tomorrow": 2, "the day after tomorrow": 2,
    "kemarin": -1, "kmrn": -1, "yesterday": -1,
}  # fmt: skip

_WD_ALT: Final = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_MON_ALT: Final = "|".join(sorted(_MONTHS, key=len, reverse=True))

_MINUTE_UNITS: Final = r"m|mnt|min|mins|minute|minutes|menit"
_HOUR_UNITS: Final = r"h|hr|hrs|hour|hours|j|jam"
_DAY_UNITS: Final = r"d|day|days|hari"
_WEEK_UNITS: Final = r"w|wk|wks|week|weeks|minggu|pekan"

_NUM: Final = r"\d+(?:[.,]\d+)?"

# "2 jam lagi", "in 30 minutes", "dalam 2 jam": an instant, not a wall-clock time.
_REL_INSTANT_RE: Final = re.compile(
    rf"^(?:(?:in|dalam) (?P<n1>{_NUM}) ?(?P<u1>{_MINUTE_UNITS}|{_HOUR_UNITS})"
    rf"|(?P<n2>{_NUM}) ?(?P<u2>{_MINUTE_UNITS}|{_HOUR_UNITS}) (?:lagi|from now|kemudian))$"
)
# "3 hari lagi", "in 2 weeks": a date, still combined with a time of day.
_REL_DAYS_RE: Final = re.compile(
    rf"^(?:(?:in|dalam) (?P<n1>\d+) ?(?P<u1>{_DAY_UNITS}|{_WEEK_UNITS})"
    rf"|(?P<n2>\d+) ?(?P<u2>{_DAY_UNITS}|{_WEEK_UNITS}) (?:lagi|from now|kemudian))$"
)

_TIME_CORE: Final = (
    r"(?:(?P<prefix>jam|pukul|pkl|at|@) ?)?"
    r"(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?"
    r" ?(?P<ampm>am|pm|a\.m\.|p\.m\.)?"
    r"(?: ?(?P<part>pagi|siang|sore|malam))?"
    r"(?: ?(?P<zone>wib|wita|wit))?"
)
_TIME_AT_END_RE: Final = re.compile(rf"(?:^|(?<=\s)){_TIME_CORE}$")
_TIME_AT_START_RE: Final = re.compile(rf"^{_TIME_CORE}(?=\s|$)")
_NOON_RE: Final = re.compile(r"(?:^|(?<=\s))(?:at )?(?:noon|midday|tengah hari)$")

_ISO_DATE_RE: Final = re.compile(r"^(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})$")
_DMY_RE: Final = re.compile(r"^(?P<d>\d{1,2})[/-](?P<m>\d{1,2})(?:[/-](?P<y>\d{4}|\d{2}))?$")
_ORD: Final = r"(?:st|nd|rd|th)?"
_DAY_MONTH_RE: Final = re.compile(
    rf"^(?:(?P<wd>{_WD_ALT}) )?(?P<d>\d{{1,2}}){_ORD} (?:of )?(?P<mon>{_MON_ALT})"
    rf"(?: (?P<y>\d{{4}}))?$"
)
_MONTH_DAY_RE: Final = re.compile(
    rf"^(?:(?P<wd>{_WD_ALT}) )?(?P<mon>{_MON_ALT}) (?P<d>\d{{1,2}}){_ORD}(?: (?P<y>\d{{4}}))?$"
)
_WEEKDAY_RE: Final = re.compile(rf"^(?:(?:hari|this|on) )?(?P<wd>{_WD_ALT})(?: ini)?$")


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {tz!r}") from exc


def _local_now(now: datetime, zone: ZoneInfo) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        # A naive `now` would silently mean "server local time": a bug, not user input.
        raise ValueError("now must be timezone-aware")
    return now.astimezone(zone)


def _to_utc(naive: datetime, zone: ZoneInfo) -> datetime:
    # fold=0 gives the first of two repeated times, and for a nonexistent time zoneinfo
    # applies the pre-transition offset, which lands after the gap: both are what we want.
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _normalize(text: str) -> str:
    s = text.strip().lower()
    s = s.replace("\u00a0", " ").replace("\u202f", " ").replace("’", "'")
    s = s.replace("jum'at", "jumat")
    s = re.sub(r"(?<=\d)t(?=\d)", " ", s)  # ISO "2026-12-05T14:00"
    s = re.sub(r"(?<!\d),|,(?!\d)", " ", s)  # "Sab, 5 Des" but not "1,5 jam"
    return re.sub(r"\s+", " ", s).strip()


def _number(raw: str) -> Decimal:
    try:
        return Decimal(raw.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the regexes only pass digits
        raise WhenParseError("unparseable", raw) from exc


@dataclass(frozen=True)
class _TimeOfDay:
    value: time
    extra_days: int = 0  # "jam 12 malam" is midnight at the end of the named day
    zone: ZoneInfo | None = None


def _time_from_match(match: re.Match[str], text: str) -> _TimeOfDay | None:
    prefix, minutes, ampm, part, zone_name = match.group("prefix", "m", "ampm", "part", "zone")
    if not (prefix or minutes or ampm or part or zone_name):
        # A lone number ("Dec 5") is a day of the month, not an hour.
        return None
    hour = int(match.group("h"))
    minute = int(minutes) if minutes else 0
    extra_days = 0
    if hour > 23 or minute > 59:
        raise WhenParseError("invalid_time", text)
    if ampm:
        if hour == 0 or (hour > 12 and ampm.startswith("a")):
            raise WhenParseError("invalid_time", text)
        if hour <= 12:
            hour = hour % 12 + (12 if ampm.startswith("p") else 0)
    elif part and hour <= 12:
        if (part == "siang" and hour <= 6) or (part == "sore" and hour < 12):
            hour += 12
        elif part == "malam":
            if hour == 12:
                hour, extra_days = 0, 1
            elif hour >= 6:
                hour += 12
    zone = ZoneInfo(_ZONE_SUFFIXES[zone_name]) if zone_name else None
    return _TimeOfDay(time(hour, minute), extra_days, zone)


def _split_time(s: str, text: str) -> tuple[str, _TimeOfDay | None]:
    """Take the time of day off the end (or start) of ``s``; return the rest and the time."""
    noon = _NOON_RE.search(s)
    if noon:
        return s[: noon.start()].strip(), _TimeOfDay(time(12, 0))
    for regex in (_TIME_AT_END_RE, _TIME_AT_START_RE):
        match = regex.search(s)
        if match:
            tod = _time_from_match(match, text)
            if tod is not None:
                rest = (s[: match.start()] + " " + s[match.end() :]).strip()
                return re.sub(r"\s+", " ", rest), tod
    return s, None


def _make_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise WhenParseError("invalid_date", text) from exc


def _next_occurrence(month: int, day: int, today: date, text: str) -> date:
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise WhenParseError("invalid_date", text)
    # Eight years always contain a 29 February, so a valid day/month is always found.
    for year in range(today.year, today.year + 9):
        if day <= calendar.monthrange(year, month)[1]:
            candidate = date(year, month, day)
            if candidate >= today:
                return candidate
    raise WhenParseError("invalid_date", text)


def _full_year(raw: str) -> int:
    return int(raw) + 2000 if len(raw) == 2 else int(raw)


@dataclass(frozen=True)
class _DatePart:
    day: date | None = None
    weekday: int | None = None  # resolved later: it depends on the time of day
    explicit_today: bool = False


def _parse_date_part(s: str, today: date, text: str) -> _DatePart | None:
    """Our own grammar for the date part; ``None`` means "not one of our shapes"."""
    s = re.sub(r"(?<=[a-z])\.", "", s)  # "5 des." / "sab."
    s = re.sub(r"^(?:tanggal|tgl|on|the) ", "", s).strip()
    if not s:
        return _DatePart()
    if s in _RELATIVE_DAYS:
        offset = _RELATIVE_DAYS[s]
        return _DatePart(day=today + timedelta(days=offset), explicit_today=offset == 0)
    if m := _REL_DAYS_RE.match(s):
        n = int(m.group("n1") or m.group("n2"))
        unit = m.group("u1") or m.group("u2")
        factor = 7 if re.fullmatch(_WEEK_UNITS, unit) else 1
        return _DatePart(day=today + timedelta(days=n * factor))
    if m := _ISO_DATE_RE.match(s):
        return _DatePart(day=_make_date(int(m["y"]), int(m["m"]), int(m["d"]), text))
    if m := _DMY_RE.match(s):
        if m["y"]:
            return _DatePart(day=_make_date(_full_year(m["y"]), int(m["m"]), int(m["d"]), text))
        return _DatePart(day=_next_occurrence(int(m["m"]), int(m["d"]), today, text))
    if m := (_DAY_MONTH_RE.match(s) or _MONTH_DAY_RE.match(s)):
        month, day = _MONTHS[m["mon"]], int(m["d"])
        if m["y"]:
            found = _make_date(int(m["y"]), month, day, text)
        else:
            found = _next_occurrence(month, day, today, text)
        if m["wd"] and _WEEKDAYS[m["wd"]] != found.weekday():
            # "Sab, 5 Des" where the 5th is a Friday: one of the two is a typo; don't guess.
            raise WhenParseError("weekday_mismatch", text)
        return _DatePart(day=found)
    if m := _WEEKDAY_RE.match(s):
        return _DatePart(weekday=_WEEKDAYS[m["wd"]])
    return None


def _dateparser_date(s: str, local_now: datetime, zone: ZoneInfo, language: str) -> date | None:
    """Ask dateparser about a date part our grammar does not know ("next friday")."""
    from dateparser.date import DateDataParser  # imported lazily: slow, and rarely needed

    languages = ["en", "id"] if language.startswith("en") else ["id", "en"]
    settings = {
        "PREFER_DATES_FROM": "future",
        "TIMEZONE": zone.key,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "RELATIVE_BASE": local_now.replace(tzinfo=None),
        "DATE_ORDER": "DMY",
        "RETURN_TIME_AS_PERIOD": True,
    }
    data = DateDataParser(languages=languages, settings=settings).get_date_data(s)
    # "month"/"year"/"week" periods ("Desember") are too vague to schedule anything on.
    if data.date_obj is None or data.period != "day":
        return None
    found = data.date_obj
    if found.tzinfo is not None:
        found = found.astimezone(zone)
    return found.date()


def parse_when(
    text: str,
    *,
    now: datetime,
    tz: ZoneInfo | str,
    language: str = "id",
    default_time: time | None = None,
) -> datetime:
    """Parse a date/time typed in Indonesian or English; return an aware UTC datetime.

    ``text`` is read as wall-clock time in ``tz`` (the campaign timezone) relative to ``now``.
    When the text names a day but no time, ``default_time`` is used; if that is ``None`` the
    error reason is ``"no_time"``.  See the module docstring for how weekdays, year-less dates
    and bare times are resolved.  Results in the past are returned as they are.

    Raises WhenParseError with reason "empty", "unparseable", "no_time", "invalid_date",
    "invalid_time" or "weekday_mismatch".
    """
    zone = _zone(tz)
    local_now = _local_now(now, zone)
    s = _normalize(text)
    if not s:
        raise WhenParseError("empty", text)

    if m := _REL_INSTANT_RE.match(s):
        amount = _number(m.group("n1") or m.group("n2"))
        unit = m.group("u1") or m.group("u2")
        minutes = amount * (60 if re.fullmatch(_HOUR_UNITS, unit) else 1)
        return now.astimezone(UTC) + timedelta(minutes=float(minutes))

    date_text, tod = _split_time(s, text)
    if tod is not None and tod.zone is not None:
        zone = tod.zone
        local_now = now.astimezone(zone)
    today = local_now.date()

    part = _parse_date_part(date_text, today, text)
    if part is None:
        found = _dateparser_date(date_text, local_now, zone, language)
        if found is None:
            raise WhenParseError("unparseable", text)
        part = _DatePart(day=found)

    if tod is None:
        if part.day is None and part.weekday is None:
            raise WhenParseError("unparseable", text)
        if default_time is None:
            raise WhenParseError("no_time", text)
        tod = _TimeOfDay(default_time)

    chosen: _TimeOfDay = tod

    def at(day: date) -> datetime:
        return datetime.combine(day + timedelta(days=chosen.extra_days), chosen.value)

    naive_now = local_now.replace(tzinfo=None)
    if part.weekday is not None:
        day = today + timedelta(days=(part.weekday - today.weekday()) % 7)
        if at(day) <= naive_now:
            day += timedelta(days=7)
    elif part.day is not None:
        day = part.day
    else:
        # A bare time is the next time the clock shows it.
        day = today if at(today) > naive_now else today + timedelta(days=1)
    return _to_utc(at(day), zone)


_EXAMPLES: Final[dict[str, str]] = {
    "id": "besok 19:00, Sabtu 08:00, 5 Des 14:00, 2026-12-05 14:00, 2 jam lagi",
    "en": "tomorrow 7pm, Saturday 8am, 5 Dec 14:00, 2026-12-05 14:00, in 2 hours",
}


def describe_formats(language: str) -> str:
    """Accepted examples for an error message, in the reader's language (English otherwise)."""
    return _EXAMPLES["id" if language.lower().startswith("id") else "en"]


_DURATION_PART_RE: Final = re.compile(
    rf"(?P<n>{_NUM}) ?(?P<u>{_DAY_UNITS}|{_HOUR_UNITS}|{_MINUTE_UNITS})(?![a-z])"
)


def parse_duration(text: str) -> timedelta:
    """Parse a shift length or hold window: "2h", "90m", "1.5 jam", "1 jam 30 menit", "1:30".

    "m" is minutes (months make no sense for a shift).  A number without a unit is rejected,
    because "90" could be minutes or hours.  Zero is rejected with reason "zero".
    """
    s = _normalize(text.replace(",", "."))
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
            amount = float(_number(m["n"]))
            unit = m["u"]
            if re.fullmatch(_DAY_UNITS, unit):
                total += timedelta(days=amount)
            elif re.fullmatch(_HOUR_UNITS, unit):
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
    rf"^(?:(?:last|past) )?(?P<n>\d+) ?(?P<u>{_DAY_UNITS}|{_WEEK_UNITS})(?: terakhir| lalu)?$"
)
_MONTH_ONLY_RE: Final = re.compile(
    rf"^(?:(?P<mon>{_MON_ALT})(?: (?P<y>\d{{4}}))?|(?P<iy>\d{{4}})-(?P<im>\d{{1,2}}))$"
)


def _period_date(s: str, today: date, text: str) -> tuple[date, bool]:
    """A date in a report period; year-less dates mean this year.  Returns (date, had_year)."""
    s = re.sub(r"(?<=[a-z])\.", "", s).strip()
    if m := _ISO_DATE_RE.match(s):
        return _make_date(int(m["y"]), int(m["m"]), int(m["d"]), text), True
    if m := _DMY_RE.match(s):
        year = _full_year(m["y"]) if m["y"] else today.year
        return _make_date(year, int(m["m"]), int(m["d"]), text), bool(m["y"])
    if m := (_DAY_MONTH_RE.match(s) or _MONTH_DAY_RE.match(s)):
        year = int(m["y"]) if m["y"] else today.year
        return _make_date(year, _MONTHS[m["mon"]], int(m["d"]), text), bool(m["y"])
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
    zone = _zone(tz)
    today = _local_now(now, zone).date()
    s = _normalize(text)
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
        days = int(m["n"]) * (7 if re.fullmatch(_WEEK_UNITS, m["u"]) else 1)
        if days <= 0:
            raise WhenParseError("zero", text)
        first, after = today - timedelta(days=days - 1), today + timedelta(days=1)
    elif m := _MONTH_ONLY_RE.match(s):
        year = int(m["y"] or m["iy"] or today.year)
        month = _MONTHS[m["mon"]] if m["mon"] else int(m["im"])
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
                last = _make_date(last.year + 1, last.month, last.day, text)
            if last < first:
                raise WhenParseError("end_before_start", text)
            after = last + timedelta(days=1)
        else:
            raise WhenParseError("unparseable", text)
    return (
        _to_utc(datetime.combine(first, time()), zone),
        _to_utc(datetime.combine(after, time()), zone),
    )
