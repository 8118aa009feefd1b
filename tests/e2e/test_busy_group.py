"""A busy group does not starve everyone else.

Thirty members of one group call the bot at once.  Telegram lets a bot post 20 messages
a minute in a group, so ten replies must wait for the group's window; while they wait
they give their processing slot back (`bot.delivery.pacing.CHAT_WAIT`, lent by
`bot.updates.PerPersonOrderedProcessor`).  Before, those waiting replies held all eight
slots and a private `/me` from someone else waited for the whole minute.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.clock import FrozenClock
from sandbox import SandboxServer
from sandbox.limits import Limits
from tests.conftest import T0
from tests.support.harness import BotHarness, start_harness

GROUP = -1001234
MEMBERS = 30
GROUP_WINDOW = 20  # replies a group may get per minute


def bot_messages(bot: BotHarness, chat_id: int) -> int:
    return sum(1 for m in bot.client.messages(chat_id) if m.from_bot)


async def wait_for_bot_messages(bot: BotHarness, chat_id: int, n: int) -> None:
    after = 0
    for _ in range(n):
        found = await bot.client.wait_for_message(chat_id, after, timeout=20)
        after = found.message_id


def abandon_backlog() -> None:
    """The group's last replies wait a minute for its window: the test does not."""
    for task in asyncio.all_tasks():
        if "create_task_callback" in getattr(task.get_coro(), "__qualname__", ""):
            task.cancel()


async def test_a_private_reply_does_not_wait_behind_a_busy_group(tmp_path: Path) -> None:
    sandbox = SandboxServer(limits=Limits(enabled=True))
    await sandbox.start()
    try:
        async with start_harness(
            f"sqlite+aiosqlite:///{tmp_path / 'busy.sqlite3'}",
            clock=FrozenClock(T0),
            sandbox=sandbox,
        ) as bot:
            await bot.client.create_group(GROUP, "Relawan Jakarta Timur")
            members = [bot.user(100 + i, f"Member{i}", "en") for i in range(MEMBERS)]
            for member in members:
                await member.send("/help", chat_id=GROUP)
            await wait_for_bot_messages(bot, GROUP, GROUP_WINDOW)

            me = await bot.user(7, "Sari", "en").send_and_wait("/me")

            assert "Sari" in me.text
            # Answered while the group's backlog still waits for its window.
            assert bot_messages(bot, GROUP) == GROUP_WINDOW < MEMBERS
            assert sandbox.stats.answered_429 == 0
            abandon_backlog()
    finally:
        await sandbox.stop()
