"""Registering the webhook exactly once when several replicas start together.

The step runs under a transaction-level advisory lock, so replicas take turns; the first
calls setWebhook and stores a fingerprint of what it registered (URL, secret, limits,
update kinds), the others find the same fingerprint and a matching getWebhookInfo and
leave Telegram alone.  A changed setting (a rotated secret) changes the fingerprint and
the next replica to start re-registers.  Pending updates are never dropped: setWebhook
is called with drop_pending_updates=False and the pending count is logged.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ops.leader import WEBHOOK_LOCK_KEY
from models import OpsState

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
FINGERPRINT_KEY = "webhook.fingerprint"


@dataclass(frozen=True)
class WebhookTarget:
    url: str
    secret: str
    max_connections: int
    allowed_updates: tuple[str, ...] = tuple(ALLOWED_UPDATES)

    def fingerprint(self) -> str:
        raw = "|".join(
            [self.url, self.secret, str(self.max_connections), ",".join(self.allowed_updates)]
        )
        return hashlib.sha256(raw.encode()).hexdigest()


async def register_webhook(
    bot: Any, sessionmaker: async_sessionmaker[AsyncSession], target: WebhookTarget
) -> bool:
    """Makes Telegram push to `target`; True if this call registered it, False if done."""
    async with sessionmaker.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": WEBHOOK_LOCK_KEY}
            )
        stored = await session.scalar(
            select(OpsState.value).where(OpsState.key == FINGERPRINT_KEY)
        )
        info = await bot.get_webhook_info()
        pending = info.pending_update_count
        if stored == target.fingerprint() and info.url == target.url:
            log.info("webhook already registered by another replica (%d pending)", pending)
            return False
        await bot.set_webhook(
            target.url,
            secret_token=target.secret,
            max_connections=target.max_connections,
            allowed_updates=list(target.allowed_updates),
            drop_pending_updates=False,
        )
        row = await session.get(OpsState, FINGERPRINT_KEY)
        if row is None:
            session.add(OpsState(key=FINGERPRINT_KEY, value=target.fingerprint()))
        else:
            row.value = target.fingerprint()
        log.info("webhook registered at %s; %d pending updates kept", target.url, pending)
        return True
