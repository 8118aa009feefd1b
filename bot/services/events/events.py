"""Events: create, edit, cancel, invite, RSVP, and the messages each of those schedules.

Every message an RSVP makes necessary (reminders, the day-before confirmation,
its nudge) is written to the outbox in the RSVP's own transaction, with the
event's start time in its dedup key.  Moving the event withdraws the pending
rows and writes fresh ones for the new time (rather than shifting due times):
a reminder that already went out for the old time must be sent again for the
new one, and one whose new time is already past must not be sent at all.
Renderers re-check the state at send time and return None when the event has
begun or was cancelled, or the person no longer goes, so a late row is skipped.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery.audiences import audience, recipients
from bot.delivery.outbox import (
    PRIORITY_BULK,
    PRIORITY_INTERACTIVE,
    PRIORITY_REMINDER,
    NewMessage,
    cancel_cause,
    enqueue,
)
from bot.delivery.renderers import param, renderer
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.services import audit
from bot.services.authz import Permission, can, require
from bot.services.events.duties import (
    CB_EVENT_SHIFT,
    MAX_CARD_ROLES,
    RoleView,
    may_staff,
    roles_of,
    roles_offered,
)
from bot.services.people.members import Actor
from bot.services.shifts.plan import withdraw_shift
from bot.views.i18n import Html, escape
from bot.views.render import Button, Outgoing, Reader, truncate
from models import (
    Event,
    EventRsvp,
    EventStatus,
    Membership,
    OutboxMessage,
    OutboxStatus,
    Person,
    Role,
    RsvpStatus,
    Shift,
    ShiftStatus,
    Team,
)
from models.base import utcnow

MAX_TITLE = 200
MAX_PLACE = 200
MAX_DESCRIPTION = 2000
MAX_CAPACITY = 100_000

KIND_INVITE = "event.invite"
KIND_REMINDER = "event.reminder"
KIND_CONFIRM = "event.confirm"
KIND_NUDGE = "event.confirm_nudge"
KIND_ESCALATION = "event.escalation"
KIND_UPDATE = "event.update"
KIND_CANCELLED = "event.cancelled"
# Per-person rows withdrawn when that person stops going.
PERSON_KINDS = (KIND_REMINDER, KIND_CONFIRM, KIND_NUDGE)
# Rows tied to the event's time: rewritten when the time moves.
TIMED_KINDS = (*PERSON_KINDS, KIND_ESCALATION)

# Callback prefixes shared by handlers and the renderers that put buttons on messages.
CB_RSVP = "evr"  # evr:<g|m|d>:<event_id>
CB_EVENT = "evt"  # evt:<action>:<event_id>
CB_CONFIRM = "evc"  # evc:<y|n>:<rsvp_id>
RSVP_CODES = {"g": RsvpStatus.GOING, "m": RsvpStatus.MAYBE, "d": RsvpStatus.DECLINED}
RSVP_CODE_OF = {v: k for k, v in RSVP_CODES.items()}
RSVP_ICON = {RsvpStatus.GOING: "✅", RsvpStatus.MAYBE: "🤔", RsvpStatus.DECLINED: "❌"}

def event_cause(event_id: int) -> str:
    return f"event:{event_id}"


@dataclass(frozen=True, slots=True)
class Timing:
    """The settings that decide when event messages are due."""

    reminder_offsets_hours: tuple[int, ...] = (24, 2)
    confirmation_hours_before: int = 24
    nudge_after_hours: int = 6

    @classmethod
    def from_settings(cls, settings: Settings) -> Timing:
        return cls(
            tuple(settings.event_reminder_offsets_hours),
            settings.confirmation_hours_before,
            settings.confirmation_nudge_after_hours,
        )

    def confirm_at(self, starts_at: datetime) -> datetime:
        return starts_at - timedelta(hours=self.confirmation_hours_before)

    def escalate_at(self, starts_at: datetime) -> datetime:
        due = self.confirm_at(starts_at) + timedelta(hours=2 * self.nudge_after_hours)
        if due >= starts_at:  # settings that leave no room: halfway to the start
            due = self.confirm_at(starts_at) + (starts_at - self.confirm_at(starts_at)) / 2
        return due


@dataclass(frozen=True, slots=True)
class EventDraft:
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    team_id: int | None = None
    capacity: int | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Counts:
    going: int = 0
    maybe: int = 0
    declined: int = 0
    confirmed: int = 0
    unconfirmed: int = 0
    checked_in: int = 0
    no_shows: int = 0


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
    # The event's open shifts ("Registration desk 3/4") and whether this person may add one.
    roles: tuple[RoleView, ...] = ()
    can_add_roles: bool = False

    @property
    def cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED

    @property
    def map_url(self) -> str | None:
        if self.latitude is None or self.longitude is None:
            return None
        return f"https://maps.google.com/?q={self.latitude:.6f},{self.longitude:.6f}"


@dataclass(frozen=True, slots=True)
class RsvpResult:
    event: EventView
    status: RsvpStatus
    changed: bool
    # Going: the event's roles this person could take right now (claimed with the shift button).
    offers: tuple[RoleView, ...] = ()


# ---- parsing helpers used by handlers (pure) -------------------------------------------
_COORDS = re.compile(r"(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """`-6.2088, 106.8456` → (lat, lon); None when the text is not a coordinate pair."""
    match = _COORDS.fullmatch(text.strip())
    if not match:
        return None
    lat, lon = float(match[1]), float(match[2])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def split_place(text: str) -> tuple[str | None, tuple[float, float] | None]:
    """`GOR Senayan @ -6.21,106.80` → ("GOR Senayan", (-6.21, 106.8)); either part optional."""
    name, sep, coords = text.rpartition("@")
    if sep:
        found = parse_coordinates(coords)
        if found is not None:
            return (name.strip() or None), found
    found = parse_coordinates(text)
    if found is not None:
        return None, found
    return (text.strip() or None), None


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (accurate to well under a metre at event scale)."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def validate_draft(draft: EventDraft, now: datetime) -> EventDraft:
    title = " ".join(draft.title.split())
    if not title:
        raise InvalidInput("events.title_empty")
    if len(title) > MAX_TITLE:
        raise InvalidInput("events.title_too_long", max=MAX_TITLE)
    if draft.starts_at <= now:
        raise InvalidInput("events.start_in_past")
    if draft.ends_at <= draft.starts_at:
        raise InvalidInput("events.end_before_start")
    if draft.ends_at - draft.starts_at > timedelta(days=14):
        raise InvalidInput("events.too_long")
    place = " ".join((draft.place or "").split()) or None
    if place and len(place) > MAX_PLACE:
        raise InvalidInput("events.place_too_long", max=MAX_PLACE)
    if draft.capacity is not None and not 0 < draft.capacity <= MAX_CAPACITY:
        raise InvalidInput("events.bad_capacity", max=MAX_CAPACITY)
    description = (draft.description or "").strip()[:MAX_DESCRIPTION] or None
    return replace(draft, title=title, place=place, description=description)


# ---- reading ---------------------------------------------------------------------------
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
    return Counts(going, maybe, declined, confirmed, going - confirmed, checked_in, no_shows)


def may_manage(actor: Actor, event: Event) -> bool:
    return can(actor, Permission.MANAGE_EVENTS)


def may_check_in_others(actor: Actor, event: Event) -> bool:
    if can(actor, Permission.MANAGE_EVENTS):
        return True
    if event.team_id is None:
        return can(actor, Permission.CHECK_IN_OTHERS)
    return can(actor, Permission.CHECK_IN_OTHERS, event.team_id)


async def view_of(
    session: AsyncSession,
    event: Event,
    actor: Actor | None,
    *,
    with_counts: bool = True,
    with_roles: bool = True,
) -> EventView:
    team_name = None
    if event.team_id is not None:
        team = await session.get(Team, event.team_id)
        team_name = team.name if team else None
    mine = None
    if actor is not None:
        mine = await session.scalar(
            select(EventRsvp).where(
                EventRsvp.event_id == event.id, EventRsvp.person_id == actor.person_id
            )
        )
    manage = actor is not None and (may_manage(actor, event) or may_check_in_others(actor, event))
    counts = await counts_for(session, event.id) if with_counts else Counts()
    return EventView(
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
        counts=counts,
        my_status=mine.status if mine else None,
        my_confirmed=bool(mine and mine.confirmed_at),
        my_checked_in=bool(mine and mine.checked_in_at),
        can_manage=manage,
        roles=await roles_of(session, event.id) if with_roles else (),
        can_add_roles=actor is not None and may_staff(actor, event.team_id),
    )


async def _may_see(session: AsyncSession, actor: Actor, event: Event) -> bool:
    """Team events are for their team, people who were invited, and managers."""
    if event.team_id is None or event.team_id in actor.team_ids:
        return True
    if may_manage(actor, event) or may_check_in_others(actor, event):
        return True
    invited = await session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.dedup_key == f"ev.inv:{event.id}:{actor.person_id}"
        )
    )
    has_rsvp = await session.scalar(
        select(EventRsvp.id).where(
            EventRsvp.event_id == event.id, EventRsvp.person_id == actor.person_id
        )
    )
    return invited is not None or has_rsvp is not None


async def get_event(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, event_id: int
) -> EventView:
    async with sessionmaker() as session:
        event = await load_event(session, event_id)
        if not await _may_see(session, actor, event):
            raise NotFound("events.not_found", id=event_id)
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
        if not (can(actor, Permission.MANAGE_EVENTS) or actor.role == Role.LEAD):
            mine = select(EventRsvp.event_id).where(EventRsvp.person_id == actor.person_id)
            query = query.where(
                or_(
                    Event.team_id.is_(None),
                    Event.team_id.in_(list(actor.team_ids) or [-1]),
                    Event.id.in_(mine),
                )
            )
        events = (await session.scalars(query.limit(limit))).all()
        return [
            await view_of(session, e, actor, with_counts=False, with_roles=False) for e in events
        ]


# ---- scheduling ------------------------------------------------------------------------
def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def plan_rsvp_messages(
    event: Event, rsvp: EventRsvp, chat_id: int, timing: Timing, now: datetime
) -> list[NewMessage]:
    """The reminders, confirmation and nudge one Going answer needs, from now on."""
    start, epoch, cause = event.starts_at, _epoch(event.starts_at), event_cause(event.id)
    common: dict[str, Any] = {"chat_id": chat_id, "person_id": rsvp.person_id, "cause": cause}
    params = {"event_id": event.id, "rsvp_id": rsvp.id}
    out: list[NewMessage] = []
    for hours in timing.reminder_offsets_hours:
        due = start - timedelta(hours=hours)
        if due > now:
            out.append(
                NewMessage(
                    kind=KIND_REMINDER,
                    dedup_key=f"ev.rem:{rsvp.id}:{hours}:{epoch}",
                    due_at=due,
                    params={**params, "hours": hours},
                    priority=PRIORITY_REMINDER,
                    urgent=hours <= 2,
                    **common,
                )
            )
    if rsvp.confirmed_at is None:
        confirm_due = max(timing.confirm_at(start), now)
        nudge_due = confirm_due + timedelta(hours=timing.nudge_after_hours)
        if confirm_due < start:
            out.append(
                NewMessage(
                    kind=KIND_CONFIRM,
                    dedup_key=f"ev.cf:{rsvp.id}:{epoch}",
                    due_at=confirm_due,
                    params=params,
                    **common,
                )
            )
        if nudge_due < start:
            out.append(
                NewMessage(
                    kind=KIND_NUDGE,
                    dedup_key=f"ev.nudge:{rsvp.id}:{epoch}",
                    due_at=nudge_due,
                    params=params,
                    **common,
                )
            )
    return out


async def _escalation_targets(session: AsyncSession, event: Event) -> list[tuple[int, int]]:
    """(person id, telegram id) of who hears about the unconfirmed: creator and team leads."""
    ids: set[int] = set()
    if event.created_by_id is not None:
        ids.add(event.created_by_id)
    if event.team_id is not None:
        leads = await session.scalars(
            select(Membership.person_id).where(
                Membership.team_id == event.team_id, Membership.is_lead.is_(True)
            )
        )
        ids.update(leads)
    if not ids:
        return []
    rows = await session.execute(
        select(Person.id, Person.telegram_id).where(Person.id.in_(ids)).order_by(Person.id)
    )
    return [(int(p), int(t)) for p, t in rows]


async def _schedule_escalation(
    session: AsyncSession, event: Event, timing: Timing, now: datetime
) -> None:
    due = timing.escalate_at(event.starts_at)
    if due <= now:
        return
    epoch = _epoch(event.starts_at)
    await enqueue(
        session,
        [
            NewMessage(
                kind=KIND_ESCALATION,
                chat_id=tg,
                person_id=pid,
                dedup_key=f"ev.esc:{event.id}:{pid}:{epoch}",
                due_at=due,
                params={"event_id": event.id},
                cause=event_cause(event.id),
                priority=PRIORITY_INTERACTIVE,
            )
            for pid, tg in await _escalation_targets(session, event)
        ],
    )


async def withdraw_person_messages(session: AsyncSession, event_id: int, person_id: int) -> int:
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.cause == event_cause(event_id),
            OutboxMessage.person_id == person_id,
            OutboxMessage.kind.in_(PERSON_KINDS),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.CANCELLED, updated_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _reschedule_all(
    session: AsyncSession, event: Event, timing: Timing, now: datetime
) -> None:
    """The event's time moved: withdraw the timed rows and write them for the new time."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.cause == event_cause(event.id),
            OutboxMessage.kind.in_(TIMED_KINDS),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.CANCELLED, updated_at=utcnow())
    )
    rows = await session.execute(
        select(EventRsvp, Person.telegram_id)
        .join(Person, Person.id == EventRsvp.person_id)
        .where(EventRsvp.event_id == event.id, EventRsvp.status == RsvpStatus.GOING)
    )
    messages: list[NewMessage] = []
    for rsvp, tg in rows:
        messages += plan_rsvp_messages(event, rsvp, tg, timing, now)
    await enqueue(session, messages)
    await _schedule_escalation(session, event, timing, now)


