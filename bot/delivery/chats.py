"""A group that became a supergroup, as the outbox sees it: its queued rows follow it.

Telegram answers a send or edit to the old chat id with 400 `migrate_to_chat_id`
(`bot.delivery.sender.Migrated`).  The dispatcher then re-targets every row still queued
for the old id (the bounced one included, which it sends again to the new chat) and calls
what the features keep per chat (a team's group link and posts: `Dispatcher.chat_moved`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

# (old chat id, new chat id): what else follows a group that became a supergroup.
ChatMoved = Callable[[int, int], Awaitable[object]]


async def migrated(
    sessionmaker: async_sessionmaker[AsyncSession], follow: Sequence[ChatMoved],
    old_chat_id: int, new_chat_id: int,
) -> None:
    """Queued rows (pending or being sent) go to the new chat id; then each follower."""
    log.info("outbox: chat %s migrated to %s", old_chat_id, new_chat_id)
    async with sessionmaker.begin() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == old_chat_id,
                   OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
            .values(chat_id=new_chat_id)
        )
    for step in follow:
        try:
            await step(old_chat_id, new_chat_id)
        except Exception:  # the bounced send itself still goes to the new chat
            log.exception("outbox: following chat %s to %s failed", old_chat_id, new_chat_id)
