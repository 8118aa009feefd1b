"""Who really comes: the day-before confirmation and its escalation, check-in, no-shows.

Escalation design: due-time outbox rows, not a periodic sweep.  When an event is
created (or moved) one `event.escalation` row per lead/coordinator is planned
(`messages.plan_escalation`), due after the confirmation and its nudge had time to
work; its renderer (`bot.views.events_outbox`) lists the still-unconfirmed at send
time and returns None when there are none.  Why: the rows survive restarts, are
withdrawn when the event is cancelled, are re-planned when it moves, and cost
nothing between events, where a sweep would scan every event every few minutes.
The no-show marking, by contrast, is a sweep (`sweep_no_shows`): it writes state, not messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import Conflict, InvalidInput, NotFound
from bot.services import audit
from bot.services.authz import Permission, can, refusal
from bot.services.csv_export import csv_bytes
from bot.services.events.duties import duty_only
from bot.services.events.events import set_rsvp
from bot.services.events.geo import haversine_m
from bot.services.events.messages import Attendee, Timing, plan_rsvp, renudge, withdraw_rsvp
from bot.services.events.reading import PersonRef, load_event, unconfirmed_people
from bot.services.events.visibility import may_check_in_others, may_run, require_visible
from bot.services.people.members import Actor
from bot.services.people.reliability import reliability_of
from models import (
    CheckinMethod,
    Event,
    EventRsvp,
    EventStatus,
    Person,
    RsvpStatus,
    Shift,
    ShiftSignup,
    ShiftStatus,
)

# Self check-in opens this long before the start and closes at the end.
CHECKIN_OPENS_BEFORE = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class CheckinResult:
    event_id: int
    title: str
    person_name: str
    already: bool
    distance_m: int | None = None


@dataclass(frozen=True, slots=True)
class RosterLine:
    rsvp_id: int
    person_id: int
    telegram_id: int
    name: str
    username: str | None
    status: RsvpStatus
    confirmed: bool
    checked_in: bool
    no_show: bool


# ---- confirmation ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ConfirmAnswer:
    title: str
    coming: bool


async def answer_confirmation(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    rsvp_id: int,
    coming: bool,
    *,
    timing: Timing,
    now: datetime,
) -> ConfirmAnswer:
    """Confirm (or give up) one's own place."""
    async with sessionmaker.begin() as session:
        rsvp = await session.get(EventRsvp, rsvp_id)
        if rsvp is None or rsvp.person_id != actor.person_id:
            raise NotFound("events.stale")
        event = await load_event(session, rsvp.event_id)
        if event.status == EventStatus.CANCELLED:
            raise Conflict("events.rsvp_cancelled", title=event.title)
        if event.starts_at <= now:
            raise Conflict("events.rsvp_past", title=event.title)
        if rsvp.status != RsvpStatus.GOING:
            raise Conflict("events.not_going", title=event.title)
        person = await session.get(Person, actor.person_id)
        assert person is not None
        if coming:
            if rsvp.confirmed_at is None:
                rsvp.confirmed_at = now
                # Only the reminders stay: the question and its nudge have nothing to ask.
                await plan_rsvp(session, event, rsvp, person.telegram_id, timing, now)
        else:
            await set_rsvp(session, event, person, RsvpStatus.DECLINED, timing=timing, now=now)
        audit.record(
            session,
            action="event.confirm" if coming else "event.confirm_decline",
            actor_id=actor.person_id,
            target_type="event",
            target_id=event.id,
        )
        return ConfirmAnswer(event.title, coming)


