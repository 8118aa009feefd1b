"""Moving an event re-plans every answer's reminders (`outbox.replan`, issue #12 item 3), on
SQLite and PostgreSQL.

Moved earlier: an event 30 h away moved to 3 h away must not send "starts in 24 h" at
once; its 2 h reminder comes at the new time.  Moved after the 2 h reminder went out: a
new 2 h reminder for the new time (the old key, sent, does not block it).  Stepping back
withdraws the answer's rows, a confirmation keeps only the reminders.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import kinds, outbox
from bot.services.events import attendance, events, messages
from models import OutboxMessage, OutboxStatus, Role, RsvpStatus
from models.base import utcnow
from tests.conftest import T0
from tests.events.test_event_services import TIMING, new_event, person


async def _rows(
    sm: async_sessionmaker[AsyncSession], person_id: int, status: OutboxStatus
) -> list[tuple[str, int | None, datetime]]:
    async with sm() as session:
        found = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.person_id == person_id, OutboxMessage.status == status)
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
        )
        return [(r.kind, (r.params or {}).get("hours"), r.due_at) for r in found]


async def _escalations(sm: async_sessionmaker[AsyncSession]) -> list[datetime]:
    async with sm() as session:
        return list(
            await session.scalars(
                select(OutboxMessage.due_at).where(
                    OutboxMessage.kind == messages.KIND_ESCALATION,
                    OutboxMessage.status == OutboxStatus.PENDING,
                )
            )
        )


async def test_moved_earlier_sends_no_day_before_reminder_at_once(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:


    coord = await person(sessionmaker, 1, Role.COORDINATOR)
    ani = await person(sessionmaker, 2)
    start = T0 + timedelta(hours=30)
    event_id = await new_event(sessionmaker, coord, starts_at=start,
                               ends_at=start + timedelta(hours=2))
    await events.rsvp(sessionmaker, ani, event_id, RsvpStatus.GOING, timing=TIMING, now=T0)
    moved = T0 + timedelta(hours=3)
    await events.edit_event(sessionmaker, coord, event_id, {"start": moved}, timing=TIMING, now=T0)
    pending = await _rows(sessionmaker, ani.person_id, OutboxStatus.PENDING)
    reminders = [(hours, due) for kind, hours, due in pending if kind == messages.KIND_REMINDER]
    assert reminders == [(2, moved - timedelta(hours=2))]  # no "24 h" due now
    cancelled = await _rows(sessionmaker, ani.person_id, OutboxStatus.CANCELLED)
    # (The old plan had no "24 h" reminder: the confirmation question due then stood for it.)
    assert {(h, d) for k, h, d in cancelled if k == messages.KIND_REMINDER} == {
        (2, start - timedelta(hours=2)),
    }
    # The escalation for the old time is withdrawn; the new time leaves it no room.
    assert await _escalations(sessionmaker) == []


async def test_moved_after_the_two_hour_reminder_went_out_gets_a_new_one(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:


    coord = await person(sessionmaker, 1, Role.COORDINATOR)
    ani = await person(sessionmaker, 2)
    start = T0 + timedelta(days=2)
    event_id = await new_event(sessionmaker, coord, starts_at=start,
                               ends_at=start + timedelta(hours=2))
    await events.rsvp(sessionmaker, ani, event_id, RsvpStatus.GOING, timing=TIMING, now=T0)
    # The 2 h reminder went out (the dispatcher marked it sent).
    async with sessionmaker.begin() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.kind == messages.KIND_REMINDER,
                   OutboxMessage.params["hours"].as_integer() == 2)
            .values(status=OutboxStatus.SENT, sent_at=utcnow())
        )
    now = start - timedelta(hours=1)
    moved = start + timedelta(days=1)
    await events.edit_event(sessionmaker, coord, event_id, {"start": moved}, timing=TIMING,
                            now=now)
    pending = await _rows(sessionmaker, ani.person_id, OutboxStatus.PENDING)
    reminders = [(hours, due) for kind, hours, due in pending if kind == messages.KIND_REMINDER]
    # The "24 h" one is the confirmation question due then (one message, not two).
    assert reminders == [(2, moved - timedelta(hours=2))]
    # The organiser's escalation follows the event: one pending, for the new time.
    assert await _escalations(sessionmaker) == [TIMING.escalate_at(moved)]


async def test_stepping_back_and_confirming_replan_the_answers_rows(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:


    coord = await person(sessionmaker, 1, Role.COORDINATOR)
    ani, budi = await person(sessionmaker, 2), await person(sessionmaker, 3)
    event_id = await new_event(sessionmaker, coord)
    for who in (ani, budi):
        await events.rsvp(sessionmaker, who, event_id, RsvpStatus.GOING, timing=TIMING, now=T0)
    async with sessionmaker() as session:
        ani_rsvp = await session.scalar(
            select(OutboxMessage.params).where(
                OutboxMessage.person_id == ani.person_id,
                OutboxMessage.kind == messages.KIND_CONFIRM,
            )
        )
    assert ani_rsvp is not None
    await attendance.answer_confirmation(
        sessionmaker, ani, int(ani_rsvp["rsvp_id"]), True, timing=TIMING, now=T0
    )
    kinds = {k for k, _, _ in await _rows(sessionmaker, ani.person_id, OutboxStatus.PENDING)}
    assert kinds == {messages.KIND_REMINDER}  # the question and its nudge are withdrawn
    await events.rsvp(sessionmaker, budi, event_id, RsvpStatus.DECLINED, timing=TIMING, now=T0)
    assert await _rows(sessionmaker, budi.person_id, OutboxStatus.PENDING) == []
    # Ani's rows are hers: Budi stepping back left them alone.
    assert {k for k, _, _ in await _rows(sessionmaker, ani.person_id, OutboxStatus.PENDING)} == {
        messages.KIND_REMINDER
    }


async def test_replan_many_is_replan_for_each_cause(
    sessionmaker: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunked over causes, a repeated key stays as it is, everything else is withdrawn."""
    monkeypatch.setattr(outbox, "REPLAN_CHUNK", 2)
    kind = kinds.EVENT_REMINDER
    old = [
        kind.message(chat_id=9, due_at=T0, rsvp_id=r, hours=2, starts=T0) for r in (1, 2, 3)
    ]
    async with sessionmaker.begin() as session:
        await outbox.enqueue(session, old)
    fresh = kind.message(chat_id=9, due_at=T0, rsvp_id=3, hours=2, starts=T0 + timedelta(days=1))
    async with sessionmaker.begin() as session:
        new = await outbox.replan_many(session, {
            kinds.rsvp_cause(1): [], kinds.rsvp_cause(2): [old[1]], kinds.rsvp_cause(3): [fresh],
        })
    assert new == 1
    async with sessionmaker() as session:
        status = dict(
            (await session.execute(select(OutboxMessage.dedup_key, OutboxMessage.status))).all()
        )
    assert status == {
        old[0].dedup_key: OutboxStatus.CANCELLED,
        old[1].dedup_key: OutboxStatus.PENDING,  # the new plan repeats it: kept
        old[2].dedup_key: OutboxStatus.CANCELLED,
        fresh.dedup_key: OutboxStatus.PENDING,
    }
