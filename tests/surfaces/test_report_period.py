"""/report's file is named by the period's days in the campaign's timezone, and /report reads
Indonesian periods (issue #17)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.services.progress.report import bundle_filename, resolve_period

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 10:00 in Jakarta
FIRST = datetime(2026, 1, 1, tzinfo=UTC)
TZ = "Asia/Jakarta"


def test_bundle_is_named_by_the_periods_local_days() -> None:
    start, end = resolve_period("2026-11-01..2026-11-30", now=NOW, tz=TZ, first=FIRST)
    assert start == datetime(2026, 10, 31, 17, tzinfo=UTC)  # midnight in Jakarta
    assert bundle_filename(start, end, TZ) == "gotong-report-2026-11-01-2026-11-30.zip"


@pytest.mark.parametrize(
    ("period", "days"),
    [
        ("minggu ini", ("2026-11-23", "2026-11-29")),
        ("this week", ("2026-11-23", "2026-11-29")),
        ("bulan lalu", ("2026-10-01", "2026-10-31")),
        ("last month", ("2026-10-01", "2026-10-31")),
        ("30 hari", ("2026-10-28", "2026-11-26")),
        ("last 30 days", ("2026-10-28", "2026-11-26")),
    ],
)
def test_report_reads_indonesian_and_english_periods(period: str, days: tuple[str, str]) -> None:
    start, end = resolve_period(period, now=NOW, tz=TZ, first=FIRST)
    assert bundle_filename(start, end, TZ) == f"gotong-report-{days[0]}-{days[1]}.zip"
