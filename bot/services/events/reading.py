"""Events as plain data: one event's view for a person, the upcoming list, the counts.

What the cards, lists and outbox messages show is read here into frozen dataclasses
(`EventView`, `Counts`); the views layer words them.  The outbox renderers' questions
("is this row's event still on? is this answer still Going?") are answered here too,
so every renderer asks them the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import Conflict, NotFound
from bot.services.authz import Permission, require
from bot.services.events.duties import DutyView, duties_of, duty_only, may_staff
from bot.services.events.visibility import may_run, require_visible, visible_filter
from bot.services.people.members import Actor
from models import Event, EventRsvp, EventStatus, Person, RsvpStatus, Team

MAX_INVITE_TEAMS = 12


@dataclass(frozen=True, slots=True)
class Counts:
    going: int = 0
    maybe: int = 0
    declined: int = 0
    confirmed: int = 0
    unconfirmed: int = 0
    checked_in: int = 0
    no_shows: int = 0
    # Of `going`: people on one of the event's roles who did not answer Going themselves.
    on_duty: int = 0


@dataclass(frozen=True, slots=True)
class EventView:
    id: int
    title: str
    description: str | None
    place: str | None
    latitude: float | None
    longitude: float | None
    starts_at: datetime
    ends_at: datetime
    team_id: int | None
    team_name: str | None
    capacity: int | None
    going_count: int
    status: EventStatus
    counts: Counts = field(default_factory=Counts)
    my_status: RsvpStatus | None = None
    my_confirmed: bool = False
    my_checked_in: bool = False
    can_manage: bool = False
    # The event's open duty shifts ("Registration desk 3/4") and whether this person may add one.
    duties: tuple[DutyView, ...] = ()
    can_add_duties: bool = False

    @property
    def cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED

    @property
    def map_url(self) -> str | None:
        if self.latitude is None or self.longitude is None:
            return None
        return f"https://maps.google.com/?q={self.latitude:.6f},{self.longitude:.6f}"


@dataclass(frozen=True, slots=True)
class InviteChoices:
    """The event and the teams its invitation may go to (the event's own team first)."""

    event: EventView
    teams: tuple[tuple[int, str], ...]


@dataclass(frozen=True, slots=True)
class PersonRef:
    """Someone a message names (a tappable mention, a t.me link when they have a username)."""

    person_id: int
    telegram_id: int
    name: str
    username: str | None


async def load_event(session: AsyncSession, event_id: int) -> Event:
    event = await session.get(Event, event_id)
    if event is None:
        raise NotFound("events.not_found", id=event_id)
    return event


async def counts_for(session: AsyncSession, event_id: int) -> Counts:
    row = (
        await session.execute(
            select(
                func.count().filter(EventRsvp.status == RsvpStatus.GOING),
                func.count().filter(EventRsvp.status == RsvpStatus.MAYBE),
                func.count().filter(EventRsvp.status == RsvpStatus.DECLINED),
                func.count().filter(
                    EventRsvp.status == RsvpStatus.GOING, EventRsvp.confirmed_at.is_not(None)
                ),
                func.count().filter(EventRsvp.checked_in_at.is_not(None)),
                func.count().filter(EventRsvp.no_show.is_(True)),
            ).where(EventRsvp.event_id == event_id)
        )
    ).one()
    going, maybe, declined, confirmed, checked_in, no_shows = (int(v or 0) for v in row)
    on_duty = int(await session.scalar(
        select(func.count()).select_from(duty_only(event_id).subquery())
    ) or 0)
    return Counts(going + on_duty, maybe, declined, confirmed, going - confirmed, checked_in,
                  no_shows, on_duty)


async def _answer_of(session: AsyncSession, event_id: int, person_id: int) -> EventRsvp | None:
    return await session.scalar(
        select(EventRsvp).where(EventRsvp.event_id == event_id, EventRsvp.person_id == person_id)
    )


def _with_answer(view: EventView, rsvp: EventRsvp | None) -> EventView:
    if rsvp is None:
        return view
    return replace(
        view,
        my_status=rsvp.status,
        my_confirmed=rsvp.confirmed_at is not None,
        my_checked_in=rsvp.checked_in_at is not None,
    )


async def view_of(
    session: AsyncSession,
    event: Event,
    actor: Actor | None,
    *,
    with_counts: bool = True,
    with_duties: bool = True,
) -> EventView:
    team_name = None
    if event.team_id is not None:
        team = await session.get(Team, event.team_id)
        team_name = team.name if team else None
    view = EventView(
        id=event.id,
        title=event.title,
        description=event.description,
        place=event.place,
        latitude=event.latitude,
        longitude=event.longitude,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        team_id=event.team_id,
        team_name=team_name,
        capacity=event.capacity,
        going_count=event.going_count,
        status=event.status,
        counts=await counts_for(session, event.id) if with_counts else Counts(),
        can_manage=actor is not None and may_run(actor, event),
        duties=await duties_of(session, event.id) if with_duties else (),
        can_add_duties=actor is not None and may_staff(actor, event.team_id),
    )
    if actor is None:
        return view
    return _with_answer(view, await _answer_of(session, event.id, actor.person_id))


async def view_for_person(
    session: AsyncSession, event: Event, person: Person | None, *, with_duties: bool = False
) -> EventView:
    """The event as a message to `person` shows it (their answer, no manager tools)."""
    view = await view_of(session, event, None, with_counts=False, with_duties=with_duties)
    if person is None:
        return view
    return _with_answer(view, await _answer_of(session, event.id, person.id))


async def get_event(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, event_id: int
) -> EventView:
    async with sessionmaker() as session:
        event = await load_event(session, event_id)
        await require_visible(session, actor, event)
        return await view_of(session, event, actor)


async def upcoming_events(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, *, now: datetime, limit: int = 10
) -> list[EventView]:
    """Events not over yet that this person may see, soonest first."""
    async with sessionmaker() as session:
        query = (
            select(Event)
            .where(Event.status == EventStatus.SCHEDULED, Event.ends_at > now)
            .order_by(Event.starts_at, Event.id)
        )
        visible = visible_filter(actor)
        if visible is not None:
            query = query.where(visible)
        events = (await session.scalars(query.limit(limit))).all()
        return [
            await view_of(session, e, actor, with_counts=False, with_duties=False) for e in events
        ]


async def invite_choices(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, event_id: int
) -> InviteChoices:
    """The event and the teams its invitation may go to (the event's own team first)."""
    require(actor, Permission.MANAGE_EVENTS)
    async with sessionmaker() as session:
        event = await load_event(session, event_id)
        if event.status == EventStatus.CANCELLED:
            # The same refusal the send would give, before anyone picks an audience.
            raise Conflict("events.is_cancelled", title=event.title)
        rows = await session.execute(
            select(Team.id, Team.name).order_by(Team.name_key).limit(MAX_INVITE_TEAMS)
        )
        teams = sorted(((int(i), str(n)) for i, n in rows), key=lambda t: t[0] != event.team_id)
        view = await view_of(session, event, actor, with_counts=False)
        return InviteChoices(view, tuple(teams))


# ---- what the outbox renderers read at send time ---------------------------------------------
async def live_event(session: AsyncSession, event_id: int, now: datetime) -> Event | None:
    """The event if it is still on and has not begun (else its message is skipped)."""
    event = await session.get(Event, event_id)
    if event is None or event.status == EventStatus.CANCELLED or event.starts_at <= now:
        return None
    return event


async def still_going(session: AsyncSession, rsvp_id: int) -> bool:
    rsvp = await session.get(EventRsvp, rsvp_id)
    return rsvp is not None and rsvp.status == RsvpStatus.GOING


async def pending_confirmation(
    session: AsyncSession, event_id: int, rsvp_id: int, now: datetime
) -> Event | None:
    """The event whose confirmation this answer still owes (None: nothing to ask any more)."""
    event = await live_event(session, event_id, now)
    rsvp = await session.get(EventRsvp, rsvp_id)
    if event is None or rsvp is None or rsvp.status != RsvpStatus.GOING:
        return None
    return event if rsvp.confirmed_at is None else None


async def unconfirmed_people(session: AsyncSession, event_id: int) -> list[PersonRef]:
    """Going but not confirmed, by first name: the ones to phone."""
    people = await session.scalars(
        select(Person)
        .join(EventRsvp, EventRsvp.person_id == Person.id)
        .where(
            EventRsvp.event_id == event_id,
            EventRsvp.status == RsvpStatus.GOING,
            EventRsvp.confirmed_at.is_(None),
        )
        .order_by(Person.first_name, Person.id)
    )
    return [PersonRef(p.id, p.telegram_id, p.display_name, p.username) for p in people]