async def renudge_unconfirmed(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, event_id: int, *, now: datetime
) -> int:
    """One tap from the escalation: ask every unconfirmed person once more, now."""
    async with sessionmaker.begin() as session:
        event = await load_event(session, event_id)
        if not may_run(actor, event):
            raise refusal(actor, Permission.CHECK_IN_OTHERS, event.team_id)
        if event.status == EventStatus.CANCELLED or event.starts_at <= now:
            raise Conflict("events.is_over", title=event.title)
        rows = await session.execute(
            select(EventRsvp.id, Person.id, Person.telegram_id)
            .join(Person, Person.id == EventRsvp.person_id)
            .where(
                EventRsvp.event_id == event.id,
                EventRsvp.status == RsvpStatus.GOING,
                EventRsvp.confirmed_at.is_(None),
            )
        )
        unconfirmed = [Attendee(int(r), int(p), int(t)) for r, p, t in rows]
        return await renudge(session, event.id, unconfirmed, now)


@dataclass(frozen=True, slots=True)
class Unconfirmed:
    """Those Going who have not confirmed, on the organiser's demand (the card's button)."""

    event_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    people: tuple[PersonRef, ...]
    can_renudge: bool  # "ask them again now" is the coordinators'


async def unconfirmed(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, event_id: int
) -> Unconfirmed:
    """Who said Going but has not confirmed yet: for whoever runs the event, at any time."""
    async with sessionmaker() as session:
        event = await load_event(session, event_id)
        await require_visible(session, actor, event)
        _may_read_roster(actor, event)
        people = await unconfirmed_people(session, event.id)
        return Unconfirmed(event.id, event.title, event.starts_at, event.ends_at,
                           tuple(people), can(actor, Permission.MANAGE_EVENTS))


# ---- the check-in code -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CheckinCode:
    """What the door's QR code carries: the event's secret check-in token."""

    event_id: int
    title: str
    token: str


async def checkin_code(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, event_id: int
) -> CheckinCode:
    """The event's check-in token, for those who run the event (it is what lets people in)."""
    async with sessionmaker() as session:
        event = await load_event(session, event_id)
        if not may_run(actor, event):
            raise refusal(actor, Permission.CHECK_IN_OTHERS, event.team_id)
        if event.status == EventStatus.CANCELLED:
            raise Conflict("events.is_cancelled", title=event.title)
        return CheckinCode(event.id, event.title, event.checkin_token)


# ---- check-in --------------------------------------------------------------------------
def _check_window(event: Event, now: datetime) -> None:
    if event.status == EventStatus.CANCELLED:
        raise Conflict("events.rsvp_cancelled", title=event.title)
    if now < event.starts_at - CHECKIN_OPENS_BEFORE:
        raise Conflict("events.checkin_too_early", title=event.title)
    if now > event.ends_at:
        raise Conflict("events.checkin_closed", title=event.title)


async def _check_in(
    session: AsyncSession,
    event: Event,
    person: Person,
    method: CheckinMethod,
    *,
    by: int | None,
    timing: Timing,
    now: datetime,
) -> bool:
    """Marks the person present (a walk-in becomes Going); False when already checked in."""
    rsvp = await session.scalar(
        select(EventRsvp).where(EventRsvp.event_id == event.id, EventRsvp.person_id == person.id)
    )
    if rsvp is not None and rsvp.checked_in_at is not None:
        return False
    if rsvp is None or rsvp.status != RsvpStatus.GOING:
        # Whoever stands at the door takes a place, even a full event's.
        rsvp, _ = await set_rsvp(
            session, event, person, RsvpStatus.GOING, timing=timing, now=now, force=True
        )
    rsvp.checked_in_at, rsvp.checkin_method, rsvp.checked_in_by_id = now, method, by
    rsvp.confirmed_at = rsvp.confirmed_at or now
    rsvp.no_show = False
    await withdraw_rsvp(session, rsvp.id)
    return True


