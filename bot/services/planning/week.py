"""The planner's week: shifts and events of the teams one may plan for, with their fill.

Read-only use cases (one read session each, plain data back) for the Mini App's planner.
Who may see what is the chat's rule book (`bot.services.authz`): coordinators see every
team, a lead only the teams they lead; shifts of no team are the coordinators'.
Counts come in grouped queries over the week's shifts, never one query per shift, so a
campaign of 10,000 shifts and 500,000 signups answers a week in a few statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import NotAllowed, NotFound
from bot.services.authz import Permission, can, is_team_scoped, refusal
from bot.services.people.members import Actor
from models import (
    Event,
    EventRsvp,
    EventStatus,
    RsvpStatus,
    Shift,
    ShiftSignup,
    ShiftStatus,
    Team,
    WaitlistEntry,
    WaitlistStatus,
)

# Starting within this long and not full: understaffed whatever the fill (summary's "urgent").
URGENT_HORIZON = timedelta(hours=48)
UNDERSTAFFED_BELOW = 0.5
MAX_WEEKS = 4
MAX_ITEMS = 2000  # per answer: a planner week of a very large campaign stays one screenful


@dataclass(frozen=True, slots=True)
class PlannedShift:
    id: int
    title: str
    team_id: int | None
    team_name: str | None
    event_id: int | None
    place: str
    notes: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    taken: int
    waitlist: int
    checked_in: int
    cancelled: bool
    version: datetime

    def understaffed(self, now: datetime) -> bool:
        if self.cancelled or self.taken >= self.capacity:
            return False
        return self.taken < self.capacity * UNDERSTAFFED_BELOW or (
            self.starts_at - now <= URGENT_HORIZON
        )


@dataclass(frozen=True, slots=True)
class PlannedEvent:
    id: int
    title: str
    team_id: int | None
    team_name: str | None
    place: str | None
    description: str | None
    starts_at: datetime
    ends_at: datetime
    capacity: int | None
    going: int
    confirmed: int
    cancelled: bool
    version: datetime

    def understaffed(self, now: datetime) -> bool:
        if self.cancelled or self.capacity is None or self.going >= self.capacity:
            return False
        return self.going < self.capacity * UNDERSTAFFED_BELOW


@dataclass(frozen=True, slots=True)
class Plan:
    start: datetime
    end: datetime
    teams: tuple[tuple[int, str], ...]  # the teams this person may plan for
    shifts: tuple[PlannedShift, ...]
    events: tuple[PlannedEvent, ...]
    truncated: bool


def planning_scope(actor: Actor) -> frozenset[int] | None:
    """None: every team (coordinators); otherwise the teams a lead plans for."""
    if not can(actor, Permission.MANAGE_SHIFTS) and not can(actor, Permission.MANAGE_EVENTS):
        raise NotAllowed(permission=Permission.MANAGE_SHIFTS.value)
    return actor.lead_team_ids if is_team_scoped(actor) else None


async def teams_in_scope(
    session: AsyncSession, scope: frozenset[int] | None
) -> tuple[tuple[int, str], ...]:
    query = select(Team.id, Team.name).order_by(Team.name_key)
    if scope is not None:
        query = query.where(Team.id.in_(scope or {-1}))
    return tuple((i, n) for i, n in (await session.execute(query)).all())


async def week_plan(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    *,
    start: datetime,
    weeks: int,
    team_id: int | None,
) -> Plan:
    """Shifts and events from `start` for `weeks` weeks, of one team or all one may plan."""
    scope = planning_scope(actor)
    if team_id is not None and scope is not None and team_id not in scope:
        raise refusal(actor, Permission.MANAGE_SHIFTS, team_id)
    end = start + timedelta(weeks=max(1, min(weeks, MAX_WEEKS)))
    teams_filter: frozenset[int] | None = frozenset({team_id}) if team_id is not None else scope
    async with sessionmaker() as session:
        shift_query = (
            select(Shift, Team.name)
            .outerjoin(Team, Team.id == Shift.team_id)
            .where(Shift.starts_at >= start, Shift.starts_at < end)
            .order_by(Shift.starts_at, Shift.id)
            .limit(MAX_ITEMS + 1)
        )
        event_query = (
            select(Event, Team.name)
            .outerjoin(Team, Team.id == Event.team_id)
            .where(Event.starts_at < end, Event.ends_at > start)
            .order_by(Event.starts_at, Event.id)
            .limit(MAX_ITEMS + 1)
        )
        if teams_filter is not None:
            shift_query = shift_query.where(Shift.team_id.in_(teams_filter or {-1}))
            event_query = event_query.where(Event.team_id.in_(teams_filter or {-1}))
        shift_rows = (await session.execute(shift_query)).all()
        event_rows = (await session.execute(event_query)).all()
        truncated = len(shift_rows) > MAX_ITEMS or len(event_rows) > MAX_ITEMS
        shift_rows, event_rows = shift_rows[:MAX_ITEMS], event_rows[:MAX_ITEMS]
        shift_ids = [s.id for s, _ in shift_rows]
        waiting = await _count_by(
            session,
            select(WaitlistEntry.shift_id, func.count()).where(
                WaitlistEntry.status.in_((WaitlistStatus.WAITING, WaitlistStatus.OFFERED))
            ),
            WaitlistEntry.shift_id,
            shift_ids,
        )
        checked = await _count_by(
            session,
            select(ShiftSignup.shift_id, func.count()).where(
                ShiftSignup.checked_in_at.is_not(None)
            ),
            ShiftSignup.shift_id,
            shift_ids,
        )
        event_ids = [e.id for e, _ in event_rows]
        confirmed = await _count_by(
            session,
            select(EventRsvp.event_id, func.count()).where(
                EventRsvp.status == RsvpStatus.GOING, EventRsvp.confirmed_at.is_not(None)
            ),
            EventRsvp.event_id,
            event_ids,
        )
        return Plan(
            start=start,
            end=end,
            teams=await teams_in_scope(session, scope),
            shifts=tuple(
                PlannedShift(
                    id=s.id, title=s.title, team_id=s.team_id, team_name=name,
                    event_id=s.event_id, place=s.place, notes=s.notes,
                    starts_at=s.starts_at, ends_at=s.ends_at, capacity=s.capacity,
                    taken=s.taken, waitlist=waiting.get(s.id, 0),
                    checked_in=checked.get(s.id, 0),
                    cancelled=s.status == ShiftStatus.CANCELLED, version=s.updated_at,
                )
                for s, name in shift_rows
            ),
            events=tuple(
                PlannedEvent(
                    id=e.id, title=e.title, team_id=e.team_id, team_name=name, place=e.place,
                    description=e.description, starts_at=e.starts_at, ends_at=e.ends_at,
                    capacity=e.capacity, going=e.going_count,
                    confirmed=confirmed.get(e.id, 0),
                    cancelled=e.status == EventStatus.CANCELLED, version=e.updated_at,
                )
                for e, name in event_rows
            ),
            truncated=truncated,
        )


async def _count_by(
    session: AsyncSession, query: object, column: object, ids: list[int]
) -> dict[int, int]:
    if not ids:
        return {}
    found: dict[int, int] = {}
    # Chunks: PostgreSQL and SQLite both cap bound parameters per statement.
    for i in range(0, len(ids), 900):
        chunk = ids[i : i + 900]
        stmt = query.where(column.in_(chunk)).group_by(column)  # type: ignore[attr-defined]
        found.update({int(k): int(n) for k, n in (await session.execute(stmt)).all()})
    return found


async def planned_shift(
    sessionmaker: async_sessionmaker[AsyncSession], shift_id: int
) -> PlannedShift:
    """One shift as the planner shows it after a save (waitlist and check-ins not counted)."""
    async with sessionmaker() as session:
        shift = await session.get(Shift, shift_id)
        if shift is None:
            raise NotFound("shifts.not_found")
        name = None
        if shift.team_id is not None:
            team = await session.get(Team, shift.team_id)
            name = team.name if team else None
        return PlannedShift(
            id=shift.id, title=shift.title, team_id=shift.team_id, team_name=name,
            event_id=shift.event_id, place=shift.place, notes=shift.notes,
            starts_at=shift.starts_at, ends_at=shift.ends_at, capacity=shift.capacity,
            taken=shift.taken, waitlist=0, checked_in=0,
            cancelled=shift.status == ShiftStatus.CANCELLED, version=shift.updated_at,
        )


async def planned_event(
    sessionmaker: async_sessionmaker[AsyncSession], event_id: int
) -> PlannedEvent:
    """One event as the planner shows it after a save."""
    async with sessionmaker() as session:
        event = await session.get(Event, event_id)
        if event is None:
            raise NotFound("events.not_found", id=event_id)
        return PlannedEvent(
            id=event.id, title=event.title, team_id=event.team_id, team_name=None,
            place=event.place, description=event.description, starts_at=event.starts_at,
            ends_at=event.ends_at, capacity=event.capacity, going=event.going_count,
            confirmed=0, cancelled=event.status == EventStatus.CANCELLED,
            version=event.updated_at,
        )
