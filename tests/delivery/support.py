"""Helpers for the delivery tests: a real PTB bot on the sandbox, people, and queued rows."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from bot.clock import FrozenClock
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.outbox import NewMessage, enqueue
from bot.delivery.pacing import Pacer
from bot.delivery.renderers import Renderer, param
from bot.delivery.sender import PtbTransport
from bot.features import outbox_renderers
from bot.views.i18n import I18n
from bot.views.outbox import OutboxRendering
from bot.views.render import Outgoing, Reader
from models import OutboxMessage, Person
from sandbox import Limits, SandboxServer, UserSpec
from tests.support.harness import TOKEN, test_settings

KIND = "test.note"


async def render_note(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    """A test kind: its text is a param; `gone` marks a cause that disappeared."""
    if param(row, "gone"):
        return None
    return Outgoing(text=f"note {param(row, 'n')}")


NOTES: dict[str, Renderer] = {KIND: render_note}
ALL: dict[str, Renderer] = {**outbox_renderers(), **NOTES}  # the bot's kinds and the test's


@dataclass
class Env:
    sandbox: SandboxServer
    bot: Bot
    db: async_sessionmaker[AsyncSession]
    clock: FrozenClock
    url: str

    def dispatcher(
        self,
        rate: float = 30.0,
        *,
        renderers: Mapping[str, Renderer] | None = None,
        **overrides: Any,
    ) -> Dispatcher:
        settings = test_settings(self.url, self.sandbox, send_rate_per_second=rate, **overrides)
        return Dispatcher(
            self.db, PtbTransport(self.bot), settings, self.clock,
            OutboxRendering(I18n("id"), settings, ALL if renderers is None else renderers),
            pacer=Pacer(rate), workers=8,
        )


@asynccontextmanager
async def sandbox_env(
    db: async_sessionmaker[AsyncSession], url: str, now: datetime, limits: Limits | None = None
) -> AsyncIterator[Env]:
    sandbox = SandboxServer(limits=limits or Limits(enabled=True))
    await sandbox.start()
    bot = Bot(TOKEN, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url)
    await bot.initialize()
    try:
        yield Env(sandbox, bot, db, FrozenClock(now), url)
    finally:
        await bot.shutdown()
        await sandbox.stop()


async def add_people(
    env: Env, count: int, *, start_id: int = 1000, in_sandbox: bool = True
) -> list[tuple[int, int]]:
    """(person id, telegram id) of new people; their chats exist in the sandbox."""
    async with env.db.begin() as session:
        # Joined and last seen a day before the test's clock, never at the wall clock's
        # time (the model's default): someone seen minutes ago counts as awake at night.
        seen = env.clock.now() - timedelta(days=1)
        people = [
            Person(
                telegram_id=start_id + i, first_name=f"P{start_id + i}", memberships=[],
                joined_at=seen, last_seen_at=seen,
            )
            for i in range(count)
        ]
        session.add_all(people)
        await session.flush()
        pairs = [(p.id, p.telegram_id) for p in people]
    if in_sandbox:
        for _, telegram_id in pairs:
            env.sandbox.world.private_chat(UserSpec(telegram_id, f"P{telegram_id}"))
    return pairs


async def queue_notes(
    env: Env, people: list[tuple[int, int]], *, urgent: bool = False, **params: Any
) -> None:
    async with env.db.begin() as session:
        await enqueue(
            session,
            [
                NewMessage(
                    kind=KIND,
                    chat_id=telegram_id,
                    person_id=person_id,
                    dedup_key=f"note:{person_id}:{params.get('tag', '')}",
                    due_at=env.clock.now(),
                    params={"n": person_id, **params},
                    urgent=urgent,
                )
                for person_id, telegram_id in people
            ],
        )


async def rows(env: Env) -> list[OutboxMessage]:
    async with env.db() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())
