"""The volunteer's page: their shifts, the soonest open ones, and claiming one.

The chat's `/myshifts`, `/shifts` and claim use cases (`bot.services.shifts`); the claim's
answer is the chat's own words (`shifts.claimed` / `shifts.full`).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.services.authz import Permission
from bot.services.people.members import Actor
from bot.services.shifts import claims as shift_claims
from bot.services.shifts import plan as shifts
from bot.services.shifts.common import ShiftView
from bot.views.render import to_plain
from bot.web import inputs
from bot.web.cards import open_shift_json
from bot.web.endpoints import Routes, WebEnv

ROUTES = Routes()
OPEN_PAGES = 4  # the 20 soonest; the chat's /shifts pages through the rest


@ROUTES("GET", "/api/my")
async def api_my(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    reader = env.reader(actor)
    now = env.clock.now()
    mine = await shift_claims.my_signups(env.sessionmaker, actor, now=now)
    open_views: list[ShiftView] = []
    page = 0
    while page < OPEN_PAGES:
        found = await shifts.open_shifts(env.sessionmaker, actor, now=now, page=page)
        open_views.extend(found.shifts)
        page += 1
        if page >= found.pages:
            break
    return {
        "mine": [open_shift_json(reader, m.shift) for m in mine],
        "open": [open_shift_json(reader, v) for v in open_views],
    }


@ROUTES("POST", "/api/shifts/{id}/claim", Permission.VOLUNTEER)
async def api_claim(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    reader = env.reader(actor)
    result = await shift_claims.claim_shift(
        env.sessionmaker, actor, inputs.path_id(request), env.settings, now=env.clock.now()
    )
    key = "shifts.full" if result.full else "shifts.claimed"
    return {
        "claimed": not result.full,
        "full": result.full,
        "message": to_plain(reader.t(key, title=result.shift.title)),
        "shift": open_shift_json(reader, result.shift),
    }
