"""The terminal chat, fed through a pipe as a newcomer would type, against a real PTB bot."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from sandbox import SandboxServer, run_terminal_chat
from sandbox.signals import Signal
from tests.sandbox.conftest import TOKEN


class Screen(io.StringIO):
    """A stdout that wakes the test whenever something is printed."""

    def __init__(self) -> None:
        super().__init__()
        self.signal = Signal()

    def write(self, text: str) -> int:
        written = super().write(text)
        self.signal.fire()
        return written

    async def shows(self, text: str) -> None:
        found = await self.signal.wait_for(lambda: True if text in self.getvalue() else None, 5)
        assert found, f"{text!r} never appeared; screen:\n{self.getvalue()}"


async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None and update.effective_user
    if message.text == "/rsvp":
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Going", callback_data="y"),
                    InlineKeyboardButton("Maybe", callback_data="m"),
                ]
            ]
        )
        await message.reply_text("Rally?", reply_markup=keyboard)
    else:
        await message.reply_text(f"{update.effective_user.first_name} said {message.text}")


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Noted")
    await query.edit_message_text(f"Answer: {query.data}")


@pytest.fixture
async def app(server: SandboxServer) -> AsyncIterator[Application]:
    application = ApplicationBuilder().token(TOKEN).base_url(server.base_url).build()
    application.add_handler(MessageHandler(filters.TEXT, reply))
    application.add_handler(CallbackQueryHandler(pressed))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        yield application
        await application.updater.stop()
        await application.stop()


@pytest.mark.usefixtures("app")
async def test_terminal_session_through_a_pipe(server: SandboxServer) -> None:
    read_fd, write_fd = os.pipe()
    screen = Screen()
    with os.fdopen(read_fd, "r") as stdin, os.fdopen(write_fd, "w") as typing:
        chat = asyncio.create_task(
            run_terminal_chat(server, first_user_id=1, stdin=stdin, stdout=screen)
        )

        def type_line(line: str) -> None:
            typing.write(line + "\n")
            typing.flush()

        await screen.shows(":help")
        type_line("halo")
        await screen.shows("User 1 said halo")
        type_line("/rsvp")
        await screen.shows("[1 Going] [2 Maybe]")
        type_line("!2")
        await screen.shows("(toast: Noted)")
        await screen.shows("edited]\nAnswer: m")
        type_line("/as 2 Budi id")
        await screen.shows("you are now Budi")
        type_line("hi")
        await screen.shows("[bot -> Budi (2) #2]\nBudi said hi")
        type_line("!1")
        await screen.shows("no bot message with buttons")
        type_line(":nope")
        await screen.shows("unknown terminal command")
        type_line(":quit")
        await chat


@pytest.mark.usefixtures("app")
async def test_terminal_ends_at_end_of_input(server: SandboxServer) -> None:
    screen = Screen()
    await run_terminal_chat(
        server, stdin=io.StringIO("/as 3 Cita\n"), stdout=screen, linger_seconds=0
    )
    assert "you are now Cita" in screen.getvalue()
