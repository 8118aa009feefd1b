"""Small helpers every handler uses: the reader, sending, keyboards, callback parsing."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import GotongContext
from bot.delivery.sender import keyboard_markup as markup
from bot.services.people.members import Actor
from bot.views.render import Button, Keyboard, Reader, pack_lines

# Telegram's answers when an edit's target cannot be edited any more.
MESSAGE_GONE = ("message to edit not found", "message can't be edited", "message_id_invalid")


def reader_for(context: GotongContext, actor: Actor) -> Reader:
    settings = context.settings
    return Reader(
        context.i18n,
        actor.language,
        actor.timezone or settings.timezone,
        settings.currency,
        context.clock.now(),
        campaign_tz=settings.timezone,
    )


async def send(
    update: Update,
    context: GotongContext,
    text: str | Sequence[str],
    keyboard: Keyboard | None = None,
) -> Message:
    """Replies in the update's chat; a list of lines is packed into messages ≤ 4096 chars.

    The keyboard goes on the last message so it sits under the content it acts on.
    """
    chat = update.effective_chat
    assert chat is not None
    chunks = pack_lines([text] if isinstance(text, str) else text)
    message: Message | None = None
    for index, chunk in enumerate(chunks):
        message = await context.bot.send_message(
            chat.id,
            chunk,
            parse_mode=ParseMode.HTML,
            reply_markup=markup(keyboard) if index == len(chunks) - 1 else None,
            disable_web_page_preview=True,
        )
    assert message is not None
    return message


async def edit_or_send(
    update: Update, context: GotongContext, text: str, keyboard: Keyboard | None = None
) -> None:
    """From a button press: replace the pressed message; otherwise send a new one."""
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            await query.edit_message_text(
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(keyboard),
                disable_web_page_preview=True,
            )
            return
        except BadRequest as exc:
            reason = str(exc).lower()
            if "not modified" in reason:
                return
            # The pressed message is gone or too old to edit: the answer comes as a new one.
            if not any(gone in reason for gone in MESSAGE_GONE):
                raise
    await send(update, context, text, keyboard)


def callback_args(data: str | None, prefix: str, count: int) -> list[str] | None:
    """Splits `prefix:a:b` into exactly `count` parts after the prefix, or None if forged."""
    if not data or not data.startswith(prefix + ":"):
        return None
    parts = data[len(prefix) + 1 :].split(":")
    return parts if len(parts) == count and all(parts) else None


def int_arg(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 18 else None


def button_rows(buttons: Sequence[Button], per_row: int = 2) -> list[list[Button]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]
