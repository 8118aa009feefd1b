"""Digests and milestone thank-yous: what needs action, pushed through the outbox.

The daily job enqueues one `digest.daily_lead` row per team lead and the weekly
job one `digest.weekly` row per coordinator; the dedup key is the recipient and
the local date (or ISO week), so a restart or a second replica never sends a
digest twice.  The rows carry no numbers: the renderer counts at send time, so
a digest delayed by quiet hours still tells the truth when it arrives; how a digest
reads is `bot.views.progress_digests`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import kinds
from bot.delivery.outbox import NewMessage, enqueue
from bot.services.people.reliability import shift_done
from bot.services.progress.goals import GoalProgress, Scope, goals_in, hours_expr
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
)

DAILY_KIND = kinds.DIGEST_DAILY.name
WEEKLY_KIND = kinds.DIGEST_WEEKLY.name
MILESTONE_KIND = kinds.MILESTONE.name
COORDINATOR_ROLES = (Role.ADMIN, Role.COORDINATOR)
URGENT = timedelta(hours=48)
MAX_ITEMS = 5
SHIFT_MILESTONES = (10, 25, 50, 100)
HOUR_MILESTONES = (10, 25, 50, 100, 250)


@dataclass(frozen=True, slots=True)
class ActionItems:
    unfilled: tuple[tuple[str, datetime, int], ...]  # title, starts, free places
    unfilled_total: int
    unconfirmed: tuple[tuple[str, datetime, int], ...]  # event, starts, unconfirmed RSVPs
    unconfirmed_total: int
    overdue: tuple[tuple[str, int], ...]  # task title, claims overdue
    overdue_total: int
    unreachable: tuple[str, ...]
    unreachable_total: int
    behind: tuple[GoalProgress, ...]
    new_volunteers: int

    @property
    def empty(self) -> bool:
        return not (
            self.unfilled_total
            or self.unconfirmed_total
            or self.overdue_total
            or self.unreachable_total
            or self.behind
        )


def _scoped(query: object, column: object, teams: Scope) -> object:
    return query if teams is None else query.where(column.in_(teams))  # type: ignore[attr-defined]


async def action_items(
    session: AsyncSession, teams: Scope, now: datetime, since: datetime
) -> ActionItems:
    """What a lead (their teams) or a coordinator (everything) should act on now."""
    free = Shift.capacity - Shift.taken
    unfilled_q = (
        select(Shift.title, Shift.starts_at, free)
        .where(
            Shift.status == ShiftStatus.OPEN,
            Shift.starts_at >= now,
            Shift.starts_at < now + URGENT,
            Shift.taken < Shift.capacity,
        )
        .order_by(Shift.starts_at)
    )
    unfilled_q = _scoped(unfilled_q, Shift.team_id, teams)  # type: ignore[assignment]
    unfilled = (await session.execute(unfilled_q.limit(MAX_ITEMS))).all()
    unfilled_total = await session.scalar(
        select(func.count()).select_from(unfilled_q.order_by(None).subquery())
    )

    pending = func.count(EventRsvp.id)
    unconfirmed_q = (
        select(Event.title, Event.starts_at, pending)
        .join(EventRsvp, EventRsvp.event_id == Event.id)
        .where(
            Event.status == EventStatus.SCHEDULED,
            Event.starts_at >= now,
            Event.starts_at < now + URGENT,
            EventRsvp.status == RsvpStatus.GOING,
            EventRsvp.confirmed_at.is_(None),
        )
        .group_by(Event.id, Event.title, Event.starts_at)
        .order_by(Event.starts_at)
    )
    unconfirmed_q = _scoped(unconfirmed_q, Event.team_id, teams)  # type: ignore[assignment]
    unconfirmed = (await session.execute(unconfirmed_q)).all()

    overdue_q = (
        select(Task.title, func.count(TaskClaim.id))
        .join(TaskClaim, TaskClaim.task_id == Task.id)
        .where(
            Task.status == ShiftStatus.OPEN,
            Task.deadline < now,
            TaskClaim.status == TaskClaimStatus.CLAIMED,
        )
        .group_by(Task.id, Task.title)
        .order_by(func.min(Task.deadline))
    )
    overdue_q = _scoped(overdue_q, Task.team_id, teams)  # type: ignore[assignment]
    overdue = (await session.execute(overdue_q)).all()

    people = select(Person).where(Person.reachable.is_(False), Person.unreachable_since >= since)
    recent = select(Person.id).where(Person.joined_at >= since, Person.role == Role.VOLUNTEER)
    if teams is not None:
        members = select(Membership.person_id).where(Membership.team_id.in_(teams))
        people = people.where(Person.id.in_(members))
        recent = recent.where(Person.id.in_(members))
    lost = list(await session.scalars(people.order_by(Person.unreachable_since).limit(50)))
    new = await session.scalar(select(func.count()).select_from(recent.subquery()))
    goals = await goals_in(session, teams, now, only_teams=teams is not None)
    return ActionItems(
        unfilled=tuple((t, s, int(f)) for t, s, f in unfilled),
        unfilled_total=int(unfilled_total or 0),
        unconfirmed=tuple((t, s, int(n)) for t, s, n in unconfirmed[:MAX_ITEMS]),
        unconfirmed_total=sum(int(n) for _, _, n in unconfirmed),
        overdue=tuple((t, int(n)) for t, n in overdue[:MAX_ITEMS]),
        overdue_total=sum(int(n) for _, n in overdue),
        unreachable=tuple(p.display_name for p in lost[:MAX_ITEMS]),
        unreachable_total=len(lost),
        behind=tuple(g for g in goals if g.behind_pace),
        new_volunteers=int(new or 0),
    )


# ---- enqueueing (the scheduled jobs call these) ---------------------------------------------
def _local_day(now: datetime, tz: str) -> str:
    return now.astimezone(ZoneInfo(tz)).date().isoformat()


async def enqueue_daily_digests(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime, tz: str
) -> int:
    """One digest per team lead for today's local date; returns how many were new."""
    day = _local_day(now, tz)
    async with sessionmaker.begin() as session:
        leads = (
            await session.execute(
                select(Person.id, Person.telegram_id)
                .where(
                    Person.reachable.is_(True),
                    Person.id.in_(select(Membership.person_id).where(Membership.is_lead.is_(True))),
                )
                .order_by(Person.id)
            )
        ).all()
        return await enqueue(
            session,
            [
                kinds.DIGEST_DAILY.message(
                    chat_id=tg, person_id=pid, due_at=now, params={"day": day}, day=day
                )
                for pid, tg in leads
            ],
        )


