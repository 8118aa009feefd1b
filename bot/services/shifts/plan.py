"""Shifts as coordinators see them: create, edit, cancel, and the open list volunteers browse.

Claims, releases, the waitlist and cover live in `shift_claims` and
`shift_waitlist`; this module owns the shift itself.  Leads act only on their
own teams' shifts; everyone signed up hears about an edit or a cancellation
through the outbox, in the same transaction as the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from bot.config import Settings
from bot.delivery.kinds import (
    SHIFT_CANCELLED,
    SHIFT_CHANGED,
    shift_cause,
    signup_cause,
    waitlist_cause,
)
from bot.delivery.outbox import enqueue, replan, withdraw
from bot.errors import Conflict, InvalidInput, NotFound
from bot.services import audit
from bot.services.authz import Permission, is_team_scoped, refusal, require, require_team
from bot.services.events.duties import check_window, staffable_event
from bot.services.flows import FlowKey, close_flow
from bot.services.people.members import Actor
from bot.services.people.skills import find_skill, person_skill_ids
from bot.services.people.teams import find_team
from bot.services.shifts.common import (
    ShiftView,
    eligibility_filter,
    reminder_messages,
    shift_view,
)
from bot.services.shifts.parsing import (
    MAX_SHIFT_LENGTH,
    ShiftDraft,
    check_capacity,
    parse_place,
)
from models import (
    Event,
    Person,
    Shift,
    ShiftSignup,
    ShiftStatus,
    WaitlistEntry,
    WaitlistStatus,
)

PAGE_SIZE = 5


@dataclass(frozen=True, slots=True)
class ShiftPage:
    """A page of /shifts: the ones that can be taken first, then full ones and ones that
    clash with the person's own shifts (`clashes`: shift id -> the title of the own shift)."""

    shifts: tuple[ShiftView, ...]
    page: int
    pages: int
    clashes: tuple[tuple[int, str], ...] = ()

    def clash(self, shift_id: int) -> str | None:
        return next((title for sid, title in self.clashes if sid == shift_id), None)


async def resolve_team_for(session: AsyncSession, actor: Actor, team_ref: str | None) -> int | None:
    """The team a new shift/task belongs to; leads must name one of their own teams."""
    if team_ref is None:
        if is_team_scoped(actor):
            if len(actor.lead_team_ids) == 1:
                return next(iter(actor.lead_team_ids))
            raise refusal(actor, Permission.MANAGE_SHIFTS, None)
        require(actor, Permission.MANAGE_SHIFTS)
        return None
    team = await find_team(session, team_ref)
    require(actor, Permission.MANAGE_SHIFTS, team.id)
    return team.id


def check_team_choice(actor: Actor, team_id: int | None) -> None:
    """A team picked on a button for a new shift or task (None: the whole campaign):
    refused at the tap, not after every question, when it is not this person's to plan."""
    require_team(actor, Permission.MANAGE_SHIFTS, team_id)


async def create_shift(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    draft: ShiftDraft,
    *,
    now: datetime,
    flow: FlowKey | None = None,
) -> ShiftView:
    """Writes the shift and posts it to its team's groups; `flow`: the guided /newshift
    this ends, in the same transaction (a second tap on its last button writes nothing)."""
    require(actor, Permission.MANAGE_SHIFTS)
    if draft.starts_at <= now:
        raise InvalidInput("shifts.in_past", text=draft.starts_at.isoformat())
    if draft.ends_at <= draft.starts_at:
        raise InvalidInput("shifts.end_before_start")
    check_capacity(draft.capacity)
    async with sessionmaker.begin() as session:
        if flow is not None:
            await close_flow(session, flow)
        event = None
        if draft.event_id is not None:
            # A role of an event: the event is on, this person may staff it, and the shift
            # lies in its window (`event_shifts.within_event_window`).
            event = await staffable_event(session, actor, draft.event_id, now)
            check_window(event, draft.starts_at, draft.ends_at)
        if draft.team_ref is None and event is not None and event.team_id is not None:
            # No team named: the event's team, so its members are the ones who may claim.
            team_id: int | None = event.team_id
            require(actor, Permission.MANAGE_SHIFTS, team_id)
        else:
            team_id = await resolve_team_for(session, actor, draft.team_ref)
        skill_id = (await find_skill(session, draft.skill_ref)).id if draft.skill_ref else None
        shift = Shift(
            title=draft.title,
            team_id=team_id,
            event_id=event.id if event is not None else None,
            place=draft.place,
            starts_at=draft.starts_at,
            ends_at=draft.ends_at,
            capacity=draft.capacity,
            taken=0,
            skill_id=skill_id,
            notes=draft.notes,
            status=ShiftStatus.OPEN,
            created_by_id=actor.person_id,
            created_at=now,
            updated_at=now,
        )
        session.add(shift)
        await session.flush()
        audit.record(
            session,
            action="shift.create",
            actor_id=actor.person_id,
            target_type="shift",
            target_id=shift.id,
            title=draft.title,
            event_id=shift.event_id,
        )
        # Posted to the team's linked groups in this same transaction (issue #15).
        from bot.services.reach.posts import post_new_shift

        await post_new_shift(session, shift, now)
        return await shift_view(session, shift)


