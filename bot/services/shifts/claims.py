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

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery.kinds import SHIFT_LATE_RELEASE, signup_cause
from bot.delivery.outbox import enqueue, withdraw
from bot.errors import Conflict, NotAllowed, NotFound
from bot.services import audit
from bot.services.people.members import Actor
from bot.services.shifts.capacity import add_signup, check_claimable, take_place
from bot.services.shifts.common import ShiftView, lead_targets, shift_view
from bot.services.shifts.tasks import MyTask, my_tasks
from bot.services.shifts.waitlist import free_place
from models import (
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

    The signup, its reminders and the audit are written first; the conditional UPDATE
    of `taken` comes last, right before COMMIT, so the shift row is locked (PostgreSQL)
    for one statement, not for the whole use case: claims on one popular shift queue
    on that lock, and the shorter it is held, the more claims per second pass.
    """
    try:
        async with sessionmaker.begin() as session:
            shift = await check_claimable(session, actor, await session.get(Shift, shift_id), now)
            if shift.taken >= shift.capacity:
                raise _Full()
            # Added before the signup's flush: one flush writes both rows.
            audit.record(
                session,
                action="shift.claim",
                actor_id=actor.person_id,
                target_type="shift",
                target_id=shift_id,
            )
            signup_id = await add_signup(session, settings, actor, shift, now)
            view = await _claim_view(session, actor, shift)  # before the lock: nothing after it
            taken = await take_place(session, shift_id)
            if taken is None:
                raise _Full()
        return ClaimResult(replace(view, taken=taken), signup_id)
    except IntegrityError:
        # The unique (shift, person) signup: a double tap that raced itself.
        raise Conflict("shifts.already_yours") from None
    except _Full:
        return await _full_result(sessionmaker, actor, shift_id)


async def _claim_view(session: AsyncSession, actor: Actor, shift: Shift) -> ShiftView:
    """The claimed shift's view; its team is one of the actor's, so its name needs no query."""
    team = next((t for t in actor.teams if t.id == shift.team_id), None)
    if shift.skill_id is not None or (shift.team_id is not None and team is None):
        return await shift_view(session, shift)
    return ShiftView(
        id=shift.id,
        title=shift.title,
        team_id=shift.team_id,
        team_name=team.name if team else None,
        place=shift.place,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        capacity=shift.capacity,
        taken=shift.taken,
        skill_name=None,
        notes=shift.notes,
        cancelled=shift.status == ShiftStatus.CANCELLED,
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