async def _self_check_in(
    session: AsyncSession,
    event: Event,
    actor: Actor,
    method: CheckinMethod,
    timing: Timing,
    now: datetime,
    distance: int | None = None,
) -> CheckinResult:
    """A person checking themselves in (QR link or shared location), audited once."""
    person = await session.get(Person, actor.person_id)
    assert person is not None
    done = await _check_in(session, event, person, method, by=None, timing=timing, now=now)
    if done:
        extra: dict[str, Any] = {} if distance is None else {"distance": distance}
        audit.record(
            session,
            action="event.checkin",
            actor_id=person.id,
            target_type="event",
            target_id=event.id,
            method=method.value,
            **extra,
        )
    return CheckinResult(event.id, event.title, person.display_name, not done, distance)


async def check_in_by_token(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    token: str,
    *,
    timing: Timing,
    now: datetime,
) -> CheckinResult:
    async with sessionmaker.begin() as session:
        event = await session.scalar(select(Event).where(Event.checkin_token == token[:32]))
        if event is None:
            raise NotFound("events.checkin_bad_token")
        _check_window(event, now)
        return await _self_check_in(session, event, actor, CheckinMethod.QR, timing, now)


async def check_in_by_location(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    event_id: int,
    latitude: float,
    longitude: float,
    *,
    timing: Timing,
    now: datetime,
) -> CheckinResult:
    async with sessionmaker.begin() as session:
        event = await load_event(session, event_id)
        if event.latitude is None or event.longitude is None:
            raise InvalidInput("events.checkin_no_location")
        _check_window(event, now)
        distance = haversine_m(event.latitude, event.longitude, latitude, longitude)
        if distance > event.checkin_radius_m:
            raise InvalidInput(
                "events.checkin_too_far", distance=int(distance), radius=event.checkin_radius_m
            )
        return await _self_check_in(
            session, event, actor, CheckinMethod.LOCATION, timing, now, distance=int(distance)
        )


async def check_in_other(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    rsvp_id: int,
    *,
    timing: Timing,
    now: datetime,
) -> CheckinResult:
    """A lead ticks someone off the list at the door."""
    async with sessionmaker.begin() as session:
        rsvp = await session.get(EventRsvp, rsvp_id)
        if rsvp is None:
            raise NotFound("events.stale")
        event = await load_event(session, rsvp.event_id)
        if not may_check_in_others(actor, event):
            raise refusal(actor, Permission.CHECK_IN_OTHERS, event.team_id)
        _check_window(event, now)
        person = await session.get(Person, rsvp.person_id)
        assert person is not None
        done = await _check_in(
            session, event, person, CheckinMethod.LEAD, by=actor.person_id, timing=timing, now=now
        )
        if done:
            audit.record(
                session,
                action="event.checkin",
                actor_id=actor.person_id,
                target_type="event",
                target_id=event.id,
                method="lead",
                person=person.id,
            )
        return CheckinResult(event.id, event.title, person.display_name, not done)


@dataclass(frozen=True, slots=True)
class Roster:
    event_id: int
    title: str
    lines: tuple[RosterLine, ...]


async def _lines(session: AsyncSession, event: Event) -> Roster:
    rows = await session.execute(
        select(EventRsvp, Person)
        .join(Person, Person.id == EventRsvp.person_id)
        .where(EventRsvp.event_id == event.id)
        .order_by(EventRsvp.status, Person.first_name, Person.id)
    )
    return Roster(event.id, event.title, tuple(
        RosterLine(
            r.id,
            p.id,
            p.telegram_id,
            p.display_name,
            p.username,
            r.status,
            r.confirmed_at is not None,
            r.checked_in_at is not None,
            r.no_show,
        )
        for r, p in rows
    ) + await _duty_only_lines(session, event.id))


async def _duty_only_lines(session: AsyncSession, event_id: int) -> tuple[RosterLine, ...]:
    """Those on one of the event's roles who did not answer Going: coming, as its roles
    (no answer of theirs to check in: `rsvp_id` 0; they check in on their shift)."""
    people = await session.scalars(
        select(Person).where(Person.id.in_(duty_only(event_id))).order_by(Person.first_name,
                                                                          Person.id)
    )
    return tuple(
        RosterLine(0, p.id, p.telegram_id, p.display_name, p.username, RsvpStatus.GOING,
                   False, False, False)
        for p in people
    )


