"""The engine's side of broadcasts: start the scheduled ones, count, finish and report.

A broadcast is composed and confirmed by its use cases (`bot.services.broadcasts`), which
enqueue one row per recipient (`kinds.BROADCAST_MESSAGE`) under the broadcast's cause.
From then on the dispatcher runs it: `advance` (every few seconds) starts the scheduled
broadcasts that are due, tallies their rows into live counts, marks the finished ones
done and enqueues their report (`kinds.BROADCAST_REPORT`) to the author.  It returns
plain progress states (`ProgressView`); the progress message's words are the views'
(`bot.views.broadcasts_progress`), handed to the dispatcher as its `OutboxRendering`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import kinds
from bot.delivery.failures import BLOCKED_PREFIX, Reason, reason_of
from bot.delivery.outbox import enqueue
from models import Broadcast, BroadcastStatus, OutboxMessage, OutboxStatus, Person


@dataclass(frozen=True, slots=True)
class Held:
    """Messages waiting for their recipients' quiet hours to end: how many, until when."""

    count: int = 0
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProgressView:
    id: int
    progress_chat_id: int
    progress_message_id: int | None
    language: str | None
    timezone: str | None
    total: int
    sent: int
    failed: int
    blocked: int
    skipped: int
    remaining: int
    eta_seconds: int
    done: bool
    as_of: datetime  # the dispatcher's "now" when this state was read (texts use it)
    held: Held = Held()


async def advance(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, *, rate: float
) -> list[ProgressView]:
    """Starts due scheduled broadcasts, refreshes counts of running ones, finishes them."""
    async with sessionmaker.begin() as session:
        await session.execute(
            update(Broadcast)
            .where(
                Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.scheduled_at <= now
            )
            .values(status=BroadcastStatus.SENDING, started_at=now)
            .execution_options(synchronize_session=False)
        )
        live = (
            await session.execute(
                select(Broadcast, Person)
                .outerjoin(Person, Person.id == Broadcast.author_id)
                .where(Broadcast.status == BroadcastStatus.SENDING)
            )
        ).all()
        if not live:
            return []
        blocked = case((OutboxMessage.last_error.like(f"{BLOCKED_PREFIX}%"), 1), else_=0)
        counted = await session.execute(
            select(OutboxMessage.broadcast_id, OutboxMessage.status, blocked, func.count())
            .where(OutboxMessage.broadcast_id.in_([b.id for b, _ in live]))
            .group_by(OutboxMessage.broadcast_id, OutboxMessage.status, blocked)
        )
        held = await held_counts(session, [b.id for b, _ in live], now)
        tallies: dict[int, dict[str, int]] = {}
        for broadcast_id, status, is_blocked, count in counted.all():
            key = "blocked" if status == OutboxStatus.FAILED and is_blocked else str(status)
            tally = tallies.setdefault(int(broadcast_id), {})
            tally[key] = tally.get(key, 0) + int(count)
        views: list[ProgressView] = []
        for b, author in live:
            tally = tallies.get(b.id, {})
            b.sent_count = tally.get(OutboxStatus.SENT.value, 0)
            # failed_count includes the blocked ones; the report shows them apart.
            b.blocked_count = tally.get("blocked", 0)
            b.failed_count = tally.get(OutboxStatus.FAILED.value, 0) + b.blocked_count
            b.skipped_count = tally.get(OutboxStatus.SKIPPED.value, 0)
            remaining = tally.get(OutboxStatus.PENDING.value, 0) + tally.get(
                OutboxStatus.SENDING.value, 0
            )
            done = remaining == 0
            waiting = held.get(b.id, Held())
            remaining -= waiting.count  # now or soon; the held ones have their own line
            if done:
                b.status = BroadcastStatus.DONE
                b.finished_at = now
                if b.progress_chat_id is not None:
                    report = kinds.BROADCAST_REPORT.message(
                        chat_id=b.progress_chat_id,
                        person_id=b.author_id,
                        due_at=now,
                        params={"id": b.id},
                        of=b.id,
                    )
                    await enqueue(session, [report])
            if b.progress_chat_id is None:
                continue
            views.append(
                ProgressView(
                    b.id,
                    b.progress_chat_id,
                    b.progress_message_id,
                    author.language if author else None,
                    author.timezone if author else None,
                    b.total,
                    b.sent_count,
                    b.failed_count,
                    b.blocked_count,
                    b.skipped_count,
                    remaining,
                    math.ceil(remaining / rate) if rate > 0 else 0,
                    done,
                    as_of=now,
                    held=waiting,
                )
            )
        return views


async def held_counts(
    session: AsyncSession, broadcast_ids: list[int], now: datetime
) -> dict[int, Held]:
    """Messages of these broadcasts waiting for their recipients' quiet hours to end."""
    if not broadcast_ids:
        return {}
    rows = await session.execute(
        select(OutboxMessage.broadcast_id, func.count(), func.min(OutboxMessage.due_at))
        .where(
            OutboxMessage.broadcast_id.in_(broadcast_ids),
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.due_at > now,
        )
        .group_by(OutboxMessage.broadcast_id)
    )
    return {int(bid or 0): Held(int(count), until) for bid, count, until in rows.all()}


async def failure_reasons(session: AsyncSession, broadcast_id: int) -> list[tuple[Reason, int]]:
    """Why the broadcast's failed messages failed: each reason with its count, the most
    frequent first (then in `Reason`'s order)."""
    rows = await session.execute(
        select(OutboxMessage.last_error, func.count())
        .where(
            OutboxMessage.broadcast_id == broadcast_id,
            OutboxMessage.status == OutboxStatus.FAILED,
        )
        .group_by(OutboxMessage.last_error)
    )
    counts: dict[Reason, int] = {}
    for error, count in rows.all():
        reason = reason_of(error)
        counts[reason] = counts.get(reason, 0) + int(count)
    order = list(Reason)
    return sorted(counts.items(), key=lambda item: (-item[1], order.index(item[0])))


async def set_progress_message(
    sessionmaker: async_sessionmaker[AsyncSession], broadcast_id: int, message_id: int
) -> None:
    async with sessionmaker.begin() as session:
        await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id)
            .values(progress_message_id=message_id)
            .execution_options(synchronize_session=False)
        )


