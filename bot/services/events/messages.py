"""The messages an event sends on its own, planned through the outbox API.

Every message an RSVP makes necessary (reminders, the day-before confirmation, its
nudge) is planned in the RSVP's own transaction under the answer's cause
(`kinds.rsvp_cause`), with the event's start time in its dedup key.  Stepping back
withdraws that cause; a confirmation re-plans it without the question; moving the event
re-plans every answer for the new time (`outbox.replan`): a reminder that already went
out for the old time is sent again for the new one, and one whose new time is past is
not sent at all.  The escalation to the organisers is the event's own plan
(`kinds.event_plan_cause`).  Renderers re-check the state at send time, so a late row
for a changed situation is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import kinds
from bot.delivery.kinds import event_cause, event_plan_cause, rsvp_cause
from bot.delivery.outbox import (
    NewMessage,
    enqueue,
    replan,
    replan_many,
    sent_messages,
    withdraw,
)
from models import Event, EventInvitation, EventRsvp, Membership, Person, RsvpStatus

KIND_INVITE = kinds.EVENT_INVITE.name
KIND_REMINDER = kinds.EVENT_REMINDER.name
KIND_CONFIRM = kinds.EVENT_CONFIRM.name
KIND_NUDGE = kinds.EVENT_NUDGE.name
KIND_ESCALATION = kinds.EVENT_ESCALATION.name
KIND_UPDATE = kinds.EVENT_UPDATE.name
KIND_CANCELLED = kinds.EVENT_CANCELLED.name
URGENT_WITHIN_HOURS = 2  # a reminder this close to the start may break quiet hours
# A reminder due this close to the confirmation question is left out: one message, not two
# in the same second (the question carries the time, the place and the map).
MERGE_WITHIN = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Timing:
    """The settings that decide when event messages are due."""

    reminder_offsets_hours: tuple[int, ...] = (24, 2)
    confirmation_hours_before: int = 24
    nudge_after_hours: int = 6
    # The event's duties are shifts: their reminders are re-planned when the event moves.
    shift_reminder_offsets_hours: tuple[int, ...] = (24, 2)

    @classmethod
    def from_settings(cls, settings: Settings) -> Timing:
        return cls(
            tuple(settings.event_reminder_offsets_hours),
            settings.confirmation_hours_before,
            settings.confirmation_nudge_after_hours,
            tuple(settings.shift_reminder_offsets_hours),
        )

    def confirm_at(self, starts_at: datetime) -> datetime:
        return starts_at - timedelta(hours=self.confirmation_hours_before)

    def escalate_at(self, starts_at: datetime) -> datetime:
        due = self.confirm_at(starts_at) + timedelta(hours=2 * self.nudge_after_hours)
        if due >= starts_at:  # settings that leave no room: halfway to the start
            due = self.confirm_at(starts_at) + (starts_at - self.confirm_at(starts_at)) / 2
        return due


@dataclass(frozen=True, slots=True)
class Attendee:
    """Someone answering Going (or Maybe) whom a change is told to."""

    rsvp_id: int
    person_id: int
    telegram_id: int


def plan_rsvp_messages(
    event: Event, rsvp: EventRsvp | GoingAnswer, chat_id: int, timing: Timing, now: datetime
) -> list[NewMessage]:
    """The reminders, confirmation and nudge one Going answer needs, from now on (a reminder
    due with the confirmation question is the question)."""
    start = event.starts_at
    common: dict[str, Any] = {
        "chat_id": chat_id, "person_id": rsvp.person_id, "rsvp_id": rsvp.id, "starts": start,
    }
    params = {"event_id": event.id, "rsvp_id": rsvp.id}
    out: list[NewMessage] = []
    confirm_due = max(timing.confirm_at(start), now)
    asking = rsvp.confirmed_at is None and confirm_due < start
    for hours in timing.reminder_offsets_hours:
        due = start - timedelta(hours=hours)
        if asking and abs(due - confirm_due) <= MERGE_WITHIN:
            continue  # the confirmation question due then says all a reminder would
        if due > now:
            out.append(
                kinds.EVENT_REMINDER.message(
                    due_at=due, params={**params, "hours": hours}, hours=hours,
                    urgent=hours <= URGENT_WITHIN_HOURS, **common,
                )
            )
    if rsvp.confirmed_at is None:
        nudge_due = confirm_due + timedelta(hours=timing.nudge_after_hours)
        if confirm_due < start:
            out.append(kinds.EVENT_CONFIRM.message(due_at=confirm_due, params=params, **common))
        if nudge_due < start:
            out.append(kinds.EVENT_NUDGE.message(due_at=nudge_due, params=params, **common))
    return out


async def plan_rsvp(
    session: AsyncSession, event: Event, rsvp: EventRsvp, chat_id: int, timing: Timing,
    now: datetime,
) -> int:
    """The answer's rows as they should be now (new ones enqueued, stale ones withdrawn)."""
    return await replan(
        session, rsvp_cause(rsvp.id), plan_rsvp_messages(event, rsvp, chat_id, timing, now)
    )