async def _attendee_chats(session: AsyncSession, event_id: int) -> list[tuple[int, int, int]]:
    """(rsvp id, person id, telegram id) of everyone Going or Maybe."""
    rows = await session.execute(
        select(EventRsvp.id, Person.id, Person.telegram_id)
        .join(Person, Person.id == EventRsvp.person_id)
        .where(
            EventRsvp.event_id == event_id,
            EventRsvp.status.in_((RsvpStatus.GOING, RsvpStatus.MAYBE)),
        )
        .order_by(EventRsvp.id)
    )
    return [(int(r), int(p), int(t)) for r, p, t in rows]


# ---- use cases -------------------------------------------------------------------------
async def create_event(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    draft: EventDraft,
    *,
    timing: Timing,
    now: datetime,
) -> EventView:
    require(actor, Permission.MANAGE_EVENTS)
    draft = validate_draft(draft, now)
    async with sessionmaker.begin() as session:
        if draft.team_id is not None and await session.get(Team, draft.team_id) is None:
            raise NotFound("team.not_found", name=str(draft.team_id))
        event = Event(
            title=draft.title,
            description=draft.description,
            place=draft.place,
            latitude=draft.latitude,
            longitude=draft.longitude,
            starts_at=draft.starts_at,
            ends_at=draft.ends_at,
            team_id=draft.team_id,
            capacity=draft.capacity,
            going_count=0,
            status=EventStatus.SCHEDULED,
            checkin_token=secrets.token_urlsafe(12),
            created_by_id=actor.person_id,
            created_at=now,
            updated_at=now,
        )
        session.add(event)
        await session.flush()
        await _schedule_escalation(session, event, timing, now)
        audit.record(
            session,
            action="event.create",
            actor_id=actor.person_id,
            target_type="event",
            target_id=event.id,
            title=event.title,
        )
        # Posted to the team's linked groups in this same transaction (issue #15).
        from bot.services.reach.groups import (
            post_new_event,  # groups imports this module lazily too
        )

        await post_new_event(session, event, now)
        return await view_of(session, event, actor)


