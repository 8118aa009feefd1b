"""The Mini App's JSON API: the chat's use cases, reached from a page inside Telegram.

Every `/app/api/...` request (but `strings`, the catalog texts any page may show before
it knows who is there) carries the Mini App's `initData` in a header
(`Authorization: tma <initData>`); it is validated (`bot.web.initdata`), mapped to the
person exactly as a chat update is (`load_actor`) and checked with the chat's rule book
(`bot.services.authz`, then again by each use case).  No cookies: a request without the
header is a stranger (401).  Writes take JSON bodies only (another content type → 415),
so a form on another site cannot post here, and the header cannot be set cross-site.

Errors are the services' own `DomainError`s, translated with the same catalogs as the
chat, in the person's language: 403 not allowed, 404 not found, 409 conflict (changed
meanwhile, full, cancelled), 422 invalid input.  Texts are plain (the page shows them with
`textContent`), never HTML.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.delivery import broadcasts
from bot.delivery.quiet import QuietHours
from bot.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from bot.services.authz import Permission, can, require
from bot.services.events import events as event_service
from bot.services.people.members import Actor, TelegramUser, load_actor
from bot.services.people.roles import set_role
from bot.services.progress.summary import campaign_summary, team_summary
from bot.services.shifts import claims as shift_claims
from bot.services.shifts import plan as shifts
from bot.services.shifts.common import ShiftView
from bot.services.shifts.parsing import (
    MAX_SHIFT_LENGTH,
    ShiftDraft,
    check_capacity,
    parse_place,
    parse_title,
)
from bot.views.i18n import I18n, normalize_language
from bot.views.render import Reader, to_plain
from bot.web import planner, versions
from bot.web.initdata import InitDataError, validate
from models import Event, Person, Role, Shift

log = logging.getLogger(__name__)
AUTH_SCHEME = "tma"
INIT_DATA_HEADER = "X-Telegram-Init-Data"
MAX_BODY = 64 * 1024
MAX_NOTES = 1000
MAX_DESCRIPTION = 2000
BODY_KEY = web.RequestKey("body", dict)


@dataclass
class WebEnv:
    """What the API needs of the running bot: the same state handlers get on the context."""

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    i18n: I18n
    clock: Clock

    @property
    def token(self) -> str:
        assert self.settings.bot_token is not None
        return self.settings.bot_token.get_secret_value()

    def reader(self, actor: Actor) -> Reader:
        return Reader(
            self.i18n,
            actor.language,
            actor.timezone or self.settings.timezone,
            self.settings.currency,
            self.clock.now(),
        )


ENV_KEY = web.AppKey("env", WebEnv)
Handler = Callable[[web.Request, WebEnv, Actor], Awaitable[Any]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    permission: Permission | None  # checked before anything else (None: anyone known)
    handler: Handler


ENDPOINTS: list[Endpoint] = []


def endpoint(
    method: str, path: str, permission: Permission | None = None
) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        ENDPOINTS.append(Endpoint(method, path, permission, fn))
        return fn

    return register


# ---- errors and input ------------------------------------------------------------------
STATUS = {NotAllowed: 403, NotFound: 404, Conflict: 409, InvalidInput: 422}


def error_response(env: WebEnv, lang: str, status: int, key: str, **params: Any) -> web.Response:
    try:
        message = to_plain(env.i18n.t(lang, key, **params))
    except KeyError:
        message = to_plain(env.i18n.t(lang, "error.generic"))
    return web.json_response({"error": key, "message": message}, status=status)


def _local(value: object, field: str, tz: str) -> datetime:
    """`2026-11-27T08:00` (an <input type=datetime-local>) in the person's zone, to UTC."""
    if not isinstance(value, str) or not 10 <= len(value) <= 32:
        raise InvalidInput("webapp.bad_datetime", field=field)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("webapp.bad_datetime", field=field) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed.astimezone(ZoneInfo("UTC"))


