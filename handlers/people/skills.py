"""/skills: people tick their skills with toggle buttons; coordinators add and remove skills."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.errors import InvalidInput
from bot.services.authz import Permission, can
from bot.services.people import skills
from bot.services.people.members import Actor
from bot.views.people import ToggleSkill, skills_keyboard
from handlers.buttons import pressed
from handlers.common import edit_or_send, reader_for, send
from handlers.feature import Feature
from handlers.guard import guarded


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
    await send(update, context, reader.t("skills.pick"), skills_keyboard(skill_list))


@pressed(ToggleSkill, Permission.VOLUNTEER)
async def cb_skill(
    update: Update, context: GotongContext, actor: Actor, data: ToggleSkill
) -> None:
    """Tapping a skill ticks or unticks it; the keyboard shows the new state."""
    query = update.callback_query
    assert query is not None
    reader = reader_for(context, actor)
    await skills.toggle_skill(context.db, actor, data.skill_id)
    await query.answer()
    await edit_or_send(
        update, context, reader.t("skills.pick"),
        skills_keyboard(await skills.list_skills(context.db, actor)),
    )


FEATURE = Feature(
    "skills",
    handlers=[
        CommandHandler("skills", cmd_skills),
    ],
    buttons=[cb_skill],
    commands=[CommandSpec("skills", Permission.VOLUNTEER)],
)