EDITABLE = ("title", "start", "end", "place", "capacity", "description")


async def edit_event(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    event_id: int,
    changes: dict[str, Any],
    *,
    timing: Timing,
    now: datetime,
) -> tuple[EventView, int]:
    """Applies changes (keys of EDITABLE plus latitude/longitude); returns (view, told)."""
    require(actor, Permission.MANAGE_EVENTS)
    async with sessionmaker.begin() as session:
        event = await load_event(session, event_id)
        if event.status == EventStatus.CANCELLED:
            raise Conflict("events.is_cancelled", title=event.title)
        if event.ends_at <= now:
            raise Conflict("events.is_over", title=event.title)
        before: dict[str, Any] = {
            "title": event.title,
            "starts_at": event.starts_at,
            "ends_at": event.ends_at,
            "place": event.place,
        }
        start = changes.get("start", event.starts_at)
        end = changes.get("end")
        if end is None:
            # Moving the start keeps the length, as a calendar does.
            end = start + (event.ends_at - event.starts_at) if "start" in changes else event.ends_at
        draft = validate_draft(
            EventDraft(
                title=changes.get("title", event.title),
                starts_at=start,
                ends_at=end,
                place=changes.get("place", event.place),
                latitude=changes.get("latitude", event.latitude),
                longitude=changes.get("longitude", event.longitude),
                team_id=event.team_id,
                capacity=changes.get("capacity", event.capacity),
                description=changes.get("description", event.description),
            ),
            # Leaving the start alone on an event that began is fine; moving it into the past not.
            now if "start" in changes else min(now, event.starts_at - timedelta(seconds=1)),
        )
        if draft.capacity is not None and draft.capacity < event.going_count:
            raise InvalidInput("events.capacity_below_going", going=event.going_count)
        event.title, event.place, event.description = draft.title, draft.place, draft.description
        event.latitude, event.longitude = draft.latitude, draft.longitude
        event.starts_at, event.ends_at = draft.starts_at, draft.ends_at
        event.capacity = draft.capacity
        event.updated_at = now
        moved = before["starts_at"] != event.starts_at
        if moved:
            await _reschedule_all(session, event, timing, now)
        diff: dict[str, Any] = {}
        if before["title"] != event.title:
            diff["title"] = before["title"]
        if moved or before["ends_at"] != event.ends_at:
            diff["starts_at"] = before["starts_at"].isoformat()
            diff["ends_at"] = before["ends_at"].isoformat()
        if before["place"] != event.place or "latitude" in changes:
            diff["place"] = before["place"] or ""
        told = 0
        if diff:
            stamp = _epoch(now)
            attendees = await _attendee_chats(session, event.id)
            told = await enqueue(
                session,
                [
                    NewMessage(
                        kind=KIND_UPDATE,
                        chat_id=tg,
                        person_id=pid,
                        dedup_key=f"ev.upd:{event.id}:{rid}:{stamp}",
                        due_at=now,
                        params={"event_id": event.id, "before": diff},
                        cause=event_cause(event.id),
                        priority=PRIORITY_INTERACTIVE,
                    )
                    for rid, pid, tg in attendees
                ],
            )
        audit.record(
            session,
            action="event.edit",
            actor_id=actor.person_id,
            target_type="event",
            target_id=event.id,
            fields=sorted(changes),
        )
        return await view_of(session, event, actor), told


