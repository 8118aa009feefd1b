"""/help and /me: what I may do here, and who I am in this campaign."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.services.people import profile
from bot.services.people.members import Actor
from bot.views import people as people_views
from handlers.common import reader_for, send
from handlers.feature import Feature
from handlers.guard import guarded


@guarded()
async def cmd_help(update: Update, context: GotongContext, actor: Actor) -> None:
    """Lists exactly the commands this person may use, grouped by the work, everyday first."""
    reader = reader_for(context, actor)
    lines = [reader.t("help.title", role=reader.t(f"role.{actor.role}"))]
    sections = context.state.tables.commands.help_sections(actor)
    for group, specs in sections:
        if len(sections) > 1:  # a volunteer's one short list needs no heading
            lines += ["", reader.t(f"help.group.{group}")]
        lines += [f"/{c.name} — {reader.t(c.description_key_for(actor))}" for c in specs]
    await send(update, context, lines)


@guarded()
async def cmd_me(update: Update, context: GotongContext, actor: Actor) -> None:
    """Shows name, teams, role, language and the person's own numbers."""
    reader = reader_for(context, actor)
    sections = context.state.tables.profile_sections
    me = await profile.load_profile(
        context.db, actor, [s.load for s in sections], now=context.clock.now()
    )
    await send(update, context, people_views.profile_lines(reader, me, sections))


FEATURE = Feature(
    "help",
    handlers=[CommandHandler("help", cmd_help), CommandHandler("me", cmd_me)],
    commands=[CommandSpec("help"), CommandSpec("me")],
)
