"""The waitlist with timed offers, and asking for cover.

A freed place is *held* (it stays counted in `shift.taken`) for the first
person in line while their offer is open, so nobody else can take it in the
meantime; accepting turns the hold into a signup, declining or letting the
offer expire passes the hold on, and an empty line finally gives the place
back and tells the lead.  The hold window is the configured one, shorter when
the shift is close.  Cover works the other way round: the original person
keeps the place until someone accepts, and the swap is one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery.kinds import (
    SHIFT_COVER_OFFER,
    SHIFT_COVER_TAKEN,
    SHIFT_WAITLIST_EXHAUSTED,
    SHIFT_WAITLIST_EXPIRED,
    SHIFT_WAITLIST_OFFER,
    cover_cause,
    signup_cause,
    waitlist_cause,
)
from bot.delivery.outbox import enqueue, sent_messages, withdraw
from bot.errors import Conflict, NotAllowed, NotFound
from bot.services import audit
from bot.services.people.members import Actor
from bot.services.shifts.capacity import add_signup, check_claimable, give_back_place
from bot.services.shifts.common import (
    ShiftView,
    eligible_people,
    lead_targets,
    shift_view,
)
from models import (
    CoverRequest,
    CoverStatus,
    Person,
    Shift,
    ShiftSignup,
    ShiftStatus,
    WaitlistEntry,
    WaitlistStatus,
)

MIN_HOLD = timedelta(minutes=5)
ACTIVE = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


@dataclass(frozen=True, slots=True)
class WaitlistResult:
    shift: ShiftView
    position: int


@dataclass(frozen=True, slots=True)
class ExpiredOffer:
    """An offer the sweep expired, and where its message landed (its buttons to take off)."""

    entry_id: int
    messages: tuple[tuple[int, int], ...]  # (chat_id, message_id)


def hold_window(settings: Settings, starts_at: datetime, now: datetime) -> timedelta:
    """The configured hold, but at most a quarter of the time left (never under 5 minutes)."""
    configured = timedelta(minutes=settings.waitlist_hold_minutes)
    return max(min(configured, (starts_at - now) / 4), MIN_HOLD)


async def join_waitlist(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, shift_id: int, *, now: datetime
) -> WaitlistResult:
    try:
        async with sessionmaker.begin() as session:
            shift = await session.get(Shift, shift_id)
            if shift is None:
                raise NotFound("shifts.not_found")
            if shift.status == ShiftStatus.CANCELLED:
                raise Conflict("shifts.cancelled")
            if shift.starts_at <= now:
                raise Conflict("shifts.past")
            if shift.team_id is not None and shift.team_id not in actor.team_ids:
                raise Conflict("shifts.not_your_team")
            if await session.scalar(
                select(ShiftSignup.id).where(
                    ShiftSignup.shift_id == shift_id, ShiftSignup.person_id == actor.person_id
                )
            ):
                raise Conflict("shifts.already_yours")
            entry = await session.scalar(
                select(WaitlistEntry).where(
                    WaitlistEntry.shift_id == shift_id, WaitlistEntry.person_id == actor.person_id
                )
            )
            if entry is None:
                entry = WaitlistEntry(shift_id=shift_id, person_id=actor.person_id, created_at=now)
                session.add(entry)
            elif entry.status not in ACTIVE:
                # Back in line after declining earlier: at the end, like anyone new.
                entry.status, entry.created_at = WaitlistStatus.WAITING, now
                entry.offered_at = entry.offer_expires_at = None
            await session.flush()
            position = await session.scalar(
                select(func.count())
                .select_from(WaitlistEntry)
                .where(
                    WaitlistEntry.shift_id == shift_id,
                    WaitlistEntry.status.in_(ACTIVE),
                    WaitlistEntry.created_at <= entry.created_at,
                )
            )
            audit.record(
                session, action="shift.waitlist_join", actor_id=actor.person_id,
                target_type="shift", target_id=shift_id,
            )
            return WaitlistResult(await shift_view(session, shift), int(position or 1))
    except IntegrityError:
        raise Conflict("shifts.already_waiting") from None


async def free_place(
    session: AsyncSession, settings: Settings, shift: Shift, now: datetime
) -> bool:
    """A place was given back: hold it for the next in line, or return it to the pool.

    Returns True when someone got an offer.  Call with the shift row locked.
    """
    entry = await session.scalar(
        select(WaitlistEntry)
        .where(WaitlistEntry.shift_id == shift.id, WaitlistEntry.status == WaitlistStatus.WAITING)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .limit(1)
    )
    if entry is not None and shift.starts_at > now:
        person = await session.get(Person, entry.person_id)
        assert person is not None
        entry.status = WaitlistStatus.OFFERED
        entry.offered_at = now
        entry.offer_expires_at = now + hold_window(settings, shift.starts_at, now)
        await enqueue(
            session,
            [
                SHIFT_WAITLIST_OFFER.message(
                    chat_id=person.telegram_id,
                    person_id=person.id,
                    due_at=now,
                    params={
                        "shift_id": shift.id,
                        "entry_id": entry.id,
                        "expires_at": entry.offer_expires_at.isoformat(),
                    },
                    entry_id=entry.id,
                    stamp=now,
                )
            ],
        )
        return True
    await give_back_place(session, shift)
    had_line = await session.scalar(
        select(WaitlistEntry.id).where(
            WaitlistEntry.shift_id == shift.id,
            WaitlistEntry.status.in_((WaitlistStatus.EXPIRED, WaitlistStatus.DECLINED)),
        ).limit(1)
    )
    if had_line is not None and shift.status == ShiftStatus.OPEN:
        await enqueue(
            session,
            [
                SHIFT_WAITLIST_EXHAUSTED.message(
                    chat_id=telegram_id,
                    person_id=person_id,
                    due_at=now,
                    params={"shift_id": shift.id},
                    shift_id=shift.id,
                    stamp=now,
                )
                for person_id, telegram_id in await lead_targets(session, shift.team_id)
            ],
        )
    return False


async def _own_offer(session: AsyncSession, actor: Actor, entry_id: int) -> WaitlistEntry:
    entry = await session.get(WaitlistEntry, entry_id)
    if entry is None:
        raise NotFound("shifts.offer_gone")
    if entry.person_id != actor.person_id:
        raise NotAllowed("shifts.not_yours", permission="waitlist_other")
    return entry


def _refused(entry: WaitlistEntry, now: datetime) -> Conflict:
    """Why an offer can no longer be answered: it ran out, or it was answered already."""
    lapsed = entry.status == WaitlistStatus.EXPIRED or (
        entry.status == WaitlistStatus.OFFERED
        and entry.offer_expires_at is not None
        and entry.offer_expires_at <= now
    )
    return Conflict("shifts.offer_lapsed" if lapsed else "shifts.offer_expired")


async def accept_offer(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    entry_id: int,
    settings: Settings,
    *,
    now: datetime,
) -> ShiftView:
    """Turns the held place into the actor's signup, if the offer is still open."""
    async with sessionmaker.begin() as session:
        entry = await _own_offer(session, actor, entry_id)
        shift = await session.get(Shift, entry.shift_id, with_for_update=True)
        # Atomic: only one of accept / decline / the expiry sweep wins the offered state.
        won = await session.execute(
            update(WaitlistEntry)
            .where(
                WaitlistEntry.id == entry_id,
                WaitlistEntry.status == WaitlistStatus.OFFERED,
                WaitlistEntry.offer_expires_at > now,
            )
            .values(status=WaitlistStatus.ACCEPTED)
            .execution_options(synchronize_session=False)
        )
        if not won.rowcount:  # type: ignore[attr-defined]
            raise _refused(entry, now)
        shift = await check_claimable(session, actor, shift, now)
        await withdraw(session, waitlist_cause(entry_id))
        # The place was held for this offer (still counted in `taken`): no increment.
        await add_signup(session, settings, actor, shift, now)
        audit.record(
            session, action="shift.waitlist_accept", actor_id=actor.person_id,
            target_type="shift", target_id=shift.id,
        )
        return await shift_view(session, shift)


