"""How the outbox's rows become messages: the renderer lookup the dispatcher is given.

The delivery engine writes no text (it sits below the views).  The app builds one
`OutboxRendering` and hands it to the `Dispatcher`: for each due row it picks the kind's
renderer (the features' `RENDERERS` tables, merged by the app) and the
recipient's `Reader` (their language, else the campaign's; their timezone, else the
campaign's; at the dispatcher's clock), and it writes the broadcasts' progress messages
for their authors.

    Dispatcher(sessionmaker, transport, settings, clock,
               OutboxRendering(i18n, settings, state.tables.renderers))
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery.broadcasts import ProgressView
from bot.delivery.message import Message
from bot.delivery.renderers import Renderer, UnknownKind
from bot.services.people.members import language_of
from bot.views import broadcasts_progress
from bot.views.i18n import I18n
from bot.views.render import Outgoing, Reader
from models import OutboxMessage, Person


class OutboxRendering:
    """Rows and progress to messages, in each reader's language (the shape the dispatcher
    expects is `bot.delivery.dispatcher.OutboxRendering`)."""

    def __init__(
        self, i18n: I18n, settings: Settings, renderers: Mapping[str, Renderer]
    ) -> None:
        self.i18n = i18n
        self.language = settings.default_language
        self.timezone = settings.timezone
        self.currency = settings.currency
        self.renderers = renderers

    def reader(self, language: str | None, timezone: str | None, now: datetime) -> Reader:
        return Reader(
            self.i18n, language or self.language, timezone or self.timezone, self.currency, now,
            campaign_tz=self.timezone,
        )

    async def row(
        self, session: AsyncSession, row: OutboxMessage, person: Person | None, now: datetime
    ) -> Message | None:
        render = self.renderers.get(row.kind)
        if render is None:
            raise UnknownKind(row.kind)
        language = language_of(person, self.language) if person else self.language
        reader = self.reader(language, person.timezone if person else None, now)
        return await render(session, row, person, reader)

    def progress(self, view: ProgressView) -> Outgoing:
        """The author's progress message, at the dispatcher's clock (never the wall clock)."""
        reader = self.reader(view.language, view.timezone, view.as_of)
        return broadcasts_progress.progress_message(reader, view)
