"""Alerts to the coordinators' chat: messages people can act on, not a fire hose.

An unexpected error is logged in full (traceback, reference); the coordinators' chat gets
one short message per cause per `ALERT_INTERVAL` through the outbox (paced like every
send, rendered in the campaign's language, retried, and visible in the delivery report),
saying where it happened, how often, and the reference to look up in the log.  Never the
exception's text, SQL or parameters: those may hold people's data or secrets.

Throttling lives in the outbox rows themselves, so it holds across replicas and restarts:
the first occurrence of a cause in an interval is due at once; later ones only raise the
count of the next interval's row, due when that interval starts.  A chat that refused us
(the bot was removed from the group: 403) gets nothing more; that is logged once and the
errors stay in the log.  The alert's words are `bot.views.ops`' (`render_alert`).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import kinds
from bot.delivery.failures import BLOCKED_PREFIX
from bot.delivery.outbox import enqueue
from bot.delivery.renderers import param
from models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

KIND_ALERT = kinds.OPS_ALERT.name
ALERT_INTERVAL = timedelta(minutes=10)
# Once the chat refused us, how long before we try it again (someone may re-add the bot).
GONE_RECHECK = timedelta(days=1)
_told_gone: set[int] = set()  # chats whose refusal this process already logged


def _bucket(now: datetime) -> int:
    return int(now.timestamp() // ALERT_INTERVAL.total_seconds())


def _bucket_start(bucket: int) -> datetime:
    return datetime.fromtimestamp(bucket * ALERT_INTERVAL.total_seconds(), UTC)


async def _chat_refused_us(session: AsyncSession, chat_id: int, now: datetime) -> bool:
    found = await session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.kind == KIND_ALERT,
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.status == OutboxStatus.FAILED,
            OutboxMessage.last_error.like(f"{BLOCKED_PREFIX}%"),
            OutboxMessage.updated_at >= now - GONE_RECHECK,
        )
        .limit(1)
    )
    return found is not None


async def raise_alert(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    chat_id: int,
    cause: str,
    where: str,
    error_type: str,
    reference: str,
    now: datetime,
) -> bool:
    """Counts one occurrence of `cause`; True when it will reach the chat (now or later)."""
    digest = hashlib.sha1(cause.encode(), usedforsecurity=False).hexdigest()[:16]
    current = _bucket(now)
    async with sessionmaker.begin() as session:
        if await _chat_refused_us(session, chat_id, now):
            if chat_id not in _told_gone:
                _told_gone.add(chat_id)
                log.warning(
                    "the coordinators' chat %s refused our alerts (bot removed?); "
                    "errors go to the log only",
                    chat_id,
                )
            return False
        _told_gone.discard(chat_id)
        for bucket in (current, current + 1):
            alert = kinds.OPS_ALERT.message(
                chat_id=chat_id,
                due_at=now if bucket == current else _bucket_start(bucket),
                params={
                    "where": where[:80],
                    "type": error_type[:80],
                    "ref": reference,
                    "count": 1,
                    "since": now.isoformat(),
                },
                digest=digest,
                bucket=bucket,
            )
            # The interval's row, if this cause has one already (the dedup key names it).
            row = await session.scalar(
                select(OutboxMessage).where(OutboxMessage.dedup_key == alert.dedup_key)
            )
            if row is None:
                await enqueue(session, [alert])
                return True
            if row.status == OutboxStatus.PENDING:
                row.params = {**(row.params or {}), "count": int(param(row, "count", 1)) + 1,
                              "ref": reference}
                return True
        return True  # both rows taken: the next interval's row already counts it
