"""Telegram's command menus per scope and language, derived from the command registry.

Volunteers see the default menu (per language); anyone with more powers gets a
menu of their own (chat scope), refreshed whenever their role or language changes.
"""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.commands import CommandSpec, CommandTable
from bot.context import GotongContext
from bot.services.authz import Permission
from bot.services.people.members import Actor
from bot.views.i18n import LANGUAGES, I18n
from models import Role

log = logging.getLogger(__name__)

DEFAULT_MENU_PERMISSIONS = {None, Permission.VOLUNTEER}


def _menu(i18n: I18n, lang: str, names: list[str]) -> list[BotCommand]:
    return [BotCommand(name, i18n.t(lang, f"cmd.{name}")[:256]) for name in names]


def _own_menu(i18n: I18n, actor: Actor, specs: list[CommandSpec]) -> list[BotCommand]:
    """A person's menu: each command described for them (a lead's /team is their team's)."""
    return [
        BotCommand(c.name, i18n.t(actor.language, c.description_key_for(actor))[:256])
        for c in specs
    ]


async def set_default_menus(
    bot: ExtBot[None], i18n: I18n, commands: CommandTable, default_language: str
) -> None:
    names = [
        c.name
        for c in commands.menu_order()
        if c.menu and c.permission in DEFAULT_MENU_PERMISSIONS
    ]
    await bot.set_my_commands(_menu(i18n, default_language, names), scope=BotCommandScopeDefault())
    for lang in LANGUAGES:
        await bot.set_my_commands(
            _menu(i18n, lang, names), scope=BotCommandScopeDefault(), language_code=lang
        )


async def sync_person_menu(context: GotongContext, actor: Actor) -> None:
    """A person's own menu in their language; volunteers fall back to the default one."""
    bot, i18n = context.bot, context.i18n
    scope = BotCommandScopeChat(actor.telegram_id)
    try:
        if actor.role == Role.VOLUNTEER:
            await bot.delete_my_commands(scope=scope)
            return
        specs = [c for c in context.state.tables.commands.for_actor(actor) if c.menu]
        await bot.set_my_commands(_own_menu(i18n, actor, specs), scope=scope)
    except TelegramError as exc:  # a menu is a convenience; never fail the action for it
        log.warning("could not set the menu of %s: %s", actor.telegram_id, exc)
