"""Following broadcasts up: the recent ones with their counts, who they failed for, and
how many messages wait for their recipients' mornings.

Coordinators see every broadcast; a lead sees their own.  Plain results only: the texts
are `bot.views.broadcasts`'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.broadcasts import Held, failure_reasons, held_counts
from bot.delivery.failures import Reason, reason_of
from bot.errors import NotAllowed, NotFound
from bot.services.authz import Permission, is_team_scoped, require
from bot.services.people.members import Actor
from models import Broadcast, BroadcastStatus, OutboxMessage, OutboxStatus, Person

RECENT_LIMIT = 10
FAILURES_PAGE = 40


@dataclass(frozen=True, slots=True)
class Summary:
    id: int
    status: BroadcastStatus
    audience: str | None  # "kind" or "kind:arg"
    audience_name: str
    total: int
    sent: int
    failed: int
    blocked: int
    created_at: datetime
    scheduled_at: datetime | None
    text: str  # the broadcast's HTML (its excerpt is the views')
    media_type: str | None
    held: Held = field(default_factory=Held)


@dataclass(frozen=True, slots=True)
class FailureLine:
    name: str
    reason: Reason  # the code; its words are the views' (Telegram's text stays in the log)


@dataclass(frozen=True, slots=True)
class FailurePage:
    broadcast_id: int
    lines: list[FailureLine]
    offset: int
    total: int
    reasons: list[tuple[Reason, int]] = field(default_factory=list)  # all failures, by reason


def _visible_to(actor: Actor) -> object:
    # Coordinators see every broadcast; a lead sees their own.
    return Broadcast.author_id == actor.person_id if is_team_scoped(actor) else True


async def recent(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    limit: int = RECENT_LIMIT,
    *,
    now: datetime | None = None,
) -> list[Summary]:
    """The latest broadcasts; with `now`, how many of a running one's messages are held."""
    require(actor, Permission.BROADCAST)
    async with sessionmaker() as session:
        query = (
            select(Broadcast)
            .where(Broadcast.status != BroadcastStatus.DRAFT, _visible_to(actor))  # type: ignore[arg-type]
            .order_by(Broadcast.id.desc())
            .limit(limit)
        )
        rows = (await session.scalars(query)).all()
        live = [b.id for b in rows if b.status == BroadcastStatus.SENDING]
        held = await held_counts(session, live, now) if now is not None else {}
        return [_summary(b, held.get(b.id, Held())) for b in rows]


def _summary(b: Broadcast, held: Held) -> Summary:
    return Summary(
        b.id,
        b.status,
        b.audience,
        b.audience_label or "",
        b.total,
        b.sent_count,
        b.failed_count,
        b.blocked_count,
        b.created_at,
        b.scheduled_at,
        b.text,
        b.media_type,
        held,
    )


async def failures(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    broadcast_id: int,
    offset: int = 0,
    limit: int = FAILURES_PAGE,
) -> FailurePage:
    """Who the broadcast failed for (blocked, rejected, gave up), a page at a time."""
    require(actor, Permission.BROADCAST)
    async with sessionmaker() as session:
        b = await session.get(Broadcast, broadcast_id)
        if b is None or (is_team_scoped(actor) and b.author_id != actor.person_id):
            raise NotFound("broadcast.not_found")
        where = (
            OutboxMessage.broadcast_id == broadcast_id,
            OutboxMessage.status == OutboxStatus.FAILED,
        )
        total = await session.scalar(select(func.count(OutboxMessage.id)).where(*where)) or 0
        rows = (
            await session.execute(
                select(Person, OutboxMessage.last_error, OutboxMessage.chat_id)
                .select_from(OutboxMessage)
                .outerjoin(Person, Person.id == OutboxMessage.person_id)
                .where(*where)
                .order_by(OutboxMessage.id)
                .offset(offset)
                .limit(limit)
            )
        ).all()
        lines = [
            FailureLine(person.display_name if person else f"#{chat_id}", reason_of(error))
            for person, error, chat_id in rows
        ]
        reasons = await failure_reasons(session, broadcast_id) if total else []
        return FailurePage(broadcast_id, lines, offset, total, reasons)


async def held_now(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, *, now: datetime
) -> Held:
    """Broadcast messages this person can see that wait for their recipients' mornings."""
    if not actor_can_broadcast(actor):
        return Held()
    async with sessionmaker() as session:
        row = (
            await session.execute(
                select(func.count(), func.min(OutboxMessage.due_at))
                .select_from(OutboxMessage)
                .join(Broadcast, Broadcast.id == OutboxMessage.broadcast_id)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.due_at > now,
                    Broadcast.status == BroadcastStatus.SENDING,
                    _visible_to(actor),  # type: ignore[arg-type]
                )
            )
        ).one()
        return Held(int(row[0] or 0), row[1])


def actor_can_broadcast(actor: Actor) -> bool:
    try:
        require(actor, Permission.BROADCAST)
    except NotAllowed:
        return False
    return True
