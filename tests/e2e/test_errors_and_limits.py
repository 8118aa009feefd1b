"""The error handler and Telegram's size limits, seen from the chat."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select
from telegram import Update
from telegram.ext import CommandHandler

from bot.clock import FrozenClock
from bot.context import GotongContext
from handlers.feature import Feature
from models import OutboxMessage
from tests.conftest import T0
from tests.support.harness import TOKEN, deliver, start_harness

COORDINATORS_CHAT = -100200300


async def _explode(update: Update, context: GotongContext) -> None:
    raise RuntimeError("database on fire")


def _exploding_feature() -> Feature:
    return Feature("exploding", handlers=[CommandHandler("explode", _explode)])


async def test_a_crash_apologises_in_the_users_language_and_tells_coordinators(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    async with start_harness(
        sqlite_url,
        extra_features=[_exploding_feature()],
        coordinators_chat_id=COORDINATORS_CHAT,
    ) as bot:
        await bot.client.create_group(COORDINATORS_CHAT, "Koordinator")
        ani = bot.user(7, "Ani", "id")
        reply = await ani.send_and_wait("/explode")
        assert "Maaf, ada masalah" in reply.text
        alert = await bot.client.wait_for_message(COORDINATORS_CHAT, timeout=10)
        # Where, what kind, how often, and the log's reference; never the exception's text.
        assert "/explode (RuntimeError): 1× sejak" in alert.text  # the campaign speaks id
        assert "database on fire" not in alert.text
        reference = alert.text.rsplit(" ", 1)[-1].strip(".")
        # The same fault again within the interval: counted, not posted again.
        for _ in range(3):
            assert "Maaf, ada masalah" in (await ani.send_and_wait("/explode")).text
        await deliver(bot)
        assert len(bot.sandbox.world.messages(COORDINATORS_CHAT)) == 1
        async with bot.db() as session:
            follow_up = (
                await session.scalars(select(OutboxMessage).where(
                    OutboxMessage.kind == "ops.alert", OutboxMessage.status == "pending"))
            ).one()
            assert follow_up.params["count"] == 3  # goes when the next interval starts
        # The bot keeps working after the error.
        assert "Gotong" in (await ani.send_and_wait("/start")).text
    logged = "\n".join(r.getMessage() + str(r.exc_info) for r in caplog.records)
    assert "database on fire" in logged and TOKEN not in logged
    assert f"ref={reference}" in logged


async def test_alerts_stop_when_the_bot_was_removed_from_the_coordinators_group(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    clock = FrozenClock(T0)
    async with start_harness(
        sqlite_url,
        clock=clock,
        extra_features=[_exploding_feature()],
        coordinators_chat_id=COORDINATORS_CHAT,
    ) as bot:
        await bot.client.create_group(COORDINATORS_CHAT, "Koordinator")
        bot.sandbox.world.chats[COORDINATORS_CHAT].bot_removed = True
        ani = bot.user(7, "Ani", "id")
        await ani.send_and_wait("/explode")
        await deliver(bot)
        async with bot.db() as session:
            refused = (await session.scalars(select(OutboxMessage))).one()
            assert refused.status == "failed" and (refused.last_error or "").startswith("forbidden")
        for minutes in (20, 40):  # later intervals: no new alert rows, the log says why once
            clock.advance(minutes=minutes)
            assert "Maaf, ada masalah" in (await ani.send_and_wait("/explode")).text
        async with bot.db() as session:
            assert len((await session.scalars(select(OutboxMessage))).all()) == 1
        assert "Gotong" in (await ani.send_and_wait("/start")).text
    gone = [r for r in caplog.records if "refused our alerts" in r.getMessage()]
    assert len(gone) == 1
    assert len([r for r in caplog.records if "unhandled error ref=" in r.getMessage()]) == 3


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
