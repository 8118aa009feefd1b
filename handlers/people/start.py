"""/start (with deep links), choosing the language, /lang and /cancel."""

from __future__ import annotations

from dataclasses import replace

from telegram import Update
from telegram.ext import CommandHandler

from bot.commands import CommandSpec
from bot.context import GotongContext, telegram_user
from bot.services import flows
from bot.services.people import invites
from bot.services.people import members as people
from bot.services.people.invites import INVITE_PREFIX
from bot.services.people.members import Actor
from bot.views.people import ChooseLanguage, language_keyboard
from handlers.buttons import pressed
from handlers.common import edit_or_send, reader_for, send
from handlers.feature import Feature
from handlers.guard import guarded
from handlers.menus import sync_person_menu


async def cmd_start(update: Update, context: GotongContext) -> None:
    """Welcomes the person; asks the language on first start; follows deep links."""
    payload = context.args[0] if context.args else ""
    # Payload prefix -> handler: each feature declares its own (`Feature.deep_links`).
    for prefix, handler in context.state.tables.deep_links.items():
        if payload.startswith(prefix):
            await handler(update, context, payload[len(prefix) :])
            return
    await _welcome(update, context)


@guarded()
async def _welcome(update: Update, context: GotongContext, actor: Actor) -> None:
    await greet(update, context, actor)


async def greet(update: Update, context: GotongContext, actor: Actor) -> None:
    reader = reader_for(context, actor)
    if not actor.language_chosen:
        await send(
            update, context, reader.t("start.choose_language"), language_keyboard(actor.language)
        )
        return
    await send(update, context, reader.t("start.welcome_back", name=actor.display_name))


async def deep_link_invite(update: Update, context: GotongContext, code: str) -> None:
    """`/start inv_<code>`: registers the person, then joins the invite's team and role."""
    assert update.effective_user is not None
    result = await invites.redeem_invite(
        context.db,
        telegram_user(update.effective_user),
        code,
        admin_ids=frozenset(context.settings.admin_ids),
        default_language=context.settings.default_language,
        now=context.clock.now(),
    )
    actor = result.actor
    context.set_actor(actor)
    reader = reader_for(context, actor)
    if not result.ok:
        await send(update, context, reader.t(f"invite.redeem_{result.reason}"))
    else:
        role = reader.t(f"role.{result.role}")
        if result.team_name:
            text = reader.t("invite.joined_team", team=result.team_name, role=role)
        else:
            text = reader.t("invite.joined", role=role)
        await send(update, context, text)
        await sync_person_menu(context, actor)
    await greet(update, context, actor)


@guarded()
async def cmd_lang(update: Update, context: GotongContext, actor: Actor) -> None:
    """Shows the language buttons."""
    reader = reader_for(context, actor)
    await send(update, context, reader.t("lang.choose"), language_keyboard(actor.language))


@pressed(ChooseLanguage)
async def cb_language(
    update: Update, context: GotongContext, actor: Actor, data: ChooseLanguage
) -> None:
    """Sets the language and confirms in it."""
    query = update.callback_query
    assert query is not None
    language = data.language
    first_time = not actor.language_chosen
    await people.set_language(context.db, actor.person_id, language)
    actor = replace(actor, language=language, language_chosen=True)
    context.set_actor(actor)
    reader = reader_for(context, actor)
    await query.answer()
    key = "start.welcome" if first_time else "lang.changed"
    await edit_or_send(update, context, reader.t(key, name=actor.display_name))
    await sync_person_menu(context, actor)


@guarded()
async def cmd_cancel(update: Update, context: GotongContext, actor: Actor) -> None:
    """Leaves whatever multi-step input the person was in."""
    ended = await flows.end_flow(context.db, actor.telegram_id)
    reader = reader_for(context, actor)
    await send(update, context, reader.t("flow.cancelled" if ended else "flow.nothing_to_cancel"))


FEATURE = Feature(
    "start",
    handlers=[
        CommandHandler("start", cmd_start),
        CommandHandler("lang", cmd_lang),
        CommandHandler("cancel", cmd_cancel),
    ],
    buttons=[cb_language],
    commands=[CommandSpec("start"), CommandSpec("lang"), CommandSpec("cancel", menu=False)],
    deep_links={INVITE_PREFIX: deep_link_invite},
)
