"""The answer to a button no handler knows: an old version's button, a modified client.

Listed last (`CATCH_ALL` in bot/features.py): every callback query must be
answered, or the person's app keeps its spinner running and nothing tells them why.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.context import GotongContext
from bot.services.people.members import Actor
from handlers.feature import Feature
from handlers.guard import StaleButton, guarded


@guarded()
async def cb_unknown_button(update: Update, context: GotongContext, actor: Actor) -> None:
    """Shows "this button is no longer valid" in the person's language; changes nothing."""
    raise StaleButton()


FEATURE = Feature(
    "stale",
    handlers=[
        CallbackQueryHandler(cb_unknown_button)
    ],
)
