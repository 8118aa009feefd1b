"""An event's duties: the shifts that belong to it ("Registration desk, 4 places").

(On screen they are the event's "roles"; in code they are duties, so they never clash
with people's roles, `models.Role`.)

Why a window rather than "inside the event": setting up starts before the doors
open and tidying up ends after they close, so a duty may start up to
`EVENT_WINDOW` (one day) before the event starts and must end no later than
`EVENT_WINDOW` after it ends.  `within_event_window` is the only place that
rule lives: creating a shift, editing its time and repeating it all ask it.

Who may add a duty: someone who may manage shifts for the duty's team AND
either manages events (coordinators, admins) or leads the event's own team (a
lead staffs their team's events, never another team's or a campaign-wide one).

This module knows events only through `models.Event` (not `bot.services.events.events`),
so the shifts services can use it without an import cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.kinds import SHIFT_CHANGED, signup_cause
from bot.delivery.outbox import enqueue, replan
from bot.errors import Conflict, InvalidInput, NotFound
from bot.services.authz import Permission, can, is_team_scoped, refusal
from bot.services.people.members import Actor
from bot.services.people.skills import person_skill_ids
from bot.services.shifts.common import eligibility_filter, reminder_plan
from bot.services.shifts.parsing import MAX_SHIFT_LENGTH
from models import (
    Event,
    EventRsvp,
    EventStatus,
    Person,
    RsvpStatus,
    Shift,
    ShiftSignup,
    ShiftStatus,
)

EVENT_WINDOW = timedelta(days=1)
MAX_CARD_DUTIES = 10
MAX_OFFERS = 3


@dataclass(frozen=True, slots=True)
class DutyView:
    """One of the event's open shifts, as the card and the RSVP offer show it."""

    shift_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    taken: int
    capacity: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)


@dataclass(frozen=True, slots=True)
class EventSlot:
    """What the guided flow presets from the event: its team, time and place."""

    event_id: int
    title: str
    team_id: int | None
    place: str | None
    starts_at: datetime
    ends_at: datetime


def within_event_window(
    starts_at: datetime, ends_at: datetime, event_starts: datetime, event_ends: datetime
) -> bool:
    """The one rule: a duty starts at most a day before the event and ends at most a day after."""
    return starts_at >= event_starts - EVENT_WINDOW and ends_at <= event_ends + EVENT_WINDOW


def same_time_possible(slot: EventSlot, now: datetime) -> bool:
    """'Same time as the event' fits a shift only if the event has not begun and is ≤ 24 h."""
    return slot.starts_at > now and slot.ends_at - slot.starts_at <= MAX_SHIFT_LENGTH


def may_staff(actor: Actor, event_team_id: int | None) -> bool:
    """May this person add duties to an event of this team (None: campaign-wide)?"""
    if can(actor, Permission.MANAGE_EVENTS) and can(actor, Permission.MANAGE_SHIFTS):
        return True
    return (
        is_team_scoped(actor)
        and event_team_id is not None
        and can(actor, Permission.MANAGE_SHIFTS, event_team_id)
    )


async def staffable_event(
    session: AsyncSession, actor: Actor, event_id: int, now: datetime
) -> Event:
    """The event, if it is on, not over, and this person may add duties to it."""
    event = await session.get(Event, event_id)
    if event is None:
        raise NotFound("events.not_found", id=event_id)
    if not may_staff(actor, event.team_id):
        raise refusal(actor, Permission.MANAGE_SHIFTS, event.team_id)
    if event.status == EventStatus.CANCELLED:
        raise Conflict("events.is_cancelled", title=event.title)
    if event.ends_at <= now:
        raise Conflict("events.is_over", title=event.title)
    return event


def check_window(event: Event, starts_at: datetime, ends_at: datetime) -> None:
    if not within_event_window(starts_at, ends_at, event.starts_at, event.ends_at):
        raise InvalidInput("event_roles.outside_window", title=event.title)


def event_id_for_copy(event: Event | None, starts_at: datetime, ends_at: datetime) -> int | None:
    """A repeated shift keeps its event only while the copy still lies in the event's window."""
    if event is None or event.status == EventStatus.CANCELLED:
        return None
    if not within_event_window(starts_at, ends_at, event.starts_at, event.ends_at):
        return None
    return event.id


async def event_slot(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, event_id: int, *, now: datetime
) -> EventSlot:
    """Checks the card's "add a duty" button (who, which event, now) and returns the presets."""
    async with sessionmaker() as session:
        event = await staffable_event(session, actor, event_id, now)
        return EventSlot(
            event.id, event.title, event.team_id, event.place, event.starts_at, event.ends_at
        )


