"""Where a card may carry "📅 Plan in the app": the Mini App's URL, or None.

Only where the web app runs (a WEBAPP_URL, as for /app and the menu button), only in a
private chat (Telegram refuses `web_app` buttons elsewhere) and only for people who plan
(coordinators and leads; volunteers have their own view from /app).
"""

from __future__ import annotations

from telegram import Update

from bot.context import GotongContext
from bot.services.authz import Permission, can
from bot.services.people.members import Actor


def planner_url(update: Update, context: GotongContext, actor: Actor) -> str | None:
    chat = update.effective_chat
    url = context.settings.webapp_url
    if not url or chat is None or chat.type != "private":
        return None
    if not (can(actor, Permission.MANAGE_SHIFTS) or can(actor, Permission.MANAGE_EVENTS)):
        return None
    return url
