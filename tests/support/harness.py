"""The real bot, started against an in-process sandbox, as tests and benchmarks drive it.

Nothing is faked between the user and the database: a `SandboxUser` sends an
update over the sandbox, PTB long-polls it over HTTP, handlers call services
on a real database, and replies come back through the sandbox's Bot API.

Hermetic by default: the app's clock is a `FrozenClock` at `T0` (a Thursday morning in
Jakarta, outside quiet hours) whatever the hour or time zone of the machine, and settings
come only from `test_settings` (no `.env`; `tests/conftest.py` clears the shell's
variables).  The pacer paces each chat only while the sandbox referee's limits are on
(`RefereedPacer`): with the referee off nothing counts a chat's sends, and a functional
test need not wait a second between two replies; the overall rate is always Telegram's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import GotongApp, build_application, running
from bot.clock import FrozenClock
from bot.config import Settings
from bot.db import create_engine, create_sessionmaker
from bot.delivery.pacing import Pacer, _Window
from handlers.feature import Feature
from sandbox import SandboxClient, SandboxServer, SandboxUser
from tests.support.databases import create_schema

TOKEN = "1000000001:TESTtestTESTtestTESTtestTESTtest12345"
ADMIN_ID = 1
# Thursday 26 Nov 2026, 10:00 in Jakarta: every harness starts here unless told otherwise.
T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


class _RefereedWindow(_Window):
    """A chat's window that keeps its record always but holds sends back only while the
    referee counts them (switching the limits on mid-test then paces from real history)."""

    __slots__ = ("enforced",)

    def __init__(self, limit: int, period: float, enforced: Callable[[], bool]) -> None:
        super().__init__(limit, period)
        self.enforced = enforced

    def wait(self, now: float) -> float:
        return super().wait(now) if self.enforced() else 0.0


class RefereedPacer(Pacer):
    """The app's pacer, with each chat's window as strict as the sandbox referee is now:
    Telegram's 1/s per private chat and 20/min per group while its limits are on (pacing
    tests), none while they are off (functional tests).  The overall rate is unchanged."""

    def __init__(self, rate_per_second: float, sandbox: SandboxServer) -> None:
        super().__init__(rate_per_second)
        self._sandbox = sandbox

    def _referee_on(self) -> bool:
        return self._sandbox.limits.enabled

    def _chat_window(self, chat_id: int) -> _Window:
        window = self._chats.get(chat_id)
        if window is None:
            if len(self._chats) > 20_000:
                self._prune()
            window = (
                _RefereedWindow(self.group_per_minute, 60.0, self._referee_on)
                if chat_id < 0
                else _RefereedWindow(self.private_per_second, 1.0, self._referee_on)
            )
            self._chats[chat_id] = window
        return window


@dataclass
class BotHarness:
    sandbox: SandboxServer
    client: SandboxClient
    app: GotongApp
    engine: AsyncEngine
    settings: Settings
    clock: FrozenClock
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
    """Settings from these values and the defaults only: never `.env`, never the shell."""
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
    extra_features: Iterable[Feature] = (),
    sandbox: SandboxServer | None = None,
    **settings_overrides: Any,
) -> AsyncIterator[BotHarness]:
    """The real bot on `database_url` and a sandbox, its clock frozen at `T0` (or `clock`);
    tests that need time to pass move `harness.clock`."""
    clock = clock or FrozenClock(T0)
    own_sandbox = sandbox is None
    sandbox = sandbox or SandboxServer()
    if own_sandbox:
        await sandbox.start()
    engine = create_engine(database_url)
    await create_schema(engine)
    settings = test_settings(database_url, sandbox, **settings_overrides)
    rate = settings.paid_rate_per_second if settings.paid_broadcast else (
        settings.send_rate_per_second
    )
    app = build_application(
        settings, clock=clock, engine=engine, extra_features=extra_features,
        pacer=RefereedPacer(rate, sandbox),
    )
    try:
        async with running(app):
            yield BotHarness(sandbox, SandboxClient(sandbox), app, engine, settings, clock)
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
    own dispatcher (one per process, as in production), and returns when it is done
    (including what the dispatcher's own loop had under way: `Dispatcher.run_once`)."""
    dispatcher = bot.app.bot_data.dispatcher
    assert dispatcher is not None, "the delivery engine starts with the app"
    await dispatcher.run_once()


@asynccontextmanager
async def team_of_volunteers(
    url: str, lang: str, people: dict[int, str], *, clock: FrozenClock | None = None,
    **settings: Any,
) -> AsyncIterator[BotHarness]:
    """The bot at T0 with team Jaksel and `people` (telegram id -> first name) in it as
    volunteers speaking `lang`, each with a private chat open."""
    from models import Membership, Person, Role, Team
    from sandbox import UserSpec

    async with start_harness(url, clock=clock or FrozenClock(T0), **settings) as bot:
        async with bot.db.begin() as session:
            team = Team(name="Jaksel", name_key="jaksel")
            session.add(team)
            await session.flush()
            for tid, name in people.items():
                person = Person(telegram_id=tid, first_name=name, role=Role.VOLUNTEER,
                                language=lang, memberships=[])
                session.add(person)
                await session.flush()
                session.add(Membership(person_id=person.id, team_id=team.id))
                bot.sandbox.world.private_chat(UserSpec(tid, name))
        yield bot


def fresh(user: SandboxUser, message: Any) -> Any:
    """The message as the person sees it now (after edits)."""
    return next(m for m in user.messages() if m.message_id == message.message_id)
