"""The bot's own CallbackContext: the sessionmaker, settings, i18n and clock travel here.

A handler never keeps a live session; it asks the context for the sessionmaker
and calls one service.  `AppState` is PTB's `bot_data`, filled by `build_application`:
typed fields for every long-lived object (no string-keyed bag), and `tables`, what the
features declared (commands, flows, deep links, /me sections), built once by the app.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock, SystemClock
from bot.commands import CommandTable
from bot.config import Settings
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.pacing import Pacer
from bot.delivery.renderers import Renderer
from bot.ops.runtime import Ops
from bot.services.flows import Flow
from bot.services.people.members import Actor, TelegramUser, Visitor, load_visitor
from bot.views.i18n import I18n
from bot.views.people import ProfileSection as Section

# One step of a guided flow: the person's answer to the step `flow.step` asked for.
FlowStep = Callable[[Update, "GotongContext", Actor, Flow], Awaitable[None]]
# A `/start <payload>` link: called with the payload after its prefix.
DeepLinkHandler = Callable[[Update, "GotongContext", str], Awaitable[None]]
# A /me section: a loader (services, plain data) and its view (bot.views.people).
ProfileSection = Section[Any]


@dataclass(frozen=True, slots=True)
class FeatureTables:
    """What the features declared, merged in the app's feature order (first one wins)."""

    commands: CommandTable = field(default_factory=CommandTable)
    flows: Mapping[str, FlowStep] = field(default_factory=dict)
    deep_links: Mapping[str, DeepLinkHandler] = field(default_factory=dict)
    profile_sections: Sequence[ProfileSection] = ()
    renderers: Mapping[str, Renderer] = field(default_factory=dict)  # outbox kind -> renderer


@dataclass
class AppState:
    """Everything long-lived that handlers and jobs need (never a session)."""

    settings: Settings | None = None
    engine: AsyncEngine | None = None
    sessionmaker: async_sessionmaker[AsyncSession] | None = None
    i18n: I18n = field(default_factory=I18n)
    clock: Clock = field(default_factory=SystemClock)
    tables: FeatureTables = field(default_factory=FeatureTables)
    pacer: Pacer | None = None
    ops: Ops | None = None
    dispatcher: Dispatcher | None = None
    # Group posts are re-rendered by one job at a time (handlers/reach/groups.py).
    group_posts_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class GotongContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], AppState]):
    """Adds typed access to the app state and the update's actor and open flow.

    PTB makes a new context for every update, so what it holds never outlives the update:
    a role changed a moment ago is read again on the person's next update."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self._actor: Actor | None = None
        self._visitor: Visitor | None = None

    @property
    def state(self) -> AppState:
        return self.bot_data

    @property
    def settings(self) -> Settings:
        assert self.bot_data.settings is not None
        return self.bot_data.settings

    @property
    def db(self) -> async_sessionmaker[AsyncSession]:
        assert self.bot_data.sessionmaker is not None
        return self.bot_data.sessionmaker

    @property
    def i18n(self) -> I18n:
        return self.bot_data.i18n

    @property
    def clock(self) -> Clock:
        return self.bot_data.clock

    async def actor(self, update: Update) -> Actor:
        """The person behind this update, registered on first contact; cached per update."""
        if self._actor is None:
            self._actor = (await self._visit(update)).actor
        return self._actor

    async def open_flow(self, update: Update) -> Flow | None:
        """The multi-step input the person was in when this update arrived (None: none),
        read in the same query as the actor."""
        return (await self._visit(update)).flow

    async def _visit(self, update: Update) -> Visitor:
        if self._visitor is None:
            user = update.effective_user
            assert user is not None, "actor() needs an update from a user"
            self._visitor = await load_visitor(
                self.db,
                telegram_user(user),
                admin_ids=frozenset(self.settings.admin_ids),
                default_language=self.settings.default_language,
                now=self.clock.now(),
            )
        return self._visitor

    def set_actor(self, actor: Actor) -> None:
        """After a service changed the person (language, role), keep replies consistent."""
        self._actor = actor


def telegram_user(user: Any) -> TelegramUser:
    return TelegramUser(
        id=user.id,
        first_name=user.first_name or "",
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
    )
