"""Who is there: the person behind the initData, what they may open, the page's texts.

`GET /api/me` is the first call every page makes; `capabilities` decides which tabs it
shows (the server checks every call again), `strings` the catalog texts it sets.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.services.authz import Permission, can
from bot.services.people.members import Actor
from bot.views.i18n import I18n
from bot.views.render import to_plain
from bot.web.endpoints import Routes, WebEnv
from models import Role

ROUTES = Routes()


def capabilities(actor: Actor) -> dict[str, bool]:
    return {
        "plan": can(actor, Permission.MANAGE_SHIFTS),
        "events": can(actor, Permission.MANAGE_EVENTS),
        "people": can(actor, Permission.MANAGE_ROLES)
        or (actor.role == Role.LEAD and can(actor, Permission.INVITE)),
        "roles": can(actor, Permission.MANAGE_ROLES),
        "dashboard": can(actor, Permission.VIEW_SUMMARY),
        "broadcast": can(actor, Permission.BROADCAST),
        "volunteer": can(actor, Permission.VOLUNTEER),
    }


def strings(i18n: I18n, lang: str) -> dict[str, str]:
    """Every `webapp.*` text in `lang`, plain (the page sets them with textContent)."""
    catalog = i18n.catalogs.get(lang) or i18n.catalogs[i18n.default_language]
    return {
        key.removeprefix("webapp."): to_plain(i18n.raw(lang, key))
        for key in catalog
        if key.startswith("webapp.") and "#" not in key
    }


@ROUTES("GET", "/api/me")
async def api_me(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    return {
        "person_id": actor.person_id,
        "telegram_id": actor.telegram_id,
        "name": actor.display_name,
        "role": actor.role.value,
        "language": actor.language,
        "timezone": actor.timezone or env.settings.timezone,
        "teams": [{"id": t.id, "name": t.name, "lead": t.is_lead} for t in actor.teams],
        "can": capabilities(actor),
        "strings": strings(env.i18n, actor.language),
        "now_local": env.clock.now()
        .astimezone(ZoneInfo(actor.timezone or env.settings.timezone))
        .strftime("%Y-%m-%dT%H:%M"),
    }
