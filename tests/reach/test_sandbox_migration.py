"""The sandbox upgrades a group to a supergroup as Telegram does: the old id answers sends
and edits with 400 `migrate_to_chat_id` (PTB's ChatMigrated), the bot gets both service
messages, the new chat works; in process and over the sandbox's HTTP user side."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import ChatMigrated

from sandbox import HttpSandboxClient, SandboxClient, SandboxError, SandboxServer, UserSpec
from tests.sandbox.conftest import TOKEN
from tests.sandbox.test_http_client import ThreadedSandbox

OLD, NEW = -4242, -1004242000000
LEAD = UserSpec(10, "Lina")


async def check_migrated(bot: Bot) -> None:
    with pytest.raises(ChatMigrated) as refused:
        await bot.send_message(OLD, "hello")
    assert refused.value.new_chat_id == NEW
    updates = await bot.get_updates()
    service = [u.message for u in updates if u.message is not None]
    assert [(m.chat.id, m.migrate_to_chat_id, m.migrate_from_chat_id) for m in service] == [
        (OLD, NEW, None), (NEW, None, OLD)]
    assert service[0].from_user is not None and service[0].from_user.id == LEAD.user_id
    sent = await bot.send_message(NEW, "hello")
    assert sent.chat.type == "supergroup"


async def test_a_group_upgraded_in_process() -> None:
    server = SandboxServer()
    await server.start()
    try:
        client = SandboxClient(server)
        async with Bot(TOKEN, base_url=server.base_url) as bot:
            await client.create_group(OLD, "Relawan")
            before = await bot.send_message(OLD, "posted before")
            await client.migrate_group(OLD, NEW, by=LEAD)
            with pytest.raises(ChatMigrated):
                await bot.edit_message_text("edited", chat_id=OLD, message_id=before.message_id)
            await check_migrated(bot)
            with pytest.raises(SandboxError):  # once only
                await client.migrate_group(OLD, NEW, by=LEAD)
    finally:
        await server.stop()


async def test_a_group_upgraded_over_http() -> None:
    with ThreadedSandbox() as remote:
        async with HttpSandboxClient(remote.server.url) as client, Bot(
            TOKEN, base_url=remote.server.base_url
        ) as bot:
            await client.create_group(OLD, "Relawan")
            await client.migrate_group(OLD, NEW, by=LEAD)
            await check_migrated(bot)
