"""Small factories for budget tests: people with a role, as the services see them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.people.members import Actor, TelegramUser, actor_from, upsert_person
from models import AuditEntry, OutboxMessage, Role

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


async def make_actor(
    sessionmaker: async_sessionmaker[AsyncSession],
    telegram_id: int,
    role: Role,
    name: str | None = None,
    language: str = "id",
) -> Actor:
    async with sessionmaker.begin() as session:
        person, _ = await upsert_person(
            session,
            TelegramUser(telegram_id, name or f"User{telegram_id}"),
            admin_ids=frozenset(),
            now=T0,
        )
        person.role = role
        person.language = language
        await session.flush()
        return actor_from(person, language)


async def outbox_rows(
    sessionmaker: async_sessionmaker[AsyncSession], kind: str
) -> list[OutboxMessage]:
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
        return list(rows)


async def audits(
    sessionmaker: async_sessionmaker[AsyncSession], action: str
) -> list[dict[str, Any]]:
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return [dict(r.details) | {"target_id": r.target_id} for r in rows]


async def count(sessionmaker: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)
