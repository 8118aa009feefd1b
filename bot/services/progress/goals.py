"""Goals and how far the campaign is: targets set by coordinators, progress counted from facts.

Why progress is counted, not stored: outcomes ("/done 40 doors"), registrations,
check-ins and shifts already live in their own tables; one aggregate query per
goal (COUNT/SUM, indexed) is cheap and can never drift from the facts.  Outcome
units are free text as volunteers type them, so a small synonym table folds
"door", "doors" and "pintu" into one metric.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import InvalidInput
from bot.services import audit
from bot.services.authz import Permission, require
from bot.services.people.members import Actor
from bot.services.people.reliability import shift_done
from bot.services.people.teams import find_team
from bot.timeparse import WhenParseError, parse_when
from models import (
    Event,
    EventRsvp,
    EventStatus,
    Goal,
    Membership,
    Person,
    Role,
    Shift,
    ShiftSignup,
    ShiftStatus,
    Task,
    TaskClaim,
    TaskClaimStatus,
    TaskOutcome,
    Team,
)

# Counted facts: canonical name -> words people type for it (id and en).
COUNTED: dict[str, tuple[str, ...]] = {
    "volunteers": ("volunteer", "volunteers", "relawan", "registrations", "pendaftar", "members"),
    "checkins": ("checkin", "checkins", "check-in", "check-ins", "kehadiran", "hadir"),
    "events": ("event", "events", "acara", "kegiatan"),
    "shifts": ("shift", "shifts", "giliran"),
    "hours": ("hour", "hours", "jam"),
    "tasks": ("task", "tasks", "tugas"),
}
# Common outcome units: canonical -> the spellings volunteers use in "/done 40 doors".
UNITS: dict[str, tuple[str, ...]] = {
    "doors": ("door", "doors", "pintu", "rumah"),
    "flyers": ("flyer", "flyers", "leaflet", "leaflets", "brosur", "selebaran"),
    "calls": ("call", "calls", "telepon", "panggilan"),
    "posters": ("poster", "posters"),
    "signatures": ("signature", "signatures", "ttd", "tanda-tangan"),
    "messages": ("message", "messages", "pesan"),
    "people": ("people", "person", "orang", "warga"),
}
_ALIASES = {word: name for name, words in (COUNTED | UNITS).items() for word in (name, *words)}
_UNIT_RE = re.compile(r"^[\w-]{1,40}$")
MAX_TARGET = 10**12
MAX_GOALS_SHOWN = 20
# Who counts as a volunteer in the numbers: the people doing the work, not staff or outsiders.
VOLUNTEER_ROLES = (Role.VOLUNTEER, Role.LEAD)

Scope = frozenset[int] | None  # team ids, or None for the whole campaign


@dataclass(frozen=True, slots=True)
class GoalProgress:
    id: int
    metric: str
    team_id: int | None
    team_name: str | None
    target: int
    current: float
    deadline: datetime | None
    created_at: datetime
    now: datetime

    @property
    def is_counted(self) -> bool:
        return self.metric in COUNTED

    @property
    def ratio(self) -> float:
        return min(self.current / self.target, 1.0) if self.target else 0.0

    @property
    def done(self) -> bool:
        return self.current >= self.target

    @property
    def remaining(self) -> float:
        return max(self.target - self.current, 0)

    @property
    def days_left(self) -> float | None:
        if self.deadline is None:
            return None
        return max((self.deadline - self.now).total_seconds() / 86400, 0.0)

    @property
    def per_day_needed(self) -> float | None:
        """What must be achieved each remaining day; None without a deadline or when done."""
        days = self.days_left
        if days is None or self.done:
            return None
        return self.remaining / max(days, 1.0)

    @property
    def behind_pace(self) -> bool:
        """Below the straight line from the goal's creation to its target at the deadline."""
        if self.deadline is None or self.done:
            return False
        span = (self.deadline - self.created_at).total_seconds()
        if span <= 0:
            return True
        elapsed = min(max((self.now - self.created_at).total_seconds(), 0.0), span)
        return self.current < self.target * elapsed / span


def canonical_metric(word: str) -> str | None:
    """A typed metric → its canonical name, None for an unknown word."""
    return _ALIASES.get(word.strip().casefold())


