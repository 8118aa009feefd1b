"""The broadcast composer: write, pick an audience, see who quiet hours would hold, send.

The chat's broadcast use cases (`bot.services.broadcasts`) step by step, with the chat's
own audience labels (`bot.views.broadcasts`).  The composer is plain text: what the
coordinator typed is what people read (escaped once, here).
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.services import broadcasts
from bot.services.authz import Permission
from bot.services.people.members import Actor
from bot.views import broadcasts as broadcast_views
from bot.views.render import Reader, to_plain
from bot.web import inputs
from bot.web.endpoints import Routes, WebEnv

ROUTES = Routes()


@ROUTES("GET", "/api/broadcast/audiences", Permission.BROADCAST)
async def api_audiences(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    reader = env.reader(actor)
    options = []
    for option in broadcasts.audience_options(actor):
        choices = await broadcasts.audience_choices(env.sessionmaker, actor, option.kind)
        # The chat's labels: "A team…" for the kind, "Team Jaksel" for a choice.
        label_key = broadcast_views.audience_label_key(option.kind)
        pick = f"{label_key}_pick"
        label = reader.t(pick) if env.i18n.has(pick) else reader.t(label_key, name="…")
        options.append(
            {
                "kind": option.kind,
                "label": to_plain(label),
                "choices": [
                    {"key": f"{option.kind}:{k}",
                     "label": to_plain(reader.t(label_key, name=to_plain(v)))}
                    for k, v in choices
                ],
            }
        )
    return {"audiences": options}


@ROUTES("POST", "/api/broadcasts", Permission.BROADCAST)
async def api_new_broadcast(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    text = (inputs.text(inputs.body(request), "text", required=True) or "").strip()
    draft = await broadcasts.create_draft(
        env.sessionmaker, actor, text=html.escape(text, quote=False), visible_length=len(text),
        media_file_id=None, media_type=None, now=env.clock.now(),
    )
    return {"id": draft.id, "preview": text}


@ROUTES("POST", "/api/broadcasts/{id}/audience", Permission.BROADCAST)
async def api_broadcast_audience(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    key = inputs.text(inputs.body(request), "audience", required=True) or ""
    draft = await broadcasts.choose_audience(
        env.sessionmaker, actor, inputs.path_id(request), key
    )
    return {"id": draft.id, "count": draft.count}


def _scheduled_at(body: dict[str, Any], reader: Reader) -> datetime | None:
    """The composer's send time; none (or empty) is now."""
    raw = body.get("scheduled_at")
    return None if raw in (None, "") else inputs.local_time(raw, "scheduled_at", reader.tz)


@ROUTES("POST", "/api/broadcasts/{id}/outlook", Permission.BROADCAST)
async def api_broadcast_outlook(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    reader = env.reader(actor)
    at = _scheduled_at(inputs.body(request), reader) or env.clock.now()
    outlook = await broadcasts.quiet_outlook(
        env.sessionmaker, actor, inputs.path_id(request), at=at, quiet=env.quiet(),
        default_timezone=env.settings.timezone,
    )
    notice = None
    if outlook.held:
        notice = to_plain(reader.t(
            "webapp.bc_quiet_notice", count=outlook.held,
            until=reader.when(outlook.until) if outlook.until else "",
        ))
    return {"total": outlook.total, "held": outlook.held, "notice": notice}


@ROUTES("POST", "/api/broadcasts/{id}/send", Permission.BROADCAST)
async def api_broadcast_send(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    body = inputs.body(request)
    reader = env.reader(actor)
    hold = body.get("hold") is True
    confirmed = await broadcasts.confirm(
        env.sessionmaker, actor, inputs.path_id(request), now=env.clock.now(),
        progress_chat_id=actor.telegram_id, progress_message_id=None,
        scheduled_at=_scheduled_at(body, reader),
        hold=broadcasts.QuietHold(env.quiet(), env.settings.timezone) if hold else None,
    )
    return {"id": confirmed.id, "status": confirmed.status.value, "total": confirmed.total,
            "scheduled": reader.when(confirmed.scheduled_at) if confirmed.scheduled_at else None}
