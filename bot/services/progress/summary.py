"""/summary's numbers: how the campaign (or one team) is doing right now, as frozen data.

Every number is one aggregate query (COUNT/SUM with CASE) over indexed columns,
never a loop over rows in Python, so the summary stays fast at 100,000
volunteers and 500,000 signups.  "Active" means the person used the bot
(last_seen_at, touched on every update they send, claims and RSVPs included) or
was checked in at an event in the last 14 days; a check-in done by a lead does
not touch the volunteer's own last_seen_at, hence the second condition.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import NotFound
from bot.services.authz import Permission, require
from bot.services.budget.lines import BudgetStatus, status_in
from bot.services.events.duties import duty_only_pairs
from bot.services.people.members import Actor
from bot.services.people.reliability import (
    Reliability,
    reliability_of,
    shift_done,
)
from bot.services.progress.feedback_scores import Scores
from bot.services.progress.feedback_scores import event_scores_in as feedback_of_event
from bot.services.progress.feedback_scores import scores_in as feedback_scores_in
from bot.services.progress.goals import (
    VOLUNTEER_ROLES,
    GoalProgress,
    Scope,
    goals_counted_at_once,
    hours_expr,
    summary_scope,
)
from models import (
    Event,
    EventRsvp,
    EventStatus,
    Membership,
    Person,
    Role,
    RsvpStatus,
    Shift,
    ShiftSignup,
    ShiftStatus,
    Task,
    TaskClaim,
    TaskClaimStatus,
    TaskOutcome,
    Team,
)

T = TypeVar("T")
OTHER_ROLES = tuple(role for role in Role if role not in VOLUNTEER_ROLES)
ACTIVE_DAYS = 14
NEW_DAYS = 7
SHIFT_HORIZON = timedelta(days=7)
URGENT_HORIZON = timedelta(hours=48)
EVENT_LOOKBACK = timedelta(days=30)
MAX_TEAM_BUTTONS = 8
MAX_EVENT_BUTTONS = 4
MAX_SUMMARY_GOALS = 5


@dataclass(frozen=True, slots=True)
class VolunteerStats:
    total: int
    new: int
    active: int
    unreachable: int


@dataclass(frozen=True, slots=True)
class ShiftStats:
    shifts: int
    places: int
    filled: int
    urgent_shifts: int  # starting within 48 h with free places
    urgent_places: int


@dataclass(frozen=True, slots=True)
class TaskStats:
    open: int
    claimed: int
    done: int
    overdue: int


@dataclass(frozen=True, slots=True)
class EventStats:
    events: int
    going: int
    confirmed: int
    checked_in: int
    no_show: int
    past_going: int  # RSVPs "going" to events already over: the no-show rate's base

    @property
    def no_show_rate(self) -> float | None:
        return self.no_show / self.past_going if self.past_going else None


@dataclass(frozen=True, slots=True)
class Summary:
    title: str | None  # team name(s) for a scoped summary, None for the campaign
    now: datetime
    volunteers: VolunteerStats
    shifts: ShiftStats
    tasks: TaskStats
    events: EventStats
    goals: tuple[GoalProgress, ...]
    budget: BudgetStatus | None  # the campaign's, when it has budget lines
    teams: tuple[tuple[int, str], ...]  # drill-down buttons
    upcoming: tuple[tuple[int, str, datetime], ...]  # (event id, title, starts) buttons
    feedback: Scores | None = None  # of the events and shifts of the last 30 days
    # Starts of shifts likely understaffed in the next 48 h (bot.services.reach.autopilot).
    forecast: tuple[datetime, ...] = ()


@dataclass(frozen=True, slots=True)
class EventDetail:
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    team_name: str | None
    capacity: int | None
    going: int
    maybe: int
    declined: int
    confirmed: int
    checked_in: int
    no_show: int
    cancelled: bool
    feedback: Scores | None = None  # once people were asked


def _n(value: Any) -> int:
    return int(value or 0)


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _count(table: Any, *where: Any) -> Any:
    """COUNT(*) of a WHERE as a scalar subquery: each count one index range, one statement."""
    return select(func.count()).select_from(table).where(*where).scalar_subquery()


async def volunteer_stats(session: AsyncSession, teams: Scope, now: datetime) -> VolunteerStats:
    """Four counts, each a range of a (role, column) index rather than one pass over every
    person evaluating four conditions per row; "active" is split into seen lately, plus not
    seen lately but checked in at an event lately (the two are disjoint, the sum exact)."""
    active_since = now - timedelta(days=ACTIVE_DAYS)
    volunteer = [Person.role.in_(VOLUNTEER_ROLES)]
    if teams is not None:
        members = select(Membership.person_id).where(Membership.team_id.in_(teams))
        volunteer.append(Person.id.in_(members))
    # Driven by the few recent check-ins, each person looked up by id (not a pass over
    # everyone not seen lately, as an IN (subquery) made both databases do).
    not_seen = (
        select(Person.id)
        .where(Person.id == EventRsvp.person_id, *volunteer, Person.last_seen_at < active_since)
        .exists()
    )
    checked_in_only = (
        select(func.count(func.distinct(EventRsvp.person_id)))
        .where(EventRsvp.checked_in_at >= active_since, not_seen)
        .scalar_subquery()
    )
    total = _count(Person, *volunteer)
    if teams is None:  # role is NOT NULL: everyone but the few others, a b-tree count
        total = _count(Person) - _count(Person, Person.role.in_(OTHER_ROLES))
    query = select(
        total,
        _count(Person, *volunteer, Person.joined_at >= now - timedelta(days=NEW_DAYS)),
        _count(Person, *volunteer, Person.last_seen_at >= active_since),
        checked_in_only,
        _count(Person, Person.reachable.is_(False), *volunteer),
    )
    total, new, seen, checked_in, unreachable = (await session.execute(query)).one()
    return VolunteerStats(_n(total), _n(new), _n(seen) + _n(checked_in), _n(unreachable))


async def shift_stats(session: AsyncSession, teams: Scope, now: datetime) -> ShiftStats:
    urgent = (Shift.starts_at < now + URGENT_HORIZON) & (Shift.taken < Shift.capacity)
    query = select(
        func.count(Shift.id),
        func.coalesce(func.sum(Shift.capacity), 0),
        func.coalesce(func.sum(Shift.taken), 0),
        _count_if(urgent),
        func.coalesce(func.sum(case((urgent, Shift.capacity - Shift.taken), else_=0)), 0),
    ).where(
        Shift.status == ShiftStatus.OPEN,
        Shift.starts_at >= now,
        Shift.starts_at < now + SHIFT_HORIZON,
    )
    if teams is not None:
        query = query.where(Shift.team_id.in_(teams))
    shifts, places, filled, urgent_shifts, urgent_places = (await session.execute(query)).one()
    return ShiftStats(_n(shifts), _n(places), _n(filled), _n(urgent_shifts), _n(urgent_places))


async def task_stats(session: AsyncSession, teams: Scope, now: datetime) -> TaskStats:
    """Open tasks and the claims of open tasks, in one statement (claims counted from
    `ix_task_claim_task_status` without reading their rows)."""
    scope = [] if teams is None else [Task.team_id.in_(teams)]
    open_count = _count(
        Task, Task.status == ShiftStatus.OPEN, Task.deadline >= now, Task.taken < Task.capacity,
        *scope,
    )
    claims = (
        select(
            _count_if(TaskClaim.status == TaskClaimStatus.CLAIMED).label("claimed"),
            _count_if(TaskClaim.status == TaskClaimStatus.DONE).label("done"),
            _count_if(
                (TaskClaim.status == TaskClaimStatus.CLAIMED) & (Task.deadline < now)
            ).label("overdue"),
        )
        .select_from(TaskClaim)
        .join(Task, Task.id == TaskClaim.task_id)
        .where(Task.status == ShiftStatus.OPEN, *scope)
        .subquery()
    )
    query = select(open_count, claims.c.claimed, claims.c.done, claims.c.overdue)
    opened, claimed, done, overdue = (await session.execute(query)).one()
    return TaskStats(_n(opened), _n(claimed), _n(done), _n(overdue))


def _in_window(teams: Scope, now: datetime) -> list[Any]:
    """/summary's events: scheduled, started in the last 30 days or starting within 7."""
    where = [
        Event.status == EventStatus.SCHEDULED,
        Event.starts_at >= now - EVENT_LOOKBACK,
        Event.starts_at < now + SHIFT_HORIZON,
    ]
    return where if teams is None else [*where, Event.team_id.in_(teams)]


