"""Command menus stored per scope and language, as Telegram stores and shows them."""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import BadRequest

from sandbox import SandboxClient


async def test_commands_per_scope_and_language(bot: Bot, client: SandboxClient) -> None:
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await bot.set_my_commands([BotCommand("mulai", "Mulai")], language_code="id")
    await bot.set_my_commands(
        [BotCommand("shifts", "Shifts")], scope=BotCommandScopeAllPrivateChats()
    )
    await bot.set_my_commands([BotCommand("admin", "Admin")], scope=BotCommandScopeChat(1))
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.command for c in await bot.get_my_commands(language_code="id")] == ["mulai"]
    private = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats())
    assert [c.command for c in private] == ["shifts"]
    assert await bot.get_my_commands(scope=BotCommandScopeChat(2)) == ()
    assert client.user(1, language_code="en").commands() == ["admin"]
    assert client.user(2, language_code="en").commands() == ["shifts"]
    assert client.user(5, language_code="id").commands() == ["shifts"]
    await bot.delete_my_commands(scope=BotCommandScopeAllPrivateChats())
    assert client.user(2, language_code="id").commands() == ["mulai"]
    assert client.user(2, language_code="en").commands() == ["start", "help"]


async def test_invalid_commands_are_refused(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Start", "upper case is not allowed")])
    with pytest.raises(BadRequest, match=r"(?i)language code"):
        await bot.set_my_commands([BotCommand("a", "b")], language_code="indonesian")
