"""A place on a shift: who may take one, taking it, giving it back.

The one primitive that keeps a shift from overfilling: `take_place` is a conditional
`UPDATE shift SET taken = taken + 1 WHERE taken < capacity` (and the shift still open),
so under any number of simultaneous taps the database hands out at most `capacity`
places.  Claims (`claims`), the waitlist and cover (`waitlist`) all take, hold and give
back places through this module, so neither needs the other.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery.outbox import enqueue
from bot.errors import Conflict, NotFound
from bot.services.people.members import Actor
from bot.services.people.skills import person_skill_ids
from bot.services.shifts.common import reminder_messages
from models import Person, Shift, ShiftSignup, ShiftStatus


async def check_claimable(
    session: AsyncSession, actor: Actor, shift: Shift | None, now: datetime
) -> Shift:
    """Refuses cancelled, started, foreign-team, missing-skill and overlapping claims."""
    if shift is None:
        raise NotFound("shifts.not_found")
    if shift.status == ShiftStatus.CANCELLED:
        raise Conflict("shifts.cancelled")
    if shift.starts_at <= now:
        raise Conflict("shifts.past")
    if shift.team_id is not None and shift.team_id not in actor.team_ids:
        raise Conflict("shifts.not_your_team")
    if shift.skill_id is not None and shift.skill_id not in await person_skill_ids(
        session, actor.person_id
    ):
        raise Conflict("shifts.needs_skill")
    if not _is_sqlite(session):
        # Serialises one person's claims (row lock), so two overlapping claims racing each
        # other cannot both pass the overlap check.  SQLite writers are serial already.
        await session.execute(
            select(Person.id).where(Person.id == actor.person_id).with_for_update()
        )
    # One round trip for both refusals: this very shift (already mine) sorts first, else the
    # first open shift of mine that overlaps it (the clash to name).
    mine = (
        await session.execute(
            select(Shift.id, Shift.title)
            .join(ShiftSignup, ShiftSignup.shift_id == Shift.id)
            .where(
                ShiftSignup.person_id == actor.person_id,
                or_(
                    Shift.id == shift.id,
                    and_(
                        Shift.status == ShiftStatus.OPEN,
                        Shift.starts_at < shift.ends_at,
                        Shift.ends_at > shift.starts_at,
                    ),
                ),
            )
            .order_by(case((Shift.id == shift.id, 0), else_=1), Shift.starts_at)
            .limit(1)
        )
    ).first()
    if mine is not None and mine.id == shift.id:
        raise Conflict("shifts.already_yours")
    if mine is not None:
        raise Conflict("shifts.overlap", title=mine.title, id=mine.id)
    return shift


def _is_sqlite(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "sqlite"


async def add_signup(
    session: AsyncSession, settings: Settings, actor: Actor, shift: Shift, now: datetime
) -> int:
    """Inserts the signup and writes its reminders; the place must already be counted."""
    signup = ShiftSignup(shift_id=shift.id, person_id=actor.person_id, created_at=now)
    session.add(signup)
    await session.flush()
    await enqueue(
        session,
        reminder_messages(settings, signup.id, actor.person_id, actor.telegram_id, shift, now),
    )
    return signup.id


async def take_place(session: AsyncSession, shift_id: int) -> int | None:
    """Counts one more place taken if one is free and the shift is open: the new count,
    or None when it was full (or no longer open).  Run it last before COMMIT: on
    PostgreSQL it locks the shift row until then."""
    taken = await session.scalar(
        update(Shift)
        .where(
            Shift.id == shift_id,
            Shift.status == ShiftStatus.OPEN,
            Shift.taken < Shift.capacity,
        )
        .values(taken=Shift.taken + 1)
        .returning(Shift.taken)
        .execution_options(synchronize_session=False)
    )
    return None if taken is None else int(taken)


async def give_back_place(session: AsyncSession, shift: Shift) -> None:
    """Counts one place fewer taken (never below zero) and reloads the shift."""
    await session.execute(
        update(Shift)
        .where(Shift.id == shift.id, Shift.taken > 0)
        .values(taken=Shift.taken - 1)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(shift)
