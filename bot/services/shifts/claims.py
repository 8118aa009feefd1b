"""Claiming and releasing a place on a shift, and "my upcoming shifts".

The place is taken through `capacity.take_place` (a conditional UPDATE) in the
same transaction as the signup insert and its reminders: under any number of
simultaneous taps, the database hands out at most `capacity` places, and a full
shift answers "full" (with the waitlist) instead of an error.  A released place
goes to the waitlist first (`waitlist.free_place`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.delivery.kinds import SHIFT_LATE_RELEASE, signup_cause
from bot.delivery.outbox import enqueue, enqueue_on, withdraw
from bot.errors import Conflict, NotAllowed, NotFound
from bot.services import audit
from bot.services.people.members import Actor
from bot.services.shifts.capacity import (
    claim_read,
    insert_signup_unless_mine,
    refuse_mine,
    refuse_unclaimable,
    take_place,
)
from bot.services.shifts.common import ShiftView, lead_targets, reminder_messages, shift_view
from bot.services.shifts.tasks import MyTask, my_tasks
from bot.services.shifts.waitlist import free_place
from bot.sqlite_driver import INLINE
from models import (
    AuditEntry,
    CoverRequest,
    CoverStatus,
    Shift,
    ShiftSignup,
    ShiftStatus,
    WaitlistEntry,
    WaitlistStatus,
)


@dataclass(frozen=True, slots=True)
class ClaimResult:
    shift: ShiftView
    signup_id: int | None  # None: the shift was full (offer the waitlist)
    on_waitlist: bool = False

    @property
    def full(self) -> bool:
        return self.signup_id is None


UNDO_RELEASE_WINDOW = timedelta(seconds=30)  # "Undo" under a release takes the place back


@dataclass(frozen=True, slots=True)
class ReleaseResult:
    shift: ShiftView
    late: bool  # after the cutoff: the lead was told
    offered: bool  # the place went to the first on the waitlist
    released_at: datetime | None = None  # when: the undo is judged from it


@dataclass(frozen=True, slots=True)
class MyUpcoming:
    """/my: the person's upcoming shifts and open task claims."""

    shifts: tuple[MySignup, ...]
    tasks: tuple[MyTask, ...]


@dataclass(frozen=True, slots=True)
class MySignup:
    signup_id: int
    shift: ShiftView
    cover_open: bool
    checked_in: bool = False


class _Full(Exception):
    """Internal: the conditional UPDATE found no free place; rolls the signup back."""


async def claim_shift(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    shift_id: int,
    settings: Settings,
    *,
    now: datetime,
) -> ClaimResult:
    """Takes a place, or reports the shift full (the caller offers the waitlist).

    Five statements in one transaction, the same on SQLite and PostgreSQL: one SELECT reads
    the shift with everything the checks and the answer need (and locks the person's row on
    PostgreSQL, `capacity.claim_read`); the signup is inserted only if none of the person's
    own is in the way (the check and the insert in one statement); its reminders and the
    audit go in; the conditional UPDATE of `taken` comes last, right before COMMIT, so the
    shift row is locked (PostgreSQL) for one statement, not for the whole use case: claims
    on one popular shift queue on that lock, and the shorter it is held, the more claims
    per second pass.  Refusals (already yours, a clash) cost one more SELECT, off the path.
    """
    try:
        async with sessionmaker.begin() as session:
            placed = await session.run_sync(_place, actor, shift_id, settings, now)
            if placed.signup_id is None:
                row = placed.row
                await refuse_mine(session, actor.person_id, row.id, row.starts_at, row.ends_at)
                if placed.full:
                    raise _Full()
                raise Conflict("shifts.already_yours")  # released in between: still in the way
        return ClaimResult(placed.view, placed.signup_id)
    except IntegrityError:
        # The unique (shift, person) signup: a double tap that raced itself.
        raise Conflict("shifts.already_yours") from None
    except _Full:
        return await _full_result(sessionmaker, actor, shift_id)


@dataclass(frozen=True, slots=True)
class _Placed:
    """What `_place` did: a signup (and the shift's view with its new count), or nothing,
    because the shift was full or one of the person's signups was in the way."""

    row: Row[Any]
    view: ShiftView
    signup_id: int | None = None
    full: bool = False


def _place(
    session: Session, actor: Actor, shift_id: int, settings: Settings, now: datetime
) -> _Placed:
    """The claim's statements, on the session's Core connection in one `run_sync`.

    Sync code in SQLAlchemy's greenlet: one hand-off for the whole claim instead of one per
    statement, and no ORM layer around statements that load no ORM objects (measured on
    PostgreSQL: a claim's CPU 2.5-3.7 -> 1.8-2.5 ms).  A refusal raises from here; "full"
    and "in the way" return, and the caller names the refusal."""
    conn = session.connection()
    row = refuse_unclaimable(actor, claim_read(conn, actor.person_id, shift_id), now)
    view = _claim_view(row)
    if row.taken >= row.capacity:
        return _Placed(row, view, full=True)
    signup_id = insert_signup_unless_mine(conn, actor.person_id, row, now)
    if signup_id is None:
        return _Placed(row, view)
    enqueue_on(
        conn, reminder_messages(settings, signup_id, actor.person_id, actor.telegram_id, view, now)
    )
    conn.execute(_AUDIT_INSERT, _claim_audit(actor, shift_id))
    taken = take_place(conn, shift_id)
    if taken is None:
        raise _Full()
    return _Placed(row, replace(view, taken=taken), signup_id)


_AUDIT_INSERT = (
    insert(AuditEntry.__table__).inline().execution_options(**INLINE)  # type: ignore[arg-type]
)


