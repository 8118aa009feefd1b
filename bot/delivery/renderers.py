"""Which function writes each outbox kind's message, looked up at send time.

The engine stores rows (kind, recipient, params) and never writes a text: a renderer
does, in the recipient's language, seconds before the send.  It returns the message to
send, or None when its cause is gone (the shift was cancelled, the person left the
team): the dispatcher then marks the row skipped, not sent.

Renderers live in the views layer: each views module that writes outbox kinds ends with
its `RENDERERS` table, which its feature declares (`Feature.renderers`), and the app
merges them.  The dispatcher is given an `OutboxRendering` (`bot.delivery.dispatcher`)
built above it (`bot.views.outbox`), which picks the kind's renderer and the recipient's
language and timezone, and writes the broadcasts' progress messages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.message import Message
from models import OutboxMessage, Person

# (session, row, recipient or None, how the recipient reads) -> the message, or None.
Renderer = Callable[[AsyncSession, OutboxMessage, Person | None, Any], Awaitable[Message | None]]
def param(row: OutboxMessage, name: str, default: Any = None) -> Any:
    return (row.params or {}).get(name, default)


class UnknownKind(LookupError):
    """No renderer knows this row's kind (the row fails with that reason)."""