async def decline_offer(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    entry_id: int,
    settings: Settings,
    *,
    now: datetime,
) -> ShiftView:
    async with sessionmaker.begin() as session:
        entry = await _own_offer(session, actor, entry_id)
        shift = await session.get(Shift, entry.shift_id, with_for_update=True)
        assert shift is not None
        won = await session.execute(
            update(WaitlistEntry)
            .where(WaitlistEntry.id == entry_id, WaitlistEntry.status == WaitlistStatus.OFFERED)
            .values(status=WaitlistStatus.DECLINED)
            .execution_options(synchronize_session=False)
        )
        if not won.rowcount:  # type: ignore[attr-defined]
            raise _refused(entry, now)
        await withdraw(session, waitlist_cause(entry_id))
        await free_place(session, settings, shift, now)
        return await shift_view(session, shift)


async def expire_offers(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, *, now: datetime
) -> list[ExpiredOffer]:
    """Sweep: offers past their hold move to the next in line, and each person whose offer
    ran out is told (through the outbox); returns the expired offers with where their
    messages landed, so the caller can take the offer's buttons off."""
    async with sessionmaker() as session:
        due = list(
            await session.scalars(
                select(WaitlistEntry.id).where(
                    WaitlistEntry.status == WaitlistStatus.OFFERED,
                    WaitlistEntry.offer_expires_at <= now,
                ).limit(500)
            )
        )
    expired: list[ExpiredOffer] = []
    for entry_id in due:
        # One transaction per offer: a failure on one shift must not hold up the others.
        async with sessionmaker.begin() as session:
            entry = await session.get(WaitlistEntry, entry_id)
            if entry is None:
                continue
            shift = await session.get(Shift, entry.shift_id, with_for_update=True)
            won = await session.execute(
                update(WaitlistEntry)
                .where(
                    WaitlistEntry.id == entry_id,
                    WaitlistEntry.status == WaitlistStatus.OFFERED,
                    WaitlistEntry.offer_expires_at <= now,
                )
                .values(status=WaitlistStatus.EXPIRED)
                .execution_options(synchronize_session=False)
            )
            if not won.rowcount or shift is None:  # type: ignore[attr-defined]
                continue
            await withdraw(session, waitlist_cause(entry_id))
            person = await session.get(Person, entry.person_id)
            if person is not None:
                await enqueue(session, [SHIFT_WAITLIST_EXPIRED.message(
                    chat_id=person.telegram_id, person_id=person.id, due_at=now,
                    params={"shift_id": shift.id, "entry_id": entry_id}, entry_id=entry_id,
                )])
            sent = await sent_messages(session, waitlist_cause(entry_id), SHIFT_WAITLIST_OFFER.name)
            await free_place(session, settings, shift, now)
            expired.append(ExpiredOffer(entry_id, tuple(sent)))
    return expired


