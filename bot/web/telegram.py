"""Opening the Mini App from Telegram: the menu button and /app.

With a WEBAPP_URL, every private chat's menu button opens the Mini App (coordinators and
leads plan there, volunteers see their shifts), and /app answers with a `web_app` button:
"📅 Plan in the app" for those who plan, "🙋 My shifts in the app" for volunteers.  Without
one, /app says the app is not set up here.  (The browser sandbox sets it to its local URL.)
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.error import TelegramError
from telegram.ext import CommandHandler, filters

from bot.commands import CommandSpec
from bot.config import Settings
from bot.context import GotongContext
from bot.services.authz import Permission, can
from bot.services.people.members import Actor
from bot.views.i18n import I18n
from bot.views.render import to_plain
from handlers.feature import Feature
from handlers.guard import guarded

log = logging.getLogger(__name__)


def open_button(i18n: I18n, actor: Actor, url: str) -> InlineKeyboardButton:
    plans = can(actor, Permission.MANAGE_SHIFTS) or can(actor, Permission.VIEW_SUMMARY)
    key = "webapp.open_plan" if plans else "webapp.open_my"
    return InlineKeyboardButton(to_plain(i18n.t(actor.language, key)), web_app=WebAppInfo(url))


@guarded()
async def cmd_app(update: Update, context: GotongContext, actor: Actor) -> None:
    """Replies with a button that opens the Mini App (or says it is not set up)."""
    message = update.effective_message
    if message is None:
        return
    url = context.settings.webapp_url
    if not url:
        await message.reply_text(context.i18n.t(actor.language, "webapp.not_configured"))
        return
    await message.reply_text(
        context.i18n.t(actor.language, "webapp.open_intro"),
        reply_markup=InlineKeyboardMarkup([[open_button(context.i18n, actor, url)]]),
    )


FEATURE = Feature(
    "webapp",
    handlers=[CommandHandler("app", cmd_app, filters=filters.ChatType.PRIVATE)],
    commands=[CommandSpec("app", group="everyday")],  # in /help wherever the web app runs
)


async def set_menu_button(bot: Any, settings: Settings, i18n: I18n) -> None:
    """Every private chat's menu button opens the Mini App (in the campaign's language)."""
    if not settings.webapp_url:
        return
    label = to_plain(i18n.t(settings.default_language, "webapp.menu_button"))
    try:
        await bot.set_chat_menu_button(
            menu_button=MenuButtonWebApp(label[:64], WebAppInfo(settings.webapp_url))
        )
    except TelegramError as exc:  # a convenience; the bot works without it
        log.warning("could not set the Mini App menu button: %s", exc)
