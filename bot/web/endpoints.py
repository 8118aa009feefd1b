"""What every Mini App page module shares: the running bot's state and the endpoint table.

`WebEnv` is what an API call needs of the bot (the same state chat handlers get on their
context); an `Endpoint` is one method + path, the permission checked before anything else,
and its handler.  Each page module (`bot.web.planning`, `bot.web.people`, ...) lists its
own endpoints in a `Routes` table; `bot.web.api` gathers them and serves them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.delivery.quiet import QuietHours
from bot.services.authz import Permission
from bot.services.people.members import Actor
from bot.views.i18n import I18n
from bot.views.render import Reader


@dataclass
class WebEnv:
    """What the API needs of the running bot: the same state handlers get on the context."""

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    i18n: I18n
    clock: Clock
    # The bot's @username once it is known (t.me deep links: invites); None before that.
    bot_username: Callable[[], str | None] = field(default=lambda: None)
    # The application's bot (None in a process without one): what the chat's handlers send
    # and edit with, e.g. taking a cancelled event's RSVP buttons off its invitations.
    bot: Callable[[], Any] = field(default=lambda: None)

    @property
    def token(self) -> str:
        assert self.settings.bot_token is not None
        return self.settings.bot_token.get_secret_value()

    def reader(self, actor: Actor) -> Reader:
        return Reader(
            self.i18n,
            actor.language,
            actor.timezone or self.settings.timezone,
            self.settings.currency,
            self.clock.now(),
            campaign_tz=self.settings.timezone,
        )

    def quiet(self) -> QuietHours:
        start, end = self.settings.quiet_hours
        return QuietHours(start, end)


ENV_KEY = web.AppKey("env", WebEnv)
Handler = Callable[[web.Request, WebEnv, Actor], Awaitable[Any]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    permission: Permission | None  # checked before anything else (None: anyone known)
    handler: Handler


@dataclass
class Routes:
    """One page's endpoints, in the order they were declared."""

    endpoints: list[Endpoint] = field(default_factory=list)

    def __call__(
        self, method: str, path: str, permission: Permission | None = None
    ) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.endpoints.append(Endpoint(method, path, permission, fn))
            return fn

        return register

    def __iter__(self) -> Iterator[Endpoint]:
        return iter(self.endpoints)