def unit_group(metric: str) -> tuple[str, ...]:
    """The outcome units that count toward a metric ("doors" → door, doors, pintu, rumah)."""
    return (metric, *UNITS.get(metric, ()))


async def known_units(session: AsyncSession) -> list[str]:
    """Units volunteers have reported so far (a goal may use any of them)."""
    rows = await session.scalars(select(TaskOutcome.unit).distinct().limit(200))
    return sorted({u for u in rows if u})


async def resolve_metric(session: AsyncSession, word: str) -> str:
    cleaned = word.strip().casefold()
    found = canonical_metric(cleaned)
    if found:
        return found
    if _UNIT_RE.match(cleaned) and cleaned in await known_units(session):
        return cleaned
    known = await metric_names(session)
    raise InvalidInput("progress.goal_unknown_metric", metric=word, known=known)


async def metric_names(session: AsyncSession) -> str:
    reported = [u for u in await known_units(session) if canonical_metric(u) is None]
    return ", ".join([*COUNTED, *UNITS, *reported])


# ---- counting ------------------------------------------------------------------------------
def hours_expr(session: AsyncSession, start: Any, end: Any) -> ColumnElement[Any]:
    """Length of [start, end) in hours, in the database (SQLite and PostgreSQL differ)."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    if dialect == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 24.0
    return func.extract("epoch", end - start) / 3600.0


def _in_scope(column: Any, teams: Scope) -> list[ColumnElement[bool]]:
    return [] if teams is None else [column.in_(teams)]


def metric_query(session: AsyncSession, metric: str, teams: Scope, now: datetime) -> Select[Any]:
    """One aggregate SELECT giving a metric's current value for the campaign or some teams."""
    if metric == "volunteers":
        if teams is None:  # role is NOT NULL: all but the few others (no pass over 100,000)
            others = tuple(role for role in Role if role not in VOLUNTEER_ROLES)
            everyone = select(func.count()).select_from(Person).scalar_subquery()
            return select(everyone - select(func.count()).select_from(Person).where(
                Person.role.in_(others)).scalar_subquery())
        return (
            select(func.count(func.distinct(Membership.person_id)))
            .join(Person, Person.id == Membership.person_id)
            .where(Membership.team_id.in_(teams), Person.role.in_(VOLUNTEER_ROLES))
        )
    if metric == "checkins":
        return (
            select(func.count(EventRsvp.id))
            .join(Event, Event.id == EventRsvp.event_id)
            .where(EventRsvp.checked_in_at.is_not(None), *_in_scope(Event.team_id, teams))
        )
    if metric == "events":
        return select(func.count(Event.id)).where(
            Event.status == EventStatus.SCHEDULED,
            Event.ends_at <= now,
            *_in_scope(Event.team_id, teams),
        )
    if metric == "hours":
        return _hours_query(session, teams, now)
    if metric == "shifts":
        return (
            select(func.count(ShiftSignup.id))
            .select_from(ShiftSignup)
            .join(Shift, Shift.id == ShiftSignup.shift_id)
            # Checked-in signups on ended shifts only (bot.services.people.reliability.shift_done).
            .where(shift_done(now), *_in_scope(Shift.team_id, teams))
        )
    if metric == "tasks":
        return (
            select(func.count(TaskClaim.id))
            .join(Task, Task.id == TaskClaim.task_id)
            .where(TaskClaim.status == TaskClaimStatus.DONE, *_in_scope(Task.team_id, teams))
        )
    return select(func.coalesce(func.sum(TaskOutcome.quantity), 0)).where(
        TaskOutcome.unit.in_(unit_group(metric)), *_in_scope(TaskOutcome.team_id, teams)
    )


def _hours_query(session: AsyncSession, teams: Scope, now: datetime) -> Select[Any]:
    """Hours worked: each ended shift's length times its checked-in signups (`shift_done`).

    Driven by the shifts, one length per shift, its signups counted in the covering index
    `ix_shift_signup_shift_checked_in`: not one date computation per signup (at 500,000
    signups that made this the dashboard's slowest statement).
    """
    checked_in = (
        select(func.count())
        .where(ShiftSignup.shift_id == Shift.id, ShiftSignup.checked_in_at.is_not(None))
        .correlate(Shift)
        .scalar_subquery()
    )
    return select(
        func.coalesce(func.sum(hours_expr(session, Shift.starts_at, Shift.ends_at) * checked_in), 0)
    ).where(
        Shift.status == ShiftStatus.OPEN, Shift.ends_at <= now, *_in_scope(Shift.team_id, teams)
    )


