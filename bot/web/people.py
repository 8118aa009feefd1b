"""The people page: the roster a coordinator (everyone) or a lead (their teams) may see,
changing a person's role with the chat's own `/role` use case, invite links made by the
chat's `/invite` use case (same defaults, same rules: a lead only for their own teams), and
who has not confirmed for an upcoming event, with the chat's "ask them again" (the
`event.confirm_nudge` outbox kind: deduplicated per 10 minutes, paced like every send).

Nothing personal beyond the chat's own list: the unconfirmed are named with their
@username and a link to open their chat, as the card's 🔔 list shows them to the same roles.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.errors import InvalidInput
from bot.services.authz import Permission
from bot.services.events import attendance
from bot.services.events.confirmations import events_to_confirm
from bot.services.events.reading import PersonRef
from bot.services.people import invites
from bot.services.people.members import Actor
from bot.services.people.roles import set_role
from bot.services.planning import roster as rosters
from bot.views.events import renudged
from bot.views.people import invite_text
from bot.views.render import Reader, to_plain
from bot.web import inputs
from bot.web.endpoints import Routes, WebEnv
from models import Role

ROUTES = Routes()


def _person_json(reader: Reader, p: rosters.RosterPerson) -> dict[str, Any]:
    return {
        "person_id": p.person_id,
        "telegram_id": p.telegram_id,
        "name": p.name,
        "username": p.username,
        "role": p.role.value,
        "role_label": to_plain(reader.t(f"webapp.role_{p.role.value}")),
        "teams": [{"id": i, "name": n, "lead": lead} for i, n, lead in p.teams],
        "skills": list(p.skills),
        "attended": p.reliability.attended,
        "no_shows": p.reliability.no_shows,
        "reliability": None
        if p.reliability.score is None
        else reader.percent(p.reliability.score),
        "last_seen": reader.when(p.last_seen_at),
    }


@ROUTES("GET", "/api/people", Permission.INVITE)
async def api_people(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    reader = env.reader(actor)
    found = await rosters.roster(
        env.sessionmaker,
        actor,
        team_id=inputs.query_int(request, "team"),
        skill=request.query.get("skill") or None,
        query=request.query.get("q") or None,
        offset=inputs.query_int(request, "offset") or 0,
    )
    return {
        "invite": _invite_choices(reader, actor),
        "total": found.total,
        "offset": found.offset,
        "page": rosters.PEOPLE_PAGE,
        "teams": [{"id": i, "name": n} for i, n in found.teams],
        "skills": list(found.skills),
        "people": [_person_json(reader, p) for p in found.people],
    }


@ROUTES("POST", "/api/people/{id}/role", Permission.MANAGE_ROLES)
async def api_set_role(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    person_id = inputs.path_id(request)
    body = inputs.body(request)
    raw_role = inputs.text(body, "role", required=True) or ""
    try:
        role = Role(raw_role)
    except ValueError:
        raise InvalidInput("webapp.bad_field", field="role") from None
    team_id = inputs.integer(body, "team_id")
    telegram_id = await rosters.telegram_id_of(env.sessionmaker, person_id)
    change = await set_role(
        env.sessionmaker,
        actor,
        str(telegram_id),
        role,
        team_ref=str(team_id) if team_id is not None else None,
        admin_ids=frozenset(env.settings.admin_ids),
        now=env.clock.now(),
    )
    return {"person_id": change.person_id, "before": change.before.value,
            "after": change.after.value, "team": change.team_name}


# ---- invite links ----------------------------------------------------------------------
def _invite_choices(reader: Reader, actor: Actor) -> dict[str, Any]:
    return {
        "roles": [{"role": r.value, "label": to_plain(reader.t(f"webapp.role_{r.value}"))}
                  for r in invites.invite_roles(actor)],
        "no_team": actor.role != Role.LEAD,  # a lead's link always joins one of their teams
    }


@ROUTES("POST", "/api/people/invites", Permission.INVITE)
async def api_create_invite(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    """/invite's link: the team and role picked on the page, the chat's defaults."""
    body = inputs.body(request)
    raw_role = inputs.text(body, "role") or Role.VOLUNTEER.value
    try:
        role = Role(raw_role)
    except ValueError:
        raise InvalidInput("webapp.bad_field", field="role") from None
    invite = await invites.create_invite(
        env.sessionmaker,
        actor,
        team_id=inputs.integer(body, "team_id"),
        role=role,
        days=invites.DEFAULT_INVITE_DAYS,
        max_uses=invites.DEFAULT_INVITE_USES,
        now=env.clock.now(),
    )
    reader = env.reader(actor)
    username = env.bot_username()
    link = f"https://t.me/{username}?start={invite.payload}" if username else None
    return {
        "link": link,
        "payload": invite.payload,
        "team": invite.team_name,
        "role": invite.role.value,
        "text": to_plain(invite_text(reader, invite, link or invite.payload)),
        "expires": reader.when(invite.expires_at),
        "uses": invite.max_uses,
    }


# ---- who has not confirmed -------------------------------------------------------------
@ROUTES("GET", "/api/people/events", Permission.CHECK_IN_OTHERS)
async def api_events_to_confirm(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    """The upcoming events this person runs, with how many going have not confirmed."""
    reader = env.reader(actor)
    found = await events_to_confirm(env.sessionmaker, actor, now=env.clock.now())
    return {"events": [
        {"id": e.id, "title": e.title, "team": e.team_name, "going": e.going,
         "unconfirmed": e.unconfirmed, "when": reader.time_range(e.starts_at, e.ends_at)}
        for e in found
    ]}


def chat_link(person: PersonRef) -> str:
    """Opens a private chat with the person: their t.me page, else Telegram's own link."""
    if person.username:
        return f"https://t.me/{person.username}"
    return f"tg://user?id={person.telegram_id}"


@ROUTES("GET", "/api/events/{id}/unconfirmed", Permission.CHECK_IN_OTHERS)
async def api_unconfirmed(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    """The card's 🔔 list: going, not confirmed, each with a link to message them."""
    found = await attendance.unconfirmed(env.sessionmaker, actor, inputs.path_id(request))
    reader = env.reader(actor)
    return {
        "event": {"id": found.event_id, "title": found.title,
                  "when": reader.time_range(found.starts_at, found.ends_at)},
        "can_remind": found.can_renudge and found.starts_at > env.clock.now(),
        "people": [
            {"person_id": p.person_id, "name": p.name, "username": p.username,
             "chat_link": chat_link(p)}
            for p in found.people
        ],
    }


@ROUTES("POST", "/api/events/{id}/remind", Permission.MANAGE_EVENTS)
async def api_remind_unconfirmed(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    """"Ask them again": the chat's re-nudge, once per person per 10 minutes."""
    count = await attendance.renudge_unconfirmed(
        env.sessionmaker, actor, inputs.path_id(request), now=env.clock.now()
    )
    reader = env.reader(actor)
    message = renudged(count, reader) if count else reader.plain("webapp.remind_recent")
    return {"count": count, "message": message}
