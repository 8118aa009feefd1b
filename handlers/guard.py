"""The one guard in front of every command and button.

It loads the actor, checks the permission, and turns a service's `DomainError`
into a friendly message in the person's language; a refusal is audited.  A
forged or stale button gets "this button is no longer valid" and changes nothing.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.error import BadRequest

from bot.context import GotongContext
from bot.errors import DomainError, NotAllowed
from bot.services import audit
from bot.services.authz import Permission, require
from bot.services.people.members import Actor
from handlers.common import reader_for, send

log = logging.getLogger(__name__)

GuardedCallback = Callable[[Update, GotongContext, Actor], Awaitable[None]]
HandlerCallback = Callable[[Update, GotongContext], Coroutine[Any, Any, None]]


class _AnswerWatch:
    """Stands in for the bot on one callback query and notes whether the handler answered it.

    A query is answered once; a second answer is "query is too old", which the sender takes
    as done (an answer that came late).  So a refusal raised after the handler's own
    `query.answer()` would vanish unseen: the guard must know, and explain in the chat."""

    def __init__(self, bot: Any) -> None:
        self._bot = bot
        self.answered = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bot, name)

    async def answer_callback_query(self, *args: Any, **kwargs: Any) -> Any:
        self.answered = True
        return await self._bot.answer_callback_query(*args, **kwargs)


def _watch_answers(update: Update) -> None:
    query = update.callback_query
    bot = query._bot if query is not None else None  # None: an update built without a bot
    if query is not None and bot is not None and not isinstance(bot, _AnswerWatch):
        query.set_bot(_AnswerWatch(bot))  # type: ignore[arg-type]


def _answered(update: Update) -> bool:
    query = update.callback_query
    watch = query._bot if query is not None else None
    return isinstance(watch, _AnswerWatch) and watch.answered


class StaleButton(DomainError):
    """Callback data that does not parse or points at something gone."""

    key = "error.stale_button"


def guarded(permission: Permission | None = None) -> Callable[[GuardedCallback], HandlerCallback]:
    def decorate(func: GuardedCallback) -> HandlerCallback:
        @functools.wraps(func)
        async def wrapper(update: Update, context: GotongContext) -> None:
            if update.effective_user is None:
                return
            actor = await context.actor(update)
            _watch_answers(update)
            try:
                if permission is not None:
                    require(actor, permission)
                await func(update, context, actor)
            except NotAllowed as exc:
                await _refuse(update, context, actor, func.__name__, exc)
            except DomainError as exc:
                await _explain(update, context, actor, exc)

        return wrapper

    return decorate


async def _refuse(
    update: Update, context: GotongContext, actor: Actor, action: str, exc: NotAllowed
) -> None:
    await audit.record_refusal(
        context.db,
        action=action,
        actor_id=actor.person_id,
        actor_telegram_id=actor.telegram_id,
        permission=str(exc.params.get("permission", "")),
        data=(update.callback_query.data if update.callback_query else None),
    )
    log.info("refused %s for %s (%s)", action, actor.telegram_id, exc.params)
    await _explain(update, context, actor, exc)


async def _explain(update: Update, context: GotongContext, actor: Actor, exc: DomainError) -> None:
    reader = reader_for(context, actor)
    text = reader.t(exc.key, **exc.params)
    if _answered(update):
        await send(update, context, text)
        return
    if update.callback_query is not None:
        # An alert keeps the original message intact: nothing changed.  A query can be
        # answered once; if the handler already did, the explanation goes to the chat.
        # An alert is plain text: the catalog's HTML is stripped, not shown.
        try:
            await update.callback_query.answer(
                reader.plain(exc.key, **exc.params), show_alert=True
            )
            return
        except BadRequest:
            log.debug("callback already answered; explaining in the chat instead")
    await send(update, context, text)
