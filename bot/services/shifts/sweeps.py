"""Periodic sweeps: expiring waitlist offers, nudging for free places, escalating overdue tasks,
marking shift no-shows.

Each sweep is idempotent (outbox dedup keys, `escalated_at`, `no_shows_marked_at`), so running it
every minute, twice, or on two replicas sends each nudge at most once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery.kinds import SHIFT_FREE_NUDGE, TASK_OVERDUE
from bot.delivery.outbox import enqueue
from bot.services.shifts.checkin import mark_no_shows
from bot.services.shifts.common import coordinator_targets, eligible_people, lead_targets
from bot.services.shifts.waitlist import ExpiredOffer, expire_offers
from models import (
    Person,
    Shift,
    ShiftSignup,
    ShiftStatus,
    Task,
    TaskClaim,
    TaskClaimStatus,
    WaitlistEntry,
)

FREE_NUDGE_WINDOW = timedelta(hours=48)


@dataclass(frozen=True, slots=True)
class SweepReport:
    offers_expired: int
    free_nudges: int
    overdue_escalations: int
    no_shows: int = 0
    expired_offers: tuple[ExpiredOffer, ...] = ()


async def nudge_free_places(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime
) -> int:
    """Shifts within 48 h with free places: one nudge per shift and eligible person, ever."""
    total = 0
    async with sessionmaker() as session:
        shifts = list(
            await session.scalars(
                select(Shift).where(
                    Shift.status == ShiftStatus.OPEN,
                    Shift.starts_at > now,
                    Shift.starts_at <= now + FREE_NUDGE_WINDOW,
                    Shift.taken < Shift.capacity,
                )
            )
        )
    for shift in shifts:
        async with sessionmaker.begin() as session:
            on_shift = select(ShiftSignup.person_id).where(ShiftSignup.shift_id == shift.id)
            queued = select(WaitlistEntry.person_id).where(WaitlistEntry.shift_id == shift.id)
            people = (
                await session.execute(
                    eligible_people(shift.team_id, shift.skill_id).where(
                        Person.id.not_in(on_shift), Person.id.not_in(queued)
                    )
                )
            ).all()
            total += await enqueue(
                session,
                [
                    SHIFT_FREE_NUDGE.message(
                        chat_id=telegram_id,
                        person_id=person_id,
                        due_at=now,
                        params={"shift_id": shift.id},
                        shift_id=shift.id,
                    )
                    for person_id, telegram_id in people
                ],
            )
    return total


async def escalate_overdue(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime
) -> int:
    """Claims past their deadline and not done: tell the team's leads and the coordinators."""
    total = 0
    async with sessionmaker.begin() as session:
        rows = (
            await session.execute(
                select(TaskClaim, Task, Person)
                .join(Task, Task.id == TaskClaim.task_id)
                .join(Person, Person.id == TaskClaim.person_id)
                .where(
                    TaskClaim.status == TaskClaimStatus.CLAIMED,
                    TaskClaim.escalated_at.is_(None),
                    Task.status == ShiftStatus.OPEN,
                    Task.deadline <= now,
                )
                .limit(500)
            )
        ).all()
        coordinators = await coordinator_targets(session)
        for claim, task, person in rows:
            targets = dict(await lead_targets(session, task.team_id))
            targets.update(dict(coordinators))
            total += await enqueue(
                session,
                [
                    TASK_OVERDUE.message(
                        chat_id=telegram_id,
                        person_id=target_id,
                        due_at=now,
                        params={"task_id": task.id, "claim_id": claim.id,
                                "name": person.display_name},
                        claim_id=claim.id,
                    )
                    for target_id, telegram_id in targets.items()
                ],
            )
            await session.execute(
                update(TaskClaim).where(TaskClaim.id == claim.id).values(escalated_at=now)
            )
    return total


async def sweep(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, *, now: datetime
) -> SweepReport:
    """Everything the periodic job does, in order; each step commits on its own."""
    expired = await expire_offers(sessionmaker, settings, now=now)
    return SweepReport(
        len(expired),
        await nudge_free_places(sessionmaker, now=now),
        await escalate_overdue(sessionmaker, now=now),
        await mark_no_shows(sessionmaker, now=now),
        tuple(expired),
    )
