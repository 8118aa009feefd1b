"""The outbox's database side: lease due rows, hand back expired leases, record outcomes.

Why leases with `FOR UPDATE SKIP LOCKED` (and not an advisory-lock leader): every replica
can send, a dead replica's work returns by itself when its lease runs out, and no replica
waits for another's lock.  On PostgreSQL two dispatchers claiming at the same moment skip
each other's locked rows, and the claim commits `status='sending'` before any send, so a
row is sent by one process.  SQLite has no row locks: there one process runs the
dispatcher (its writes are serialised by BEGIN IMMEDIATE, so even two would not claim the
same row, they would just take turns).

A crash loses nothing: rows left in `sending` go back to `pending` when their lease
expires; the duplicates this can cause are bounded by what was in flight at the crash.
Outcomes are written in small batches (one executemany per outcome kind), not one
transaction per message.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import Table, bindparam, event, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import raiseload

from bot.delivery import failures
from bot.delivery.message import Message
from bot.delivery.outbox import PRIORITY_BULK
from bot.delivery.quiet import QuietHours
from bot.delivery.renderers import UnknownKind
from models import OutboxMessage, OutboxStatus, Person

log = logging.getLogger(__name__)
OUTBOX = cast(Table, OutboxMessage.__table__)
# Someone seen this recently is using the bot (last_seen_at is touched every 10 minutes).
AWAKE_WINDOW = timedelta(minutes=15)
# Replicas' clocks differ a little; a "last seen" further ahead than this is no sign of life.
CLOCK_SKEW = timedelta(minutes=1)


# (session, row, recipient or None, now) -> the message, None to skip; raises UnknownKind.
RenderRow = Callable[
    [AsyncSession, OutboxMessage, Person | None, datetime], Awaitable[Message | None]
]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A leased, rendered row, ready for the sender."""

    id: int
    chat_id: int
    person_id: int | None
    kind: str
    attempts: int
    lease_until: datetime
    outgoing: Message


@dataclass
class Claim:
    prepared: list[Prepared] = field(default_factory=list)
    candidates: int = 0
    deferred: int = 0
    skipped: int = 0
    failed: int = 0


OutcomeKind = Literal["sent", "failed", "blocked", "retry", "release"]


@dataclass(frozen=True, slots=True)
class Outcome:
    id: int
    kind: OutcomeKind
    at: datetime
    person_id: int | None = None
    message_id: int | None = None
    error: str | None = None
    retry_at: datetime | None = None


