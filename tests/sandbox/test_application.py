"""A real PTB `Application` long-polling the sandbox, driven by people through SandboxUser."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from sandbox import SandboxClient, SandboxServer
from tests.sandbox.conftest import TOKEN


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(" ".join(context.args or []) or "(nothing)")


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Going", callback_data="rsvp:yes")],
            [InlineKeyboardButton("Maybe", callback_data="rsvp:maybe")],
        ]
    )
    await update.effective_message.reply_html("<b>Rally</b> Saturday?", reply_markup=keyboard)


async def rsvp(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer("Saved")
    choice = query.data.split(":")[1]
    if choice == "yes":
        await query.edit_message_text(f"You are going, {query.from_user.first_name}!")
    else:
        assert query.message is not None
        await context.bot.send_message(query.message.chat.id, "Tell us later.")


async def on_location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_message.location
    await update.effective_message.reply_text("checked in")


@pytest.fixture
async def app(server: SandboxServer) -> AsyncIterator[Application]:
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("echo", echo))
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(rsvp))
    application.add_handler(MessageHandler(filters.LOCATION, on_location))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        yield application
        await application.updater.stop()
        await application.stop()


@pytest.mark.usefixtures("app")
async def test_echo_and_buttons_as_a_person_sees_them(client: SandboxClient) -> None:
    ana = client.user(21, "Ana")
    reply = await ana.send_and_wait("/echo halo semua")
    assert reply.text == "halo semua"
    menu = await ana.send_and_wait("/start")
    assert menu.text == "Rally Saturday?" and menu.html == "<b>Rally</b> Saturday?"
    assert menu.button_texts == ["Going", "Maybe"]
    pressed = await ana.press(menu, "Going")
    assert pressed.answer.text == "Saved" and pressed.edited
    assert pressed.message is not None and pressed.message.text == "You are going, Ana!"
    assert pressed.message.buttons == []  # the edit removed the keyboard
    budi = client.user(22, "Budi")
    await budi.send_and_wait("/start")
    later = await budi.press(button=1)  # latest keyboard, 0-based index
    assert later.message is not None and not later.edited
    assert later.message.text == "Tell us later."
    assert (await budi.send_location(-6.2, 106.8)).location is not None
    assert (await budi.next_message()).text == "checked in"
    assert [m.text for m in ana.bot_messages()] == ["halo semua", "You are going, Ana!"]


@pytest.mark.usefixtures("app")
async def test_expect_replies_and_groups(client: SandboxClient) -> None:
    await client.create_group(-1001234567890, "Relawan Jakarta")
    cita = client.user(23, "Cita")
    await cita.send("/echo satu", chat_id=-1001234567890)
    await cita.send("/echo dua", chat_id=-1001234567890)
    replies = await cita.expect_replies(2, chat_id=-1001234567890)
    assert [r.text for r in replies] == ["satu", "dua"]
    assert replies[0].raw["chat"]["type"] == "supergroup"
