"""The yardstick: a bare python-telegram-bot echo bot, with nothing of Gotong imported.

Run by `claim_bench` and `interactive_bench` as a child process (`python -m
benchmarks.echo_bot`, `BOT_TOKEN` and `TELEGRAM_API_BASE_URL` from the environment).  It
answers what those benches send the same way Gotong does, with no database: `/start`
with a one-button list, a tap with a callback answer and an edit, `/help` with a text of
the size of Gotong's volunteer /help.  PTB's own defaults (httpx) as a plain PTB bot has
them, with `concurrent_updates(8)`, the best setting measured on these machines.
"""

from __future__ import annotations

import os

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

HELP_TEXT = "What you can do:\n" + "\n".join(f"/command{i} — does thing {i}" for i in range(16))


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("✋", callback_data="c:1")]])
    await context.bot.send_message(update.effective_chat.id, "tap", reply_markup=keyboard)


async def tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("ok")
    await query.edit_message_text(f"echo {query.data}")


async def help_(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, HELP_TEXT)


def main() -> None:
    app = (
        ApplicationBuilder()
        .token(os.environ["BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .concurrent_updates(8)
        .connection_pool_size(64)
        .pool_timeout(10)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_))
    app.add_handler(CallbackQueryHandler(tap))
    app.run_polling(drop_pending_updates=True, allowed_updates=["message", "callback_query"])


if __name__ == "__main__":
    main()
