"""The in-process person-like client: waits, presses, stale buttons, reset, readable timeouts."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup

from sandbox import SandboxClient, SandboxError, SandboxServer, SandboxTimeout
from tests.sandbox.conftest import TOKEN


async def test_stale_or_forged_callback_data_reaches_the_bot(
    bot: Bot, client: SandboxClient
) -> None:
    user = client.user(8)
    await user.send("hi")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go:1")]])
    menu = await bot.send_message(8, "menu", reply_markup=keyboard)
    pressing = asyncio.create_task(user.press(menu.message_id, data="go:999", expect="answer"))
    query = (await bot.get_updates(timeout=5))[-1].callback_query
    assert query is not None and query.data == "go:999"
    await bot.answer_callback_query(query.id, "no longer valid")
    assert (await pressing).answer.text == "no longer valid"
    with pytest.raises(SandboxError, match="no button 'Stop'"):
        await user.press(menu.message_id, "Stop")


async def test_press_waiting_for_a_new_message(bot: Bot, client: SandboxClient) -> None:
    user = client.user(8)
    await user.send("hi")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more")]])
    await bot.send_message(8, "menu", reply_markup=keyboard)
    pressing = asyncio.create_task(user.press(button=0, expect="message"))
    query = (await bot.get_updates(timeout=5))[-1].callback_query
    assert query is not None
    await bot.send_message(8, "here is more")
    await bot.answer_callback_query(query.id)
    result = await pressing
    assert result.message is not None and result.message.text == "here is more"
    assert not result.edited and result.answer.text is None


async def test_waits_with_predicates_and_edits(bot: Bot, client: SandboxClient) -> None:
    user = client.user(8)
    await user.send("hi")
    first = await bot.send_message(8, "step 1")
    later = asyncio.create_task(client.wait_for_message(8, predicate=lambda m: "3" in m.text))
    edit = asyncio.create_task(client.wait_for_edit(8, first.message_id))
    await bot.send_message(8, "step 2")
    await bot.send_message(8, "step 3")
    await bot.edit_message_text("step 1 done", 8, first.message_id)
    assert (await later).text == "step 3"
    assert (await edit).text == "step 1 done"


async def test_reply_keyboard_is_kept_for_the_person(bot: Bot, client: SandboxClient) -> None:
    user = client.user(8)
    await user.send("hi")
    await bot.send_message(8, "share?", reply_markup=ReplyKeyboardMarkup([["Yes", "No"]]))
    seen = user.last_bot_message()
    assert seen is not None and seen.buttons == []
    assert (
        seen.reply_keyboard is not None and seen.reply_keyboard["keyboard"][0][0]["text"] == "Yes"
    )


async def test_timeouts_show_the_chat(client: SandboxClient, bot: Bot) -> None:
    user = client.user(8)
    await user.send("is anyone there?")
    with pytest.raises(SandboxTimeout, match="is anyone there"):
        await user.next_message(timeout=0.05)


async def test_reset_clears_chats_but_update_ids_keep_growing(
    server: SandboxServer, bot: Bot, client: SandboxClient
) -> None:
    await client.user(8).send("before")
    before = (await bot.get_updates())[-1].update_id
    await client.reset()
    assert client.messages(8) == []
    with pytest.raises(Exception, match=r"(?i)chat not found"):
        await bot.send_message(8, "gone")
    await client.user(8).send("after")
    assert (await bot.get_updates(offset=before + 1))[-1].update_id > before


def test_standalone_server_logs_its_url_and_serves() -> None:
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0"],
        cwd=root,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/bot)", line)
        assert match, line
        me = httpx.get(f"{match.group(1)}{TOKEN}/getMe", timeout=5).json()
        assert me["ok"] and me["result"]["username"] == "gotong_sandbox_bot"
    finally:
        process.terminate()
        process.wait(10)