async def managed_shift(session: AsyncSession, actor: Actor, shift_id: int) -> Shift:
    """The shift, locked, if this person may change it (leads: their own teams' only)."""
    shift = await session.get(Shift, shift_id, with_for_update=True)
    if shift is None:
        raise NotFound("shifts.not_found")
    require_team(actor, Permission.MANAGE_SHIFTS, shift.team_id)
    if shift.status == ShiftStatus.CANCELLED:
        raise Conflict("shifts.cancelled")
    return shift


async def _signed_up(session: AsyncSession, shift_id: int) -> list[tuple[int, int, int]]:
    """(signup id, person id, telegram id) of everyone on the shift."""
    rows = await session.execute(
        select(ShiftSignup.id, Person.id, Person.telegram_id)
        .join(Person, Person.id == ShiftSignup.person_id)
        .where(ShiftSignup.shift_id == shift_id)
        .order_by(ShiftSignup.id)
    )
    return [(a, b, c) for a, b, c in rows.all()]


async def edit_shift(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    shift_id: int,
    settings: Settings,
    *,
    now: datetime,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    place: str | None = None,
    capacity: int | None = None,
) -> ShiftView:
    """Changes time, place or capacity; everyone signed up is told what changed."""
    async with sessionmaker.begin() as session:
        shift = await managed_shift(session, actor, shift_id)
        changed: list[str] = []
        if starts_at is not None:
            if starts_at <= now:
                raise InvalidInput("shifts.in_past", text="")
            length = shift.ends_at - shift.starts_at
            new_end = ends_at or starts_at + length
            if new_end <= starts_at:
                raise InvalidInput("shifts.end_before_start")
            if new_end - starts_at > MAX_SHIFT_LENGTH:
                raise InvalidInput("shifts.too_long")
            event = await session.get(Event, shift.event_id) if shift.event_id else None
            if event is not None:
                check_window(event, starts_at, new_end)  # a role stays near its event
            shift.starts_at, shift.ends_at = starts_at, new_end
            changed.append("time")
        if place is not None:
            shift.place = parse_place(place)
            changed.append("place")
        if capacity is not None:
            check_capacity(capacity)
            if capacity < shift.taken:
                raise Conflict("shifts.capacity_below_taken", taken=shift.taken)
            shift.capacity = capacity
            changed.append("capacity")
        shift.updated_at = now
        people = await _signed_up(session, shift.id)
        if "time" in changed:
            await _move_reminders(session, settings, shift, people, now)
        await enqueue(
            session,
            [
                SHIFT_CHANGED.message(
                    chat_id=telegram_id,
                    person_id=person_id,
                    due_at=now,
                    params={"shift_id": shift.id, "what": changed},
                    shift_id=shift.id,
                    stamp=now,
                )
                for _, person_id, telegram_id in people
            ],
        )
        audit.record(
            session,
            action="shift.edit",
            actor_id=actor.person_id,
            target_type="shift",
            target_id=shift.id,
            changed=changed,
        )
        await session.flush()
        return await shift_view(session, shift)


async def _move_reminders(
    session: AsyncSession,
    settings: Settings,
    shift: Shift,
    people: list[tuple[int, int, int]],
    now: datetime,
) -> None:
    """Reminders are planned anew for the new time (`outbox.replan`, per signup): the
    pending ones for the old time are withdrawn, and each offset that still lies ahead is
    enqueued under a key with the new start (a shift moved to 3 h from now gets its 2 h
    reminder, never "starts in 24 h" at once; a shift moved after its 2 h reminder went
    out gets a new one for the new time)."""
    for signup_id, person_id, telegram_id in people:
        await replan(
            session,
            signup_cause(signup_id),
            reminder_messages(settings, signup_id, person_id, telegram_id, shift, now),
        )


@dataclass(frozen=True, slots=True)
class CancelPreview:
    """What /cancelshift asks about: the shift and how many people signed up would be told."""

    shift: ShiftView
    told: int


async def cancel_preview(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, shift_id: int
) -> CancelPreview:
    """Checks the actor may cancel the shift (and that it is not cancelled already), changing
    nothing: the question before `cancel_shift`."""
    async with sessionmaker() as session:
        shift = await managed_shift(session, actor, shift_id)
        told = await session.scalar(
            select(func.count()).select_from(ShiftSignup).where(ShiftSignup.shift_id == shift.id)
        )
        return CancelPreview(await shift_view(session, shift), int(told or 0))


