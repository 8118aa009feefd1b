"""Dates, times and numbers as each reader expects them, built on Babel's CLDR patterns.

Every message shows shift times, so this is the single place deciding how they look; all
functions take the reader's locale ("id" or "en", or any Babel locale) and timezone, and aware
datetimes (stored values are UTC).  Choices made here:

* Times always use the 24-hour clock (CLDR skeleton "Hm"): it is how schedules are written in
  Indonesia, and "7.00" vs "19.00" is exactly the mistake a shift reminder must not invite.
* Plain "en" is shown as CLDR's international English ("en_001": "Sat, 5 Dec 2026"), not US
  English ("Sat, Dec 5, 2026"), because day-first is what an Indonesian campaign reads.
  Regional English locales ("en_US", "en_GB") are used as given.
* Babel has no "yesterday/tomorrow" words, so ``format_relative`` carries a small table for
  id and en, used only when a timezone is given to decide calendar days.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_interval, format_skeleton, format_timedelta
from babel.numbers import format_decimal
from babel.numbers import format_percent as babel_format_percent

__all__ = [
    "format_date",
    "format_datetime",
    "format_number",
    "format_percent",
    "format_relative",
    "format_time",
    "format_time_range",
    "progress_bar",
    "zone_label",
]


def _date_locale(locale: str) -> Locale:
    parsed = Locale.parse(locale.replace("-", "_"))
    if parsed.language == "en" and parsed.territory is None:
        return Locale.parse("en_001")
    return parsed


def _local(dt: datetime, tz: ZoneInfo | str) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        # A naive value here is a bug upstream: guessing its zone would shift shifts by hours.
        raise ValueError("datetime must be timezone-aware")
    return dt.astimezone(tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz))


def _join(date_text: str, time_text: str, loc: Locale) -> str:
    # CLDR's glue between a date and a time: "{1} {0}" in id, "{1}, {0}" in en.
    pattern = str(loc.datetime_formats["medium"])
    return pattern.replace("{1}", date_text).replace("{0}", time_text)


def format_date(
    dt: datetime,
    locale: str,
    tz: ZoneInfo | str,
    *,
    with_year: bool = True,
    with_weekday: bool = True,
) -> str:
    """Date like "Sab, 5 Des 2026" (id) / "Sat, 5 Dec 2026" (en); never an all-numeric date."""
    loc = _date_locale(locale)
    skeleton = ("y" if with_year else "") + "MMM" + ("Ed" if with_weekday else "d")
    return format_skeleton(skeleton, _local(dt, tz), locale=loc)


def format_time(dt: datetime, locale: str, tz: ZoneInfo | str) -> str:
    """Time like "14.00" (id) / "14:00" (en), always the 24-hour clock."""
    return format_skeleton("Hm", _local(dt, tz), locale=_date_locale(locale))


def format_datetime(
    dt: datetime, locale: str, tz: ZoneInfo | str, *, with_year: bool = True
) -> str:
    """Date and time like "Sab, 5 Des 2026 14.00" (id) / "Sat, 5 Dec 2026, 14:00" (en)."""
    loc = _date_locale(locale)
    return _join(format_date(dt, locale, tz, with_year=with_year), format_time(dt, locale, tz), loc)


def zone_label(dt: datetime, tz: ZoneInfo | str) -> str:
    """The zone's short name at that moment: "WITA" for Asia/Makassar, "CET" in a Berlin
    winter (the tz database's abbreviation, or its "+04" style offset where it has none)."""
    return _local(dt, tz).tzname() or str(tz)


def format_time_range(
    start: datetime,
    end: datetime,
    locale: str,
    tz: ZoneInfo | str,
    *,
    with_year: bool = False,
) -> str:
    """A shift: "Sab, 5 Des 14.00–17.00" on one local day, else both ends in full.

    The year is left out by default because shift lists look at the coming weeks and the
    weekday already pins the date; pass ``with_year=True`` where that does not hold.
    """
    loc = _date_locale(locale)
    local_start, local_end = _local(start, tz), _local(end, tz)
    if local_start.date() == local_end.date():
        times = format_interval(local_start, local_end, "Hm", locale=loc)
        return _join(format_date(start, locale, tz, with_year=with_year), times, loc)
    fallback = str(loc.interval_formats.get(None, "{0} – {1}"))
    first = format_datetime(start, locale, tz, with_year=with_year)
    last = format_datetime(end, locale, tz, with_year=with_year)
    return fallback.replace("{0}", first).replace("{1}", last)


_DAY_WORDS: Final[dict[str, dict[int, str]]] = {
    "id": {-1: "kemarin", 1: "besok"},
    "en": {-1: "yesterday", 1: "tomorrow"},
}
_DAY_WORD_MIN_GAP: Final = timedelta(hours=6)


def format_relative(
    dt: datetime, now: datetime, locale: str, *, tz: ZoneInfo | str | None = None
) -> str:
    """Distance from ``now``: "dalam 2 jam" / "in 2 hours", "30 menit yang lalu" (Babel).

    With ``tz``, a time at least six hours away on the previous or next local calendar day
    reads "kemarin"/"yesterday" or "besok"/"tomorrow" instead ("dalam 20 jam" makes the
    reader do arithmetic).  Closer times keep the hour count, which is more useful then.
    """
    delta = dt - now
    if tz is not None and abs(delta) >= _DAY_WORD_MIN_GAP:
        words = _DAY_WORDS.get(_date_locale(locale).language)
        day_gap = (_local(dt, tz).date() - _local(now, tz).date()).days
        if words and day_gap in words:
            return words[day_gap]
    return format_timedelta(delta, add_direction=True, locale=_date_locale(locale))


def format_number(n: float | int, locale: str) -> str:
    """Number like "1.234.567,5" (id) / "1,234,567.5" (en)."""
    return format_decimal(n, locale=locale)


def format_percent(ratio: float, locale: str, *, decimals: int = 0) -> str:
    """``ratio`` 0.425 → "43%"; ``decimals=1`` → "42,5%" (id) / "42.5%" (en)."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + "%"
    return babel_format_percent(ratio, pattern, locale=locale)


def progress_bar(ratio: float, width: int = 10) -> str:
    """Bar like "▓▓▓░░░░░░░" for 0.3; ``ratio`` is clamped to 0..1.

    The bar is full only at 100% and empty only at 0%: a shift with 19 of 20 volunteers must
    not look fully staffed, and one with a single sign-up must not look abandoned.  "0%" is
    what the percentage next to it shows below half a percent, so the bar is empty there
    too (3 of 10,000 doors read "0%" beside a block that said otherwise).
    """
    if width <= 0:
        return ""
    if math.isnan(ratio):
        ratio = 0.0
    ratio = min(max(ratio, 0.0), 1.0)
    if ratio < 0.005:  # shown as "0%"
        return "░" * width
    filled = math.floor(ratio * width + 0.5)
    if 0.0 < ratio < 1.0:
        filled = min(max(filled, 1), width - 1) if width > 1 else filled
    return "▓" * filled + "░" * (width - filled)
