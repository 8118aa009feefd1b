"""Periodic sweeps: expiring waitlist offers, nudging for free places, escalating overdue tasks,
marking shift no-shows.

Each sweep is idempotent (outbox dedup keys, `escalated_at`, `no_shows_marked_at`), so running it
every minute, twice, or on two replicas sends each nudge at most once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery.kinds import SHIFT_FREE_NUDGE, TASK_OVERDUE
from bot.delivery.outbox import enqueue
from bot.services.shifts.checkin import mark_no_shows
from bot.services.shifts.common import (
    COORDINATOR_ROLES,
    coordinator_targets,
    eligible_people,
    lead_targets,
)
from bot.services.shifts.waitlist import ExpiredOffer, expire_offers
from models import (
    Membership,
    Person,
    Shift,
    ShiftSignup,
    ShiftStatus,
    Task,
    TaskClaim,
    TaskClaimStatus,
    WaitlistEntry,
)

# "Starts soon" is true within a day; one nudge lists at most this many shifts.
FREE_NUDGE_WINDOW = timedelta(hours=24)
FREE_NUDGE_MAX = 5
_UTC = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class SweepReport:
    offers_expired: int
    free_nudges: int
    overdue_escalations: int
    no_shows: int = 0
    expired_offers: tuple[ExpiredOffer, ...] = ()


async def nudge_free_places(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime, tz: ZoneInfo = _UTC
) -> int:
    """Shifts starting within 24 h with free places: at most one nudge per person and local
    day (in their zone, else `tz`), listing up to `FREE_NUDGE_MAX` of the shifts they could
    take.  Never to the shift's creator, its team's leads or the coordinators; not urgent, so
    the outbox holds it through the person's quiet hours."""
    async with sessionmaker.begin() as session:
        shifts = list(
            await session.scalars(
                select(Shift)
                .where(
                    Shift.status == ShiftStatus.OPEN,
                    Shift.starts_at > now,
                    Shift.starts_at <= now + FREE_NUDGE_WINDOW,
                    Shift.taken < Shift.capacity,
                )
                .order_by(Shift.starts_at, Shift.id)
            )
        )
        offers: dict[int, tuple[int, str | None, list[int]]] = {}
        for shift in shifts:
            for person_id, telegram_id, zone in (await session.execute(_could_take(shift))).all():
                _, _, ids = offers.setdefault(person_id, (telegram_id, zone, []))
                if len(ids) < FREE_NUDGE_MAX:
                    ids.append(shift.id)
        return await enqueue(
            session,
            [
                SHIFT_FREE_NUDGE.message(
                    chat_id=telegram_id,
                    person_id=person_id,
                    due_at=now,
                    params={"shift_ids": ids},
                    day=now.astimezone(_zone(zone, tz)).date().isoformat(),
                )
                for person_id, (telegram_id, zone, ids) in offers.items()
            ],
        )


def _zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else default
    except (ValueError, KeyError):
        return default


def _could_take(shift: Shift) -> Select[int, int, str | None]:
    """(person id, telegram id, zone) of the people who could take a place on the shift: its
    team's members (with its skill), not on it or its waitlist, not on a clashing shift, not
    its creator, not its team's leads nor a coordinator."""
    on_shift = select(ShiftSignup.person_id).where(ShiftSignup.shift_id == shift.id)
    queued = select(WaitlistEntry.person_id).where(WaitlistEntry.shift_id == shift.id)
    clashing = (
        select(ShiftSignup.person_id)
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(
            Shift.status == ShiftStatus.OPEN,
            Shift.starts_at < shift.ends_at,
            Shift.ends_at > shift.starts_at,
        )
    )
    stmt = (
        eligible_people(shift.team_id, shift.skill_id)
        .add_columns(Person.timezone)
        .where(
            Person.id.not_in(on_shift),
            Person.id.not_in(queued),
            Person.id.not_in(clashing),
            Person.role.not_in(COORDINATOR_ROLES),
        )
        .order_by(Person.id)
    )
    if shift.created_by_id is not None:
        stmt = stmt.where(Person.id != shift.created_by_id)
    if shift.team_id is not None:
        leads = select(Membership.person_id).where(
            Membership.team_id == shift.team_id, Membership.is_lead.is_(True)
        )
        stmt = stmt.where(Person.id.not_in(leads))
    return stmt


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
        await nudge_free_places(sessionmaker, now=now, tz=settings.tz),
        await escalate_overdue(sessionmaker, now=now),
        await mark_no_shows(sessionmaker, now=now),
        tuple(expired),
    )