def _may_read_roster(actor: Actor, event: Event) -> None:
    if not may_run(actor, event):
        raise refusal(actor, Permission.CHECK_IN_OTHERS, event.team_id)


async def roster(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, event_id: int
) -> Roster:
    """Everyone who answered, for the check-in list and the CSV; leads and coordinators."""
    async with sessionmaker() as session:
        event = await load_event(session, event_id)
        _may_read_roster(actor, event)
        return await _lines(session, event)


# ---- after the event -------------------------------------------------------------------
async def sweep_no_shows(sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime) -> int:
    """Marks Going-but-never-checked-in as no-shows for every event that ended; idempotent."""
    marked = 0
    async with sessionmaker.begin() as session:
        ended = list(
            await session.scalars(
                select(Event.id).where(
                    Event.status == EventStatus.SCHEDULED,
                    Event.ends_at <= now,
                    Event.no_shows_marked_at.is_(None),
                )
            )
        )
        for event_id in ended:
            result = await session.execute(
                update(EventRsvp)
                .where(
                    EventRsvp.event_id == event_id,
                    EventRsvp.status == RsvpStatus.GOING,
                    EventRsvp.checked_in_at.is_(None),
                )
                .values(no_show=True)
                .execution_options(synchronize_session=False)
            )
            marked += int(result.rowcount or 0)  # type: ignore[attr-defined]
        if ended:
            await session.execute(
                update(Event)
                .where(Event.id.in_(ended))
                .values(no_shows_marked_at=now)
                .execution_options(synchronize_session=False)
            )
    return marked


# ---- roster CSV ------------------------------------------------------------------------
def _shifts_by_person(rows: list[tuple[int, str]]) -> dict[int, str]:
    out: dict[int, list[str]] = {}
    for pid, title in rows:
        out.setdefault(pid, []).append(title)
    return {pid: "; ".join(titles) for pid, titles in out.items()}


async def _event_shifts(session: AsyncSession, event_id: int) -> dict[int, str]:
    """person id → the shift(s) they hold at this event."""
    query = (
        select(ShiftSignup.person_id, Shift.title)
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(Shift.event_id == event_id, Shift.status != ShiftStatus.CANCELLED)
    )
    return _shifts_by_person([(int(p), str(t)) for p, t in (await session.execute(query))])


@dataclass(frozen=True, slots=True)
class RosterFile:
    title: str  # the event's
    filename: str
    data: bytes  # UTF-8 CSV with a BOM


async def roster_csv(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, event_id: int
) -> RosterFile:
    """The event's roster as a UTF-8 CSV with reliability and shift, and its title."""
    async with sessionmaker() as session:
        event = await load_event(session, event_id)
        await require_visible(session, actor, event)  # a hidden event is not found
        _may_read_roster(actor, event)
        lines = (await _lines(session, event)).lines
        shifts = await _event_shifts(session, event_id)
        rel = await reliability_of(session, [line.person_id for line in lines])
        title = event.title
    header = ["name", "username", "rsvp", "confirmed", "checked_in", "no_show", "shift",
              "reliability"]
    rows: list[list[str]] = []
    for line in lines:
        score = rel[line.person_id].score
        rows.append(
            [
                line.name,
                line.username or "",
                line.status.value,
                "yes" if line.confirmed else "no",
                "yes" if line.checked_in else "no",
                "yes" if line.no_show else "no",
                shifts.get(line.person_id, ""),
                "" if score is None else f"{score:.2f}",
            ]
        )
    # The shared writer: names people chose are made formula-safe; a BOM so spreadsheet
    # apps read the Indonesian names as UTF-8.
    data = await csv_bytes(header, rows)
    return RosterFile(title, f"roster-event-{event_id}.csv", data)