async def event_stats(session: AsyncSession, teams: Scope, now: datetime) -> EventStats:
    going = EventRsvp.status == RsvpStatus.GOING
    rsvps = (
        select(
            func.count(func.distinct(Event.id)).label("events"),
            _count_if(going).label("going"),
            _count_if(going & EventRsvp.confirmed_at.is_not(None)).label("confirmed"),
            _count_if(EventRsvp.checked_in_at.is_not(None)).label("checked_in"),
            _count_if(EventRsvp.no_show.is_(True)).label("no_show"),
            _count_if(going & (Event.ends_at < now)).label("past_going"),
        )
        .select_from(Event)
        .outerjoin(EventRsvp, EventRsvp.event_id == Event.id)
        .where(*_in_window(teams, now))
        .subquery()
    )
    # People on an event's roles are coming too, answer or not.
    pairs = duty_only_pairs().subquery()
    on_duty = (
        select(func.count())
        .select_from(pairs)
        .join(Event, Event.id == pairs.c.event_id)
        .where(*_in_window(teams, now))
        .scalar_subquery()
    )
    row = (await session.execute(select(*rsvps.c, on_duty))).one()
    stats = EventStats(*(_n(v) for v in row[:6]))
    return replace(stats, going=stats.going + _n(row[6]))


