"""/start (with deep links), choosing the language, /lang and /cancel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import GotongContext, telegram_user
from bot.services import flows
from bot.services.people import invites
from bot.services.people import members as people
from bot.services.people.invites import INVITE_PREFIX
from bot.services.people.members import Actor
from bot.views.i18n import LANGUAGES
from bot.views.render import Button
from handlers.common import callback_args, edit_or_send, reader_for, send
from handlers.guard import StaleButton, guarded
from handlers.menus import sync_person_menu

CB_LANG = "lang"
LANGUAGE_NAMES = {"id": "🇮🇩 Bahasa Indonesia", "en": "🇬🇧 English"}

DeepLinkHandler = Callable[[Update, GotongContext, str], Awaitable[None]]
# Payload prefix -> handler; features add theirs (e.g. "checkin_") with register_deep_link.
DEEP_LINKS: dict[str, DeepLinkHandler] = {}


def register_deep_link(prefix: str, handler: DeepLinkHandler) -> None:
    DEEP_LINKS[prefix] = handler


def language_keyboard(current: str) -> list[list[Button]]:
    return [
        [
            Button(("✅ " if lang == current else "") + LANGUAGE_NAMES[lang], f"{CB_LANG}:{lang}")
            for lang in LANGUAGES
        ]
    ]


async def cmd_start(update: Update, context: GotongContext) -> None:
    """Welcomes the person; asks the language on first start; follows deep links."""
    payload = context.args[0] if context.args else ""
    for prefix, handler in DEEP_LINKS.items():
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
        await sync_person_menu(context.bot, context.i18n, actor)
    await greet(update, context, actor)


@guarded()
async def cmd_lang(update: Update, context: GotongContext, actor: Actor) -> None:
    """Shows the language buttons."""
    reader = reader_for(context, actor)
    await send(update, context, reader.t("lang.choose"), language_keyboard(actor.language))


@guarded()
async def cb_language(update: Update, context: GotongContext, actor: Actor) -> None:
    """Sets the language and confirms in it."""
    query = update.callback_query
    assert query is not None
    args = callback_args(query.data, CB_LANG, 1)
    if args is None or args[0] not in LANGUAGES:
        raise StaleButton()
    language = args[0]
    first_time = not actor.language_chosen
    await people.set_language(context.db, actor.person_id, language)
    actor = replace(actor, language=language, language_chosen=True)
    context.set_actor(actor)
    reader = reader_for(context, actor)
    await query.answer()
    key = "start.welcome" if first_time else "lang.changed"
    await edit_or_send(update, context, reader.t(key, name=actor.display_name))
    await sync_person_menu(context.bot, context.i18n, actor)


@guarded()
async def cmd_cancel(update: Update, context: GotongContext, actor: Actor) -> None:
    """Leaves whatever multi-step input the person was in."""
    ended = await flows.end_flow(context.db, actor.telegram_id)
    reader = reader_for(context, actor)
    await send(update, context, reader.t("flow.cancelled" if ended else "flow.nothing_to_cancel"))


def handlers() -> list[BaseHandler]:
    register_deep_link(INVITE_PREFIX, deep_link_invite)
    return [
        CommandHandler("start", cmd_start),
        CommandHandler("lang", cmd_lang),
        CommandHandler("cancel", cmd_cancel),
        CallbackQueryHandler(cb_language, pattern=rf"^{CB_LANG}:"),
    ]