def _text(body: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise InvalidInput("webapp.bad_field", field=key)
    return value


def _int(body: dict[str, Any], key: str, *, required: bool = False) -> int | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput("webapp.bad_field", field=key)
    return value


def _capacity(value: int | None) -> int:
    if value is None:
        raise InvalidInput("webapp.bad_field", field="capacity")
    return check_capacity(value)


def _query_int(request: web.Request, key: str) -> int | None:
    raw = request.query.get(key, "")
    if raw in ("", "all"):
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise InvalidInput("webapp.bad_field", field=key)
    return int(raw)


def _path_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound()
    return int(raw)


async def _body(request: web.Request) -> dict[str, Any]:
    return request.get(BODY_KEY) or {}


# ---- views -----------------------------------------------------------------------------
def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _local_parts(
    reader: Reader, start: datetime, end: datetime, *, when: bool = False
) -> dict[str, str]:
    """Local day and times; `when` adds the Babel-formatted range (lists, not the planner's
    hundreds of cards, which show start-end under their day's heading)."""
    zone = ZoneInfo(reader.tz)
    a, b = start.astimezone(zone), end.astimezone(zone)
    parts = {
        "day": a.date().isoformat(),
        "start_local": a.strftime("%Y-%m-%dT%H:%M"),
        "end_local": b.strftime("%Y-%m-%dT%H:%M"),
        "start": a.strftime("%H:%M"),
        "end": b.strftime("%H:%M"),
    }
    if when:
        parts["when"] = reader.time_range(start, end)
    return parts


def _fill(taken: int, capacity: int | None) -> str:
    if capacity is None or capacity <= 0:
        return "open"
    if taken >= capacity:
        return "full"
    return "ok" if taken >= capacity * planner.UNDERSTAFFED_BELOW else "low"


def shift_json(reader: Reader, s: planner.PlannedShift) -> dict[str, Any]:
    return {
        "kind": "shift",
        "id": s.id,
        "title": s.title,
        "team_id": s.team_id,
        "team_name": s.team_name,
        "event_id": s.event_id,
        "place": s.place,
        "notes": s.notes,
        "starts_at": _iso(s.starts_at),
        "ends_at": _iso(s.ends_at),
        **_local_parts(reader, s.starts_at, s.ends_at),
        "capacity": s.capacity,
        "taken": s.taken,
        "waitlist": s.waitlist,
        "checked_in": s.checked_in,
        "fill": _fill(s.taken, s.capacity),
        "understaffed": s.understaffed(reader.now),
        "cancelled": s.cancelled,
        "version": _iso(s.version),
    }


def event_json(reader: Reader, e: planner.PlannedEvent) -> dict[str, Any]:
    return {
        "kind": "event",
        "id": e.id,
        "title": e.title,
        "team_id": e.team_id,
        "team_name": e.team_name,
        "place": e.place or "",
        "description": e.description or "",
        "starts_at": _iso(e.starts_at),
        "ends_at": _iso(e.ends_at),
        **_local_parts(reader, e.starts_at, e.ends_at),
        "capacity": e.capacity,
        "going": e.going,
        "confirmed": e.confirmed,
        "fill": _fill(e.going, e.capacity),
        "understaffed": e.understaffed(reader.now),
        "cancelled": e.cancelled,
        "version": _iso(e.version),
    }


async def _planned_shift(env: WebEnv, shift_id: int) -> planner.PlannedShift:
    async with env.sessionmaker() as session:
        shift = await session.get(Shift, shift_id)
        if shift is None:
            raise NotFound("shifts.not_found")
        name = None
        if shift.team_id is not None:
            from models import Team

            team = await session.get(Team, shift.team_id)
            name = team.name if team else None
        return planner.PlannedShift(
            id=shift.id, title=shift.title, team_id=shift.team_id, team_name=name,
            event_id=shift.event_id, place=shift.place, notes=shift.notes,
            starts_at=shift.starts_at, ends_at=shift.ends_at, capacity=shift.capacity,
            taken=shift.taken, waitlist=0, checked_in=0,
            cancelled=shift.status.value == "cancelled", version=shift.updated_at,
        )


async def _planned_event(env: WebEnv, event_id: int) -> planner.PlannedEvent:
    async with env.sessionmaker() as session:
        event = await session.get(Event, event_id)
        if event is None:
            raise NotFound("events.not_found", id=event_id)
        return planner.PlannedEvent(
            id=event.id, title=event.title, team_id=event.team_id, team_name=None,
            place=event.place, description=event.description, starts_at=event.starts_at,
            ends_at=event.ends_at, capacity=event.capacity, going=event.going_count,
            confirmed=0, cancelled=event.status.value == "cancelled", version=event.updated_at,
        )


# ---- who is there ----------------------------------------------------------------------
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


@endpoint("GET", "/api/me")
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


# ---- planner ---------------------------------------------------------------------------
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


@endpoint("GET", "/api/planner", Permission.MANAGE_SHIFTS)
async def api_planner(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    start = _week_start(request, env, actor)
    weeks = _query_int(request, "weeks") or 1
    plan = await planner.week_plan(
        env.sessionmaker, actor, start=start, weeks=weeks, team_id=_query_int(request, "team")
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


@endpoint("POST", "/api/shifts", Permission.MANAGE_SHIFTS)
async def api_create_shift(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    body = await _body(request)
    reader = env.reader(actor)
    title = parse_title(_text(body, "title", required=True) or "")
    starts = _local(body.get("starts_at"), "starts_at", reader.tz)
    ends = _local(body.get("ends_at"), "ends_at", reader.tz)
    if ends > starts and ends - starts > MAX_SHIFT_LENGTH:
        raise InvalidInput("shifts.too_long")
    capacity = _capacity(_int(body, "capacity", required=True))
    notes = _text(body, "notes") or ""
    if len(notes) > MAX_NOTES:
        raise InvalidInput("webapp.too_long", field="notes", max=MAX_NOTES)
    team_id = _int(body, "team_id")
    draft = ShiftDraft(
        team_ref=str(team_id) if team_id is not None else None,
        title=title,
        starts_at=starts,
        ends_at=ends,
        capacity=capacity,
        place=parse_place(_text(body, "place") or ""),
        notes=notes.strip(),
        event_id=_int(body, "event_id"),
    )
    view = await shifts.create_shift(env.sessionmaker, actor, draft, now=env.clock.now())
    return shift_json(reader, await _planned_shift(env, view.id))


@endpoint("PUT", "/api/shifts/{id}", Permission.MANAGE_SHIFTS)
async def api_edit_shift(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    shift_id = _path_id(request)
    body = await _body(request)
    reader = env.reader(actor)
    version = versions.parse_version(body.get("version"))
    current = await _planned_shift(env, shift_id)
    changes: dict[str, Any] = {}
    starts = _local(body["starts_at"], "starts_at", reader.tz) if "starts_at" in body else None
    ends = _local(body["ends_at"], "ends_at", reader.tz) if "ends_at" in body else None
    if (starts and starts != current.starts_at) or (ends and ends != current.ends_at):
        changes["starts_at"] = starts or current.starts_at
        changes["ends_at"] = ends or current.ends_at
    place = _text(body, "place")
    if place is not None and parse_place(place) != current.place:
        changes["place"] = place
    capacity = _int(body, "capacity")
    if capacity is not None and capacity != current.capacity:
        changes["capacity"] = capacity
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
    return shift_json(reader, await _planned_shift(env, shift_id))


@endpoint("POST", "/api/shifts/{id}/cancel", Permission.MANAGE_SHIFTS)
async def api_cancel_shift(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    shift_id = _path_id(request)
    version = versions.parse_version((await _body(request)).get("version"))

    async def change(stamp: datetime) -> Any:
        return await shifts.cancel_shift(env.sessionmaker, actor, shift_id, now=stamp)

    _, told = await versions.guarded_change(
        env.sessionmaker, actor, Shift, shift_id, version, env.clock.now(), change
    )
    return {**shift_json(env.reader(actor), await _planned_shift(env, shift_id)), "told": told}


# ---- events ----------------------------------------------------------------------------
def _timing(env: WebEnv) -> event_service.Timing:
    return event_service.Timing.from_settings(env.settings)


def _event_fields(body: dict[str, Any], tz: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "title" in body:
        fields["title"] = _text(body, "title", required=True)
    if "starts_at" in body:
        fields["start"] = _local(body["starts_at"], "starts_at", tz)
    if "ends_at" in body:
        fields["end"] = _local(body["ends_at"], "ends_at", tz)
    if "place" in body:
        fields["place"] = _text(body, "place") or None
    if "capacity" in body:
        fields["capacity"] = _int(body, "capacity")
    if "description" in body:
        description = _text(body, "description") or ""
        if len(description) > MAX_DESCRIPTION:
            raise InvalidInput("webapp.too_long", field="description", max=MAX_DESCRIPTION)
        fields["description"] = description or None
    return fields


@endpoint("POST", "/api/events", Permission.MANAGE_EVENTS)
async def api_create_event(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    body = await _body(request)
    reader = env.reader(actor)
    fields = _event_fields(body, reader.tz)
    if "start" not in fields or "end" not in fields:
        raise InvalidInput("webapp.bad_datetime", field="starts_at")
    draft = event_service.EventDraft(
        title=fields.get("title") or "",
        starts_at=fields["start"],
        ends_at=fields["end"],
        place=fields.get("place"),
        team_id=_int(body, "team_id"),
        capacity=fields.get("capacity"),
        description=fields.get("description"),
    )
    view = await event_service.create_event(
        env.sessionmaker, actor, draft, timing=_timing(env), now=env.clock.now()
    )
    return event_json(reader, await _planned_event(env, view.id))


@endpoint("PUT", "/api/events/{id}", Permission.MANAGE_EVENTS)
async def api_edit_event(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    event_id = _path_id(request)
    body = await _body(request)
    reader = env.reader(actor)
    version = versions.parse_version(body.get("version"))
    current = await _planned_event(env, event_id)
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
    return event_json(reader, await _planned_event(env, event_id))


@endpoint("POST", "/api/events/{id}/cancel", Permission.MANAGE_EVENTS)
async def api_cancel_event(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    event_id = _path_id(request)
    version = versions.parse_version((await _body(request)).get("version"))

    async def change(stamp: datetime) -> Any:
        return await event_service.cancel_event(env.sessionmaker, actor, event_id, now=stamp)

    _, told = await versions.guarded_change(
        env.sessionmaker, actor, Event, event_id, version, env.clock.now(), change
    )
    return {**event_json(env.reader(actor), await _planned_event(env, event_id)), "told": told}


# ---- people ----------------------------------------------------------------------------
@endpoint("GET", "/api/people", Permission.INVITE)
async def api_people(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    reader = env.reader(actor)
    found = await planner.roster(
        env.sessionmaker,
        actor,
        team_id=_query_int(request, "team"),
        skill=request.query.get("skill") or None,
        query=request.query.get("q") or None,
        offset=_query_int(request, "offset") or 0,
    )
    return {
        "total": found.total,
        "offset": found.offset,
        "page": planner.PEOPLE_PAGE,
        "teams": [{"id": i, "name": n} for i, n in found.teams],
        "skills": list(found.skills),
        "people": [
            {
                "person_id": p.person_id,
                "telegram_id": p.telegram_id,
                "name": p.name,
                "username": p.username,
                "role": p.role.value,
                "role_label": to_plain(env.i18n.t(reader.lang, f"webapp.role_{p.role.value}")),
                "teams": [{"id": i, "name": n, "lead": lead} for i, n, lead in p.teams],
                "skills": list(p.skills),
                "attended": p.reliability.attended,
                "no_shows": p.reliability.no_shows,
                "reliability": None
                if p.reliability.score is None
                else reader.percent(p.reliability.score),
                "last_seen": reader.when(p.last_seen_at),
            }
            for p in found.people
        ],
    }


@endpoint("POST", "/api/people/{id}/role", Permission.MANAGE_ROLES)
async def api_set_role(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    person_id = _path_id(request)
    body = await _body(request)
    raw_role = _text(body, "role", required=True) or ""
    try:
        role = Role(raw_role)
    except ValueError:
        raise InvalidInput("webapp.bad_field", field="role") from None
    team_id = _int(body, "team_id")
    async with env.sessionmaker() as session:
        telegram_id = await session.scalar(
            select(Person.telegram_id).where(Person.id == person_id)
        )
    if telegram_id is None:
        raise NotFound()
    change = await set_role(
        env.sessionmaker,
        actor,
        str(telegram_id),
        role,
        team_ref=str(team_id) if team_id is not None else None,
        admin_ids=frozenset(env.settings.admin_ids),
    )
    return {"person_id": change.person_id, "before": change.before.value,
            "after": change.after.value, "team": change.team_name}


# ---- dashboard -------------------------------------------------------------------------
@endpoint("GET", "/api/dashboard", Permission.VIEW_SUMMARY)
async def api_dashboard(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    reader = env.reader(actor)
    now = env.clock.now()
    team_id = _query_int(request, "team")
    if team_id is None:
        s = await campaign_summary(env.sessionmaker, actor, now=now)
    else:
        s = await team_summary(env.sessionmaker, actor, team_id, now=now)
    recent = []
    if can(actor, Permission.BROADCAST):
        for b in await broadcasts.recent(env.sessionmaker, actor, 5, now=now):
            recent.append(
                {
                    "id": b.id,
                    "status": b.status.value,
                    "status_label": to_plain(reader.t(f"webapp.bc_{b.status.value}")),
                    "total": b.total,
                    "sent": b.sent,
                    "failed": b.failed,
                    "blocked": b.blocked,
                    "held": b.held.count,
                    "excerpt": to_plain(b.excerpt),
                    "when": reader.when(b.scheduled_at or b.created_at),
                }
            )
    no_show_rate = s.events.no_show_rate
    return {
        "title": s.title,
        "volunteers": {"total": s.volunteers.total, "new": s.volunteers.new,
                       "active": s.volunteers.active, "unreachable": s.volunteers.unreachable},
        "shifts": {"shifts": s.shifts.shifts, "places": s.shifts.places,
                   "filled": s.shifts.filled, "urgent_shifts": s.shifts.urgent_shifts,
                   "urgent_places": s.shifts.urgent_places},
        "tasks": {"open": s.tasks.open, "claimed": s.tasks.claimed, "done": s.tasks.done,
                  "overdue": s.tasks.overdue},
        "events": {"events": s.events.events, "going": s.events.going,
                   "confirmed": s.events.confirmed, "checked_in": s.events.checked_in,
                   "no_show": s.events.no_show,
                   "no_show_rate": None if no_show_rate is None else reader.percent(no_show_rate)},
        "goals": [
            {"id": g.id, "metric": g.metric, "team": g.team_name, "target": g.target,
             "current": g.current, "ratio": g.ratio, "percent": reader.percent(g.ratio),
             "deadline": reader.date(g.deadline) if g.deadline else None}
            for g in s.goals
        ],
        "teams": [{"id": i, "name": n} for i, n in s.teams],
        "upcoming": [{"id": i, "title": t, "when": reader.when(w)} for i, t, w in s.upcoming],
        "broadcasts": recent,
    }


# ---- broadcast composer ----------------------------------------------------------------
def _quiet(env: WebEnv) -> QuietHours:
    start, end = env.settings.quiet_hours
    return QuietHours(start, end)


@endpoint("GET", "/api/broadcast/audiences", Permission.BROADCAST)
async def api_audiences(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    reader = env.reader(actor)
    options = []
    for option in broadcasts.audience_options(actor):
        choices = await broadcasts.audience_choices(env.sessionmaker, actor, option.kind)
        # The chat's labels: "A team…" for the kind, "Team Jaksel" for a choice.
        pick = f"{option.label_key}_pick"
        label = reader.t(pick) if env.i18n.has(pick) else reader.t(option.label_key, name="…")
        options.append(
            {
                "kind": option.kind,
                "label": to_plain(label),
                "choices": [
                    {"key": f"{option.kind}:{k}",
                     "label": to_plain(reader.t(option.label_key, name=to_plain(v)))}
                    for k, v in choices
                ],
            }
        )
    return {"audiences": options}


@endpoint("POST", "/api/broadcasts", Permission.BROADCAST)
async def api_new_broadcast(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    text = (_text(await _body(request), "text", required=True) or "").strip()
    # The composer is plain text: what the coordinator typed is what people read.
    draft = await broadcasts.create_draft(
        env.sessionmaker, actor, text=html.escape(text, quote=False), visible_length=len(text),
        media_file_id=None, media_type=None, now=env.clock.now(),
    )
    return {"id": draft.id, "preview": text}


@endpoint("POST", "/api/broadcasts/{id}/audience", Permission.BROADCAST)
async def api_broadcast_audience(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    key = _text(await _body(request), "audience", required=True) or ""
    draft = await broadcasts.choose_audience(env.sessionmaker, actor, _path_id(request), key)
    return {"id": draft.id, "count": draft.count}


def _when_or_now(env: WebEnv, body: dict[str, Any], reader: Reader) -> datetime | None:
    raw = body.get("scheduled_at")
    return None if raw in (None, "") else _local(raw, "scheduled_at", reader.tz)


@endpoint("POST", "/api/broadcasts/{id}/outlook", Permission.BROADCAST)
async def api_broadcast_outlook(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    reader = env.reader(actor)
    at = _when_or_now(env, await _body(request), reader) or env.clock.now()
    outlook = await broadcasts.quiet_outlook(
        env.sessionmaker, actor, _path_id(request), at=at, quiet=_quiet(env),
        default_timezone=env.settings.timezone,
    )
    notice = None
    if outlook.held:
        notice = to_plain(env.i18n.t(
            reader.lang, "webapp.bc_quiet_notice", count=outlook.held,
            until=reader.when(outlook.until) if outlook.until else "",
        ))
    return {"total": outlook.total, "held": outlook.held, "notice": notice}


@endpoint("POST", "/api/broadcasts/{id}/send", Permission.BROADCAST)
async def api_broadcast_send(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    body = await _body(request)
    reader = env.reader(actor)
    hold = body.get("hold") is True
    confirmed = await broadcasts.confirm(
        env.sessionmaker, actor, _path_id(request), now=env.clock.now(),
        progress_chat_id=actor.telegram_id, progress_message_id=None,
        scheduled_at=_when_or_now(env, body, reader),
        hold=broadcasts.QuietHold(_quiet(env), env.settings.timezone) if hold else None,
    )
    return {"id": confirmed.id, "status": confirmed.status.value, "total": confirmed.total,
            "scheduled": reader.when(confirmed.scheduled_at) if confirmed.scheduled_at else None}


# ---- volunteers ------------------------------------------------------------------------
def _view_json(reader: Reader, v: Any) -> dict[str, Any]:
    return {
        "id": v.id, "title": v.title, "team_name": v.team_name, "place": v.place,
        "capacity": v.capacity, "taken": v.taken, "free": v.free, "skill": v.skill_name,
        **_local_parts(reader, v.starts_at, v.ends_at, when=True),
    }


@endpoint("GET", "/api/my")
async def api_my(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    reader = env.reader(actor)
    now = env.clock.now()
    mine = await shift_claims.my_signups(env.sessionmaker, actor, now=now)
    open_views: list[ShiftView] = []
    page = 0
    while page < 4:  # the 20 soonest; the chat's /shifts pages through the rest
        found = await shifts.open_shifts(env.sessionmaker, actor, now=now, page=page)
        open_views.extend(found.shifts)
        page += 1
        if page >= found.pages:
            break
    return {
        "mine": [_view_json(reader, m.shift) for m in mine],
        "open": [_view_json(reader, v) for v in open_views],
    }


@endpoint("POST", "/api/shifts/{id}/claim", Permission.VOLUNTEER)
async def api_claim(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    reader = env.reader(actor)
    result = await shift_claims.claim_shift(
        env.sessionmaker, actor, _path_id(request), env.settings, now=env.clock.now()
    )
    key = "shifts.full" if result.full else "shifts.claimed"
    return {
        "claimed": not result.full,
        "full": result.full,
        "message": to_plain(env.i18n.t(reader.lang, key, title=result.shift.title)),
        "shift": _view_json(reader, result.shift),
    }


# ---- the sub-application ---------------------------------------------------------------
def _init_data(request: web.Request) -> str:
    auth = request.headers.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == AUTH_SCHEME and value:
        return value.strip()
    return request.headers.get(INIT_DATA_HEADER, "").strip()


def _route(env: WebEnv, ep: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def route(request: web.Request) -> web.StreamResponse:
        lang = normalize_language(request.headers.get("Accept-Language"),
                                  env.settings.default_language)
        now = env.clock.now()
        try:
            user = validate(
                _init_data(request), env.token, now=now,
                max_age=timedelta(seconds=env.settings.webapp_init_data_max_age_seconds),
            )
        except InitDataError as exc:
            log.info("web app request refused (%s) from %s", exc, request.remote)
            return error_response(env, lang, 401, "webapp.auth_failed")
        lang = normalize_language(user.language_code, env.settings.default_language)
        if request.method != "GET":
            if request.content_type != "application/json":
                return error_response(env, lang, 415, "webapp.json_only")
            raw = await request.read()
            if len(raw) > MAX_BODY:
                return error_response(env, lang, 413, "webapp.too_large")
            try:
                body = json.loads(raw or b"{}")
            except (ValueError, RecursionError):
                return error_response(env, lang, 400, "webapp.bad_json")
            if not isinstance(body, dict):
                return error_response(env, lang, 400, "webapp.bad_json")
            request[BODY_KEY] = body
        actor = await load_actor(
            env.sessionmaker,
            TelegramUser(user.id, user.first_name, user.last_name, user.username,
                         user.language_code),
            admin_ids=frozenset(env.settings.admin_ids),
            default_language=env.settings.default_language,
            now=now,
        )
        try:
            if ep.permission is not None:
                require(actor, ep.permission)
            result = await ep.handler(request, env, actor)
        except DomainError as exc:
            status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
            return error_response(env, actor.language, status, exc.key, **exc.params)
        return web.json_response(result, headers={"Cache-Control": "no-store"})

    return route


async def api_strings(request: web.Request) -> web.Response:
    env = request.app[ENV_KEY]
    lang = normalize_language(request.query.get("lang"), env.settings.default_language)
    return web.json_response({"language": lang, "strings": strings(env.i18n, lang)})


def add_api_routes(app: web.Application, env: WebEnv) -> None:
    app[ENV_KEY] = env
    app.router.add_get("/api/strings", api_strings)
    for ep in ENDPOINTS:
        app.router.add_route(ep.method, ep.path, _route(env, ep))
