"""The one error handler, and the answer to commands nobody registered."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.context import GotongContext
from bot.i18n import normalize_language
from bot.services.people import Actor
from handlers.common import reader_for, send
from handlers.guard import guarded

log = logging.getLogger(__name__)


async def on_error(update: object, context: GotongContext) -> None:
    """Logs with the traceback, apologises to the user, tells the coordinators' chat."""
    error = context.error
    log.error("unhandled error (update=%s)", _update_id(update), exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        user = update.effective_user
        lang = normalize_language(
            user.language_code if user else None, context.settings.default_language
        )
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(context.i18n.t(lang, "error.generic")[:200])
            else:
                await context.bot.send_message(
                    update.effective_chat.id, context.i18n.t(lang, "error.generic")
                )
        except TelegramError:
            log.warning("could not tell the user about the error", exc_info=True)
    chat_id = context.settings.coordinators_chat_id
    if chat_id:
        where = f"update {_update_id(update)}" if update is not None else "a background job"
        text = context.i18n.t(
            context.settings.default_language,
            "error.coordinators",
            where=where,
            error=f"{type(error).__name__}: {error}"[:1000],
        )
        try:
            await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
        except TelegramError:
            log.warning("could not notify the coordinators' chat", exc_info=True)


def _update_id(update: object) -> str:
    return str(update.update_id) if isinstance(update, Update) else "-"


@guarded()
async def on_unknown_command(update: Update, context: GotongContext, actor: Actor) -> None:
    """Unknown command: points to /help."""
    text = update.effective_message.text if update.effective_message else ""
    command = (text or "").split()[0][:64] if text else ""
    await send(
        update, context, reader_for(context, actor).t("error.unknown_command", command=command)
    )


def handlers() -> list[BaseHandler]:
    return [MessageHandler(filters.COMMAND, on_unknown_command)]
