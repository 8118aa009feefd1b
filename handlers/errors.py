"""The one error handler, and the answer to commands nobody registered."""

from __future__ import annotations

import logging
import traceback
import uuid

from telegram import Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import MessageHandler, filters

from bot.context import GotongContext
from bot.ops import alerts
from bot.services.people.members import Actor
from bot.views import ops as ops_views
from bot.views.i18n import normalize_language
from bot.views.render import CALLBACK_ANSWER_LIMIT, to_plain
from handlers.common import reader_for, send
from handlers.feature import Feature
from handlers.guard import guarded

log = logging.getLogger(__name__)


def _expected(error: BaseException | None) -> bool:
    """Telegram's ordinary answers, handled where they occur (`InteractiveMeter`, the
    dispatcher): if one still arrives here it is no bug, and nobody needs to be alarmed."""
    if isinstance(error, BadRequest):  # a NetworkError too: only these two are ordinary
        text = str(error).lower()
        return any(known in text for known in ("not modified", "query is too old"))
    return isinstance(error, RetryAfter | NetworkError)  # TimedOut is a NetworkError


async def on_error(update: object, context: GotongContext) -> None:
    """Logs with the traceback and a reference, apologises to the user, and alerts the
    coordinators' chat through the outbox (throttled, no exception text)."""
    error = context.error
    if _expected(error):
        log.warning("telegram answered %r (update=%s)", error, _update_id(update))
        return
    reference = uuid.uuid4().hex[:8]
    log.error(
        "unhandled error ref=%s (update=%s)", reference, _update_id(update), exc_info=error
    )
    if isinstance(update, Update) and update.effective_chat is not None:
        user = update.effective_user
        lang = normalize_language(
            user.language_code if user else None, context.settings.default_language
        )
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(
                    to_plain(context.i18n.t(lang, "error.generic"), CALLBACK_ANSWER_LIMIT)
                )
            else:
                await context.bot.send_message(
                    update.effective_chat.id, context.i18n.t(lang, "error.generic")
                )
        except TelegramError:
            log.warning("could not tell the user about the error", exc_info=True)
    chat_id = context.settings.coordinators_chat_id
    if chat_id:
        try:
            await alerts.raise_alert(
                context.db,
                chat_id=chat_id,
                cause=f"{type(error).__name__}@{_origin(error)}",
                where=_where(update),
                error_type=type(error).__name__,
                reference=reference,
                now=context.clock.now(),
            )
        except Exception:  # the database may be what failed: the log has it all
            log.warning("could not queue the coordinators' alert ref=%s", reference, exc_info=True)


def _where(update: object) -> str:
    """What the person did, without their data: the command or the button's prefix."""
    if not isinstance(update, Update):
        return "job"
    if update.callback_query is not None:
        return f"button {(update.callback_query.data or '?').split(':', 1)[0][:16]}"
    message = update.effective_message
    text = (message.text or "") if message else ""
    if text.startswith("/"):
        return text.split()[0].split("@")[0][:32]
    return "message"


def _origin(error: BaseException | None) -> str:
    """The innermost frame of our own code: one cause however the input varied."""
    frames = traceback.extract_tb(error.__traceback__) if error is not None else []
    ours = [f for f in frames if "/site-packages/" not in f.filename] or list(frames)
    if not ours:
        return "?"
    return f"{ours[-1].filename.rsplit('/', 2)[-1]}:{ours[-1].name}"


def _update_id(update: object) -> str:
    return str(update.update_id) if isinstance(update, Update) else "-"


@guarded()
async def on_unknown_command(update: Update, context: GotongContext, actor: Actor) -> None:
    """Unknown command: points to /help."""
    text = update.effective_message.text if update.effective_message else ""
    command = (text or "").split()[0][:64] if text else ""
    await send(
        update, context, reader_for(context, actor).t("error.unknown_command", command=command)
    )


FEATURE = Feature(
    "errors",
    handlers=[
        MessageHandler(filters.COMMAND, on_unknown_command)
    ],
    renderers=ops_views.RENDERERS,
)