async def _upcoming_events(
    session: AsyncSession, teams: Scope, now: datetime
) -> tuple[tuple[int, str, datetime], ...]:
    query = (
        select(Event.id, Event.title, Event.starts_at)
        .where(
            Event.status == EventStatus.SCHEDULED,
            Event.ends_at >= now - timedelta(days=1),
            Event.starts_at < now + SHIFT_HORIZON,
        )
        .order_by(Event.starts_at)
        .limit(MAX_EVENT_BUTTONS)
    )
    if teams is not None:
        query = query.where(Event.team_id.in_(teams) | Event.team_id.is_(None))
    return tuple((i, t, s) for i, t, s in (await session.execute(query)))


async def _team_buttons(session: AsyncSession, teams: Scope) -> tuple[tuple[int, str], ...]:
    query = select(Team.id, Team.name).order_by(Team.name_key).limit(MAX_TEAM_BUTTONS)
    if teams is not None:
        query = query.where(Team.id.in_(teams))
    return tuple((i, n) for i, n in (await session.execute(query)))


async def _the_rest(
    session: AsyncSession, teams: Scope, now: datetime, drill: bool, title: str | None
) -> Summary:
    """The summary without its volunteer counts and goals (the heaviest reads): `_summary`
    reads those beside it."""
    budget = None
    if teams is None:
        status = await status_in(session)
        budget = status if status.lines else None
    return Summary(
        title=title,
        now=now,
        volunteers=VolunteerStats(0, 0, 0, 0),
        shifts=await shift_stats(session, teams, now),
        tasks=await task_stats(session, teams, now),
        events=await event_stats(session, teams, now),
        goals=(),
        budget=budget,
        teams=await _team_buttons(session, teams) if drill else (),
        upcoming=await _upcoming_events(session, teams, now),
        feedback=await feedback_scores_in(session, teams, now - EVENT_LOOKBACK, now),
        forecast=await _forecast(session, teams, now),
    )


async def _read(
    sessionmaker: async_sessionmaker[AsyncSession],
    read: Callable[..., Awaitable[T]],
    *args: Any,
) -> T:
    async with sessionmaker() as session:
        return await read(session, *args)


async def _summary(
    sessionmaker: async_sessionmaker[AsyncSession], teams: Scope, now: datetime, *,
    drill: bool, title: str | None,
) -> Summary:
    """The volunteer counts, each goal's count and the rest read at once, a connection each.

    They are independent reads (each statement sees the committed data of its moment, as
    one session's would: neither SQLite's autocommit reads nor PostgreSQL's READ COMMITTED
    give one snapshot across statements), so the summary takes as long as its slowest
    third instead of the sum of all.
    """
    volunteers, goals, rest = await asyncio.gather(
        _read(sessionmaker, volunteer_stats, teams, now),
        goals_counted_at_once(sessionmaker, teams, now, MAX_SUMMARY_GOALS),
        _read(sessionmaker, _the_rest, teams, now, drill, title),
    )
    return replace(rest, volunteers=volunteers, goals=tuple(goals))


async def _forecast(session: AsyncSession, teams: Scope, now: datetime) -> tuple[datetime, ...]:
    from bot.services.reach.autopilot import understaffed_soon  # autopilot imports goals too

    return await understaffed_soon(session, teams, now)


