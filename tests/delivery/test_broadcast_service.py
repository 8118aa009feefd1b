"""Broadcast use cases on SQLite and PostgreSQL: double confirm, confirm after cancel."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import Conflict
from bot.services import broadcasts
from bot.services.people.members import actor_from
from models import Broadcast, BroadcastStatus, OutboxMessage, Person, Role
from tests.conftest import T0


async def _setup(db: async_sessionmaker[AsyncSession], n: int) -> tuple[object, int]:
    async with db.begin() as session:
        admin = Person(telegram_id=1, first_name="A", role=Role.ADMIN, memberships=[])
        session.add(admin)
        session.add_all(
            Person(telegram_id=100 + i, first_name=f"V{i}", memberships=[]) for i in range(n)
        )
        await session.flush()
        actor = actor_from(admin, "en")
    draft = await broadcasts.create_draft(
        db, actor, text="Halo", visible_length=4, media_file_id=None, media_type=None, now=T0
    )
    await broadcasts.choose_audience(db, actor, draft.id, "all")
    return actor, draft.id


async def _count(db: async_sessionmaker[AsyncSession]) -> int:
    async with db() as session:
        return await session.scalar(select(func.count(OutboxMessage.id))) or 0


async def test_confirm_pressed_twice_at_once_enqueues_once(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    actor, draft_id = await _setup(sessionmaker, 300)

    async def press() -> object:
        return await broadcasts.confirm(
            sessionmaker, actor, draft_id, now=T0, progress_chat_id=1,  # type: ignore[arg-type]
            progress_message_id=9,
        )

    results = await asyncio.gather(press(), press(), return_exceptions=True)
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert await _count(sessionmaker) == 301
    async with sessionmaker() as session:
        b = await session.get(Broadcast, draft_id)
        assert b is not None and b.status == BroadcastStatus.SENDING and b.total == 301


async def test_confirm_after_cancel_sends_nothing(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    actor, draft_id = await _setup(sessionmaker, 3)
    await broadcasts.cancel(sessionmaker, actor, draft_id)  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        await broadcasts.confirm(
            sessionmaker, actor, draft_id, now=T0, progress_chat_id=1,  # type: ignore[arg-type]
            progress_message_id=9,
        )
    assert await _count(sessionmaker) == 0


async def test_empty_and_overlong_drafts_are_refused(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    from bot.errors import InvalidInput

    actor, _ = await _setup(sessionmaker, 1)
    for text, length, media in (("  ", 2, None), ("x", 4097, None), ("c", 1025, "file-id")):
        with pytest.raises(InvalidInput):
            await broadcasts.create_draft(
                sessionmaker, actor, text=text, visible_length=length,  # type: ignore[arg-type]
                media_file_id=media, media_type="photo" if media else None, now=T0,
            )
