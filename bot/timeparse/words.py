"""The words and shapes typed dates are made of, shared by `parse_when` and the spans.

Weekday and month names, relative day words and zone suffixes in Bahasa Indonesia and
English, the unit spellings, the date regexes, the error type with its stable reasons, and
the small pure helpers (time zones, normalization, dates that may not exist).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


WEEKDAYS: Final[dict[str, int]] = {
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

MONTHS: Final[dict[str, int]] = {
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

ZONE_SUFFIXES: Final[dict[str, str]] = {
    "wib": "Asia/Jakarta",
    "wita": "Asia/Makassar",
    "wit": "Asia/Jayapura",
}

RELATIVE_DAYS: Final[dict[str, int]] = {
    "hari ini": 0, "hr ini": 0, "today": 0, "nanti": 0,
    "besok": 1, "besuk": 1, "bsk": 1, "tomorrow": 1, "tmr": 1, "tmrw": 1,
    "lusa": 2, "day after tomorrow": 2, "the day after tomorrow": 2,
    "kemarin": -1, "kmrn": -1, "yesterday": -1,
}  # fmt: skip

WD_ALT: Final = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
MON_ALT: Final = "|".join(sorted(MONTHS, key=len, reverse=True))

MINUTE_UNITS: Final = r"m|mnt|min|mins|minute|minutes|menit"
HOUR_UNITS: Final = r"h|hr|hrs|hour|hours|j|jam"
DAY_UNITS: Final = r"d|day|days|hari"
WEEK_UNITS: Final = r"w|wk|wks|week|weeks|minggu|pekan"

NUM: Final = r"\d+(?:[.,]\d+)?"

ISO_DATE_RE: Final = re.compile(r"^(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})$")
DMY_RE: Final = re.compile(r"^(?P<d>\d{1,2})[/-](?P<m>\d{1,2})(?:[/-](?P<y>\d{4}|\d{2}))?$")
ORD: Final = r"(?:st|nd|rd|th)?"
DAY_MONTH_RE: Final = re.compile(
    rf"^(?:(?P<wd>{WD_ALT}) )?(?P<d>\d{{1,2}}){ORD} (?:of )?(?P<mon>{MON_ALT})"
    rf"(?: (?P<y>\d{{4}}))?$"
)
MONTH_DAY_RE: Final = re.compile(
    rf"^(?:(?P<wd>{WD_ALT}) )?(?P<mon>{MON_ALT}) (?P<d>\d{{1,2}}){ORD}(?: (?P<y>\d{{4}}))?$"
)


def zone_of(tz: ZoneInfo | str) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {tz!r}") from exc


def local_now_in(now: datetime, zone: ZoneInfo) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        # A naive `now` would silently mean "server local time": a bug, not user input.
        raise ValueError("now must be timezone-aware")
    return now.astimezone(zone)


def to_utc(naive: datetime, zone: ZoneInfo) -> datetime:
    # fold=0 gives the first of two repeated times, and for a nonexistent time zoneinfo
    # applies the pre-transition offset, which lands after the gap: both are what we want.
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def normalize(text: str) -> str:
    s = text.strip().lower()
    s = s.replace("\u00a0", " ").replace("\u202f", " ").replace("’", "'")
    s = s.replace("jum'at", "jumat")
    s = re.sub(r"(?<=\d)t(?=\d)", " ", s)  # ISO "2026-12-05T14:00"
    s = re.sub(r"(?<!\d),|,(?!\d)", " ", s)  # "Sab, 5 Des" but not "1,5 jam"
    return re.sub(r"\s+", " ", s).strip()


def number(raw: str) -> Decimal:
    try:
        return Decimal(raw.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the regexes only pass digits
        raise WhenParseError("unparseable", raw) from exc


def make_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise WhenParseError("invalid_date", text) from exc


def full_year(raw: str) -> int:
    return int(raw) + 2000 if len(raw) == 2 else int(raw)
