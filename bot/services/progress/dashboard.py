"""What the Mini App's dashboard draws beside `/summary`'s numbers: attendance per event,
each goal's pace, and the budget planned vs spent (a team's lines, or the campaign's).

`/summary` (`bot.services.progress.summary`) gives the totals; the charts need them split
up.  Same definitions, same windows: events of the last 30 days and the coming 7
(`summary.EVENT_LOOKBACK`, `summary.SHIFT_HORIZON`), a goal's pace is the straight line
from its creation to its target at the deadline (`GoalProgress.behind_pace`), spent is
approved or paid (`budget.lines.budget_status`).  Each is one or two grouped statements
over indexed columns, no per-row queries.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.authz import Permission, require
from bot.services.budget.lines import BudgetStatus, budget_status
from bot.services.people.members import Actor
from bot.services.progress.goals import GoalProgress, Scope, summary_scope
from bot.services.progress.summary import EVENT_LOOKBACK, SHIFT_HORIZON
from models import Event, EventRsvp, EventStatus, RsvpStatus

MAX_CHART_EVENTS = 8


@dataclass(frozen=True, slots=True)
class EventAttendance:
    """One event's bar: who said Going, confirmed, came, did not come."""

    event_id: int
    title: str
    starts_at: datetime
    ended: bool
    going: int
    confirmed: int
    checked_in: int
    no_show: int


@dataclass(frozen=True, slots=True)
class GoalPace:
    """Where the goal should stand by now on the straight line to its deadline."""

    goal_id: int
    expected: float | None  # None: no deadline, so no pace to keep
    behind: bool

    @staticmethod
    def of(goal: GoalProgress) -> GoalPace:
        if goal.deadline is None:
            return GoalPace(goal.id, None, False)
        span = (goal.deadline - goal.created_at).total_seconds()
        if span <= 0:
            return GoalPace(goal.id, float(goal.target), goal.behind_pace)
        elapsed = min(max((goal.now - goal.created_at).total_seconds(), 0.0), span)
        return GoalPace(goal.id, goal.target * elapsed / span, goal.behind_pace)


def _scope(actor: Actor, team_id: int | None) -> Scope:
    require(actor, Permission.VIEW_SUMMARY, team_id)
    return frozenset({team_id}) if team_id is not None else summary_scope(actor)


async def attendance(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    team_id: int | None,
    *,
    now: datetime,
) -> tuple[EventAttendance, ...]:
    """The latest events of /summary's window (at most 8), oldest first, with their counts.

    The scope is /summary's: a team's own events for a team (or a lead), all for the campaign.
    """
    teams = _scope(actor, team_id)
    query = (
        select(Event.id, Event.title, Event.starts_at, Event.ends_at)
        .where(
            Event.status == EventStatus.SCHEDULED,
            Event.starts_at >= now - EVENT_LOOKBACK,
            Event.starts_at < now + SHIFT_HORIZON,
        )
        .order_by(Event.starts_at.desc(), Event.id.desc())
        .limit(MAX_CHART_EVENTS)
    )
    if teams is not None:
        query = query.where(Event.team_id.in_(teams))
    going = EventRsvp.status == RsvpStatus.GOING
    async with sessionmaker() as session:
        events = (await session.execute(query)).all()
        rows = await session.execute(
            select(
                EventRsvp.event_id,
                func.sum(case((going, 1), else_=0)),
                func.sum(case((going & EventRsvp.confirmed_at.is_not(None), 1), else_=0)),
                func.sum(case((EventRsvp.checked_in_at.is_not(None), 1), else_=0)),
                func.sum(case((EventRsvp.no_show.is_(True), 1), else_=0)),
            )
            .where(EventRsvp.event_id.in_([e[0] for e in events] or [-1]))
            .group_by(EventRsvp.event_id)
        )
        counts = {int(r[0]): tuple(int(v or 0) for v in r[1:]) for r in rows}
    return tuple(
        EventAttendance(int(i), str(t), s, e <= now, *counts.get(int(i), (0, 0, 0, 0)))
        for i, t, s, e in reversed(events)
    )


async def team_budget(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    team_id: int | None,
    *,
    currency: str,
) -> BudgetStatus:
    """/budget's state (MANAGE_BUDGET, as in chat); for a team only its own lines, the
    totals theirs (what was received stays the campaign's: funds belong to no team)."""
    require(actor, Permission.MANAGE_BUDGET)
    status = await budget_status(sessionmaker, currency=currency)
    if team_id is None:
        return status
    lines = tuple(line for line in status.lines if line.team_id == team_id)
    return replace(
        status,
        lines=lines,
        planned=sum(line.planned for line in lines),
        spent=sum(line.spent for line in lines),
        pending=sum(line.pending for line in lines),
    )