async def cancel_event(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, event_id: int, *, now: datetime
) -> tuple[EventView, int]:
    """Cancels the event, withdraws every pending message of it and tells the attendees."""
    require(actor, Permission.MANAGE_EVENTS)
    async with sessionmaker.begin() as session:
        event = await load_event(session, event_id)
        if event.status == EventStatus.CANCELLED:
            raise Conflict("events.is_cancelled", title=event.title)
        if event.ends_at <= now:
            raise Conflict("events.is_over", title=event.title)
        event.status = EventStatus.CANCELLED
        event.cancelled_at = now
        await cancel_cause(session, event_cause(event.id))
        # The event's shifts go with it: no reminder for a shift at a cancelled event.
        event_shifts = await session.scalars(
            select(Shift).where(Shift.event_id == event.id, Shift.status != ShiftStatus.CANCELLED)
        )
        for shift in list(event_shifts):
            await withdraw_shift(session, shift, now)
        told = await enqueue(
            session,
            [
                NewMessage(
                    kind=KIND_CANCELLED,
                    chat_id=tg,
                    person_id=pid,
                    dedup_key=f"ev.cxl:{event.id}:{rid}",
                    due_at=now,
                    params={"event_id": event.id},
                    # No cause: cancelling the cause above must not withdraw this notice.
                    priority=PRIORITY_INTERACTIVE,
                    urgent=True,
                )
                for rid, pid, tg in await _attendee_chats(session, event.id)
            ],
        )
        audit.record(
            session,
            action="event.cancel",
            actor_id=actor.person_id,
            target_type="event",
            target_id=event.id,
        )
        return await view_of(session, event, actor), told


