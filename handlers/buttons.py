"""Buttons: one handler function per button kind, bound to its typed callback data.

    @pressed(ClaimShift, Permission.VOLUNTEER)
    async def cb_claim_shift(update, context, actor, data: ClaimShift) -> None: ...

    Feature(..., buttons=[cb_claim_shift])      # the feature's button actions

The action runs behind the guard (permission, friendly refusals) with the parsed data;
data that does not parse as its kind never reaches it (`handlers/stale.py` answers any
callback nothing took: "this button is no longer valid").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.context import GotongContext
from bot.services.authz import Permission
from bot.services.people.members import Actor
from bot.views.callbacks import CallbackData
from handlers.guard import StaleButton, guarded

C = TypeVar("C", bound=CallbackData)
ButtonCallback = Callable[[Update, GotongContext, Actor, C], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ButtonAction(Generic[C]):
    """What one button kind does, and who may press it."""

    kind: type[C]
    permission: Permission | None
    action: ButtonCallback[C]

    @property
    def name(self) -> str:
        return self.action.__name__

    def handler(self) -> CallbackQueryHandler[GotongContext, None]:
        kind, action = self.kind, self.action

        async def run(update: Update, context: GotongContext, actor: Actor) -> None:
            query = update.callback_query
            data = kind.parse(query.data if query is not None else None)
            if data is None:
                raise StaleButton()
            await action(update, context, actor, data)

        run.__name__ = run.__qualname__ = action.__name__  # refusals are audited by name
        return CallbackQueryHandler(
            guarded(self.permission)(run),
            pattern=lambda raw: isinstance(raw, str) and kind.parse(raw) is not None,
        )


def pressed(
    kind: type[C], permission: Permission | None = None
) -> Callable[[ButtonCallback[C]], ButtonAction[C]]:
    def bind(action: ButtonCallback[C]) -> ButtonAction[C]:
        return ButtonAction(kind, permission, action)

    return bind
