"""The people page: the roster a coordinator (everyone) or a lead (their teams) may see,
and changing a person's role with the chat's own `/role` use case.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.errors import InvalidInput
from bot.services.authz import Permission
from bot.services.people.members import Actor
from bot.services.people.roles import set_role
from bot.services.planning import roster as rosters
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