async def invite_audience(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    event_id: int,
    audience_key: str,
    *,
    now: datetime,
) -> int:
    """Announces the event with RSVP buttons to an audience; returns how many were queued."""
    async with sessionmaker.begin() as session:
        event = await load_event(session, event_id)
        team_id = int(audience_key.split(":", 1)[1]) if audience_key.startswith("team:") else None
        if not can(actor, Permission.MANAGE_EVENTS):
            # Leads may announce their own team's events to their own team.
            require(actor, Permission.BROADCAST, team_id or -1)
            if event.team_id != team_id:
                raise NotAllowed(permission=Permission.MANAGE_EVENTS.value)
        if event.status == EventStatus.CANCELLED:
            raise Conflict("events.is_cancelled", title=event.title)
        if event.starts_at <= now:
            raise Conflict("events.is_over", title=event.title)
        try:
            people = (await session.execute(await recipients(session, audience_key)))
        except (KeyError, ValueError):
            raise InvalidInput("events.bad_audience") from None
        answered = set(
            await session.scalars(select(EventRsvp.person_id).where(EventRsvp.event_id == event.id))
        )
        count = await enqueue(
            session,
            [
                NewMessage(
                    kind=KIND_INVITE,
                    chat_id=tg,
                    person_id=pid,
                    dedup_key=f"ev.inv:{event.id}:{pid}",
                    due_at=now,
                    params={"event_id": event.id},
                    cause=event_cause(event.id),
                    priority=PRIORITY_BULK,
                )
                for pid, tg in people
                if pid not in answered
            ],
        )
        audit.record(
            session,
            action="event.invite",
            actor_id=actor.person_id,
            target_type="event",
            target_id=event.id,
            audience=audience_key,
            queued=count,
        )
        return count