async def campaign_summary(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, *, now: datetime
) -> Summary:
    """Coordinators: the whole campaign; leads: their own teams (with buttons per team)."""
    require(actor, Permission.VIEW_SUMMARY)
    teams = summary_scope(actor)
    title = None
    if teams is not None:
        async with sessionmaker() as session:
            names = await session.scalars(select(Team.name).where(Team.id.in_(teams)))
            title = ", ".join(sorted(names))
    drill = teams is None or len(teams) > 1
    return await _summary(sessionmaker, teams, now, drill=drill, title=title)


async def team_summary(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, team_id: int, *, now: datetime
) -> Summary:
    """One team's summary (a drill-down button); re-checks that the actor may see that team."""
    require(actor, Permission.VIEW_SUMMARY, team_id)
    async with sessionmaker() as session:
        team = await session.get(Team, team_id)
        if team is None:
            raise NotFound()
        name = team.name
    return await _summary(sessionmaker, frozenset({team_id}), now, drill=False, title=name)


async def event_detail(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, event_id: int
) -> EventDetail:
    """One event's attendance (a drill-down button); leads see their teams' and open events."""
    async with sessionmaker() as session:
        event = await session.get(Event, event_id)
        if event is None:
            raise NotFound()
        require(actor, Permission.VIEW_SUMMARY, event.team_id)
        team_name = (await session.get(Team, event.team_id)).name if event.team_id else None  # type: ignore[union-attr]
        row = (
            await session.execute(
                select(
                    _count_if(EventRsvp.status == RsvpStatus.GOING),
                    _count_if(EventRsvp.status == RsvpStatus.MAYBE),
                    _count_if(EventRsvp.status == RsvpStatus.DECLINED),
                    _count_if(
                        (EventRsvp.status == RsvpStatus.GOING) & EventRsvp.confirmed_at.is_not(None)
                    ),
                    _count_if(EventRsvp.checked_in_at.is_not(None)),
                    _count_if(EventRsvp.no_show.is_(True)),
                ).where(EventRsvp.event_id == event_id)
            )
        ).one()
        going, maybe, declined, confirmed, checked_in, no_show = (_n(v) for v in row)
        pairs = duty_only_pairs().subquery()
        going += _n(await session.scalar(  # those on its roles are coming too
            select(func.count()).select_from(pairs).where(pairs.c.event_id == event_id)
        ))
        return EventDetail(
            event.id,
            event.title,
            event.starts_at,
            event.ends_at,
            team_name,
            event.capacity,
            going,
            maybe,
            declined,
            confirmed,
            checked_in,
            no_show,
            event.status == EventStatus.CANCELLED,
            await feedback_of_event(session, actor, event_id),
        )


# ---- /me: a volunteer's own record -----------------------------------------------------
@dataclass(frozen=True, slots=True)
class PersonRecord:
    shifts_done: int  # checked in, ended, not cancelled
    hours: float  # the lengths of those shifts
    reliability: Reliability  # events and shifts together
    outcomes: tuple[tuple[str, int], ...]


async def person_record(session: AsyncSession, person_id: int, now: datetime) -> PersonRecord:
    """One person's record, by the definitions in `bot.services.people.reliability`."""
    shifts, hours = (
        await session.execute(
            select(
                func.count(ShiftSignup.id),
                func.coalesce(func.sum(hours_expr(session, Shift.starts_at, Shift.ends_at)), 0),
            )
            .select_from(ShiftSignup)
            .join(Shift, Shift.id == ShiftSignup.shift_id)
            .where(ShiftSignup.person_id == person_id, shift_done(now))
        )
    ).one()
    outcomes = await session.execute(
        select(TaskOutcome.unit, func.sum(TaskOutcome.quantity))
        .where(TaskOutcome.person_id == person_id)
        .group_by(TaskOutcome.unit)
        .order_by(func.sum(TaskOutcome.quantity).desc())
        .limit(5)
    )
    return PersonRecord(
        _n(shifts),
        float(hours or 0),
        (await reliability_of(session, [person_id]))[person_id],
        tuple((unit, _n(total)) for unit, total in outcomes),
    )


async def me_record(session: AsyncSession, actor: Actor, now: datetime) -> PersonRecord:
    """/me's progress section: the person's own record (`bot.views.progress.me_lines`)."""
    return await person_record(session, actor.person_id, now)
