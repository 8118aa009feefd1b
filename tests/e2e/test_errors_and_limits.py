"""The error handler and Telegram's size limits, seen from the chat."""

from __future__ import annotations

import logging
import types

import pytest
from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.context import GotongContext
from tests.support.harness import TOKEN, start_harness

COORDINATORS_CHAT = -100200300


async def _explode(update: Update, context: GotongContext) -> None:
    raise RuntimeError("database on fire")


def _exploding_module() -> types.ModuleType:
    module = types.ModuleType("exploding")

    def handlers() -> list[BaseHandler]:
        return [CommandHandler("explode", _explode)]

    module.handlers = handlers  # type: ignore[attr-defined]
    return module


async def test_a_crash_apologises_in_the_users_language_and_tells_coordinators(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    async with start_harness(
        sqlite_url,
        extra_modules=[_exploding_module()],
        coordinators_chat_id=COORDINATORS_CHAT,
    ) as bot:
        await bot.client.create_group(COORDINATORS_CHAT, "Koordinator")
        ani = bot.user(7, "Ani", "id")
        reply = await ani.send_and_wait("/explode")
        assert "Maaf, ada masalah" in reply.text
        alert = await bot.client.wait_for_message(COORDINATORS_CHAT, timeout=10)
        assert "database on fire" in alert.text
        # The bot keeps working after the error.
        assert "Gotong" in (await ani.send_and_wait("/start")).text
    logged = "\n".join(r.getMessage() + str(r.exc_info) for r in caplog.records)
    assert "database on fire" in logged and TOKEN not in logged


async def test_long_lists_are_split_under_telegrams_limit(sqlite_url: str) -> None:
    async with start_harness(sqlite_url) as bot:
        admin = bot.admin
        async with bot.db.begin() as session:
            from models import Team

            session.add_all(
                Team(name=f"Tim {i:03d} " + "x" * 50, name_key=f"tim {i:03d}") for i in range(150)
            )
        await admin.send("/team")
        replies = [await admin.next_message()]
        while "Tim 149" not in replies[-1].text:
            replies.append(await admin.next_message())
        assert len(replies) > 1 and all(len(m.text) <= 4096 for m in replies)
        shown = "\n".join(m.text for m in replies)
        assert all(f"Tim {i:03d}" in shown for i in range(150))
