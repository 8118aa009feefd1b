"""The flood-limit referee: bursts get 429 with retry_after, the log never exceeds a window."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import RetryAfter

from sandbox import Limits, SandboxClient, SandboxServer
from sandbox.limits import RateReferee

# PTB 22 warns that RetryAfter.retry_after will become a timedelta; not our concern here.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def test_private_chat_burst_gets_retry_after(
    server: SandboxServer, bot: Bot, client: SandboxClient
) -> None:
    await client.user(3).send("hi")
    server.set_limits(enabled=True)
    await bot.send_message(3, "first")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(3, "second")
    assert caught.value.retry_after == timedelta(seconds=1)  # PTB_TIMEDELTA (bot/__init__.py)
    assert server.stats.answered_429 == 1
    assert server.stats.texts(3) == ["first"]  # a 429'd message is not delivered


async def test_global_burst_never_exceeds_the_window(
    server: SandboxServer, bot: Bot, client: SandboxClient
) -> None:
    for user_id in range(1, 61):
        await client.user(user_id).send("hi")
    server.set_limits(enabled=True, global_per_second=30)
    results = await asyncio.gather(
        *(bot.send_message(user_id, "news") for user_id in range(1, 61)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, RetryAfter)]
    assert refused and server.stats.answered_429 == len(refused)
    assert server.stats.max_in_window(1.0) <= 30
    assert len(server.stats.deliveries) + len(refused) == 60


async def test_paid_broadcast_uses_the_paid_limit(
    server: SandboxServer, bot: Bot, client: SandboxClient
) -> None:
    for user_id in range(1, 41):
        await client.user(user_id).send("hi")
    server.set_limits(enabled=True, global_per_second=30, paid_per_second=1000)
    for user_id in range(1, 41):
        await bot.send_message(user_id, "paid", allow_paid_broadcast=True)
    assert server.stats.answered_429 == 0
    assert all(d.paid for d in server.stats.deliveries)


async def test_edits_count_like_sends_and_answers_do_not(
    server: SandboxServer, bot: Bot, client: SandboxClient
) -> None:
    user = client.user(4)
    await user.send("hi")
    message = await bot.send_message(4, "progress 0")
    server.reset_stats()
    server.set_limits(enabled=True)
    # The send above predates the limits; the first edit fits, the second in the same
    # second is refused like a send would be.
    await bot.edit_message_text("progress 1", chat_id=4, message_id=message.message_id)
    with pytest.raises(RetryAfter) as caught:
        await bot.edit_message_text("progress 2", chat_id=4, message_id=message.message_id)
    assert caught.value.retry_after == timedelta(seconds=1)
    assert server.stats.answered_429 == 1 and server.stats.edits_429 == 1
    # A flood wait earned by an edit delays the chat's next real message too.
    with pytest.raises(RetryAfter):
        await bot.send_message(4, "a real reply")
    assert server.stats.max_in_window(1.0, chat_id=4) == 1
    assert [e.text for e in server.stats.edits] == ["progress 1"]
    shown = client.last_bot_message(4)
    assert shown is not None and shown.text == "progress 1"


async def test_callback_answers_are_not_metered(
    server: SandboxServer, bot: Bot, client: SandboxClient
) -> None:
    user = client.user(5)
    await user.send("hi")
    server.set_limits(enabled=True)
    await bot.send_message(5, "tap", reply_markup=_one_button())
    tap = client.last_bot_message(5)
    assert tap is not None
    pressed = asyncio.create_task(user.press(tap, data="x", expect="answer"))
    query = await _next_callback(bot)
    await bot.answer_callback_query(query.id, text="ok")
    assert (await pressed).answer.text == "ok"
    assert server.stats.answered_429 == 0


def _one_button() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("go", callback_data="x")]])


async def _next_callback(bot: Bot) -> CallbackQuery:
    while True:  # the sandbox's long poll returns as soon as the press arrives
        for update in await bot.get_updates(timeout=5):
            if update.callback_query is not None:
                await bot.get_updates(offset=update.update_id + 1, timeout=0)
                return update.callback_query


def test_referee_windows_and_retry_after_values() -> None:
    referee = RateReferee(Limits(enabled=True, group_chat_per_minute=20))
    for i in range(20):
        assert referee.retry_after(-1, True, False, now=100.0 + i) is None
        referee.record(-1, 100.0 + i)
    # The 21st group send must wait until the first leaves the 60 s window (t=160).
    assert referee.retry_after(-1, True, False, now=130.0) == 30
    assert referee.retry_after(-1, True, False, now=160.0) is None
    referee.record(7, 200.0)
    assert referee.retry_after(7, False, False, now=200.4) == 1
    assert referee.retry_after(7, False, False, now=201.0) is None
    assert RateReferee(Limits(enabled=False)).retry_after(7, False, False, now=0.0) is None