async def cancel_shift(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    shift_id: int,
    *,
    now: datetime,
) -> tuple[ShiftView, int]:
    """Cancels the shift, withdraws its reminders and offers, tells everyone signed up."""
    async with sessionmaker.begin() as session:
        shift = await managed_shift(session, actor, shift_id)
        notified = await withdraw_shift(session, shift, now)
        audit.record(
            session,
            action="shift.cancel",
            actor_id=actor.person_id,
            target_type="shift",
            target_id=shift.id,
            notified=notified,
        )
        await session.flush()
        return await shift_view(session, shift), notified


async def withdraw_shift(session: AsyncSession, shift: Shift, now: datetime) -> int:
    """Cancels a shift inside the caller's transaction: its reminders and waitlist offers
    are withdrawn and everyone signed up is told.  Returns how many people were told.

    Used by /cancelshift and when the event a shift belongs to is cancelled.
    """
    shift.status = ShiftStatus.CANCELLED
    shift.updated_at = now
    people = await _signed_up(session, shift.id)
    for signup_id, _, _ in people:
        await withdraw(session, signup_cause(signup_id))
    await withdraw(session, shift_cause(shift.id))
    waiting = await session.scalars(
        select(WaitlistEntry.id).where(
            WaitlistEntry.shift_id == shift.id,
            WaitlistEntry.status.in_((WaitlistStatus.WAITING, WaitlistStatus.OFFERED)),
        )
    )
    for entry_id in waiting:
        await withdraw(session, waitlist_cause(entry_id))
    await enqueue(
        session,
        [
            SHIFT_CANCELLED.message(
                chat_id=telegram_id,
                person_id=person_id,
                due_at=now,
                params={"shift_id": shift.id},
                shift_id=shift.id,
            )
            for _, person_id, telegram_id in people
        ],
    )
    return len(people)


async def open_shifts(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, *, now: datetime, page: int = 0
) -> ShiftPage:
    """Upcoming open shifts the actor may take and has not taken: the ones with a free place
    and no clash with the actor's own shifts first, soonest first; then the full and the
    clashing ones, soonest first (each clash named)."""
    async with sessionmaker() as session:
        skills = await person_skill_ids(session, actor.person_id)
        mine = select(ShiftSignup.shift_id).where(ShiftSignup.person_id == actor.person_id)
        where = (
            Shift.status == ShiftStatus.OPEN,
            Shift.starts_at > now,
            eligibility_filter(actor.team_ids, skills, Shift.team_id, Shift.skill_id),
            Shift.id.not_in(mine),
        )
        total = await session.scalar(select(func.count()).select_from(Shift).where(*where)) or 0
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        page = min(max(page, 0), pages - 1)
        own = aliased(Shift)
        clashing = (
            select(ShiftSignup.id)
            .join(own, own.id == ShiftSignup.shift_id)
            .where(
                ShiftSignup.person_id == actor.person_id,
                own.status == ShiftStatus.OPEN,
                own.starts_at < Shift.ends_at,
                own.ends_at > Shift.starts_at,
            )
            .correlate(Shift)
            .exists()
        )
        blocked = case((or_(Shift.taken >= Shift.capacity, clashing), 1), else_=0)
        rows = list(await session.scalars(
            select(Shift)
            .where(*where)
            .order_by(blocked, Shift.starts_at, Shift.id)
            .offset(page * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ))
        views = [await shift_view(session, s) for s in rows]
        return ShiftPage(tuple(views), page, pages, await _clashes(session, actor, rows))


async def _clashes(
    session: AsyncSession, actor: Actor, shifts: list[Shift]
) -> tuple[tuple[int, str], ...]:
    """For each listed shift that overlaps one of the actor's own open shifts: its id and
    the title of the earliest such own shift."""
    if not shifts:
        return ()
    own = (
        await session.execute(
            select(Shift.title, Shift.starts_at, Shift.ends_at)
            .join(ShiftSignup, ShiftSignup.shift_id == Shift.id)
            .where(
                ShiftSignup.person_id == actor.person_id,
                Shift.status == ShiftStatus.OPEN,
                Shift.starts_at < max(s.ends_at for s in shifts),
                Shift.ends_at > min(s.starts_at for s in shifts),
            )
            .order_by(Shift.starts_at)
        )
    ).all()
    found = []
    for shift in shifts:
        title = next((t for t, start, end in own
                      if start < shift.ends_at and end > shift.starts_at), None)
        if title is not None:
            found.append((shift.id, title))
    return tuple(found)