async def set_rsvp(
    session: AsyncSession,
    event: Event,
    person: Person,
    status: RsvpStatus,
    *,
    timing: Timing,
    now: datetime,
    force: bool = False,
) -> tuple[EventRsvp, bool]:
    """Writes one person's answer, taking or freeing a place; never commits.

    `force` lets a check-in at the door take a place even when the event is full.
    """
    rsvp = await session.scalar(
        select(EventRsvp).where(EventRsvp.event_id == event.id, EventRsvp.person_id == person.id)
    )
    old = rsvp.status if rsvp else None
    if old == status:
        return rsvp, False  # type: ignore[return-value]
    if status == RsvpStatus.GOING:
        room = or_(Event.capacity.is_(None), Event.going_count < Event.capacity)
        took = await session.execute(
            update(Event)
            .where(Event.id == event.id, *(() if force else (room,)))
            .values(going_count=Event.going_count + 1)
            .execution_options(synchronize_session=False)
        )
        if not took.rowcount:  # type: ignore[attr-defined]
            raise Conflict("events.full", title=event.title)
    elif old == RsvpStatus.GOING:
        await session.execute(
            update(Event)
            .where(Event.id == event.id, Event.going_count > 0)
            .values(going_count=Event.going_count - 1)
            .execution_options(synchronize_session=False)
        )
    if rsvp is None:
        rsvp = EventRsvp(event_id=event.id, person_id=person.id, status=status, no_show=False)
        session.add(rsvp)
    rsvp.status, rsvp.responded_at = status, now
    if status == RsvpStatus.GOING:
        # A yes inside the confirmation window is as fresh as a confirmation.
        rsvp.confirmed_at = now if now >= timing.confirm_at(event.starts_at) else None
    else:
        rsvp.confirmed_at = None
    await session.flush()
    if status == RsvpStatus.GOING:
        await enqueue(session, plan_rsvp_messages(event, rsvp, person.telegram_id, timing, now))
    elif old == RsvpStatus.GOING:
        await withdraw_person_messages(session, event.id, person.id)
    return rsvp, True


async def rsvp(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    event_id: int,
    status: RsvpStatus,
    *,
    timing: Timing,
    now: datetime,
) -> RsvpResult:
    require(actor, Permission.VOLUNTEER)
    async with sessionmaker.begin() as session:
        event = await load_event(session, event_id)
        # Visibility first: a forged button must not learn a hidden event's title or state.
        if not await _may_see(session, actor, event):
            raise NotFound("events.not_found", id=event_id)
        if event.status == EventStatus.CANCELLED:
            raise Conflict("events.rsvp_cancelled", title=event.title)
        if event.starts_at <= now:
            raise Conflict("events.rsvp_past", title=event.title)
        person = await session.get(Person, actor.person_id)
        assert person is not None
        _, changed = await set_rsvp(session, event, person, status, timing=timing, now=now)
        if changed:
            audit.record(
                session,
                action="event.rsvp",
                actor_id=actor.person_id,
                target_type="event",
                target_id=event.id,
                status=status.value,
            )
        await session.refresh(event)
        offers = (
            await roles_offered(session, actor, event.id, now)
            if status == RsvpStatus.GOING
            else ()
        )
        return RsvpResult(await view_of(session, event, actor), status, changed, offers)


# ---- audiences -------------------------------------------------------------------------
async def _event_choices(session: AsyncSession, actor: Actor) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(Event.id, Event.title)
        .where(Event.status == EventStatus.SCHEDULED, Event.ends_at > utcnow())
        .order_by(Event.starts_at)
        .limit(20)
    )
    return [(str(i), truncate(t, 40)) for i, t in rows]


def _event_arg(arg: str | None) -> int:
    if not arg or not arg.isdigit():
        raise ValueError("an event audience needs an event id")
    return int(arg)


@audience("event", label_key="events.audience_event", choices=_event_choices)
async def event_attendees(session: AsyncSession, arg: str | None) -> Select[Any]:
    """Everyone Going to the event."""
    return select(EventRsvp.person_id).where(
        EventRsvp.event_id == _event_arg(arg), EventRsvp.status == RsvpStatus.GOING
    )


@audience("event_unconfirmed", label_key="events.audience_unconfirmed", choices=_event_choices)
async def event_unconfirmed(session: AsyncSession, arg: str | None) -> Select[Any]:
    """Going, but not confirmed yet: the ones to phone."""
    return select(EventRsvp.person_id).where(
        EventRsvp.event_id == _event_arg(arg),
        EventRsvp.status == RsvpStatus.GOING,
        EventRsvp.confirmed_at.is_(None),
    )