async def expire_leases(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Rows whose sender died mid-send go back to pending (they may have been delivered)."""
    async with sessionmaker.begin() as session:
        result = await session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.status == OutboxStatus.SENDING.value, OUTBOX.c.lease_until < now)
            .values(status=OutboxStatus.PENDING.value, lease_until=None, leased_by=None)
        )
        count = result.rowcount or 0  # type: ignore[attr-defined]
    if count:
        log.warning("outbox: %d expired leases returned to pending", count)
    return count


def _using_the_bot(row: OutboxMessage, person: Person | None, now: datetime) -> bool:
    """Quiet hours keep people from being woken; someone using the bot right now is awake,
    so a notice meant for them (an approval they are waiting for, the alert about the
    expense they just recorded) goes at once.  Bulk messages still wait for the morning."""
    return (
        row.priority < PRIORITY_BULK
        and person is not None
        and person.last_seen_at is not None
        and now - AWAKE_WINDOW <= person.last_seen_at <= now + CLOCK_SKEW
    )


async def has_due(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> bool:
    async with sessionmaker() as session:
        found = await session.scalar(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.due_at <= now)
            .limit(1)
        )
        return found is not None


async def holds_leases(sessionmaker: async_sessionmaker[AsyncSession], instance: str) -> bool:
    """Whether `instance` still has rows out (being sent, or their outcome being written)."""
    async with sessionmaker() as session:
        found = await session.scalar(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.SENDING,
                   OutboxMessage.leased_by == instance)
            .limit(1)
        )
        return found is not None


async def claim(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    instance: str,
    now: datetime,
    limit: int,
    lease: timedelta,
    quiet: QuietHours,
    default_timezone: str,
    render: RenderRow,
) -> Claim:
    """Leases up to `limit` due rows (priority, then due time) and renders them.

    Rendering happens here, seconds before the send (the sender's queue holds only a few
    seconds of work), in the same transaction: one session serves the whole batch, so a
    broadcast's shared row is read once, not 10,000 times.  Quiet hours move a row's due
    time instead of leasing it; a renderer's None marks it skipped.  `render` is given
    (`OutboxRendering.row`): the engine never writes a text itself.
    """
    result = Claim()
    async with sessionmaker.begin() as session:
        # The identity map holds objects weakly: a broadcast row a renderer read and let go
        # was collected and read again for every recipient.  Holding what the batch loads
        # makes it one read per batch (measured: ~8 % of the bot's CPU in paid mode).
        loaded: list[object] = []
        event.listen(
            session.sync_session, "loaded_as_persistent", lambda _s, obj: loaded.append(obj)
        )
        query = (
            select(OutboxMessage, Person)
            .outerjoin(Person, Person.id == OutboxMessage.person_id)
            # No renderer reads a recipient's teams: without this, every batch of 1,000
            # rows loaded 1,000 people's memberships and teams too (a second SELECT and
            # the ORM objects for them, ~10 % of the bot's CPU in a paid broadcast).
            .options(raiseload(Person.memberships))
            .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.due_at <= now)
            .order_by(OutboxMessage.priority, OutboxMessage.due_at, OutboxMessage.id)
            .limit(limit)
            # Ignored by SQLite (one dispatcher there); on PostgreSQL replicas skip each
            # other's rows instead of waiting or double-sending.
            .with_for_update(skip_locked=True, of=OutboxMessage)
        )
        rows = (await session.execute(query)).all()
        result.candidates = len(rows)
        leased: list[int] = []
        skipped: list[int] = []
        failed: dict[str, list[int]] = defaultdict(list)
        deferred: dict[datetime, list[int]] = defaultdict(list)
        lease_until = now + lease
        for row, person in rows:
            tz = (person.timezone if person else None) or default_timezone
            until = (
                None
                if row.urgent or _using_the_bot(row, person, now)
                else quiet.deferred_until(now, tz)
            )
            if until is not None:
                deferred[until].append(row.id)
                continue
            if person is not None and not person.reachable:
                failed[failures.unreachable(person.unreachable_reason)].append(row.id)
                continue
            try:
                outgoing = await render(session, row, person, now)
            except UnknownKind:
                failed[failures.failure("internal", f"no renderer for kind {row.kind!r}")].append(
                    row.id
                )
                continue
            except Exception as exc:  # one broken renderer must not stop every other message
                log.exception("outbox: rendering %s #%d failed", row.kind, row.id)
                failed[failures.failure("internal", f"render error: {exc!r}"[:500])].append(row.id)
                continue
            if outgoing is None:
                skipped.append(row.id)
                continue
            leased.append(row.id)
            result.prepared.append(
                Prepared(row.id, row.chat_id, row.person_id, row.kind, row.attempts,
                         lease_until, outgoing)
            )
        if leased:
            await session.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id.in_(leased))
                .values(
                    status=OutboxStatus.SENDING.value,
                    lease_until=lease_until,
                    leased_by=instance,
                    updated_at=now,
                )
            )
        if skipped:
            await session.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id.in_(skipped))
                .values(status=OutboxStatus.SKIPPED.value, updated_at=now)
            )
        for error, ids in failed.items():
            await session.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id.in_(ids))
                .values(status=OutboxStatus.FAILED.value, last_error=error, updated_at=now)
            )
        for until, ids in deferred.items():
            await session.execute(
                update(OUTBOX).where(OUTBOX.c.id.in_(ids)).values(due_at=until, updated_at=now)
            )
        result.skipped = len(skipped)
        result.failed = sum(len(ids) for ids in failed.values())
        result.deferred = sum(len(ids) for ids in deferred.values())
    return result


async def record(
    sessionmaker: async_sessionmaker[AsyncSession], instance: str, outcomes: list[Outcome]
) -> None:
    """Writes a batch of outcomes; only the lease holder's rows change (a row whose lease
    expired and was re-leased elsewhere is that replica's to record)."""
    if not outcomes:
        return
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_kind[outcome.kind].append(outcome)
    mine = (OUTBOX.c.id == bindparam("oid")) & (OUTBOX.c.leased_by == instance)
    cleared: dict[str, Any] = {
        "lease_until": None,
        "leased_by": None,
        "updated_at": bindparam("at"),
    }
    async with sessionmaker.begin() as session:
        if sent := by_kind.get("sent"):
            await session.execute(
                update(OUTBOX)
                .where(mine)
                .values(
                    status=OutboxStatus.SENT.value,
                    telegram_message_id=bindparam("mid"),
                    sent_at=bindparam("at"),
                    attempts=OUTBOX.c.attempts + 1,
                    **cleared,
                ),
                [{"oid": o.id, "mid": o.message_id, "at": o.at} for o in sent],
            )
        final = by_kind.get("failed", []) + by_kind.get("blocked", [])
        if final:
            await session.execute(
                update(OUTBOX)
                .where(mine)
                .values(
                    status=OutboxStatus.FAILED.value,
                    last_error=bindparam("err"),
                    attempts=OUTBOX.c.attempts + 1,
                    **cleared,
                ),
                [{"oid": o.id, "err": (o.error or "")[:1000], "at": o.at} for o in final],
            )
        if retry := by_kind.get("retry"):
            await session.execute(
                update(OUTBOX)
                .where(mine)
                .values(
                    status=OutboxStatus.PENDING.value,
                    due_at=bindparam("due"),
                    last_error=bindparam("err"),
                    attempts=OUTBOX.c.attempts + 1,
                    **cleared,
                ),
                [
                    {"oid": o.id, "due": o.retry_at, "err": (o.error or "")[:1000], "at": o.at}
                    for o in retry
                ],
            )
        if release := by_kind.get("release"):
            await session.execute(
                update(OUTBOX).where(mine).values(status=OutboxStatus.PENDING.value, **cleared),
                [{"oid": o.id, "at": o.at} for o in release],
            )
        blocked = [o for o in by_kind.get("blocked", []) if o.person_id is not None]
        if blocked:
            people = cast(Table, Person.__table__)
            await session.execute(
                update(people)
                .where(people.c.id == bindparam("pid"))
                .values(
                    reachable=False,
                    unreachable_reason=bindparam("reason"),
                    unreachable_since=bindparam("at"),
                ),
                [
                    {"pid": o.person_id, "reason": (o.error or "")[:200], "at": o.at}
                    for o in blocked
                ],
            )
