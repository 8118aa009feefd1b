"""A place on a shift: who may take one, taking it, giving it back.

The one primitive that keeps a shift from overfilling: `take_place` is a conditional
`UPDATE shift SET taken = taken + 1 WHERE taken < capacity` (and the shift still open),
so under any number of simultaneous taps the database hands out at most `capacity`
places.  Claims (`claims`), the waitlist and cover (`waitlist`) all take, hold and give
back places through this module, so neither needs the other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Row,
    Select,
    Table,
    and_,
    bindparam,
    case,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery.outbox import enqueue
from bot.errors import Conflict, NotFound
from bot.services.people.members import Actor
from bot.services.people.skills import person_skill_ids
from bot.services.shifts.common import reminder_messages
from bot.sqlite_driver import INLINE
from models import Person, PersonSkill, Shift, ShiftSignup, ShiftStatus, Skill, Team


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
    await refuse_mine(session, actor.person_id, shift.id, shift.starts_at, shift.ends_at)
    return shift


def mine_clause(person_id: int, shift_id: int, starts_at: datetime, ends_at: datetime) -> Select:
    """The person's signups that stand in the way of this claim: this very shift (already
    mine) sorts first, else the first open shift of mine that overlaps it (the clash)."""
    return (
        select(Shift.id, Shift.title)
        .join(ShiftSignup, ShiftSignup.shift_id == Shift.id)
        .where(
            ShiftSignup.person_id == person_id,
            or_(
                Shift.id == shift_id,
                and_(
                    Shift.status == ShiftStatus.OPEN,
                    Shift.starts_at < ends_at,
                    Shift.ends_at > starts_at,
                ),
            ),
        )
        .order_by(case((Shift.id == shift_id, 0), else_=1), Shift.starts_at)
        .limit(1)
    )


async def refuse_mine(
    session: AsyncSession, person_id: int, shift_id: int, starts_at: datetime, ends_at: datetime
) -> None:
    """Raises "already yours" or "clashes with <shift>" when one of the person's signups is
    in the way (one round trip for both refusals); returns when none is."""
    mine = (await session.execute(mine_clause(person_id, shift_id, starts_at, ends_at))).first()
    if mine is not None and mine.id == shift_id:
        raise Conflict("shifts.already_yours")
    if mine is not None:
        raise Conflict("shifts.overlap", title=mine.title, id=mine.id)


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


_TAKE_PLACE = (
    update(Shift)
    .where(
        Shift.id == bindparam("shift_id", type_=Shift.id.type),
        Shift.status == ShiftStatus.OPEN,
        Shift.taken < Shift.capacity,
    )
    .values(taken=Shift.taken + 1)
    .returning(Shift.taken)
    .execution_options(synchronize_session=False, **INLINE)
)


def take_place(conn: Connection, shift_id: int) -> int | None:
    """Counts one more place taken if one is free and the shift is open: the new count,
    or None when it was full (or no longer open).  Run it last before COMMIT: on
    PostgreSQL it locks the shift row until then.  (One statement built once.)"""
    taken = conn.scalar(_TAKE_PLACE, {"shift_id": shift_id})
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


# ---- the claim's own statements (claims.claim_shift: the rally's hot path) ---------------
# Built once, with bound parameters: a claim neither rebuilds them nor recomputes their
# cache keys (a tenth of a claim's CPU when they were built per call).  Each reads or
# writes a few rows by key: on SQLite they run without a thread hop (INLINE).  They are
# sync functions on a Core connection: the claim runs them together in one `run_sync`
# (`claims._place`).
_PERSON = bindparam("claim_person", type_=ShiftSignup.person_id.type)
_SHIFT = bindparam("claim_shift", type_=ShiftSignup.shift_id.type)
_STARTS = bindparam("claim_starts", type_=Shift.starts_at.type)
_ENDS = bindparam("claim_ends", type_=Shift.ends_at.type)
_NOW = bindparam("claim_now", type_=ShiftSignup.created_at.type)

# One SELECT for everything a claim checks and its answer shows: the shift, its team's and
# skill's names and whether the person has that skill.  On PostgreSQL it also locks the
# person's row (`FOR UPDATE OF person`): one person's claims queue here, so two overlapping
# claims racing each other cannot both pass the overlap check that follows (SQLite renders
# no FOR UPDATE: its writers are serial already).
CLAIM_READ = (
    select(
        Shift.id, Shift.title, Shift.team_id, Team.name.label("team_name"), Shift.place,
        Shift.starts_at, Shift.ends_at, Shift.capacity, Shift.taken, Shift.skill_id,
        Skill.name.label("skill_name"), Shift.notes, Shift.status,
        select(PersonSkill.person_id)
        .where(PersonSkill.person_id == _PERSON, PersonSkill.skill_id == Shift.skill_id)
        .exists()
        .label("has_skill"),
    )
    .select_from(Shift)
    .join(Person, Person.id == _PERSON)
    .outerjoin(Team, Team.id == Shift.team_id)
    .outerjoin(Skill, Skill.id == Shift.skill_id)
    .where(Shift.id == _SHIFT)
    .with_for_update(of=Person)
    .execution_options(**INLINE)
)

# The signup, only if none of the person's is in the way (this shift, or an open one that
# overlaps it): `refuse_mine`'s condition and the insert in one statement.
_IN_THE_WAY = (
    select(ShiftSignup.id)
    .join(Shift, Shift.id == ShiftSignup.shift_id)
    .where(
        ShiftSignup.person_id == _PERSON,
        or_(
            Shift.id == _SHIFT,
            and_(Shift.status == ShiftStatus.OPEN, Shift.starts_at < _ENDS,
                 Shift.ends_at > _STARTS),
        ),
    )
    .exists()
)
_SIGNUP_TABLE: Table = ShiftSignup.__table__  # type: ignore[assignment]
# Core's INSERT, not the ORM's: parameters passed with an ORM insert mean "bulk insert".
_SIGNUP_UNLESS_MINE = (
    insert(_SIGNUP_TABLE)
    .from_select(
        ["shift_id", "person_id", "created_at", "no_show"],
        select(_SHIFT, _PERSON, _NOW, literal(False, ShiftSignup.no_show.type)).where(
            ~_IN_THE_WAY
        ),
    )
    .returning(_SIGNUP_TABLE.c.id)
    .execution_options(**INLINE)
)


def claim_read(conn: Connection, person_id: int, shift_id: int) -> Row[Any] | None:
    """`CLAIM_READ`'s row, None when the shift does not exist."""
    result = conn.execute(CLAIM_READ, {"claim_person": person_id, "claim_shift": shift_id})
    return result.first()  # type: ignore[return-value]


def refuse_unclaimable(actor: Actor, row: Row[Any] | None, now: datetime) -> Row[Any]:
    """`check_claimable`'s refusals, in its order, judged on `claim_read`'s row (no query)."""
    if row is None:
        raise NotFound("shifts.not_found")
    if row.status == ShiftStatus.CANCELLED:
        raise Conflict("shifts.cancelled")
    if row.starts_at <= now:
        raise Conflict("shifts.past")
    if row.team_id is not None and row.team_id not in actor.team_ids:
        raise Conflict("shifts.not_your_team")
    if row.skill_id is not None and not row.has_skill:
        raise Conflict("shifts.needs_skill")
    return row


def insert_signup_unless_mine(
    conn: Connection, person_id: int, row: Row[Any], now: datetime
) -> int | None:
    """Inserts the signup unless one of the person's is in the way; the new signup's id, or
    None when one was (`refuse_mine` then names it)."""
    signup_id = conn.scalar(
        _SIGNUP_UNLESS_MINE,
        {"claim_shift": row.id, "claim_person": person_id, "claim_now": now,
         "claim_starts": row.starts_at, "claim_ends": row.ends_at},
    )
    return None if signup_id is None else int(signup_id)
