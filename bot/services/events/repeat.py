"""Repeating an event: next week's meeting planned from this week's, in one form.

The series rules are the shifts' (`bot.services.shifts.series`: how many copies, from when);
each copy passes the same checks as a new event (`drafts.validate_draft`) and is written
as one (`events.insert_event`: escalation plan, audit, group post), all in one transaction.
A copy whose title, team and start exist already (not cancelled) is skipped, so repeating
twice creates nothing twice.  Each copy brings the event's roles (its duties, the shifts
that belong to it, not cancelled) at the same times relative to it, empty: next week's
rally needs its registration desk again, not last week's volunteers.  Invitations are not
sent for the copies: whom to invite, and when, is decided per event (its card's Invite).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import Conflict
from bot.services import audit
from bot.services.authz import Permission, require
from bot.services.events.drafts import EventDraft, validate_draft
from bot.services.events.events import insert_event
from bot.services.events.messages import Timing
from bot.services.events.reading import load_event
from bot.services.people.members import Actor
from bot.services.shifts.repeat import copy_shift
from bot.services.shifts.series import RepeatResult, Series, offsets
from models import Event, EventStatus, Shift, ShiftStatus


async def repeat_event(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    event_id: int,
    series: Series,
    *,
    timing: Timing,
    tz: str,
    now: datetime,
) -> RepeatResult:
    """Copies the event as `series` says (`tz`: the zone its `until` date is in)."""
    require(actor, Permission.MANAGE_EVENTS)
    async with sessionmaker.begin() as session:
        source = await load_event(session, event_id)
        if source.status == EventStatus.CANCELLED:
            raise Conflict("events.is_cancelled", title=source.title)
        steps = offsets(series, source.starts_at, tz=tz, now=now)
        draft = EventDraft(
            title=source.title, starts_at=source.starts_at, ends_at=source.ends_at,
            place=source.place, latitude=source.latitude, longitude=source.longitude,
            team_id=source.team_id, capacity=source.capacity, description=source.description,
        )
        duties = (await session.scalars(
            select(Shift).where(Shift.event_id == source.id, Shift.status != ShiftStatus.CANCELLED)
            .order_by(Shift.starts_at, Shift.id)
        )).all()
        created: list[datetime] = []
        skipped = 0
        for step in steps:
            copy = validate_draft(
                replace(draft, starts_at=draft.starts_at + step, ends_at=draft.ends_at + step), now
            )
            if await _exists(session, source, copy.starts_at):
                skipped += 1
                continue
            event = await insert_event(session, actor, copy, timing=timing, now=now)
            session.add_all(copy_shift(duty, step, actor, now, event) for duty in duties)
            created.append(copy.starts_at)
        if created:
            audit.record(
                session, action="event.repeat", actor_id=actor.person_id, target_type="event",
                target_id=source.id, pattern=series.label(), copies=len(created),
                roles=len(duties),
            )
        return RepeatResult(source.title, tuple(created), skipped, len(duties) * len(created))


async def _exists(session: AsyncSession, source: Event, starts_at: datetime) -> bool:
    team_match = (
        Event.team_id.is_(None) if source.team_id is None else Event.team_id == source.team_id
    )
    found = await session.scalar(
        select(Event.id).where(
            Event.title == source.title, team_match, Event.starts_at == starts_at,
            Event.status != EventStatus.CANCELLED,
        )
    )
    return found is not None
