"""Event use cases: create, edit, cancel, invite, RSVP.

Each opens one transaction, checks who may do it and the event's rules
(`drafts`), writes, plans the messages the change makes necessary (`messages`,
through the outbox API) and returns plain data (`reading.EventView`).  The rules
of what an event may be live in `drafts`, who may see one in `visibility`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.services import audit
from bot.services.authz import Permission, can, require
from bot.services.broadcasts.catalog import recipients
from bot.services.events.drafts import EventDraft, validate_draft
from bot.services.events.duties import DutyView, duties_offered, move_duties
from bot.services.events.messages import (
    Timing,
    plan_escalation,
    plan_rsvp,
    replan_all,
    send_invitations,
    sent_invitations,
    tell_cancelled,
    tell_update,
    withdraw_all,
    withdraw_rsvp,
)
from bot.services.events.reading import EventView, load_event, view_of
from bot.services.events.visibility import require_visible
from bot.services.flows import FlowKey, close_flow
from bot.services.people.members import Actor
from bot.services.shifts.plan import withdraw_shift
from models import (
    Event,
    EventInvitation,
    EventRsvp,
    EventStatus,
    Person,
    RsvpStatus,
    Shift,
    ShiftStatus,
    Team,
)

__all__ = [
    "EDITABLE", "EventDraft", "EventView", "Invited", "RsvpResult", "Timing", "cancel_event",
    "create_event", "edit_event", "invite_audience", "rsvp", "set_rsvp",
]

EDITABLE = ("title", "start", "end", "place", "capacity", "description")


@dataclass(frozen=True, slots=True)
class RsvpResult:
    event: EventView
    status: RsvpStatus
    changed: bool
    # Going: the event's duties this person could take right now (claimed with the shift button).
    offers: tuple[DutyView, ...] = ()


class Edited(NamedTuple):
    """The edited event, how many attendees were queued a "what changed" message, and how
    many of its duties moved with it (their people told)."""

    event: EventView
    told: int
    duties_moved: int = 0


# ---- create ------------------------------------------------------------------------------------
async def create_event(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    draft: EventDraft,
    *,
    timing: Timing,
    now: datetime,
    flow: FlowKey | None = None,
) -> EventView:
    """Writes the event and its escalation plan; `flow`: the guided flow this ends, in the
    same transaction (a second "last answer" finds it gone and writes nothing)."""
    require(actor, Permission.MANAGE_EVENTS)
    draft = validate_draft(draft, now)
    async with sessionmaker.begin() as session:
        if flow is not None:
            await close_flow(session, flow)
        if draft.team_id is not None and await session.get(Team, draft.team_id) is None:
            raise NotFound("team.not_found", name=str(draft.team_id))
        event = await insert_event(session, actor, draft, timing=timing, now=now)
        return await view_of(session, event, actor)


async def insert_event(
    session: AsyncSession, actor: Actor, draft: EventDraft, *, timing: Timing, now: datetime
) -> Event:
    """A checked draft written with everything a new event brings (its escalation plan, the
    audit, the post in the team's groups): `create_event`'s and a repeat's copies' writes."""
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
    await plan_escalation(session, event, timing, now)
    audit.record(
        session,
        action="event.create",
        actor_id=actor.person_id,
        target_type="event",
        target_id=event.id,
        title=event.title,
    )
    # Posted to the team's linked groups in this same transaction (issue #15).
    from bot.services.reach.posts import post_new_event

    await post_new_event(session, event, now)
    return event


# ---- edit --------------------------------------------------------------------------------------
def _edited_draft(event: Event, changes: dict[str, Any], now: datetime) -> EventDraft:
    start = changes.get("start", event.starts_at)
    end = changes.get("end")
    if end is None:
        # Moving the start keeps the length, as a calendar does.
        end = start + (event.ends_at - event.starts_at) if "start" in changes else event.ends_at
    draft = EventDraft(
        title=changes.get("title", event.title),
        starts_at=start,
        ends_at=end,
        place=changes.get("place", event.place),
        latitude=changes.get("latitude", event.latitude),
        longitude=changes.get("longitude", event.longitude),
        team_id=event.team_id,
        capacity=changes.get("capacity", event.capacity),
        description=changes.get("description", event.description),
    )
    # Leaving the start alone on an event that began is fine; moving it into the past not.
    return validate_draft(
        draft, now if "start" in changes else min(now, event.starts_at - timedelta(seconds=1))
    )


def _what_changed(before: dict[str, Any], event: Event, changes: dict[str, Any]) -> dict[str, Any]:
    """The old values the "what changed" message shows (ISO times, "" for no place)."""
    diff: dict[str, Any] = {}
    if before["title"] != event.title:
        diff["title"] = before["title"]
    if before["starts_at"] != event.starts_at or before["ends_at"] != event.ends_at:
        diff["starts_at"] = before["starts_at"].isoformat()
        diff["ends_at"] = before["ends_at"].isoformat()
    if before["place"] != event.place or "latitude" in changes:
        diff["place"] = before["place"] or ""
    return diff


def _open_for_change(event: Event, now: datetime) -> None:
    if event.status == EventStatus.CANCELLED:
        raise Conflict("events.is_cancelled", title=event.title)
    if event.ends_at <= now:
        raise Conflict("events.is_over", title=event.title)


async def edit_event(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    event_id: int,
    changes: dict[str, Any],
    *,
    timing: Timing,
    now: datetime,
) -> Edited:
    """Applies changes (keys of EDITABLE plus latitude/longitude); a moved start re-plans
    every reminder (`outbox.replan`); attendees are told what changed."""
    require(actor, Permission.MANAGE_EVENTS)
    async with sessionmaker.begin() as session:
        event = await load_event(session, event_id)
        _open_for_change(event, now)
        before: dict[str, Any] = {
            "title": event.title,
            "starts_at": event.starts_at,
            "ends_at": event.ends_at,
            "place": event.place,
        }
        draft = _edited_draft(event, changes, now)
        if draft.capacity is not None and draft.capacity < event.going_count:
            raise InvalidInput("events.capacity_below_going", going=event.going_count)
        event.title, event.place, event.description = draft.title, draft.place, draft.description
        event.latitude, event.longitude = draft.latitude, draft.longitude
        event.starts_at, event.ends_at = draft.starts_at, draft.ends_at
        event.capacity = draft.capacity
        event.updated_at = now
        moved = 0
        if before["starts_at"] != event.starts_at:
            await replan_all(session, event, timing, now)
            moved = await move_duties(
                session, event.id, event.starts_at - before["starts_at"],
                timing.shift_reminder_offsets_hours, now,
            )
        diff = _what_changed(before, event, changes)
        told = await tell_update(session, event.id, diff, now) if diff else 0
        audit.record(
            session,
            action="event.edit",
            actor_id=actor.person_id,
            target_type="event",
            target_id=event.id,
            fields=sorted(changes),
        )
        return Edited(await view_of(session, event, actor), told, moved)


# ---- cancel ------------------------------------------------------------------------------------
class Cancelled(NamedTuple):
    """The cancelled event and how many attendees were queued the "it is off" notice."""

    event: EventView
    told: int
    # Where the invitations landed: (chat_id, message_id), their RSVP buttons to take off.
    invitations: tuple[tuple[int, int], ...] = ()


async def cancel_event(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, event_id: int, *, now: datetime
) -> Cancelled:
    """Cancels the event, withdraws every pending message of it and tells the attendees and
    the invited who have not said "no"; returns where the invitations landed."""
    require(actor, Permission.MANAGE_EVENTS)
    async with sessionmaker.begin() as session:
        event = await load_event(session, event_id)
        _open_for_change(event, now)
        event.status = EventStatus.CANCELLED
        event.cancelled_at = now
        invitations = await sent_invitations(session, event.id)
        await withdraw_all(session, event.id)
        # The event's duty shifts go with it: no reminder for a shift at a cancelled event.
        event_shifts = await session.scalars(
            select(Shift).where(Shift.event_id == event.id, Shift.status != ShiftStatus.CANCELLED)
        )
        for shift in list(event_shifts):
            await withdraw_shift(session, shift, now)
        told = await tell_cancelled(session, event.id, now, {chat for chat, _ in invitations})
        audit.record(
            session,
            action="event.cancel",
            actor_id=actor.person_id,
            target_type="event",
            target_id=event.id,
        )
        return Cancelled(await view_of(session, event, actor), told, tuple(invitations))


# ---- invite ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Invited:
    title: str  # the event's
    queued: int  # invitations queued (people who answered already get none)


async def _record_invitations(
    session: AsyncSession, event_id: int, person_ids: list[int], by: int, now: datetime
) -> None:
    """One `EventInvitation` per person (a second invitation keeps the first's row)."""
    if not person_ids:
        return
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(EventInvitation).on_conflict_do_nothing(index_elements=["event_id", "person_id"]),
        [
            {"event_id": event_id, "person_id": pid, "invited_at": now, "invited_by_id": by}
            for pid in person_ids
        ],
    )


def _may_invite(actor: Actor, event: Event, team_id: int | None) -> None:
    if can(actor, Permission.MANAGE_EVENTS):
        return
    # Leads may announce their own team's events to their own team.
    require(actor, Permission.BROADCAST, team_id or -1)
    if event.team_id != team_id:
        raise NotAllowed(permission=Permission.MANAGE_EVENTS.value)


async def invite_audience(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    event_id: int,
    audience_key: str,
    *,
    now: datetime,
) -> Invited:
    """Invites an audience (a record per person, then the message with RSVP buttons)."""
    async with sessionmaker.begin() as session:
        event = await load_event(session, event_id)
        team_id = int(audience_key.split(":", 1)[1]) if audience_key.startswith("team:") else None
        _may_invite(actor, event, team_id)
        if event.status == EventStatus.CANCELLED:
            raise Conflict("events.is_cancelled", title=event.title)
        if event.starts_at <= now:
            raise Conflict("events.is_over", title=event.title)
        try:
            people = [(int(p), int(t)) for p, t in await session.execute(
                await recipients(session, audience_key)
            )]
        except (KeyError, ValueError):
            raise InvalidInput("events.bad_audience") from None
        answered = set(
            await session.scalars(select(EventRsvp.person_id).where(EventRsvp.event_id == event.id))
        )
        invited = [(pid, tg) for pid, tg in people if pid not in answered]
        await _record_invitations(session, event.id, [p for p, _ in invited], actor.person_id, now)
        count = await send_invitations(session, event.id, invited, now)
        audit.record(
            session,
            action="event.invite",
            actor_id=actor.person_id,
            target_type="event",
            target_id=event.id,
            audience=audience_key,
            queued=count,
        )
        return Invited(event.title, count)


# ---- RSVP --------------------------------------------------------------------------------------
async def _take_or_free_place(
    session: AsyncSession, event: Event, old: RsvpStatus | None, new: RsvpStatus, force: bool
) -> None:
    if new == RsvpStatus.GOING:
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
    if rsvp is not None and old == status:
        return rsvp, False
    await _take_or_free_place(session, event, old, status, force)
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
        await plan_rsvp(session, event, rsvp, person.telegram_id, timing, now)
    elif old == RsvpStatus.GOING:
        await withdraw_rsvp(session, rsvp.id)
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
        await require_visible(session, actor, event)
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
            await duties_offered(session, actor, event.id, now)
            if status == RsvpStatus.GOING
            else ()
        )
        return RsvpResult(await view_of(session, event, actor), status, changed, offers)
