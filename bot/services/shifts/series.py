"""What a repeat may be: every day or every week, so many times or until a date.

One set of rules for every way of repeating a shift or an event: the chat's repeat buttons
("next day", "each of the next 6 days", "same time, next 3 weeks") are fixed `Series`, the
Mini App's planner lets a coordinator choose the step and the count or the last date.  Both
go through `offsets`, so the same limits hold and the same catalog messages explain a
refusal: at most `MAX_COPIES` copies, a count of at least one, a last date that leaves at
least one copy, and nothing repeated from an item that has already started (its copies are
planned from its start, and the past is not planned).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput

MAX_COPIES = 52  # a year of weekly copies; more is a different plan, not a repeat


class Step(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


STEP_DAYS = {Step.DAILY: 1, Step.WEEKLY: 7}


@dataclass(frozen=True, slots=True)
class Series:
    """Copies `step` apart: `count` of them, or as many as start on or before `until`
    (a date in the planner's zone)."""

    step: Step
    count: int | None = None
    until: date | None = None

    @classmethod
    def of(cls, step: str, count: int | None, until: date | None) -> Series:
        """The series a form asked for, or the `InvalidInput` that says what is wrong."""
        try:
            known = Step(step)
        except ValueError:
            raise InvalidInput("series.bad_step") from None
        if (count is None) == (until is None):
            raise InvalidInput("series.count_or_until")
        if count is not None and not 1 <= count <= MAX_COPIES:
            raise InvalidInput("series.bad_count", max=MAX_COPIES)
        return cls(known, count, until)

    def label(self) -> str:
        """For the audit log: `daily×6`, `weekly→2026-12-24`."""
        if self.count is not None:
            return f"{self.step}×{self.count}"
        return f"{self.step}→{self.until}"


@dataclass(frozen=True, slots=True)
class RepeatResult:
    title: str
    created: tuple[datetime, ...]  # start times of the new copies
    skipped: int  # copies that existed already
    roles: int = 0  # an event's repeat: its roles' shifts copied with it, over all copies


def offsets(series: Series, starts_at: datetime, *, tz: str, now: datetime) -> list[timedelta]:
    """How far after the item each copy starts; refuses what the rules above refuse."""
    if starts_at <= now:
        raise InvalidInput("series.past")
    days = STEP_DAYS[series.step]
    count = series.count
    if series.until is not None:
        local_day = starts_at.astimezone(ZoneInfo(tz)).date()
        first = local_day + timedelta(days=days)
        if series.until < first:
            raise InvalidInput("series.until_too_early", date=first.isoformat())
        count = (series.until - local_day).days // days
        if count > MAX_COPIES:
            raise InvalidInput("series.too_many", max=MAX_COPIES)
    assert count is not None
    return [timedelta(days=days * k) for k in range(1, count + 1)]
