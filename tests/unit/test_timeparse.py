"""Pin how typed dates, times, durations and report periods are read (bot.timeparse)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.timeparse import (
    WhenParseError,
    describe_formats,
    parse_duration,
    parse_period,
    parse_when,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
# Thursday 26 November 2026, 10:00 in Jakarta.
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=JAKARTA)


def local(text: str, *, now: datetime = NOW, tz: str = "Asia/Jakarta", **kwargs: object) -> str:
    result = parse_when(text, now=now, tz=tz, **kwargs)  # type: ignore[arg-type]
    assert result.tzinfo is UTC
    return result.astimezone(ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ISO-ish and day-first numeric dates.
        ("2026-12-05 14:00", "Sat 2026-12-05 14:00"),
        ("2026-12-05T14:00", "Sat 2026-12-05 14:00"),
        ("05/12/2026 14:00", "Sat 2026-12-05 14:00"),
        ("5/12 14:00", "Sat 2026-12-05 14:00"),
        ("5-12-26 14.00", "Sat 2026-12-05 14:00"),
        # Relative days.
        ("besok 19:00", "Fri 2026-11-27 19:00"),
        ("BESOK 19.00", "Fri 2026-11-27 19:00"),
        ("tomorrow 7pm", "Fri 2026-11-27 19:00"),
        ("Tomorrow at 7 PM", "Fri 2026-11-27 19:00"),
        ("hari ini 18.00", "Thu 2026-11-26 18:00"),
        ("today 18:00", "Thu 2026-11-26 18:00"),
        ("lusa 08:00", "Sat 2026-11-28 08:00"),
        ("the day after tomorrow 8am", "Sat 2026-11-28 08:00"),
        ("3 hari lagi 10:00", "Sun 2026-11-29 10:00"),
        # Relative instants.
        ("in 2 hours", "Thu 2026-11-26 12:00"),
        ("2 jam lagi", "Thu 2026-11-26 12:00"),
        ("dalam 2 jam", "Thu 2026-11-26 12:00"),
        ("30 menit lagi", "Thu 2026-11-26 10:30"),
        ("in 30 minutes", "Thu 2026-11-26 10:30"),
        ("1,5 jam lagi", "Thu 2026-11-26 11:30"),
        # Weekdays, full and abbreviated, both languages.
        ("Sabtu 08:00", "Sat 2026-11-28 08:00"),
        ("saturday 8am", "Sat 2026-11-28 08:00"),
        ("Sab 08:00", "Sat 2026-11-28 08:00"),
        ("sat 08:00", "Sat 2026-11-28 08:00"),
        ("hari Sabtu jam 8 pagi", "Sat 2026-11-28 08:00"),
        ("Jum'at 13.00", "Fri 2026-11-27 13:00"),
        ("Minggu 07:00", "Sun 2026-11-29 07:00"),
        ("Senin 09:00", "Mon 2026-11-30 09:00"),
        # Today is Thursday: later today stays today, earlier means next week.
        ("Kamis 11:00", "Thu 2026-11-26 11:00"),
        ("thursday 09:00", "Thu 2026-12-03 09:00"),
        ("Kamis 10:00", "Thu 2026-12-03 10:00"),
        # Day and month names.
        ("5 Des 14:00", "Sat 2026-12-05 14:00"),
        ("5 des. 14.00", "Sat 2026-12-05 14:00"),
        ("5 Desember 2026 14:00", "Sat 2026-12-05 14:00"),
        ("Dec 5 2pm", "Sat 2026-12-05 14:00"),
        ("Dec 5, 2026 2pm", "Sat 2026-12-05 14:00"),
        ("5th December 14:00", "Sat 2026-12-05 14:00"),
        ("17 Agu 2027 08:00", "Tue 2027-08-17 08:00"),
        ("17 Agt 2027 08:00", "Tue 2027-08-17 08:00"),
        ("1 Mei 2027 10:00", "Sat 2027-05-01 10:00"),
        ("1 Okt 2027 10:00", "Fri 2027-10-01 10:00"),
        # Our own output format reads back.
        ("Sab, 5 Des 2026 14.00", "Sat 2026-12-05 14:00"),
        ("Sat, 5 Dec 2026, 14:00", "Sat 2026-12-05 14:00"),
        # Bare times and Indonesian day parts.
        ("jam 7 malam", "Thu 2026-11-26 19:00"),
        ("pukul 19.00", "Thu 2026-11-26 19:00"),
        ("besok jam 7 malam", "Fri 2026-11-27 19:00"),
        ("besok jam 3 sore", "Fri 2026-11-27 15:00"),
        ("besok jam 1 siang", "Fri 2026-11-27 13:00"),
        ("besok jam 12 malam", "Sat 2026-11-28 00:00"),
        ("09:00", "Fri 2026-11-27 09:00"),
        ("19:00 besok", "Fri 2026-11-27 19:00"),
        ("friday noon", "Fri 2026-11-27 12:00"),
        # Indonesian zone suffixes override the campaign zone.
        ("besok 19.00 WITA", "Fri 2026-11-27 18:00"),
        ("besok 19.00 WIB", "Fri 2026-11-27 19:00"),
        # Long tail handled by dateparser (date part only).
        ("next friday 10:00", "Fri 2026-11-27 10:00"),
    ],
)
def test_parse_when_examples(text: str, expected: str) -> None:
    assert local(text) == expected


def test_date_without_time_uses_default_time() -> None:
    assert local("5 Dec", default_time=time(9, 0)) == "Sat 2026-12-05 09:00"
    assert local("Sabtu", default_time=time(8, 0)) == "Sat 2026-11-28 08:00"
    assert local("besok", default_time=time(9, 30)) == "Fri 2026-11-27 09:30"


@pytest.mark.parametrize("text", ["5 Dec", "besok", "Sabtu", "2026-12-05", "05/12/2026"])
def test_date_without_time_and_no_default_is_no_time(text: str) -> None:
    with pytest.raises(WhenParseError) as info:
        parse_when(text, now=NOW, tz=JAKARTA)
    assert info.value.reason == "no_time"


def test_year_rollover_for_yearless_dates() -> None:
    december = datetime(2026, 12, 20, 10, 0, tzinfo=JAKARTA)
    assert local("5 Jan 10:00", now=december) == "Tue 2027-01-05 10:00"
    assert local("5/1 10:00", now=december) == "Tue 2027-01-05 10:00"
    assert local("21 Des 10:00", now=december) == "Mon 2026-12-21 10:00"
    # Today with a time already gone stays today: "past" is the caller's decision.
    assert local("20 Des 08:00", now=december) == "Sun 2026-12-20 08:00"
    assert local("hari ini 08:00", now=december) == "Sun 2026-12-20 08:00"


def test_leap_day_without_year_is_next_leap_year() -> None:
    assert local("29 Feb 10:00") == "Tue 2028-02-29 10:00"


def test_other_timezones() -> None:
    makassar_now = datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Makassar"))
    assert local("besok 19:00", now=makassar_now, tz="Asia/Makassar") == "Fri 2026-11-27 19:00"
    utc = parse_when("besok 19:00", now=makassar_now, tz="Asia/Makassar")
    assert utc == datetime(2026, 11, 27, 11, 0, tzinfo=UTC)


def test_berlin_across_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # Saturday 24 Oct 2026; clocks go back on Sunday 25 Oct.
    now = datetime(2026, 10, 24, 12, 0, tzinfo=berlin)
    assert parse_when("besok 19:00", now=now, tz=berlin) == datetime(
        2026, 10, 25, 18, 0, tzinfo=UTC
    )
    assert parse_when("today 19:00", now=now, tz=berlin) == datetime(
        2026, 10, 24, 17, 0, tzinfo=UTC
    )
    # "in 2 hours" is elapsed time, not wall-clock: across the change it is 2 real hours.
    late = datetime(2026, 10, 25, 1, 30, tzinfo=berlin)
    assert parse_when("in 2 hours", now=late, tz=berlin) - late == timedelta(hours=2)
    # 02:30 on 29 March 2026 does not exist in Berlin: it moves forward past the gap.
    spring = datetime(2026, 3, 28, 12, 0, tzinfo=berlin)
    assert local("besok 02:30", now=spring, tz="Europe/Berlin") == "Sun 2026-03-29 03:30"
    # 02:30 on 25 October happens twice: the first (summer time) is taken.
    assert parse_when("25/10/2026 02:30", now=now, tz=berlin) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("asdf", "unparseable"),
        ("", "empty"),
        ("   ", "empty"),
        ("32/13/2026", "invalid_date"),
        ("31/02/2027 10:00", "invalid_date"),
        ("2026-13-01 10:00", "invalid_date"),
        ("25:00", "invalid_time"),
        ("besok 19:75", "invalid_time"),
        ("13am", "invalid_time"),
        ("Jum, 5 Des 2026 14.00", "weekday_mismatch"),
        ("Desember 14:00", "unparseable"),
    ],
)
def test_garbage_raises(text: str, reason: str) -> None:
    with pytest.raises(WhenParseError) as info:
        parse_when(text, now=NOW, tz=JAKARTA)
    assert info.value.reason == reason
    assert isinstance(info.value, ValueError)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("besok 19:00", now=datetime(2026, 11, 26, 10, 0), tz=JAKARTA)


def test_describe_formats() -> None:
    assert describe_formats("id") == (
        "besok 19:00, Sabtu 08:00, 5 Des 14:00, 2026-12-05 14:00, 2 jam lagi"
    )
    assert describe_formats("en") == (
        "tomorrow 7pm, Saturday 8am, 5 Dec 14:00, 2026-12-05 14:00, in 2 hours"
    )
    # Every advertised example must actually parse, in both languages.
    for language in ("id", "en"):
        for example in describe_formats(language).split(", "):
            parse_when(example, now=NOW, tz=JAKARTA, language=language)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", timedelta(hours=2)),
        ("90m", timedelta(minutes=90)),
        ("2 jam", timedelta(hours=2)),
        ("1.5 jam", timedelta(hours=1, minutes=30)),
        ("1,5 jam", timedelta(hours=1, minutes=30)),
        ("30 menit", timedelta(minutes=30)),
        ("2 hours", timedelta(hours=2)),
        ("1 hour", timedelta(hours=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1 jam 30 menit", timedelta(hours=1, minutes=30)),
        ("1 jam dan 30 menit", timedelta(hours=1, minutes=30)),
        ("1:30", timedelta(hours=1, minutes=30)),
        ("2 hari", timedelta(days=2)),
        ("45 min", timedelta(minutes=45)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "empty"), ("90", "unparseable"), ("2 x", "unparseable"), ("0m", "zero"),
     ("jam", "unparseable"), ("-2h", "unparseable"), ("1:75", "unparseable")],
)  # fmt: skip
def test_parse_duration_rejects(text: str, reason: str) -> None:
    with pytest.raises(WhenParseError) as info:
        parse_duration(text)
    assert info.value.reason == reason


def period(text: str, tz: str = "Asia/Jakarta") -> tuple[str, str]:
    start, end = parse_period(text, now=NOW, tz=tz)
    assert start.tzinfo is UTC and end.tzinfo is UTC
    zone = ZoneInfo(tz)
    return (
        start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        end.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01..2026-11-30", ("2026-11-01 00:00", "2026-12-01 00:00")),
        ("2026-11-01 2026-11-30", ("2026-11-01 00:00", "2026-12-01 00:00")),
        ("2026-11-01 - 2026-11-30", ("2026-11-01 00:00", "2026-12-01 00:00")),
        ("01/11/2026 s/d 30/11/2026", ("2026-11-01 00:00", "2026-12-01 00:00")),
        ("1 Nov sampai 30 Nov", ("2026-11-01 00:00", "2026-12-01 00:00")),
        ("Nov 1 to Nov 30", ("2026-11-01 00:00", "2026-12-01 00:00")),
        ("15 Des..15 Jan", ("2026-12-15 00:00", "2027-01-16 00:00")),
        ("2026-11-05", ("2026-11-05 00:00", "2026-11-06 00:00")),
        ("bulan ini", ("2026-11-01 00:00", "2026-12-01 00:00")),
        ("this month", ("2026-11-01 00:00", "2026-12-01 00:00")),
        ("bulan lalu", ("2026-10-01 00:00", "2026-11-01 00:00")),
        ("minggu ini", ("2026-11-23 00:00", "2026-11-30 00:00")),
        ("This Week", ("2026-11-23 00:00", "2026-11-30 00:00")),
        ("minggu lalu", ("2026-11-16 00:00", "2026-11-23 00:00")),
        ("hari ini", ("2026-11-26 00:00", "2026-11-27 00:00")),
        ("kemarin", ("2026-11-25 00:00", "2026-11-26 00:00")),
        ("7d", ("2026-11-20 00:00", "2026-11-27 00:00")),
        ("30 hari", ("2026-10-28 00:00", "2026-11-27 00:00")),
        ("last 7 days", ("2026-11-20 00:00", "2026-11-27 00:00")),
        ("November 2026", ("2026-11-01 00:00", "2026-12-01 00:00")),
        ("2026-12", ("2026-12-01 00:00", "2027-01-01 00:00")),
        ("Desember", ("2026-12-01 00:00", "2027-01-01 00:00")),
    ],
)
def test_parse_period(text: str, expected: tuple[str, str]) -> None:
    assert period(text) == expected


def test_parse_period_in_berlin_has_dst_aware_bounds() -> None:
    start, end = parse_period("2026-10-01..2026-10-31", now=NOW, tz="Europe/Berlin")
    assert start == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)
    assert end == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-11-30..2026-11-01", "end_before_start"),
        ("30/11/2026 - 01/11/2026", "end_before_start"),
        ("", "empty"),
        ("sometime", "unparseable"),
        ("2026-02-30..2026-03-05", "invalid_date"),
        ("0d", "zero"),
    ],
)
def test_parse_period_rejects(text: str, reason: str) -> None:
    with pytest.raises(WhenParseError) as info:
        parse_period(text, now=NOW, tz=JAKARTA)
    assert info.value.reason == reason
