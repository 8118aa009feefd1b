"""Who really came to a shift: "I'm here" check-in, the lead's check-in list, no-shows.

Volunteer hours and reliability count only checked-in signups (see
`bot.services.people.reliability`), so check-in has to be two taps for the volunteer
(a button on the last reminder and in /my) and one tap per person for the lead.

Windows, all here so the button, the refusal texts and the sweep agree:
- a volunteer checks in from `SELF_OPENS_BEFORE` the start until the end;
- a lead ticks people from the same moment until `LEAD_CLOSES_AFTER` the end
  (corrections the next morning), and may untick;
- the sweep marks a shift's unchecked signups as no-shows `NO_SHOW_GRACE` after
  its end, once per shift (`Shift.no_shows_marked_at`); it looks back only
  `NO_SHOW_LOOKBACK`, so signups from before check-in existed are not judged.

Outside a window nothing changes and the caller gets an outcome saying when the
window opens or that it closed (the handler formats the time in the reader's zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import Conflict, NotFound
from bot.services import audit
from bot.services.authz import Permission, can, is_team_scoped, refusal
from bot.services.people.members import Actor
from bot.services.shifts.common import ShiftView, shift_view
from models import Person, Shift, ShiftSignup, ShiftStatus

SELF_OPENS_BEFORE = timedelta(hours=1)
LEAD_CLOSES_AFTER = timedelta(hours=24)
NO_SHOW_GRACE = timedelta(hours=1)
NO_SHOW_LOOKBACK = timedelta(days=7)
# A reminder rendered this close to the start carries the "I'm here" button (the 2 h one).
REMINDER_BUTTON_WITHIN = timedelta(hours=3)
MAX_LIST = 60  # buttons on one check-in list (Telegram allows 100)


class Outcome(StrEnum):
    CHECKED_IN = "checked_in"
    ALREADY = "already"  # pressing twice is fine
    UNDONE = "undone"  # a lead took a check-in back
    TOO_EARLY = "too_early"
    TOO_LATE = "too_late"


@dataclass(frozen=True, slots=True)
class CheckinResult:
    outcome: Outcome
    shift_id: int
    title: str
    person_name: str
    opens_at: datetime  # when the window opens (for "too early")


@dataclass(frozen=True, slots=True)
class RosterLine:
    signup_id: int
    name: str
    checked_in: bool
    no_show: bool


@dataclass(frozen=True, slots=True)
class ShiftRoster:
    shift: ShiftView
    lines: tuple[RosterLine, ...]
    total: int  # all signups; `lines` may be cut at MAX_LIST

    @property
    def here(self) -> int:
        return sum(1 for line in self.lines if line.checked_in)


def opens_at(starts_at: datetime) -> datetime:
    return starts_at - SELF_OPENS_BEFORE


def self_check_in_open(starts_at: datetime, ends_at: datetime, now: datetime) -> bool:
    """True while a volunteer's own "I'm here" works (shown in /my and the reminder)."""
    return opens_at(starts_at) <= now <= ends_at


def may_check_in_shift(actor: Actor, shift: Shift) -> bool:
    """Coordinators everywhere; leads on their own teams' shifts (not campaign-wide ones)."""
    if shift.team_id is None:
        return can(actor, Permission.CHECK_IN_OTHERS) and not is_team_scoped(actor)
    return can(actor, Permission.CHECK_IN_OTHERS, shift.team_id)


def _result(outcome: Outcome, shift: Shift, person: Person) -> CheckinResult:
    return CheckinResult(outcome, shift.id, shift.title, person.display_name,
                         opens_at(shift.starts_at))


def _mark_here(signup: ShiftSignup, by: int, now: datetime) -> None:
    signup.checked_in_at, signup.checked_in_by_id, signup.no_show = now, by, False


async def _signup_and_shift(
    session: AsyncSession, signup_id: int
) -> tuple[ShiftSignup, Shift, Person]:
    row = (
        await session.execute(
            select(ShiftSignup, Shift, Person)
            .join(Shift, Shift.id == ShiftSignup.shift_id)
            .join(Person, Person.id == ShiftSignup.person_id)
            .where(ShiftSignup.id == signup_id)
        )
    ).first()
    if row is None:
        # A released place or forged data: the button no longer means anything.
        raise NotFound("error.stale_button")
    signup, shift, person = row
    if shift.status == ShiftStatus.CANCELLED:
        raise Conflict("shifts.cancelled")
    return signup, shift, person