def _duty(shift: Shift) -> DutyView:
    return DutyView(
        shift.id, shift.title, shift.starts_at, shift.ends_at, shift.taken, shift.capacity
    )


async def duties_of(session: AsyncSession, event_id: int) -> tuple[DutyView, ...]:
    """The event's open shifts, soonest first (the card shows the first MAX_CARD_DUTIES)."""
    rows = await session.scalars(
        select(Shift)
        .where(Shift.event_id == event_id, Shift.status == ShiftStatus.OPEN)
        .order_by(Shift.starts_at, Shift.id)
        .limit(MAX_CARD_DUTIES + 1)
    )
    return tuple(_duty(s) for s in rows)


async def duties_offered(
    session: AsyncSession, actor: Actor, event_id: int, now: datetime
) -> tuple[DutyView, ...]:
    """Duties a person just going to the event could take: eligible, free, not begun, not theirs."""
    skills = await person_skill_ids(session, actor.person_id)
    mine = select(ShiftSignup.shift_id).where(ShiftSignup.person_id == actor.person_id)
    rows = await session.scalars(
        select(Shift)
        .where(
            Shift.event_id == event_id,
            Shift.status == ShiftStatus.OPEN,
            Shift.starts_at > now,
            Shift.taken < Shift.capacity,
            eligibility_filter(actor.team_ids, skills, Shift.team_id, Shift.skill_id),
            Shift.id.not_in(mine),
        )
        .order_by(Shift.starts_at, Shift.id)
        .limit(MAX_OFFERS)
    )
    return tuple(_duty(s) for s in rows)


async def move_duties(
    session: AsyncSession,
    event_id: int,
    by: timedelta,
    reminder_offsets: Sequence[int],
    now: datetime,
) -> int:
    """The event moved by `by`: its duties (not cancelled) move with it, keeping their place
    around it (setting up an hour before stays an hour before); everyone on them has their
    reminders planned anew for the new time (`outbox.replan`) and is told ("your shift
    changed: time").  Returns how many duties moved."""
    shifts = list(await session.scalars(
        select(Shift)
        .where(Shift.event_id == event_id, Shift.status != ShiftStatus.CANCELLED)
        .order_by(Shift.id)
        .with_for_update()
    ))
    for shift in shifts:
        shift.starts_at, shift.ends_at = shift.starts_at + by, shift.ends_at + by
        shift.updated_at = now
        people = (await session.execute(
            select(ShiftSignup.id, Person.id, Person.telegram_id)
            .join(Person, Person.id == ShiftSignup.person_id)
            .where(ShiftSignup.shift_id == shift.id)
            .order_by(ShiftSignup.id)
        )).all()
        for signup_id, person_id, telegram_id in people:
            await replan(session, signup_cause(signup_id), reminder_plan(
                reminder_offsets, signup_id, person_id, telegram_id, shift, now
            ))
        await enqueue(session, [
            SHIFT_CHANGED.message(
                chat_id=telegram_id, person_id=person_id, due_at=now,
                params={"shift_id": shift.id, "what": ["time"]}, shift_id=shift.id, stamp=now,
            )
            for _, person_id, telegram_id in people
        ])
    return len(shifts)


def duty_only(event_id: int) -> Select[Any]:
    """People holding one of the event's duties (not cancelled) without a Going answer: they
    are coming too (on the card's numbers, in the roster and in /summary)."""
    going = select(EventRsvp.person_id).where(
        EventRsvp.event_id == event_id, EventRsvp.status == RsvpStatus.GOING
    )
    return (
        select(ShiftSignup.person_id)
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(
            Shift.event_id == event_id,
            Shift.status != ShiftStatus.CANCELLED,
            ShiftSignup.person_id.not_in(going),
        )
        .distinct()
    )


def duty_only_pairs() -> Select[int | None, int]:
    """(event_id, person_id) of everyone on a role of an event (not cancelled) who did not
    answer Going to it: coming all the same (/summary counts them with the Going)."""
    going = (
        select(EventRsvp.id)
        .where(
            EventRsvp.event_id == Shift.event_id,
            EventRsvp.person_id == ShiftSignup.person_id,
            EventRsvp.status == RsvpStatus.GOING,
        )
        .exists()
    )
    return (
        select(Shift.event_id.label("event_id"), ShiftSignup.person_id.label("person_id"))
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(Shift.event_id.is_not(None), Shift.status != ShiftStatus.CANCELLED, ~going)
        .distinct()
    )
