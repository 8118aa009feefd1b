"""/tz: the timezone a person reads times in (Indonesia alone spans WIB, WITA and WIT)."""

from __future__ import annotations

from dataclasses import replace

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import commands
from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.services.people import members as people
from bot.services.people.members import Actor
from bot.views.render import Button
from handlers.common import callback_args, edit_or_send, reader_for, send
from handlers.guard import StaleButton, guarded

CB_TZ = "tz"
# The three Indonesian zones first; any IANA name can be typed: /tz Europe/Berlin.
ZONES = {"wib": "Asia/Jakarta", "wita": "Asia/Makassar", "wit": "Asia/Jayapura"}
CAMPAIGN = "campaign"

commands.register(CommandSpec("tz"))


def _keyboard(current: str | None) -> list[list[Button]]:
    def label(code: str, zone: str) -> str:
        return ("✅ " if zone == current else "") + code.upper()

    return [[Button(label(code, zone), f"{CB_TZ}:{code}") for code, zone in ZONES.items()]]


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
    keyboard = _keyboard(actor.timezone)
    if actor.timezone is not None:
        keyboard.append([Button(reader.t("tz.btn_campaign"), f"{CB_TZ}:{CAMPAIGN}")])
    await send(
        update, context, reader.t("tz.current", tz=current, now=reader.when(reader.now)), keyboard
    )


@guarded()
async def cb_tz(update: Update, context: GotongContext, actor: Actor) -> None:
    """A zone button: sets it and shows the time there."""
    query = update.callback_query
    assert query is not None
    args = callback_args(query.data, CB_TZ, 1)
    if args is None or (args[0] not in ZONES and args[0] != CAMPAIGN):
        raise StaleButton()
    await query.answer()
    await _set(update, context, actor, ZONES.get(args[0]))


async def _set(update: Update, context: GotongContext, actor: Actor, zone: str | None) -> None:
    await people.set_timezone(context.db, actor.person_id, zone)
    actor = replace(actor, timezone=zone)
    context.set_actor(actor)
    reader = reader_for(context, actor)
    shown = zone or context.settings.timezone
    await edit_or_send(
        update, context, reader.t("tz.changed", tz=shown, now=reader.when(reader.now))
    )


def handlers() -> list[BaseHandler]:
    return [CommandHandler("tz", cmd_tz), CallbackQueryHandler(cb_tz, pattern=rf"^{CB_TZ}:")]
