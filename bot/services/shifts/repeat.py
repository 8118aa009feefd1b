"""Repeating a shift: a week of shifts in a few taps instead of seven one-liners.

A coordinator creates one shift, then copies it to the next day, to every day of
the coming week, or to the same time for the next weeks.  Copies are idempotent:
a copy whose title, team and start already exist (not cancelled) is skipped, so
pressing a repeat button twice creates nothing twice.  A copy of an event's role stays
that event's role only while it lies in the event's window
(`event_shifts.event_id_for_copy`); next week's copy is a plain shift.  What a repeat may
be (how many copies, from when) is `bot.services.shifts.series`, the same for the chat's
buttons and the planner's repeat form.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import InvalidInput
from bot.services import audit
from bot.services.events.duties import event_id_for_copy
from bot.services.people.members import Actor
from bot.services.shifts.plan import managed_shift
from bot.services.shifts.series import RepeatResult, Series, Step, offsets
from models import Event, Shift, ShiftStatus


class RepeatPattern(StrEnum):
    NEXT_DAY = "d"
    DAILY_WEEK = "w"  # every day for the six days after the shift
    WEEKLY = "k"  # the same weekday and time for the next three weeks


# The chat's buttons are fixed series; the planner's repeat form chooses its own.
PATTERNS: dict[RepeatPattern, Series] = {
    RepeatPattern.NEXT_DAY: Series(Step.DAILY, count=1),
    RepeatPattern.DAILY_WEEK: Series(Step.DAILY, count=6),
    RepeatPattern.WEEKLY: Series(Step.WEEKLY, count=3),
}


async def repeat_shift(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    shift_id: int,
    pattern: str,
    *,
    now: datetime,
) -> RepeatResult:
    """A chat repeat button: one of `PATTERNS`."""
    try:
        series = PATTERNS[RepeatPattern(pattern)]
    except ValueError:
        raise InvalidInput("shift_repeat.unknown") from None
    return await repeat_shift_series(sessionmaker, actor, shift_id, series, now=now)


async def repeat_shift_series(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    shift_id: int,
    series: Series,
    *,
    now: datetime,
    tz: str = "UTC",
) -> RepeatResult:
    """Copies the shift as `series` says (`tz`: the zone its `until` date is in)."""
    async with sessionmaker.begin() as session:
        source = await managed_shift(session, actor, shift_id)
        shifts = offsets(series, source.starts_at, tz=tz, now=now)
        event = await session.get(Event, source.event_id) if source.event_id else None
        created: list[datetime] = []
        copies: list[Shift] = []
        skipped = 0
        for offset in shifts:
            starts_at = source.starts_at + offset
            if await _exists(session, source, starts_at):
                skipped += 1
                continue
            copies.append(copy_shift(source, offset, actor, now, event))
            session.add(copies[-1])
            created.append(starts_at)
        if created:
            await session.flush()
            # One post listing the copies in the team's linked groups (issue #15).
            from bot.services.reach.group_news import post_series

            await post_series(session, source.team_id, copies, now)
            audit.record(
                session,
                action="shift.repeat",
                actor_id=actor.person_id,
                target_type="shift",
                target_id=source.id,
                pattern=series.label(),
                copies=len(created),
            )
        return RepeatResult(source.title, tuple(created), skipped)


async def _exists(session: AsyncSession, source: Shift, starts_at: datetime) -> bool:
    team_match = (
        Shift.team_id.is_(None) if source.team_id is None else Shift.team_id == source.team_id
    )
    found = await session.scalar(
        select(Shift.id).where(
            Shift.title == source.title,
            team_match,
            Shift.starts_at == starts_at,
            Shift.status != ShiftStatus.CANCELLED,
        )
    )
    return found is not None


def copy_shift(
    source: Shift, offset: timedelta, actor: Actor, now: datetime, event: Event | None
) -> Shift:
    """`source` moved by `offset`, empty (nobody signed up), an `event`'s role while it lies
    in that event's window (a repeat of the shift, or of the event it belongs to)."""
    return Shift(
        title=source.title,
        team_id=source.team_id,
        event_id=event_id_for_copy(event, source.starts_at + offset, source.ends_at + offset),
        place=source.place,
        starts_at=source.starts_at + offset,
        ends_at=source.ends_at + offset,
        capacity=source.capacity,
        taken=0,
        skill_id=source.skill_id,
        notes=source.notes,
        status=ShiftStatus.OPEN,
        created_by_id=actor.person_id,
        created_at=now,
        updated_at=now,
    )