async def metric_value(session: AsyncSession, metric: str, teams: Scope, now: datetime) -> float:
    return float(await session.scalar(metric_query(session, metric, teams, now)) or 0)


def _goals_query(teams: Scope, only_teams: bool) -> Select[Goal, str]:
    query = (
        select(Goal, Team.name)
        .outerjoin(Team, Team.id == Goal.team_id)
        .where(Goal.archived_at.is_(None))
        .order_by(Goal.team_id.is_not(None), Goal.deadline.is_(None), Goal.deadline, Goal.id)
        .limit(MAX_GOALS_SHOWN)
    )
    if teams is not None:
        team_filter = Goal.team_id.in_(teams)
        query = query.where(team_filter if only_teams else team_filter | Goal.team_id.is_(None))
    return query


def _progress(goal: Goal, team_name: str | None, current: float, now: datetime) -> GoalProgress:
    return GoalProgress(
        id=goal.id,
        metric=goal.metric,
        team_id=goal.team_id,
        team_name=team_name,
        target=goal.target,
        current=current,
        deadline=goal.deadline,
        created_at=goal.created_at,
        now=now,
    )


def _goal_scope(goal: Goal) -> Scope:
    return None if goal.team_id is None else frozenset({goal.team_id})


async def goals_in(
    session: AsyncSession, teams: Scope, now: datetime, *, only_teams: bool = False
) -> list[GoalProgress]:
    """Live goals visible in a scope, with progress: campaign-wide ones plus the teams' own."""
    found: list[GoalProgress] = []
    for goal, team_name in await session.execute(_goals_query(teams, only_teams)):
        current = await metric_value(session, goal.metric, _goal_scope(goal), now)
        found.append(_progress(goal, team_name, current, now))
    return found


async def goals_counted_at_once(
    sessionmaker: async_sessionmaker[AsyncSession], teams: Scope, now: datetime, limit: int
) -> list[GoalProgress]:
    """`goals_in`'s first `limit` goals, each goal's value counted on a connection of its
    own at the same time (the dashboard waits for the slowest count, not for their sum)."""
    async with sessionmaker() as session:
        rows = (await session.execute(_goals_query(teams, False))).all()[:limit]

    async def count(metric: str, scope: Scope) -> float:
        async with sessionmaker() as session:
            return await metric_value(session, metric, scope, now)

    values = await asyncio.gather(*(count(g.metric, _goal_scope(g)) for g, _ in rows))
    return [_progress(g, name, value, now) for (g, name), value in zip(rows, values, strict=True)]


# ---- use cases -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class GoalArgs:
    metric: str
    target: str
    rest: tuple[str, ...]  # [deadline words] [team name words]


def split_goal_args(args: Sequence[str]) -> GoalArgs:
    if len(args) < 2:
        raise InvalidInput("progress.goal_usage")
    return GoalArgs(args[0], args[1], tuple(args[2:]))


def parse_target(text: str) -> int:
    cleaned = text.replace(".", "").replace(",", "").replace("_", "")
    if not re.fullmatch(r"-?\d{1,15}", cleaned):
        raise InvalidInput("progress.goal_bad_target", target=text)
    value = int(cleaned)
    if value <= 0 or value > MAX_TARGET:
        raise InvalidInput("progress.goal_bad_target", target=text)
    return value