def _claim_audit(actor: Actor, shift_id: int) -> dict[str, object]:
    """The claim's audit row (what `audit.record` adds), inserted as plain Core: no ORM
    flush, and no RETURNING of an id nobody reads."""
    return {
        "action": "shift.claim",
        "actor_id": actor.person_id,
        "actor_telegram_id": None,
        "target_type": "shift",
        "target_id": shift_id,
        "outcome": "ok",
        "details": {},
    }


def _claim_view(row: Row[Any]) -> ShiftView:
    """The claimed shift's view from `claim_read`'s row: no further query."""
    return ShiftView(
        id=row.id,
        title=row.title,
        team_id=row.team_id,
        team_name=row.team_name,
        place=row.place,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        capacity=row.capacity,
        taken=row.taken,
        skill_name=row.skill_name,
        notes=row.notes,
        cancelled=row.status == ShiftStatus.CANCELLED,
    )


async def _full_result(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, shift_id: int
) -> ClaimResult:
    async with sessionmaker() as session:
        shift = await session.get(Shift, shift_id)
        assert shift is not None
        waiting = await session.scalar(
            select(WaitlistEntry.id).where(
                WaitlistEntry.shift_id == shift_id,
                WaitlistEntry.person_id == actor.person_id,
                WaitlistEntry.status.in_((WaitlistStatus.WAITING, WaitlistStatus.OFFERED)),
            )
        )
        return ClaimResult(await shift_view(session, shift), None, waiting is not None)


async def release_signup(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    signup_id: int,
    settings: Settings,
    *,
    now: datetime,
) -> ReleaseResult:
    """Gives the place back; late releases tell the lead; a waitlist gets the place first."""
    async with sessionmaker.begin() as session:
        signup = await session.get(ShiftSignup, signup_id)
        if signup is None:
            raise NotFound("shifts.signup_gone")
        if signup.person_id != actor.person_id:
            # Forged callback data: someone else's place.
            raise NotAllowed("shifts.not_yours", permission="release_other")
        shift = await session.get(Shift, signup.shift_id, with_for_update=True)
        assert shift is not None
        if shift.status == ShiftStatus.CANCELLED:
            raise Conflict("shifts.cancelled")
        if shift.starts_at <= now:
            raise Conflict("shifts.past")
        await withdraw(session, signup_cause(signup_id))
        await session.execute(
            update(CoverRequest)
            .where(CoverRequest.signup_id == signup_id, CoverRequest.status == CoverStatus.OPEN)
            .values(status=CoverStatus.WITHDRAWN, closed_at=now)
        )
        await session.execute(delete(ShiftSignup).where(ShiftSignup.id == signup_id))
        late = shift.starts_at - now < timedelta(hours=settings.release_cutoff_hours)
        if late:
            await enqueue(
                session,
                [
                    SHIFT_LATE_RELEASE.message(
                        chat_id=telegram_id,
                        person_id=person_id,
                        due_at=now,
                        params={"shift_id": shift.id, "name": actor.display_name},
                        signup_id=signup_id,
                        shift_id=shift.id,
                    )
                    for person_id, telegram_id in await lead_targets(session, shift.team_id)
                ],
            )
        offered = await free_place(session, settings, shift, now)
        audit.record(
            session,
            action="shift.release",
            actor_id=actor.person_id,
            target_type="shift",
            target_id=shift.id,
            late=late,
        )
        await session.flush()
        return ReleaseResult(await shift_view(session, shift), late, offered, now)


async def undo_release(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    shift_id: int,
    released_at: int,
    settings: Settings,
    *,
    now: datetime,
) -> ClaimResult:
    """"Undo" under a release: within `UNDO_RELEASE_WINDOW` of `released_at` (epoch seconds,
    carried by the button) the place is claimed again through the same race-proof path as
    any claim (new reminders planned); later, or when the place went to someone else (the
    first in line got an offer), it is refused and nothing changes."""
    at = datetime.fromtimestamp(released_at, UTC)
    if not timedelta(0) <= now - at <= UNDO_RELEASE_WINDOW:
        raise Conflict("shifts.undo_passed", seconds=int(UNDO_RELEASE_WINDOW.total_seconds()))
    result = await claim_shift(sessionmaker, actor, shift_id, settings, now=now)
    if result.full:
        raise Conflict("shifts.undo_gone")
    return result


async def my_signups(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, *, now: datetime
) -> list[MySignup]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(ShiftSignup.id, Shift, ShiftSignup.checked_in_at)
            .join(Shift, Shift.id == ShiftSignup.shift_id)
            .where(
                ShiftSignup.person_id == actor.person_id,
                Shift.status == ShiftStatus.OPEN,
                Shift.ends_at > now,
            )
            .order_by(Shift.starts_at)
            .limit(50)
        )
        open_covers = set(
            await session.scalars(
                select(CoverRequest.signup_id).where(
                    CoverRequest.requester_id == actor.person_id,
                    CoverRequest.status == CoverStatus.OPEN,
                )
            )
        )
        return [
            MySignup(signup_id, await shift_view(session, shift), signup_id in open_covers,
                     checked_in_at is not None)
            for signup_id, shift, checked_in_at in rows.all()
        ]


async def my_upcoming(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, *, now: datetime
) -> MyUpcoming:
    """Everything /my lists: upcoming shifts (with cover and check-in state) and tasks."""
    shifts = await my_signups(sessionmaker, actor, now=now)
    return MyUpcoming(tuple(shifts), tuple(await my_tasks(sessionmaker, actor)))