async def check_in_self(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, signup_id: int,
    *, now: datetime,
) -> CheckinResult:
    """"I'm here ✅" on my own signup, inside the window; idempotent."""
    async with sessionmaker.begin() as session:
        signup, shift, person = await _signup_and_shift(session, signup_id)
        if signup.person_id != actor.person_id:
            raise NotFound("error.stale_button")  # someone else's place: forged data
        if signup.checked_in_at is not None:
            return _result(Outcome.ALREADY, shift, person)
        if now < opens_at(shift.starts_at):
            return _result(Outcome.TOO_EARLY, shift, person)
        if now > shift.ends_at:
            return _result(Outcome.TOO_LATE, shift, person)
        _mark_here(signup, actor.person_id, now)
        audit.record(session, action="shift.checkin", actor_id=actor.person_id,
                     target_type="shift", target_id=shift.id, by="self")
        return _result(Outcome.CHECKED_IN, shift, person)


async def set_checked_in(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, signup_id: int, here: bool,
    *, now: datetime,
) -> CheckinResult:
    """A lead ticks (or unticks) someone on the list.  The desired state travels in the
    button, so a double tap or a replayed update lands on the same state."""
    async with sessionmaker.begin() as session:
        signup, shift, person = await _signup_and_shift(session, signup_id)
        if not may_check_in_shift(actor, shift):
            raise refusal(actor, Permission.CHECK_IN_OTHERS, shift.team_id)
        if now < opens_at(shift.starts_at):
            return _result(Outcome.TOO_EARLY, shift, person)
        if now > shift.ends_at + LEAD_CLOSES_AFTER:
            return _result(Outcome.TOO_LATE, shift, person)
        if here == (signup.checked_in_at is not None):
            return _result(Outcome.ALREADY, shift, person)
        if here:
            _mark_here(signup, actor.person_id, now)
        else:
            signup.checked_in_at, signup.checked_in_by_id = None, None
            # Once the sweep judged the shift, taking a check-in back means they did not come.
            signup.no_show = shift.no_shows_marked_at is not None
        audit.record(session, action="shift.checkin" if here else "shift.checkin_undo",
                     actor_id=actor.person_id, target_type="shift", target_id=shift.id,
                     person=person.id, by="lead")
        return _result(Outcome.CHECKED_IN if here else Outcome.UNDONE, shift, person)


async def shift_roster(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, shift_id: int
) -> ShiftRoster:
    """Everyone on the shift with their check-in state, for the lead's list."""
    async with sessionmaker() as session:
        shift = await session.get(Shift, shift_id)
        if shift is None:
            raise NotFound("shifts.not_found")
        if not may_check_in_shift(actor, shift):
            raise refusal(actor, Permission.CHECK_IN_OTHERS, shift.team_id)
        if shift.status == ShiftStatus.CANCELLED:
            raise Conflict("shifts.cancelled")
        rows = (
            await session.execute(
                select(ShiftSignup, Person)
                .join(Person, Person.id == ShiftSignup.person_id)
                .where(ShiftSignup.shift_id == shift.id)
                .order_by(Person.first_name, Person.id)
            )
        ).all()
        lines = tuple(
            RosterLine(s.id, p.display_name, s.checked_in_at is not None, s.no_show)
            for s, p in rows
        )
        return ShiftRoster(await shift_view(session, shift), lines[:MAX_LIST], len(lines))


async def shifts_to_check_in(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, *, now: datetime
) -> list[ShiftView]:
    """Shifts whose check-in list is open now and that this lead or coordinator may tick."""
    async with sessionmaker() as session:
        stmt = (
            select(Shift)
            .where(
                Shift.status == ShiftStatus.OPEN,
                Shift.starts_at <= now + SELF_OPENS_BEFORE,
                Shift.ends_at >= now - LEAD_CLOSES_AFTER,
                Shift.taken > 0,
            )
            .order_by(Shift.starts_at, Shift.id)
            .limit(MAX_LIST)
        )
        if is_team_scoped(actor):
            stmt = stmt.where(Shift.team_id.in_(actor.lead_team_ids or {-1}))
        found = [s for s in await session.scalars(stmt) if may_check_in_shift(actor, s)]
        return [await shift_view(session, s) for s in found]


async def mark_no_shows(sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime) -> int:
    """Signups nobody checked in, on shifts that ended over `NO_SHOW_GRACE` ago: no-shows.
    Each shift is judged once; returns how many signups were marked."""
    async with sessionmaker.begin() as session:
        ended = list(
            await session.scalars(
                select(Shift.id)
                .where(
                    Shift.status == ShiftStatus.OPEN,
                    Shift.no_shows_marked_at.is_(None),
                    Shift.ends_at <= now - NO_SHOW_GRACE,
                    Shift.ends_at > now - NO_SHOW_LOOKBACK,
                )
                .limit(500)
            )
        )
        if not ended:
            return 0
        result = await session.execute(
            update(ShiftSignup)
            .where(
                ShiftSignup.shift_id.in_(ended),
                ShiftSignup.checked_in_at.is_(None),
                ShiftSignup.no_show.is_(False),
            )
            .values(no_show=True)
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(Shift)
            .where(Shift.id.in_(ended))
            # Judging is not an edit of the shift: keep updated_at as it was.
            .values(no_shows_marked_at=now, updated_at=Shift.updated_at)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
