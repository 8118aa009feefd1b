"""The planner's events: creating, editing, repeating and cancelling an event from its card.

The chat's use cases (`bot.services.events.events`) behind the planner's optimistic
version check (`bot.services.planning.versions`); only the fields a save changes are
passed on, so an unchanged save with a stale version is still told the event changed
meanwhile.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from bot.delivery.sender import take_off_keyboards
from bot.errors import Conflict, InvalidInput
from bot.services.authz import Permission
from bot.services.events import events as event_service
from bot.services.events.repeat import repeat_event
from bot.services.people.members import Actor
from bot.services.planning import versions, week
from bot.web import inputs
from bot.web.cards import event_json
from bot.web.endpoints import Routes, WebEnv
from bot.web.planning import repeated_json
from models import Event

ROUTES = Routes()


def _timing(env: WebEnv) -> event_service.Timing:
    return event_service.Timing.from_settings(env.settings)


def _event_fields(body: dict[str, Any], tz: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "title" in body:
        fields["title"] = inputs.text(body, "title", required=True)
    if "starts_at" in body:
        fields["start"] = inputs.local_time(body["starts_at"], "starts_at", tz)
    if "ends_at" in body:
        fields["end"] = inputs.local_time(body["ends_at"], "ends_at", tz)
    if "place" in body:
        fields["place"] = inputs.text(body, "place") or None
    if "capacity" in body:
        fields["capacity"] = inputs.integer(body, "capacity")
    if "description" in body:
        description = inputs.text(body, "description") or ""
        if len(description) > inputs.MAX_DESCRIPTION:
            raise InvalidInput(
                "webapp.too_long", field="description", max=inputs.MAX_DESCRIPTION
            )
        fields["description"] = description or None
    return fields


@ROUTES("POST", "/api/events", Permission.MANAGE_EVENTS)
async def api_create_event(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    body = inputs.body(request)
    reader = env.reader(actor)
    fields = _event_fields(body, reader.tz)
    if "start" not in fields or "end" not in fields:
        raise InvalidInput("webapp.bad_datetime", field="starts_at")
    draft = event_service.EventDraft(
        title=fields.get("title") or "",
        starts_at=fields["start"],
        ends_at=fields["end"],
        place=fields.get("place"),
        team_id=inputs.integer(body, "team_id"),
        capacity=fields.get("capacity"),
        description=fields.get("description"),
    )
    view = await event_service.create_event(
        env.sessionmaker, actor, draft, timing=_timing(env), now=env.clock.now()
    )
    return event_json(reader, await week.planned_event(env.sessionmaker, view.id))


@ROUTES("PUT", "/api/events/{id}", Permission.MANAGE_EVENTS)
async def api_edit_event(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    event_id = inputs.path_id(request)
    body = inputs.body(request)
    reader = env.reader(actor)
    version = versions.parse_version(body.get("version"))
    current = await week.planned_event(env.sessionmaker, event_id)
    before = {
        "title": current.title, "start": current.starts_at, "end": current.ends_at,
        "place": current.place, "capacity": current.capacity,
        "description": current.description,
    }
    changes = {k: v for k, v in _event_fields(body, reader.tz).items() if before.get(k) != v}
    if not changes:
        if current.version != version:
            raise Conflict("webapp.changed_meanwhile")
        return event_json(reader, current)

    async def change(stamp: datetime) -> Any:
        return await event_service.edit_event(
            env.sessionmaker, actor, event_id, changes, timing=_timing(env), now=stamp
        )

    await versions.guarded_change(
        env.sessionmaker, actor, Event, event_id, version, env.clock.now(), change
    )
    return event_json(reader, await week.planned_event(env.sessionmaker, event_id))


@ROUTES("POST", "/api/events/{id}/cancel", Permission.MANAGE_EVENTS)
async def api_cancel_event(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    event_id = inputs.path_id(request)
    version = versions.parse_version(inputs.body(request).get("version"))

    async def change(stamp: datetime) -> Any:
        return await event_service.cancel_event(env.sessionmaker, actor, event_id, now=stamp)

    done = await versions.guarded_change(
        env.sessionmaker, actor, Event, event_id, version, env.clock.now(), change
    )
    # As the chat's cancel does: the invitations already delivered lose Going/Not going.
    if done.invitations and (bot := env.bot()) is not None:
        await take_off_keyboards(bot, done.invitations)
    card = event_json(env.reader(actor), await week.planned_event(env.sessionmaker, event_id))
    return {**card, "told": done.told}


@ROUTES("POST", "/api/events/{id}/repeat", Permission.MANAGE_EVENTS)
async def api_repeat_event(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    event_id = inputs.path_id(request)
    reader = env.reader(actor)
    result = await repeat_event(
        env.sessionmaker, actor, event_id, inputs.series(inputs.body(request)),
        timing=_timing(env), tz=reader.tz, now=env.clock.now(),
    )
    return repeated_json(reader, result)
