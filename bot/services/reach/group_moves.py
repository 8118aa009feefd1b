"""A group that became a supergroup: its link, its queued messages and its posts move along.

Telegram gives the supergroup a new chat id; the old one answers every send and edit with
400 `migrate_to_chat_id` (PTB's `ChatMigrated`).  We learn of it either way: the service
message in the group (`migrate_to_chat_id` in the old chat, `migrate_from_chat_id` in the
new one) or a send that bounced (the dispatcher re-targets its queued rows, retries the
row to the new chat and calls `move_group`).  Both may come, in any order, several times:
moving is idempotent (nothing left under the old id, nothing to do).

The posts already out stay behind in the old chat, where the bot can no longer edit them
and whose buttons we can no longer trust, so each one still live (an open shift or event
that has not started, a series with an occurrence ahead) is posted again in the new chat
under a new key (the kinds' keys carry the chat id); posts of work that is over are
dropped.  Rows still waiting are simply re-targeted and go out in the new chat.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.kinds import (
    GROUP_EVENT_POST,
    GROUP_PLACES_LEFT,
    GROUP_SERIES_POST,
    GROUP_SHIFT_POST,
)
from bot.delivery.outbox import NewMessage, enqueue
from models import (
    Event,
    EventStatus,
    GroupPost,
    OutboxMessage,
    OutboxStatus,
    Shift,
    ShiftStatus,
    TeamGroup,
)

log = logging.getLogger(__name__)


async def move_group(
    sessionmaker: async_sessionmaker[AsyncSession], old_chat_id: int, new_chat_id: int,
    *, now: datetime,
) -> bool:
    """Moves the group's link, queued rows and live posts to its new chat id; True when
    there was a link to move (False: moved before, or never linked)."""
    if old_chat_id == new_chat_id:
        return False
    async with sessionmaker.begin() as session:
        link = await session.scalar(select(TeamGroup).where(TeamGroup.chat_id == old_chat_id))
        taken = await session.scalar(select(TeamGroup.id).where(TeamGroup.chat_id == new_chat_id))
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == old_chat_id,
                   OutboxMessage.status == OutboxStatus.PENDING)
            .values(chat_id=new_chat_id)
        )
        if link is None:
            return False
        if taken is not None:  # linked in the new chat already (relinked by hand): it wins
            await session.delete(link)
        else:
            link.chat_id = new_chat_id
        reposted = await _move_posts(session, old_chat_id, new_chat_id, now)
    log.info("group %s became %s: link moved, %d posts posted again", old_chat_id,
             new_chat_id, reposted)
    return True


async def _move_posts(session: AsyncSession, old: int, new: int, now: datetime) -> int:
    posts = (await session.scalars(
        select(GroupPost).where(GroupPost.chat_id == old, GroupPost.part_of.is_(None))
        .order_by(GroupPost.id)
    )).all()
    statuses = dict((await session.execute(
        select(OutboxMessage.dedup_key, OutboxMessage.status)
        .where(OutboxMessage.dedup_key.in_([p.dedup_key for p in posts]))
    )).all()) if posts else {}
    messages: list[NewMessage] = []
    for post in posts:
        status = statuses.get(post.dedup_key)
        if status in (OutboxStatus.PENDING, OutboxStatus.SENDING):  # goes to the new chat
            post.chat_id = new
            await _move_parts(session, post.id, new, post.dedup_key)
            continue
        message = await _again(session, post, new, now) if status == OutboxStatus.SENT else None
        if message is None:  # over, or never went out: nothing to keep current
            await session.execute(delete(GroupPost).where(GroupPost.part_of == post.id))
            await session.delete(post)
            continue
        post.chat_id, post.dedup_key, post.shown = new, message.dedup_key, None
        await _move_parts(session, post.id, new, message.dedup_key)
        messages.append(message)
    await session.flush()
    return await enqueue(session, messages)


async def _move_parts(session: AsyncSession, post_id: int, new: int, key: str) -> None:
    parts = (await session.scalars(select(GroupPost).where(GroupPost.part_of == post_id))).all()
    for part in parts:
        part.chat_id, part.dedup_key = new, f"{key}/{part.target_id}"


async def _again(
    session: AsyncSession, post: GroupPost, new: int, now: datetime
) -> NewMessage | None:
    """The same post for the new chat, if what it shows is still ahead."""
    if post.kind in ("shift", "left"):
        shift = await session.get(Shift, post.target_id)
        if shift is None or shift.status != ShiftStatus.OPEN or shift.starts_at <= now:
            return None
        kind = GROUP_SHIFT_POST if post.kind == "shift" else GROUP_PLACES_LEFT
        return kind.message(chat_id=new, due_at=now, params={"shift_id": shift.id},
                            shift_id=shift.id)
    if post.kind == "event":
        event = await session.get(Event, post.target_id)
        if event is None or event.status == EventStatus.CANCELLED or event.starts_at <= now:
            return None
        return GROUP_EVENT_POST.message(chat_id=new, due_at=now, params={"event_id": event.id},
                                        event_id=event.id)
    if post.kind == "series" and post.live_until > now:
        parts = list(await session.scalars(
            select(GroupPost.target_id).where(GroupPost.part_of == post.id)))
        return GROUP_SERIES_POST.message(chat_id=new, due_at=now, params={"shift_ids": parts},
                                         shift_id=post.target_id)
    return None
