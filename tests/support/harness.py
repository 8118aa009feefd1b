"""The real bot, started against an in-process sandbox, as tests and benchmarks drive it.

Nothing is faked between the user and the database: a `SandboxUser` sends an
update over the sandbox, PTB long-polls it over HTTP, handlers call services
on a real database, and replies come back through the sandbox's Bot API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import GotongApp, build_application, running
from bot.clock import Clock, FrozenClock
from bot.config import Settings
from bot.db import create_engine, create_sessionmaker
from bot.sandbox import SandboxClient, SandboxServer, SandboxUser
from tests.support.databases import create_schema

TOKEN = "1000000001:TESTtestTESTtestTESTtestTESTtest12345"
ADMIN_ID = 1


@dataclass
class BotHarness:
    sandbox: SandboxServer
    client: SandboxClient
    app: GotongApp
    engine: AsyncEngine
    settings: Settings
    clock: Clock
    users: dict[int, SandboxUser] = field(default_factory=dict)

    @property
    def db(self) -> async_sessionmaker[AsyncSession]:
        return create_sessionmaker(self.engine)

    def user(
        self, user_id: int, first_name: str | None = None, language_code: str = "en", **kw: Any
    ) -> SandboxUser:
        if user_id not in self.users:
            self.users[user_id] = self.client.user(
                user_id,
                first_name=first_name or f"User{user_id}",
                language_code=language_code,
                **kw,
            )
        return self.users[user_id]

    @property
    def admin(self) -> SandboxUser:
        return self.user(ADMIN_ID, "Admin", "en", username="admin")


def test_settings(database_url: str, sandbox: SandboxServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": SecretStr(TOKEN),
        "database_url": database_url,
        "telegram_api_base_url": sandbox.base_url,
        "telegram_file_base_url": sandbox.base_file_url,
        "admin_ids": [ADMIN_ID],
        "default_language": "id",
        "auto_migrate": False,
        "_env_file": None,
    }
    values.update(overrides)
    env_file = values.pop("_env_file")
    return Settings(_env_file=env_file, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def start_harness(
    database_url: str,
    *,
    clock: FrozenClock | None = None,
    extra_modules: Iterable[ModuleType] = (),
    sandbox: SandboxServer | None = None,
    **settings_overrides: Any,
) -> AsyncIterator[BotHarness]:
    own_sandbox = sandbox is None
    sandbox = sandbox or SandboxServer()
    if own_sandbox:
        await sandbox.start()
    engine = create_engine(database_url)
    await create_schema(engine)
    settings = test_settings(database_url, sandbox, **settings_overrides)
    app = build_application(settings, clock=clock, engine=engine, extra_modules=extra_modules)
    try:
        async with running(app):
            yield BotHarness(
                sandbox, SandboxClient(sandbox), app, engine, settings,
                clock or app.bot_data.clock,
            )
    finally:
        if own_sandbox:
            await sandbox.stop()


async def forged_press(bot: BotHarness, user_id: int, message: Any, data: str) -> str:
    """A client sending callback data that no button carries (Telegram lets people do it);
    returns the answer the person sees."""
    pressed = await bot.user(user_id).press(message, data=data, expect="answer")
    return pressed.answer.text or ""


async def deliver(bot: BotHarness) -> None:
    """Sends everything the outbox holds that is due at the clock's time, through the app's
    own dispatcher (one per process, as in production), and returns when it is done."""
    from handlers.broadcast import dispatcher_of

    dispatcher = dispatcher_of(bot.app)
    assert dispatcher is not None, "the delivery engine starts with the app"
    await dispatcher.run_once()
