"""/skills: people tick their skills with toggle buttons; coordinators add and remove skills."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import commands
from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.errors import InvalidInput
from bot.services.authz import Permission, can
from bot.services.people import skills
from bot.services.people.members import Actor
from bot.services.people.skills import SkillView
from bot.views.render import Button, Reader
from bot.views.shifts import CB_SKILL
from handlers.common import button_rows, callback_args, edit_or_send, int_arg, reader_for, send
from handlers.guard import StaleButton, guarded

commands.register(CommandSpec("skills", Permission.VOLUNTEER))


def _keyboard(reader: Reader, skill_list: list[SkillView]) -> list[list[Button]]:
    buttons = [
        Button(("✅ " if s.mine else "▫️ ") + s.name[:40], f"{CB_SKILL}:t:{s.id}")
        for s in skill_list
    ]
    return button_rows(buttons, 2)


@guarded(Permission.VOLUNTEER)
async def cmd_skills(update: Update, context: GotongContext, actor: Actor) -> None:
    """My skills as toggle buttons; `/skills add X`, `/skills remove X` for coordinators."""
    reader = reader_for(context, actor)
    args = context.args or []
    if args:
        verb, name = args[0].lower(), " ".join(args[1:])
        if not can(actor, Permission.MANAGE_SKILLS):
            raise InvalidInput("skills.pick_hint")
        if verb in ("add", "tambah") and name:
            added = await skills.add_skill(context.db, actor, name)
            await send(update, context, reader.t("skills.added", name=added.name))
            return
        if verb in ("remove", "hapus") and name:
            removed = await skills.remove_skill(context.db, actor, name)
            await send(update, context, reader.t("skills.removed", name=removed))
            return
        raise InvalidInput("skills.usage")
    skill_list = await skills.list_skills(context.db, actor)
    if not skill_list:
        await send(update, context, reader.t("skills.none"))
        return
    await send(update, context, reader.t("skills.pick"), _keyboard(reader, skill_list))


@guarded(Permission.VOLUNTEER)
async def cb_skill(update: Update, context: GotongContext, actor: Actor) -> None:
    """Tapping a skill ticks or unticks it; the keyboard shows the new state."""
    query = update.callback_query
    assert query is not None
    parts = callback_args(query.data, CB_SKILL + ":t", 1)
    skill_id = int_arg(parts[0]) if parts else None
    if skill_id is None:
        raise StaleButton()
    reader = reader_for(context, actor)
    await skills.toggle_skill(context.db, actor, skill_id)
    await query.answer()
    await edit_or_send(
        update, context, reader.t("skills.pick"),
        _keyboard(reader, await skills.list_skills(context.db, actor)),
    )


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("skills", cmd_skills),
        CallbackQueryHandler(cb_skill, pattern=rf"^{CB_SKILL}:"),
    ]