async def withdraw_rsvp(session: AsyncSession, rsvp_id: int) -> int:
    """The person no longer goes (or is checked in): their pending rows are withdrawn."""
    return await withdraw(session, rsvp_cause(rsvp_id))


async def _escalation_targets(session: AsyncSession, event: Event) -> list[tuple[int, int]]:
    """(person id, telegram id) of who hears about the unconfirmed: creator and team leads."""
    ids: set[int] = set()
    if event.created_by_id is not None:
        ids.add(event.created_by_id)
    if event.team_id is not None:
        leads = await session.scalars(
            select(Membership.person_id).where(
                Membership.team_id == event.team_id, Membership.is_lead.is_(True)
            )
        )
        ids.update(leads)
    if not ids:
        return []
    rows = await session.execute(
        select(Person.id, Person.telegram_id).where(Person.id.in_(ids)).order_by(Person.id)
    )
    return [(int(p), int(t)) for p, t in rows]


async def plan_escalation(
    session: AsyncSession, event: Event, timing: Timing, now: datetime
) -> int:
    """The escalation rows for the event's current time (replacing any planned before)."""
    due = timing.escalate_at(event.starts_at)
    planned = [] if due <= now else [
        kinds.EVENT_ESCALATION.message(
            chat_id=tg, person_id=pid, due_at=due, params={"event_id": event.id},
            event_id=event.id, starts=event.starts_at,
        )
        for pid, tg in await _escalation_targets(session, event)
    ]
    return await replan(session, event_plan_cause(event.id), planned)


@dataclass(frozen=True, slots=True)
class GoingAnswer:
    """What planning needs of one Going answer (read as plain columns, not ORM objects)."""

    id: int
    person_id: int
    confirmed_at: datetime | None
    telegram_id: int


async def going_answers(session: AsyncSession, event_id: int) -> list[GoingAnswer]:
    """Everyone Going, with their chat."""
    rows = await session.execute(
        select(EventRsvp.id, EventRsvp.person_id, EventRsvp.confirmed_at, Person.telegram_id)
        .join(Person, Person.id == EventRsvp.person_id)
        .where(EventRsvp.event_id == event_id, EventRsvp.status == RsvpStatus.GOING)
        .order_by(EventRsvp.id)
    )
    return [GoingAnswer(int(r), int(p), c, int(t)) for r, p, c, t in rows]


async def replan_all(session: AsyncSession, event: Event, timing: Timing, now: datetime) -> None:
    """The event's time moved: every answer's rows and the escalation planned anew (one
    `replan` per answer's cause, done together: `outbox.replan_many`)."""
    plans = {
        rsvp_cause(answer.id): plan_rsvp_messages(event, answer, answer.telegram_id, timing, now)
        for answer in await going_answers(session, event.id)
    }
    await replan_many(session, plans)
    await plan_escalation(session, event, timing, now)


async def withdraw_all(session: AsyncSession, event_id: int) -> None:
    """The event is off: every pending message of it, its answers' and its plan's, withdrawn."""
    await withdraw(session, event_cause(event_id))
    await withdraw(session, event_plan_cause(event_id))
    rsvp_ids = await session.scalars(select(EventRsvp.id).where(EventRsvp.event_id == event_id))
    # Every answer's cause planned as nothing: all their pending rows withdrawn together.
    await replan_many(session, {rsvp_cause(rsvp_id): [] for rsvp_id in rsvp_ids})