# ---- rendering -------------------------------------------------------------------------
def card_lines(view: EventView, reader: Reader, *, for_manager: bool = False) -> list[str]:
    """The event card as HTML lines: what, when, where, who; counts for managers."""
    lines = [reader.t("events.card_title", title=view.title, id=view.id)]
    if view.cancelled:
        lines.append(reader.t("events.card_cancelled"))
    lines.append(reader.t("events.card_when", when=reader.time_range(view.starts_at, view.ends_at)))
    if view.place:
        lines.append(reader.t("events.card_place", place=view.place))
    if view.map_url:
        lines.append(reader.t("events.card_map", url=view.map_url))
    audience_text = view.team_name or reader.t("events.everyone")
    lines.append(reader.t("events.card_for", audience=audience_text))
    if view.capacity:
        lines.append(
            reader.t("events.card_capacity", going=view.going_count, capacity=view.capacity)
        )
    if view.roles:
        lines.append(role_line(view.roles, reader))
    if view.description:
        lines.append(escape(view.description))
    if view.my_status is not None:
        answer = reader.t(f"events.answer_{view.my_status.value}")
        if view.my_status == RsvpStatus.GOING and view.my_confirmed:
            answer += " · " + reader.t("events.answer_confirmed")
        if view.my_checked_in:
            answer += " · " + reader.t("events.answer_checked_in")
        lines.append(reader.t("events.card_mine", answer=Html(answer)))
    if for_manager:
        c = view.counts
        lines.append(
            reader.t(
                "events.card_counts",
                going=c.going,
                confirmed=c.confirmed,
                unconfirmed=c.unconfirmed,
                maybe=c.maybe,
                declined=c.declined,
                checked_in=c.checked_in,
                no_shows=c.no_shows,
            )
        )
    return lines


def role_line(roles: Sequence[RoleView], reader: Reader) -> str:
    """"Roles: Registration desk 3/4 · Security 2/2" (the first MAX_CARD_ROLES, then "…")."""
    parts = [
        reader.t("event_roles.card_role", title=truncate(r.title, 40), taken=r.taken,
                 capacity=r.capacity)
        for r in roles[:MAX_CARD_ROLES]
    ]
    if len(roles) > MAX_CARD_ROLES:
        parts.append("…")
    return reader.t("event_roles.card_roles", roles=Html(" · ".join(parts)))


def rsvp_buttons(view: EventView, reader: Reader) -> list[list[Button]]:
    row = []
    for status in (RsvpStatus.GOING, RsvpStatus.MAYBE, RsvpStatus.DECLINED):
        label = reader.plain(f"events.btn_{status.value}")
        if view.my_status == status:
            label = "• " + label
        row.append(Button(label, f"{CB_RSVP}:{RSVP_CODE_OF[status]}:{view.id}"))
    rows: list[list[Button]] = [row]
    extra = [Button(reader.t("events.btn_ics"), f"{CB_EVENT}:ics:{view.id}")]
    if view.map_url:
        extra.append(Button(reader.t("events.btn_map"), url=view.map_url))
    rows.append(extra)
    if view.map_url and view.my_status == RsvpStatus.GOING and not view.my_checked_in:
        rows.append([Button(reader.t("events.btn_location_checkin"), f"{CB_EVENT}:loc:{view.id}")])
    return rows


def manager_buttons(view: EventView, reader: Reader) -> list[list[Button]]:
    e = view.id
    rows = [
        [
            Button(reader.t("events.btn_invite"), f"{CB_EVENT}:inv:{e}"),
            Button(reader.t("events.btn_qr"), f"{CB_EVENT}:qr:{e}"),
        ],
        [
            Button(reader.t("events.btn_checkin_list"), f"{CB_EVENT}:cil:{e}"),
            Button(reader.t("events.btn_roster"), f"{CB_EVENT}:csv:{e}"),
        ],
        [
            Button(reader.t("events.btn_edit"), f"{CB_EVENT}:ed:{e}"),
            Button(reader.t("events.btn_cancel"), f"{CB_EVENT}:x:{e}"),
        ],
    ]
    if view.can_add_roles:
        rows.append([Button(reader.t("event_roles.btn_add"), f"{CB_EVENT_SHIFT}:n:{e}")])
    return rows


def card_keyboard(view: EventView, reader: Reader) -> list[list[Button]]:
    rows: list[list[Button]] = []
    if not view.cancelled:
        rows += rsvp_buttons(view, reader)
    if view.can_manage and not view.cancelled:
        rows += manager_buttons(view, reader)
    return rows


async def _live_event(session: AsyncSession, row: OutboxMessage, now: datetime) -> Event | None:
    """The row's event if it is still on and has not begun (else the row is skipped)."""
    event = await session.get(Event, int(param(row, "event_id", 0)))
    if event is None or event.status == EventStatus.CANCELLED or event.starts_at <= now:
        return None
    return event


async def _rsvp_still_going(session: AsyncSession, row: OutboxMessage) -> EventRsvp | None:
    rsvp_row = await session.get(EventRsvp, int(param(row, "rsvp_id", 0)))
    if rsvp_row is None or rsvp_row.status != RsvpStatus.GOING:
        return None
    return rsvp_row