async def request_cover(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, signup_id: int, *, now: datetime
) -> tuple[ShiftView, int]:
    """Offers the place to eligible volunteers; returns the shift and how many were asked."""
    async with sessionmaker.begin() as session:
        signup = await session.get(ShiftSignup, signup_id)
        if signup is None:
            raise NotFound("shifts.signup_gone")
        if signup.person_id != actor.person_id:
            raise NotAllowed("shifts.not_yours", permission="cover_other")
        shift = await session.get(Shift, signup.shift_id)
        assert shift is not None
        if shift.status == ShiftStatus.CANCELLED:
            raise Conflict("shifts.cancelled")
        if shift.starts_at <= now:
            raise Conflict("shifts.past")
        existing = await session.scalar(
            select(CoverRequest.id).where(
                CoverRequest.signup_id == signup_id, CoverRequest.status == CoverStatus.OPEN
            )
        )
        if existing is not None:
            raise Conflict("shifts.cover_already")
        cover = CoverRequest(
            shift_id=shift.id, signup_id=signup_id, requester_id=actor.person_id, created_at=now
        )
        session.add(cover)
        await session.flush()
        on_shift = select(ShiftSignup.person_id).where(ShiftSignup.shift_id == shift.id)
        candidates = (
            await session.execute(
                eligible_people(shift.team_id, shift.skill_id).where(Person.id.not_in(on_shift))
            )
        ).all()
        messages = [
            SHIFT_COVER_OFFER.message(
                chat_id=telegram_id,
                person_id=person_id,
                due_at=now,
                params={"shift_id": shift.id, "cover_id": cover.id, "name": actor.display_name},
                cover_id=cover.id,
            )
            for person_id, telegram_id in candidates
        ]
        await enqueue(session, messages)
        audit.record(
            session, action="shift.cover_request", actor_id=actor.person_id,
            target_type="shift", target_id=shift.id, asked=len(messages),
        )
        return await shift_view(session, shift), len(messages)


async def accept_cover(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    cover_id: int,
    settings: Settings,
    *,
    now: datetime,
) -> ShiftView:
    """The first taker gets the place; the original person is released; both are told."""
    async with sessionmaker.begin() as session:
        cover = await session.get(CoverRequest, cover_id)
        if cover is None:
            raise NotFound("shifts.offer_gone")
        if cover.requester_id == actor.person_id:
            raise Conflict("shifts.already_yours")
        shift = await session.get(Shift, cover.shift_id, with_for_update=True)
        shift = await check_claimable(session, actor, shift, now)
        won = await session.execute(
            update(CoverRequest)
            .where(CoverRequest.id == cover_id, CoverRequest.status == CoverStatus.OPEN)
            .values(status=CoverStatus.TAKEN, taken_by_id=actor.person_id, closed_at=now)
            .execution_options(synchronize_session=False)
        )
        original = await session.get(ShiftSignup, cover.signup_id) if cover.signup_id else None
        if not won.rowcount or original is None:  # type: ignore[attr-defined]
            raise Conflict("shifts.cover_taken")
        requester = await session.get(Person, cover.requester_id)
        await withdraw(session, signup_cause(original.id))
        await withdraw(session, cover_cause(cover_id))
        await session.delete(original)
        await session.flush()
        # The place moves from one person to the other: `taken` is unchanged.
        await add_signup(session, settings, actor, shift, now)
        if requester is not None:
            await enqueue(
                session,
                [
                    SHIFT_COVER_TAKEN.message(
                        chat_id=requester.telegram_id,
                        person_id=requester.id,
                        due_at=now,
                        params={"shift_id": shift.id, "name": actor.display_name},
                        cover_id=cover_id,
                    )
                ],
            )
        audit.record(
            session, action="shift.cover_accept", actor_id=actor.person_id,
            target_type="shift", target_id=shift.id, requester=cover.requester_id,
        )
        return await shift_view(session, shift)
