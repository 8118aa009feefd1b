"""getUpdates: offset confirmation, negative offsets, limits, long polling and conflicts."""

from __future__ import annotations

import asyncio

import httpx
from telegram import Bot

from sandbox import SandboxClient, SandboxServer
from tests.sandbox.conftest import TOKEN


async def test_offset_confirms_and_limit_caps(bot: Bot, client: SandboxClient) -> None:
    user = client.user(9)
    for i in range(5):
        await user.send(f"m{i}")
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first if u.message] == ["m0", "m1"]
    again = await bot.get_updates(limit=2)
    assert [u.update_id for u in again] == [u.update_id for u in first]  # not confirmed yet
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest if u.message] == ["m2", "m3", "m4"]
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == ()


async def test_negative_offset_keeps_the_last_updates(bot: Bot, client: SandboxClient) -> None:
    user = client.user(9)
    for i in range(4):
        await user.send(f"m{i}")
    last = await bot.get_updates(offset=-1)
    assert [u.message.text for u in last if u.message] == ["m3"]
    assert len(await bot.get_updates()) == 1  # the earlier ones are forgotten


async def test_command_entities_and_deep_link(bot: Bot, client: SandboxClient) -> None:
    user = client.user(9, "Budi", language_code="en")
    await user.send("/start ref_42")
    await user.send("/help@gotong_sandbox_bot")
    updates = await bot.get_updates()
    start, help_ = (u.message for u in updates)
    assert start is not None and help_ is not None
    assert start.entities[0].type == "bot_command" and start.entities[0].length == len("/start")
    assert help_.entities[0].length == len("/help@gotong_sandbox_bot")
    assert start.from_user is not None and start.from_user.language_code == "en"


async def test_long_poll_wakes_on_new_update(
    server: SandboxServer, bot: Bot, client: SandboxClient
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await _parked(server)
    await client.user(9).send("wake up")
    updates = await poll
    assert updates[0].message is not None and updates[0].message.text == "wake up"


async def _parked(server: SandboxServer) -> None:
    parked = await server.world.updates_signal.wait_for(
        lambda: True if server.api.long_polls_waiting else None, 5
    )
    assert parked


async def test_second_poll_terminates_the_first(server: SandboxServer) -> None:
    url = f"{server.base_url}{TOKEN}/getUpdates"
    async with httpx.AsyncClient(timeout=10) as http:
        first = asyncio.create_task(http.post(url, data={"timeout": "5"}))
        await _parked(server)
        second = await http.post(url, data={"timeout": "0"})
        answer = await first
    assert second.json() == {"ok": True, "result": []}
    assert answer.status_code == 409
    assert "terminated by other getUpdates request" in answer.json()["description"]


async def test_allowed_updates_filters(bot: Bot, client: SandboxClient) -> None:
    await bot.get_updates(allowed_updates=["callback_query"])
    await client.user(9).send("ignored")
    assert await bot.get_updates() == ()
    await bot.get_updates(allowed_updates=[])
    await client.user(9).send("seen")
    assert len(await bot.get_updates()) == 1
