"""Injected faults map to the exceptions PTB raises for real Telegram failures."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import Forbidden, NetworkError, TimedOut

from sandbox import SandboxClient, SandboxServer


async def test_blocked_and_deactivated_users(
    server: SandboxServer, bot: Bot, client: SandboxClient
) -> None:
    await client.user(11).send("hi")
    await client.user(12).send("hi")
    server.set_faults(blocked_user_ids={11}, deactivated_user_ids={12})
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(11, "x")
    with pytest.raises(Forbidden, match="user is deactivated"):
        await bot.send_message(12, "x")
    server.set_faults(blocked_user_ids=set())
    await bot.send_message(11, "back")


async def test_5xx_is_a_network_error_and_not_delivered(
    server: SandboxServer, bot: Bot, client: SandboxClient
) -> None:
    await client.user(11).send("hi")
    server.set_faults(error_5xx_rate=1.0)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(11, "lost")
    assert server.stats.answered_5xx == 1 and server.stats.deliveries == []
    assert await bot.get_me()  # read-only methods stay reliable


async def test_delivered_then_timed_out_makes_a_duplicate(
    server: SandboxServer, bot: Bot, client: SandboxClient
) -> None:
    user = client.user(11)
    await user.send("hi")
    server.set_faults(delivered_timeout_rate=1.0, timeout_seconds=30)
    with pytest.raises(TimedOut):
        await bot.send_message(11, "reminder", read_timeout=0.2)
    server.set_faults(delivered_timeout_rate=0.0)
    await bot.send_message(11, "reminder")  # what a naive retry does
    assert server.stats.duplicates() == {(11, "reminder"): 2}
    assert server.stats.timeouts == 1


async def test_lost_timeout_delivers_nothing(
    server: SandboxServer, bot: Bot, client: SandboxClient
) -> None:
    await client.user(11).send("hi")
    server.set_faults(timeout_rate=1.0, timeout_seconds=30)
    with pytest.raises(TimedOut):
        await bot.send_message(11, "gone", read_timeout=0.2)
    assert server.stats.texts(11) == []