async def enqueue_weekly_digests(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime, tz: str
) -> int:
    """One digest per coordinator (and admin) for this ISO week; returns how many were new."""
    year, week, _ = now.astimezone(ZoneInfo(tz)).isocalendar()
    iso_week = f"{year}-W{week:02d}"
    async with sessionmaker.begin() as session:
        people = (
            await session.execute(
                select(Person.id, Person.telegram_id)
                .where(Person.reachable.is_(True), Person.role.in_(COORDINATOR_ROLES))
                .order_by(Person.id)
            )
        ).all()
        return await enqueue(
            session,
            [
                kinds.DIGEST_WEEKLY.message(
                    chat_id=tg, person_id=pid, due_at=now, params={"week": iso_week}, week=iso_week
                )
                for pid, tg in people
            ],
        )


async def enqueue_milestones(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime
) -> int:
    """Thank-yous at 10/25/50/100 shifts and hours; the dedup key sends each one once."""
    async with sessionmaker.begin() as session:
        hours = func.sum(hours_expr(session, Shift.starts_at, Shift.ends_at))
        rows = (
            await session.execute(
                select(Person.id, Person.telegram_id, func.count(ShiftSignup.id), hours)
                .join(ShiftSignup, ShiftSignup.person_id == Person.id)
                .join(Shift, Shift.id == ShiftSignup.shift_id)
                .where(shift_done(now), Person.reachable.is_(True))
                .group_by(Person.id, Person.telegram_id)
                .having(
                    (func.count(ShiftSignup.id) >= SHIFT_MILESTONES[0])
                    | (hours >= HOUR_MILESTONES[0])
                )
            )
        ).all()
        messages: list[NewMessage] = []
        for pid, tg, shifts, total_hours in rows:
            for what, value, steps in (
                ("shifts", shifts, SHIFT_MILESTONES),
                ("hours", float(total_hours or 0), HOUR_MILESTONES),
            ):
                reached = [m for m in steps if value >= m]
                if reached:  # only the highest: no burst of old milestones at once
                    messages.append(
                        kinds.MILESTONE.message(
                            chat_id=tg,
                            person_id=pid,
                            due_at=now,
                            params={"what": what, "count": reached[-1]},
                            what=what,
                            count=reached[-1],
                        )
                    )
        return await enqueue(session, messages)


# ---- what the digests say (their renderers, in `bot.views.progress_digests`, call these) -----
async def daily_items(session: AsyncSession, person_id: int, now: datetime) -> ActionItems | None:
    """A lead's day: their teams' action items, None when they lead no team any more."""
    teams = frozenset(
        await session.scalars(
            select(Membership.team_id).where(
                Membership.person_id == person_id, Membership.is_lead.is_(True)
            )
        )
    )
    if not teams:
        return None
    return await action_items(session, teams, now, now - timedelta(days=1))


async def weekly_items(session: AsyncSession, now: datetime) -> ActionItems:
    """A coordinator's week: the whole campaign's action items."""
    return await action_items(session, None, now, now - timedelta(days=7))
