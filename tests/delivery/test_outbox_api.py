"""The outbox API: kinds build rows with today's keys and causes; replan withdraws and enqueues."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import create_sessionmaker
from bot.delivery import kinds
from bot.delivery.kinds import ALL_KINDS, Kind
from bot.delivery.outbox import (
    PRIORITY_INTERACTIVE,
    PRIORITY_REMINDER,
    NewMessage,
    enqueue,
    replan,
    withdraw,
)
from models import OutboxMessage, OutboxStatus
from tests.conftest import T0
from tests.support.databases import schema_engine


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with schema_engine(sqlite_url) as engine:
        yield create_sessionmaker(engine)


def test_message_fills_key_and_cause_from_fields_and_datetimes_become_epoch_seconds() -> None:
    starts = T0 + timedelta(hours=30)
    m = kinds.SHIFT_REMINDER.message(
        chat_id=900, person_id=7, due_at=T0, params={"shift_id": 3, "hours": 24},
        signup_id=11, hours=24, starts=starts,
    )
    assert m.kind == "shift.reminder"
    assert m.dedup_key == f"shift-rem:11:24:{int(starts.timestamp())}"
    assert m.cause == "signup:11"
    assert (m.chat_id, m.person_id, m.due_at) == (900, 7, T0)
    assert m.params == {"shift_id": 3, "hours": 24}
    assert (m.priority, m.urgent) == (PRIORITY_REMINDER, False)
    assert kinds.SHIFT_REMINDER.message(chat_id=1, due_at=T0, urgent=True, signup_id=1,
                                        hours=2, starts=starts).urgent


def test_chat_person_and_broadcast_ids_fill_templates_too() -> None:
    m = kinds.SHIFT_CANCELLED.message(chat_id=5, person_id=8, due_at=T0, shift_id=2)
    assert (m.dedup_key, m.cause, m.urgent) == ("shift-cancel:2:8", None, True)
    assert m.priority == PRIORITY_INTERACTIVE
    b = kinds.BROADCAST_MESSAGE.message(chat_id=5, due_at=T0, broadcast_id=4, recipient="c5")
    assert (b.dedup_key, b.cause, b.broadcast_id) == ("broadcast:4:c5", "broadcast:4", 4)
    r = kinds.BROADCAST_REPORT.message(chat_id=5, person_id=1, due_at=T0, of=4)
    assert (r.dedup_key, r.broadcast_id) == ("broadcast:4:report", None)
    a = kinds.OPS_ALERT.message(chat_id=77, due_at=T0, digest="ab", bucket=3)
    assert a.dedup_key == "alert:77:ab:3"


def test_a_missing_field_is_an_error_not_a_silent_key() -> None:
    with pytest.raises(KeyError):
        kinds.SHIFT_REMINDER.message(chat_id=1, due_at=T0, signup_id=1, hours=2)


def test_cause_helpers_match_the_kinds_templates() -> None:
    assert kinds.SHIFT_CHANGED.message(chat_id=1, person_id=2, due_at=T0, shift_id=9,
                                       stamp=T0).cause == kinds.shift_cause(9)
    assert kinds.EVENT_INVITE.message(chat_id=1, person_id=2, due_at=T0,
                                      event_id=9).cause == kinds.event_cause(9)
    assert kinds.TASK_NUDGE.message(chat_id=1, due_at=T0, claim_id=9,
                                    hours=24).cause == kinds.task_claim_cause(9)
    assert kinds.GROUP_CLAIMED.message(chat_id=1, due_at=T0,
                                       signup_id=9).cause == kinds.signup_cause(9)


def test_every_kind_is_listed_and_named() -> None:
    assert all(isinstance(k, Kind) and "." in k.name for k in ALL_KINDS)
    assert len({k.key for k in ALL_KINDS}) == len(ALL_KINDS)  # no two kinds share a key


async def _rows(db: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with db() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _reminder(signup_id: int, hours: int, starts_in: timedelta) -> NewMessage:
    starts = T0 + starts_in
    return kinds.SHIFT_REMINDER.message(
        chat_id=100, due_at=starts - timedelta(hours=hours),
        params={"hours": hours}, signup_id=signup_id, hours=hours, starts=starts,
    )


async def test_replan_withdraws_the_causes_pending_rows_and_enqueues_under_new_keys(
    db: async_sessionmaker[AsyncSession],
) -> None:
    async with db.begin() as session:
        await enqueue(session, [_reminder(1, 24, timedelta(hours=30)),
                                _reminder(1, 2, timedelta(hours=30)),
                                _reminder(2, 2, timedelta(hours=30))])
        # The 24 h one already went out: replan must not touch a sent row.
        await session.execute(update(OutboxMessage).where(OutboxMessage.id == 1)
                              .values(status=OutboxStatus.SENT))
    async with db.begin() as session:
        new = await replan(session, kinds.signup_cause(1), [
            _reminder(1, 24, timedelta(hours=40)),
            _reminder(1, 2, timedelta(hours=40)),
        ])
    assert new == 2
    rows = await _rows(db)
    assert [(r.cause, r.status) for r in rows] == [
        ("signup:1", OutboxStatus.SENT),
        ("signup:1", OutboxStatus.CANCELLED),
        ("signup:2", OutboxStatus.PENDING),  # another cause is left alone
        ("signup:1", OutboxStatus.PENDING),
        ("signup:1", OutboxStatus.PENDING),
    ]
    assert rows[3].due_at.replace(tzinfo=None) == (T0 + timedelta(hours=16)).replace(tzinfo=None)
    async with db.begin() as session:  # the same plan again, less the 2 h: nothing new
        again = await replan(session, kinds.signup_cause(1), [
            _reminder(1, 24, timedelta(hours=40)),
        ])
    assert again == 0
    assert [r.status for r in (await _rows(db))[3:]] == [OutboxStatus.PENDING,
                                                         OutboxStatus.CANCELLED]
    async with db.begin() as session:
        assert await withdraw(session, kinds.signup_cause(2)) == 1