def parse_deadline_and_team(
    rest: Sequence[str], *, now: datetime, tz: str, language: str
) -> tuple[datetime | None, str | None]:
    """`2026-12-31 Jaksel`, `31 Des 2026`, `Jaksel` → (deadline at the day's end, team ref).

    The longest leading run of words that reads as a date is the deadline; what follows
    is the team.  A date in the past is refused rather than read as "no deadline".
    """
    for cut in range(min(len(rest), 3), 0, -1):
        words = " ".join(rest[:cut])
        # Deadlines carry a day number; this keeps a team called "Sel..." from being a Tuesday.
        if not any(ch.isdigit() for ch in words):
            continue
        try:
            when = parse_when(words, now=now, tz=tz, language=language, default_time=time(23, 59))
        except WhenParseError:
            continue
        if when <= now:
            raise InvalidInput("progress.goal_past_deadline", date=words)
        team = " ".join(rest[cut:]) or None
        return when + timedelta(minutes=1), team
    return None, (" ".join(rest) or None)


@dataclass(frozen=True, slots=True)
class GoalSet:
    progress: GoalProgress
    created: bool


async def set_goal(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    args: Sequence[str],
    *,
    now: datetime,
    tz: str,
) -> GoalSet:
    """Creates or updates the goal for (metric, team): `/goal doors 10000 2026-12-31 [team]`."""
    require(actor, Permission.MANAGE_GOALS)
    parsed = split_goal_args(args)
    target = parse_target(parsed.target)
    deadline, team_ref = parse_deadline_and_team(
        parsed.rest, now=now, tz=tz, language=actor.language
    )
    async with sessionmaker.begin() as session:
        metric = await resolve_metric(session, parsed.metric)
        team = await find_team(session, team_ref) if team_ref else None
        team_id = team.id if team else None
        require(actor, Permission.MANAGE_GOALS, team_id)
        goal = await session.scalar(
            select(Goal).where(
                Goal.metric == metric,
                Goal.team_id.is_(None) if team_id is None else Goal.team_id == team_id,
                Goal.archived_at.is_(None),
            )
        )
        created = goal is None
        if goal is None:
            goal = Goal(
                metric=metric,
                team_id=team_id,
                created_by_id=actor.person_id,
                created_at=now,
                updated_at=now,
                target=target,
                deadline=deadline,
            )
            session.add(goal)
        else:
            goal.target, goal.deadline, goal.updated_at = target, deadline, now
        await session.flush()
        audit.record(
            session,
            action="goal.set",
            actor_id=actor.person_id,
            target_type="goal",
            target_id=goal.id,
            metric=metric,
            target=target,
            team_id=team_id,
        )
        scope = None if team_id is None else frozenset({team_id})
        progress = GoalProgress(
            id=goal.id,
            metric=metric,
            team_id=team_id,
            team_name=team.name if team else None,
            target=target,
            current=await metric_value(session, metric, scope, now),
            deadline=deadline,
            created_at=goal.created_at,
            now=now,
        )
        return GoalSet(progress, created)


async def remove_goal(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    metric_word: str,
    team_ref: str | None,
    *,
    now: datetime,
) -> str:
    """`/goal off doors [team]`: archives the goal (the report keeps its history)."""
    require(actor, Permission.MANAGE_GOALS)
    async with sessionmaker.begin() as session:
        metric = canonical_metric(metric_word) or metric_word.strip().casefold()
        team_id = (await find_team(session, team_ref)).id if team_ref else None
        goal = await session.scalar(
            select(Goal).where(
                Goal.metric == metric,
                Goal.team_id.is_(None) if team_id is None else Goal.team_id == team_id,
                Goal.archived_at.is_(None),
            )
        )
        if goal is None:
            raise InvalidInput("progress.goal_not_found", metric=metric_word)
        goal.archived_at = now
        audit.record(
            session,
            action="goal.remove",
            actor_id=actor.person_id,
            target_type="goal",
            target_id=goal.id,
            metric=metric,
        )
        return metric


async def list_goals(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, *, now: datetime
) -> list[GoalProgress]:
    """Goals the actor may see: all for coordinators, campaign-wide + own teams for leads."""
    require(actor, Permission.VIEW_SUMMARY)
    teams = summary_scope(actor)
    async with sessionmaker() as session:
        return await goals_in(session, teams, now)


def summary_scope(actor: Actor) -> Scope:
    """None (everything) for coordinators and admins; a lead's own teams otherwise."""
    return actor.lead_team_ids if actor.role == Role.LEAD else None


def rounded_up(value: float) -> int:
    return math.ceil(value - 1e-9)
