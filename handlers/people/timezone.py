"""/tz: the timezone a person reads times in (Indonesia alone spans WIB, WITA and WIT)."""

from __future__ import annotations

from dataclasses import replace

from telegram import Update
from telegram.ext import CommandHandler

from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.services.people import members as people
from bot.services.people.members import Actor
from bot.views.people import ZONES, ChooseZone, zone_keyboard
from handlers.buttons import pressed
from handlers.common import edit_or_send, reader_for, send
from handlers.feature import Feature
from handlers.guard import guarded


@guarded()
async def cmd_tz(update: Update, context: GotongContext, actor: Actor) -> None:
    """Shows my timezone with WIB/WITA/WIT buttons; `/tz <IANA name>` sets any other."""
    reader = reader_for(context, actor)
    if context.args:
        zone = context.args[0]
        alias = ZONES.get(zone.lower())
        await _set(update, context, actor, alias or zone)
        return
    current = actor.timezone or context.settings.timezone
    keyboard = zone_keyboard(reader, actor.timezone)
    await send(
        update, context, reader.t("tz.current", tz=current, now=reader.when(reader.now)), keyboard
    )


@pressed(ChooseZone)
async def cb_tz(update: Update, context: GotongContext, actor: Actor, data: ChooseZone) -> None:
    """A zone button: sets it and shows the time there."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await _set(update, context, actor, data.zone)


async def _set(update: Update, context: GotongContext, actor: Actor, zone: str | None) -> None:
    await people.set_timezone(context.db, actor.person_id, zone)
    actor = replace(actor, timezone=zone)
    context.set_actor(actor)
    reader = reader_for(context, actor)
    shown = zone or context.settings.timezone
    await edit_or_send(
        update, context, reader.t("tz.changed", tz=shown, now=reader.when(reader.now))
    )


FEATURE = Feature(
    "timezone",
    handlers=[
        CommandHandler("tz", cmd_tz)
    ],
    buttons=[cb_tz],
    commands=[CommandSpec("tz")],
)
