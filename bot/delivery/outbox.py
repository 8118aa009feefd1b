"""Putting messages into the outbox, withdrawing them, and planning them anew.

Call these inside a service's transaction: the message commits or rolls back
with the change that causes it.  `dedup_key` makes enqueueing idempotent (the
same reminder for the same signup is one row however often it is scheduled);
`cause` groups rows so cancelling a shift withdraws all of its reminders (`withdraw`) and
moving it plans them again (`replan`).  The messages themselves are built from the
vocabulary in `bot.delivery.kinds`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Subquery

from bot.sqlite_driver import INLINE
from models import OutboxMessage, OutboxStatus
from models.base import utcnow

PRIORITY_INTERACTIVE = 0  # a follow-up to someone's own action (waitlist offer, approval)
PRIORITY_REMINDER = 5
PRIORITY_BULK = 9  # broadcasts and digests


@dataclass(frozen=True, slots=True)
class NewMessage:
    kind: str
    chat_id: int
    dedup_key: str
    due_at: datetime
    params: dict[str, Any] = field(default_factory=dict)
    person_id: int | None = None
    cause: str | None = None
    priority: int = PRIORITY_REMINDER
    urgent: bool = False
    broadcast_id: int | None = None


# An executemany of one statement built once per dialect ([sqlite, postgresql]; SQLAlchemy
# batches it as "insertmanyvalues"): ~8x faster than one literal multi-row VALUES, which is
# recompiled for every call.  RETURNING counts only the rows that were new.
_ENQUEUE = tuple(
    insert(OutboxMessage)
    .on_conflict_do_nothing(index_elements=["dedup_key"])
    .returning(OutboxMessage.id)
    for insert in (sqlite.insert, postgresql.insert)
)
# A claim's or an answer's few reminders: on SQLite without a thread hop (INLINE); a
# broadcast's thousands stay on the connection's thread.
FEW_ROWS = 8
_ENQUEUE_FEW = _ENQUEUE[0].execution_options(**INLINE)


async def enqueue(session: AsyncSession, messages: Iterable[NewMessage]) -> int:
    """Inserts messages, skipping any whose dedup_key exists; returns how many were new.

    INSERT ... ON CONFLICT DO NOTHING, batched: 10,000 reminders take about half a second.
    """
    rows = _rows(messages)
    if not rows:
        return 0
    postgres = session.bind is not None and session.bind.dialect.name == "postgresql"
    result = await session.execute(_enqueue_statement(postgres, len(rows)), rows)
    return len(result.all())


def enqueue_on(conn: Connection, messages: Iterable[NewMessage]) -> int:
    """`enqueue` on a Core connection, from sync code in SQLAlchemy's greenlet (the claim's
    `run_sync`): the same statement, without the ORM session around it."""
    rows = _rows(messages)
    if not rows:
        return 0
    statement = _enqueue_statement(conn.dialect.name == "postgresql", len(rows))
    return len(conn.execute(statement, rows).all())


def _enqueue_statement(postgres: bool, rows: int) -> Any:
    return _ENQUEUE_FEW if not postgres and rows <= FEW_ROWS else _ENQUEUE[postgres]


def _rows(messages: Iterable[NewMessage]) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "kind": m.kind,
            "chat_id": m.chat_id,
            "dedup_key": m.dedup_key,
            "due_at": m.due_at,
            "params": m.params,
            "person_id": m.person_id,
            "cause": m.cause,
            "priority": m.priority,
            "urgent": m.urgent,
            "broadcast_id": m.broadcast_id,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        for m in messages
    ]


async def withdraw(session: AsyncSession, cause: str) -> int:
    """Withdraws every pending message of a cause (a released claim, a cancelled shift)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.cause == cause, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.CANCELLED, updated_at=utcnow())
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def withdraw_chat(session: AsyncSession, chat_id: int) -> int:
    """Withdraws every pending message to a chat (a group that removed the bot)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.CANCELLED, updated_at=utcnow())
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


def delivered() -> Subquery:
    """(dedup_key, message_id) of every message that went out: where a message the bot
    enqueued landed in its chat (a group post to keep current is edited there)."""
    return (
        select(OutboxMessage.dedup_key, OutboxMessage.telegram_message_id.label("message_id"))
        .where(OutboxMessage.status == OutboxStatus.SENT,
               OutboxMessage.telegram_message_id.is_not(None))
        .subquery("delivered")
    )


async def sent_messages(session: AsyncSession, cause: str, kind: str) -> list[tuple[int, int]]:
    """(chat_id, message_id) of the messages of a cause and kind that went out: where they
    landed, to take their buttons off once they no longer apply (an expired offer)."""
    rows = await session.execute(
        select(OutboxMessage.chat_id, OutboxMessage.telegram_message_id).where(
            OutboxMessage.cause == cause,
            OutboxMessage.kind == kind,
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.telegram_message_id.is_not(None),
        )
    )
    return [(int(chat_id), int(message_id)) for chat_id, message_id in rows.all()
            if message_id is not None]


async def replan(session: AsyncSession, cause: str, messages: Iterable[NewMessage]) -> int:
    """The cause changed (a shift or an event moved): its pending messages are withdrawn and
    `messages`, planned for the new state, are enqueued; returns how many were new.

    The planned kinds put the planned time into their keys, so a moved plan is new rows: a
    reminder already sent for the old time does not block the one for the new time.  A
    pending row whose key the new plan repeats stays as it is (withdrawing it would let its
    own key swallow the replacement).
    """
    planned = list(messages)
    keep = {m.dedup_key for m in planned}
    stale = (OutboxMessage.cause == cause) & (OutboxMessage.status == OutboxStatus.PENDING)
    if keep:
        stale = stale & OutboxMessage.dedup_key.not_in(keep)
    await session.execute(
        update(OutboxMessage)
        .where(stale)
        .values(status=OutboxStatus.CANCELLED, updated_at=utcnow())
    )
    return await enqueue(session, planned)


REPLAN_CHUNK = 500  # causes per statement (well under SQLite's and asyncpg's bind limits)


async def replan_many(session: AsyncSession, plans: Mapping[str, Iterable[NewMessage]]) -> int:
    """`replan` for many causes at once (a moved event re-plans each of its 5,000 answers):
    the same outcome, in a few statements per 500 causes and one enqueue instead of two
    statements per cause.  Returns how many rows were new."""
    planned = {cause: list(messages) for cause, messages in plans.items()}
    keep = {m.dedup_key for messages in planned.values() for m in messages}
    causes = list(planned)
    for start in range(0, len(causes), REPLAN_CHUNK):
        chunk = causes[start : start + REPLAN_CHUNK]
        pending = await session.execute(
            select(OutboxMessage.id, OutboxMessage.dedup_key).where(
                OutboxMessage.cause.in_(chunk), OutboxMessage.status == OutboxStatus.PENDING
            )
        )
        stale = [row_id for row_id, key in pending if key not in keep]
        for at in range(0, len(stale), REPLAN_CHUNK):
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(stale[at : at + REPLAN_CHUNK]))
                .values(status=OutboxStatus.CANCELLED, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
    return await enqueue(session, [m for messages in planned.values() for m in messages])
