"""Outbox kinds and how each is rendered, at send time, in the recipient's language.

A renderer gets the row's params, the recipient and a `Reader`; it returns the
message to send, or None when its cause is gone (the shift was cancelled, the
person left the team): the dispatcher then marks the row skipped, not sent.
Each feature registers the kinds it enqueues with `@renderer("kind")`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.views.render import Outgoing, Reader
from models import OutboxMessage, Person

Renderer = Callable[
    [AsyncSession, OutboxMessage, Person | None, Reader], Awaitable[Outgoing | None]
]
RENDERERS: dict[str, Renderer] = {}


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    def register(func: Renderer) -> Renderer:
        if kind in RENDERERS and RENDERERS[kind] is not func:
            raise ValueError(f"outbox kind {kind!r} has two renderers")
        RENDERERS[kind] = func
        return func

    return register


def param(row: OutboxMessage, name: str, default: Any = None) -> Any:
    return (row.params or {}).get(name, default)
