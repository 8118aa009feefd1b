"""The planner page: a week of shifts and events; adding, moving, repeating, cancelling a shift.

Each write is the chat's own use case (`bot.services.shifts.plan`) behind the planner's
optimistic version check (`bot.services.planning.versions`); the answer is the card as it
now stands.  Events, the planner's other kind of card, are `bot.web.planning_events`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.errors import Conflict, InvalidInput
from bot.services.authz import Permission
from bot.services.people.members import Actor
from bot.services.planning import versions, week
from bot.services.shifts import plan as shifts
from bot.services.shifts import repeat as shift_repeat
from bot.services.shifts.parsing import MAX_SHIFT_LENGTH, ShiftDraft, parse_place, parse_title
from bot.services.shifts.series import RepeatResult
from bot.views import shift_create as create_views
from bot.views.render import Reader, to_plain
from bot.web import inputs
from bot.web.cards import event_json, shift_json
from bot.web.endpoints import Routes, WebEnv
from models import Shift

ROUTES = Routes()


def _week_start(request: web.Request, env: WebEnv, actor: Actor) -> datetime:
    zone = ZoneInfo(actor.timezone or env.settings.timezone)
    raw = request.query.get("start", "")
    today = env.clock.now().astimezone(zone).date()
    if raw:
        try:
            day = datetime.fromisoformat(raw).date()
        except ValueError:
            raise InvalidInput("webapp.bad_datetime", field="start") from None
    else:
        day = today - timedelta(days=today.weekday())
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(ZoneInfo("UTC"))


@ROUTES("GET", "/api/planner", Permission.MANAGE_SHIFTS)
async def api_planner(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    start = _week_start(request, env, actor)
    weeks = inputs.query_int(request, "weeks") or 1
    plan = await week.week_plan(
        env.sessionmaker, actor, start=start, weeks=weeks,
        team_id=inputs.query_int(request, "team"),
    )
    reader = env.reader(actor)
    zone = ZoneInfo(reader.tz)
    first = plan.start.astimezone(zone)
    days = []
    for i in range((plan.end - plan.start).days):
        day = first + timedelta(days=i)
        days.append({"date": day.date().isoformat(), "label": reader.date(day)})
    return {
        "start": first.date().isoformat(),
        "prev": (first - timedelta(days=7)).date().isoformat(),
        "next": (first + timedelta(days=7)).date().isoformat(),
        "days": days,
        "teams": [{"id": i, "name": n} for i, n in plan.teams],
        "shifts": [shift_json(reader, s) for s in plan.shifts],
        "events": [event_json(reader, e) for e in plan.events],
        "truncated": plan.truncated,
    }


def _shift_draft(body: dict[str, Any], tz: str) -> ShiftDraft:
    title = parse_title(inputs.text(body, "title", required=True) or "")
    starts = inputs.local_time(body.get("starts_at"), "starts_at", tz)
    ends = inputs.local_time(body.get("ends_at"), "ends_at", tz)
    if ends > starts and ends - starts > MAX_SHIFT_LENGTH:
        raise InvalidInput("shifts.too_long")
    capacity = inputs.capacity(inputs.integer(body, "capacity", required=True))
    notes = inputs.text(body, "notes") or ""
    if len(notes) > inputs.MAX_NOTES:
        raise InvalidInput("webapp.too_long", field="notes", max=inputs.MAX_NOTES)
    team_id = inputs.integer(body, "team_id")
    return ShiftDraft(
        team_ref=str(team_id) if team_id is not None else None,
        title=title,
        starts_at=starts,
        ends_at=ends,
        capacity=capacity,
        place=parse_place(inputs.text(body, "place") or ""),
        notes=notes.strip(),
        event_id=inputs.integer(body, "event_id"),
    )


@ROUTES("POST", "/api/shifts", Permission.MANAGE_SHIFTS)
async def api_create_shift(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    reader = env.reader(actor)
    draft = _shift_draft(inputs.body(request), reader.tz)
    view = await shifts.create_shift(env.sessionmaker, actor, draft, now=env.clock.now())
    return shift_json(reader, await week.planned_shift(env.sessionmaker, view.id))


def _shift_changes(
    body: dict[str, Any], reader: Reader, current: week.PlannedShift
) -> dict[str, Any]:
    """What the save changes of the shift as it stands (a moved end moves both times)."""
    changes: dict[str, Any] = {}
    tz = reader.tz
    starts = inputs.local_time(body["starts_at"], "starts_at", tz) if "starts_at" in body else None
    ends = inputs.local_time(body["ends_at"], "ends_at", tz) if "ends_at" in body else None
    if (starts and starts != current.starts_at) or (ends and ends != current.ends_at):
        changes["starts_at"] = starts or current.starts_at
        changes["ends_at"] = ends or current.ends_at
    place = inputs.text(body, "place")
    if place is not None and parse_place(place) != current.place:
        changes["place"] = place
    capacity = inputs.integer(body, "capacity")
    if capacity is not None and capacity != current.capacity:
        changes["capacity"] = capacity
    return changes


@ROUTES("PUT", "/api/shifts/{id}", Permission.MANAGE_SHIFTS)
async def api_edit_shift(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    shift_id = inputs.path_id(request)
    body = inputs.body(request)
    reader = env.reader(actor)
    version = versions.parse_version(body.get("version"))
    current = await week.planned_shift(env.sessionmaker, shift_id)
    changes = _shift_changes(body, reader, current)
    if not changes:
        if current.version != version:
            raise Conflict("webapp.changed_meanwhile")
        return shift_json(reader, current)

    async def change(stamp: datetime) -> Any:
        return await shifts.edit_shift(
            env.sessionmaker, actor, shift_id, env.settings, now=stamp, **changes
        )

    await versions.guarded_change(
        env.sessionmaker, actor, Shift, shift_id, version, env.clock.now(), change
    )
    return shift_json(reader, await week.planned_shift(env.sessionmaker, shift_id))


@ROUTES("POST", "/api/shifts/{id}/cancel", Permission.MANAGE_SHIFTS)
async def api_cancel_shift(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    shift_id = inputs.path_id(request)
    version = versions.parse_version(inputs.body(request).get("version"))

    async def change(stamp: datetime) -> Any:
        return await shifts.cancel_shift(env.sessionmaker, actor, shift_id, now=stamp)

    _, told = await versions.guarded_change(
        env.sessionmaker, actor, Shift, shift_id, version, env.clock.now(), change
    )
    card = shift_json(env.reader(actor), await week.planned_shift(env.sessionmaker, shift_id))
    return {**card, "told": told}


def repeated_json(reader: Reader, result: RepeatResult) -> dict[str, Any]:
    """The repeat's answer: the chat's own lines (same catalog), plain for the page."""
    return {
        "created": len(result.created),
        "skipped": result.skipped,
        "message": "\n".join(to_plain(line) for line in create_views.repeated(reader, result)),
    }


@ROUTES("POST", "/api/shifts/{id}/repeat", Permission.MANAGE_SHIFTS)
async def api_repeat_shift(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    shift_id = inputs.path_id(request)
    reader = env.reader(actor)
    result = await shift_repeat.repeat_shift_series(
        env.sessionmaker, actor, shift_id, inputs.series(inputs.body(request)),
        now=env.clock.now(), tz=reader.tz,
    )
    return repeated_json(reader, result)