async def attendees(session: AsyncSession, event_id: int) -> list[Attendee]:
    """Everyone Going or Maybe (the people a change or a cancellation is told to)."""
    rows = await session.execute(
        select(EventRsvp.id, Person.id, Person.telegram_id)
        .join(Person, Person.id == EventRsvp.person_id)
        .where(
            EventRsvp.event_id == event_id,
            EventRsvp.status.in_((RsvpStatus.GOING, RsvpStatus.MAYBE)),
        )
        .order_by(EventRsvp.id)
    )
    return [Attendee(int(r), int(p), int(t)) for r, p, t in rows]


async def tell_update(
    session: AsyncSession, event_id: int, before: dict[str, Any], now: datetime
) -> int:
    """"Changed: the time, the place" to everyone Going or Maybe; returns how many."""
    return await enqueue(
        session,
        [
            kinds.EVENT_UPDATE.message(
                chat_id=a.telegram_id, person_id=a.person_id, due_at=now,
                params={"event_id": event_id, "before": before},
                event_id=event_id, rsvp_id=a.rsvp_id, stamp=now,
            )
            for a in await attendees(session, event_id)
        ],
    )


async def sent_invitations(session: AsyncSession, event_id: int) -> list[tuple[int, int]]:
    """(chat_id, message_id) of the event's invitations that went out (their RSVP buttons
    are taken off once the event is cancelled)."""
    return await sent_messages(session, event_cause(event_id), kinds.EVENT_INVITE.name)


async def _told_of_cancel(
    session: AsyncSession, event_id: int, invited_chats: set[int]
) -> list[tuple[int, int, int]]:
    """(person id, telegram id, rsvp id or 0) of everyone to tell the event is off: whoever
    answered Going or Maybe, and whoever saw the invitation and has not answered "no"."""
    told = {a.person_id: (a.person_id, a.telegram_id, a.rsvp_id)
            for a in await attendees(session, event_id)}
    declined = select(EventRsvp.person_id).where(
        EventRsvp.event_id == event_id, EventRsvp.status == RsvpStatus.DECLINED
    )
    rows = await session.execute(
        select(Person.id, Person.telegram_id)
        .join(EventInvitation, EventInvitation.person_id == Person.id)
        .where(EventInvitation.event_id == event_id, Person.id.not_in(declined))
        .order_by(Person.id)
    )
    for pid, tg in rows:
        if int(tg) in invited_chats:
            told.setdefault(int(pid), (int(pid), int(tg), 0))
    return sorted(told.values())


async def tell_cancelled(
    session: AsyncSession, event_id: int, now: datetime, invited_chats: set[int] | None = None
) -> int:
    """The event is off, to everyone Going or Maybe and to the invited who have not said
    "no" (`invited_chats`: where an invitation went out); no cause: nothing withdraws it."""
    return await enqueue(
        session,
        [
            kinds.EVENT_CANCELLED.message(
                chat_id=tg, person_id=pid, due_at=now,
                params={"event_id": event_id}, event_id=event_id,
                rsvp_id=rsvp_id or f"p{pid}",
            )
            for pid, tg, rsvp_id in await _told_of_cancel(session, event_id, invited_chats or set())
        ],
    )


async def send_invitations(
    session: AsyncSession, event_id: int, people: Sequence[tuple[int, int]], now: datetime
) -> int:
    """The invitation with RSVP buttons to each (person id, telegram id); returns how many."""
    return await enqueue(
        session,
        [
            kinds.EVENT_INVITE.message(
                chat_id=tg, person_id=pid, due_at=now, params={"event_id": event_id},
                event_id=event_id,
            )
            for pid, tg in people
        ],
    )


async def renudge(
    session: AsyncSession, event_id: int, unconfirmed: Sequence[Attendee], now: datetime
) -> int:
    """The coordinator's "ask again", now, at most once per 10 minutes per person."""
    stamp = int(now.timestamp()) // 600
    return await enqueue(
        session,
        [
            kinds.EVENT_RENUDGE.message(
                chat_id=a.telegram_id, person_id=a.person_id, due_at=now,
                params={"event_id": event_id, "rsvp_id": a.rsvp_id},
                rsvp_id=a.rsvp_id, stamp=stamp,
            )
            for a in unconfirmed
        ],
    )