def _with_answer(view: EventView, rsvp_row: EventRsvp | None) -> EventView:
    if rsvp_row is None:
        return view
    return replace(
        view,
        my_status=rsvp_row.status,
        my_confirmed=rsvp_row.confirmed_at is not None,
        my_checked_in=rsvp_row.checked_in_at is not None,
    )


async def view_for_person(
    session: AsyncSession, event: Event, person: Person | None, *, with_roles: bool = False
) -> EventView:
    view = await view_of(session, event, None, with_counts=False, with_roles=with_roles)
    if person is None:
        return view
    mine = await session.scalar(
        select(EventRsvp).where(EventRsvp.event_id == event.id, EventRsvp.person_id == person.id)
    )
    return _with_answer(view, mine)


@renderer(KIND_INVITE)
async def render_invite(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    event = await _live_event(session, row, reader.now)
    if event is None:
        return None
    # The invitation shows the roles ("Registration desk 0/4") so people see where to help.
    view = await view_for_person(session, event, person, with_roles=True)
    lines = [reader.t("events.invite_intro"), *card_lines(view, reader)]
    return Outgoing("\n".join(lines), rsvp_buttons(view, reader))


@renderer(KIND_REMINDER)
async def render_reminder(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    event = await _live_event(session, row, reader.now)
    if event is None or await _rsvp_still_going(session, row) is None:
        return None
    view = await view_for_person(session, event, person)
    head = reader.t(
        "events.reminder",
        title=view.title,
        when=reader.time_range(view.starts_at, view.ends_at),
        place=view.place or reader.t("events.no_place"),
    )
    keyboard: list[list[Button]] = []
    if view.map_url:
        keyboard.append([Button(reader.t("events.btn_map"), url=view.map_url)])
    keyboard.append([Button(reader.t("events.btn_cant_come"), f"{CB_RSVP}:d:{view.id}")])
    return Outgoing(head, keyboard)


@renderer(KIND_UPDATE)
async def render_update(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    event = await _live_event(session, row, reader.now)
    if event is None:
        return None
    before: dict[str, Any] = param(row, "before", {}) or {}
    lines = [reader.t("events.updated", title=event.title)]
    if "title" in before:
        lines.append(reader.t("events.changed_title", old=before["title"], new=event.title))
    if "starts_at" in before:
        old = reader.time_range(
            datetime.fromisoformat(before["starts_at"]), datetime.fromisoformat(before["ends_at"])
        )
        new = reader.time_range(event.starts_at, event.ends_at)
        lines.append(reader.t("events.changed_time", old=old, new=new))
    if "place" in before:
        lines.append(
            reader.t(
                "events.changed_place",
                old=before["place"] or reader.t("events.no_place"),
                new=event.place or reader.t("events.no_place"),
            )
        )
    view = await view_for_person(session, event, person)
    return Outgoing("\n".join(lines), rsvp_buttons(view, reader))


@renderer(KIND_CANCELLED)
async def render_cancelled(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    event = await session.get(Event, int(param(row, "event_id", 0)))
    if event is None:
        return None
    return Outgoing(
        reader.t(
            "events.cancelled_notice",
            title=event.title,
            when=reader.time_range(event.starts_at, event.ends_at),
        )
    )


def answer_label(reader: Reader, status: RsvpStatus | None) -> str:
    if status is None:
        return reader.t("events.answer_none")
    return RSVP_ICON[status] + " " + reader.t(f"events.answer_{status.value}")


def list_lines(views: Sequence[EventView], reader: Reader) -> list[str]:
    lines = [reader.t("events.list_title")]
    for n, v in enumerate(views, 1):
        lines.append(
            reader.t(
                "events.list_line",
                n=n,
                title=v.title,
                when=reader.time_range(v.starts_at, v.ends_at),
                answer=answer_label(reader, v.my_status),
            )
        )
    return lines


async def invite_choices(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, event_id: int
) -> tuple[EventView, list[tuple[int, str]]]:
    """The event and the teams its invitation may go to (the event's own team first)."""
    require(actor, Permission.MANAGE_EVENTS)
    async with sessionmaker() as session:
        event = await load_event(session, event_id)
        if event.status == EventStatus.CANCELLED:
            # The same refusal the send would give, before anyone picks an audience.
            raise Conflict("events.is_cancelled", title=event.title)
        teams = [
            (int(i), str(n))
            for i, n in (
                await session.execute(select(Team.id, Team.name).order_by(Team.name_key).limit(12))
            )
        ]
        teams.sort(key=lambda t: t[0] != event.team_id)
        return await view_of(session, event, actor, with_counts=False), teams
