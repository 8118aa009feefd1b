"""Pin the exact strings readers see for dates, times and numbers (bot.views.formatting).

The expectations are what Babel 2.18 / CLDR produce; a Babel upgrade that changes them should
fail here first, not in a screenshot.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.views.formatting import (
    format_date,
    format_datetime,
    format_number,
    format_percent,
    format_relative,
    format_time,
    format_time_range,
    progress_bar,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
# 14:00 in Jakarta, 08:00 in Berlin (winter time).
START = datetime(2026, 12, 5, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("locale", "tz", "expected"),
    [
        ("id", "Asia/Jakarta", "Sab, 5 Des 2026 14.00"),
        ("en", "Asia/Jakarta", "Sat, 5 Dec 2026, 14:00"),
        ("id", "Europe/Berlin", "Sab, 5 Des 2026 08.00"),
        ("en", "Europe/Berlin", "Sat, 5 Dec 2026, 08:00"),
        ("en_US", "Asia/Jakarta", "Sat, Dec 5, 2026, 14:00"),
    ],
)
def test_format_datetime(locale: str, tz: str, expected: str) -> None:
    assert format_datetime(START, locale, tz) == expected


def test_format_datetime_accepts_zoneinfo_and_can_drop_year() -> None:
    assert format_datetime(START, "id", JAKARTA, with_year=False) == "Sab, 5 Des 14.00"
    assert format_datetime(START, "en", JAKARTA, with_year=False) == "Sat, 5 Dec, 14:00"


def test_local_date_can_differ_from_utc_date() -> None:
    late = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)  # 03:00 on the 6th in Jakarta
    assert format_datetime(late, "id", JAKARTA) == "Min, 6 Des 2026 03.00"
    assert format_datetime(late, "en", "Europe/Berlin") == "Sat, 5 Dec 2026, 21:00"


def test_format_date_and_time() -> None:
    assert format_date(START, "id", JAKARTA) == "Sab, 5 Des 2026"
    assert format_date(START, "en", JAKARTA) == "Sat, 5 Dec 2026"
    assert format_date(START, "id", JAKARTA, with_year=False) == "Sab, 5 Des"
    assert format_date(START, "en", JAKARTA, with_weekday=False) == "5 Dec 2026"
    assert format_time(START, "id", JAKARTA) == "14.00"
    assert format_time(START, "en", JAKARTA) == "14:00"
    assert format_time(START, "en", "Europe/Berlin") == "08:00"


@pytest.mark.parametrize(
    ("locale", "tz", "hours", "expected"),
    [
        ("id", "Asia/Jakarta", 3, "Sab, 5 Des 14.00–17.00"),
        ("en", "Asia/Jakarta", 3, "Sat, 5 Dec, 14:00–17:00"),
        # CLDR's interval fallback puts thin spaces (U+2009) around the dash.
        ("id", "Asia/Jakarta", 12, "Sab, 5 Des 14.00\u2009–\u2009Min, 6 Des 02.00"),
        ("en", "Asia/Jakarta", 12, "Sat, 5 Dec, 14:00\u2009–\u2009Sun, 6 Dec, 02:00"),
        # The same 12 hours fit in one Berlin day.
        ("id", "Europe/Berlin", 12, "Sab, 5 Des 08.00–20.00"),
        ("en", "Europe/Berlin", 12, "Sat, 5 Dec, 08:00–20:00"),
    ],
)
def test_format_time_range(locale: str, tz: str, hours: int, expected: str) -> None:
    assert format_time_range(START, START + timedelta(hours=hours), locale, tz) == expected


def test_format_time_range_with_year() -> None:
    end = START + timedelta(hours=3)
    assert format_time_range(START, end, "id", JAKARTA, with_year=True) == (
        "Sab, 5 Des 2026 14.00–17.00"
    )


NOW = datetime(2026, 11, 26, 10, 0, tzinfo=JAKARTA)


@pytest.mark.parametrize(
    ("delta", "id_text", "en_text"),
    [
        (timedelta(hours=2), "dalam 2 jam", "in 2 hours"),
        (timedelta(minutes=-30), "30 menit yang lalu", "30 minutes ago"),
        (timedelta(days=3), "dalam 3 hari", "in 3 days"),
        (timedelta(days=-1), "1 hari yang lalu", "1 day ago"),
        (timedelta(hours=13), "dalam 13 jam", "in 13 hours"),
    ],
)
def test_format_relative(delta: timedelta, id_text: str, en_text: str) -> None:
    assert format_relative(NOW + delta, NOW, "id") == id_text
    assert format_relative(NOW + delta, NOW, "en") == en_text


def test_format_relative_uses_day_words_with_a_timezone() -> None:
    tomorrow_morning = NOW + timedelta(hours=23)
    yesterday_evening = NOW - timedelta(hours=14)
    assert format_relative(tomorrow_morning, NOW, "id", tz=JAKARTA) == "besok"
    assert format_relative(tomorrow_morning, NOW, "en", tz=JAKARTA) == "tomorrow"
    assert format_relative(yesterday_evening, NOW, "id", tz=JAKARTA) == "kemarin"
    assert format_relative(yesterday_evening, NOW, "en", tz="Asia/Jakarta") == "yesterday"
    # Close by, the hour count says more than "tomorrow".
    late = datetime(2026, 11, 26, 22, 0, tzinfo=JAKARTA)
    assert format_relative(late + timedelta(hours=3), late, "id", tz=JAKARTA) == "dalam 3 jam"


def test_format_number_and_percent() -> None:
    assert format_number(1234567.5, "id") == "1.234.567,5"
    assert format_number(1234567.5, "en") == "1,234,567.5"
    assert format_number(1500, "id") == "1.500"
    assert format_number(-5, "id") == "-5"
    assert format_percent(0.42, "id") == "42%"
    assert format_percent(0.42, "en") == "42%"
    assert format_percent(0.425, "id", decimals=1) == "42,5%"
    assert format_percent(0.425, "en", decimals=1) == "42.5%"
    assert format_percent(1, "id") == "100%"


@pytest.mark.parametrize(
    ("ratio", "width", "expected"),
    [
        (0, 10, "░░░░░░░░░░"),
        (0.3, 10, "▓▓▓░░░░░░░"),
        (0.5, 10, "▓▓▓▓▓░░░░░"),
        (1, 10, "▓▓▓▓▓▓▓▓▓▓"),
        (1.5, 10, "▓▓▓▓▓▓▓▓▓▓"),
        (-1, 10, "░░░░░░░░░░"),
        (float("nan"), 10, "░░░░░░░░░░"),
        # Nearly full is not full, barely started is not empty.
        (0.97, 10, "▓▓▓▓▓▓▓▓▓░"),
        (0.01, 10, "▓░░░░░░░░░"),
        (0.5, 4, "▓▓░░"),
        (0.5, 0, ""),
    ],
)
def test_progress_bar(ratio: float, width: int, expected: str) -> None:
    assert progress_bar(ratio, width) == expected


def test_naive_datetime_is_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        format_datetime(datetime(2026, 12, 5, 14, 0), "id", JAKARTA)
