"""The ops messages' words: the coordinators' error alert and "your answer got lost".

The mechanisms are `bot.ops`' (alerts throttled through the outbox, updates handled
once); what people read is written here, in their language.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.renderers import Renderer, param
from bot.ops.alerts import KIND_ALERT
from bot.views.i18n import I18n, normalize_language
from bot.views.render import CALLBACK_ANSWER_LIMIT, Outgoing, Reader, to_plain
from models import OutboxMessage, Person


async def render_alert(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    count = int(param(row, "count", 1))
    since = datetime.fromisoformat(str(param(row, "since", row.due_at.isoformat())))
    text = reader.t(
        "error.coordinators",
        where=str(param(row, "where", "?")),
        type=str(param(row, "type", "?")),
        count=reader.number(count),
        since=reader.when(since),
        ref=str(param(row, "ref", "?")),
    )
    return Outgoing(text=text)


def reply_lost(i18n: I18n, default_language: str, language_code: str | None) -> tuple[str, str]:
    """'Your last message was handled, but my answer got lost': (message HTML, toast)."""
    text = i18n.t(normalize_language(language_code, default_language), "error.reply_lost")
    return text, to_plain(text, CALLBACK_ANSWER_LIMIT)


# The outbox kinds this module writes (its feature declares them: `Feature.renderers`).
RENDERERS: dict[str, Renderer] = {
    KIND_ALERT: render_alert,
}
