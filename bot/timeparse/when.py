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
from typing import Final
from zoneinfo import ZoneInfo

from bot.timeparse.words import (
    DAY_MONTH_RE,
    DAY_UNITS,
    DMY_RE,
    HOUR_UNITS,
    ISO_DATE_RE,
    MINUTE_UNITS,
    MONTH_DAY_RE,
    MONTHS,
    NUM,
    RELATIVE_DAYS,
    WD_ALT,
    WEEK_UNITS,
    WEEKDAYS,
    ZONE_SUFFIXES,
    WhenParseError,
    full_year,
    local_now_in,
    make_date,
    normalize,
    number,
    to_utc,
    zone_of,
)

# "2 jam lagi", "in 30 minutes", "dalam 2 jam": an instant, not a wall-clock time.
_REL_INSTANT_RE: Final = re.compile(
    rf"^(?:(?:in|dalam) (?P<n1>{NUM}) ?(?P<u1>{MINUTE_UNITS}|{HOUR_UNITS})"
    rf"|(?P<n2>{NUM}) ?(?P<u2>{MINUTE_UNITS}|{HOUR_UNITS}) (?:lagi|from now|kemudian))$"
)
# "3 hari lagi", "in 2 weeks": a date, still combined with a time of day.
_REL_DAYS_RE: Final = re.compile(
    rf"^(?:(?:in|dalam) (?P<n1>\d+) ?(?P<u1>{DAY_UNITS}|{WEEK_UNITS})"
    rf"|(?P<n2>\d+) ?(?P<u2>{DAY_UNITS}|{WEEK_UNITS}) (?:lagi|from now|kemudian))$"
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

_WEEKDAY_RE: Final = re.compile(rf"^(?:(?:hari|this|on) )?(?P<wd>{WD_ALT})(?: ini)?$")


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
    zone = ZoneInfo(ZONE_SUFFIXES[zone_name]) if zone_name else None
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
    if s in RELATIVE_DAYS:
        offset = RELATIVE_DAYS[s]
        return _DatePart(day=today + timedelta(days=offset), explicit_today=offset == 0)
    if m := _REL_DAYS_RE.match(s):
        n = int(m.group("n1") or m.group("n2"))
        unit = m.group("u1") or m.group("u2")
        factor = 7 if re.fullmatch(WEEK_UNITS, unit) else 1
        return _DatePart(day=today + timedelta(days=n * factor))
    if m := ISO_DATE_RE.match(s):
        return _DatePart(day=make_date(int(m["y"]), int(m["m"]), int(m["d"]), text))
    if m := DMY_RE.match(s):
        if m["y"]:
            return _DatePart(day=make_date(full_year(m["y"]), int(m["m"]), int(m["d"]), text))
        return _DatePart(day=_next_occurrence(int(m["m"]), int(m["d"]), today, text))
    if m := (DAY_MONTH_RE.match(s) or MONTH_DAY_RE.match(s)):
        month, day = MONTHS[m["mon"]], int(m["d"])
        if m["y"]:
            found = make_date(int(m["y"]), month, day, text)
        else:
            found = _next_occurrence(month, day, today, text)
        if m["wd"] and WEEKDAYS[m["wd"]] != found.weekday():
            # "Sab, 5 Des" where the 5th is a Friday: one of the two is a typo; don't guess.
            raise WhenParseError("weekday_mismatch", text)
        return _DatePart(day=found)
    if m := _WEEKDAY_RE.match(s):
        return _DatePart(weekday=WEEKDAYS[m["wd"]])
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
    zone = zone_of(tz)
    local_now = local_now_in(now, zone)
    s = normalize(text)
    if not s:
        raise WhenParseError("empty", text)

    if m := _REL_INSTANT_RE.match(s):
        amount = number(m.group("n1") or m.group("n2"))
        unit = m.group("u1") or m.group("u2")
        minutes = amount * (60 if re.fullmatch(HOUR_UNITS, unit) else 1)
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
    return to_utc(at(day), zone)


_EXAMPLES: Final[dict[str, str]] = {
    "id": "besok 19:00, Sabtu 08:00, 5 Des 14:00, 2026-12-05 14:00, 2 jam lagi",
    "en": "tomorrow 7pm, Saturday 8am, 5 Dec 14:00, 2026-12-05 14:00, in 2 hours",
}


def describe_formats(language: str) -> str:
    """Accepted examples for an error message, in the reader's language (English otherwise)."""
    return _EXAMPLES["id" if language.lower().startswith("id") else "en"]
