"""The dashboard page: the campaign's (or one team's) numbers, as `/summary` counts them,
and the latest broadcasts with their delivery counts for those who may broadcast.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from bot.services import broadcasts
from bot.services.authz import Permission, can
from bot.services.people.members import Actor
from bot.services.progress.summary import Summary, campaign_summary, team_summary
from bot.views import broadcasts as broadcast_views
from bot.views.render import Reader, to_plain
from bot.web import inputs
from bot.web.endpoints import Routes, WebEnv

ROUTES = Routes()
RECENT_BROADCASTS = 5


async def _recent_broadcasts(
    env: WebEnv, actor: Actor, reader: Reader, now: datetime
) -> list[dict[str, Any]]:
    if not can(actor, Permission.BROADCAST):
        return []
    found = await broadcasts.recent(env.sessionmaker, actor, RECENT_BROADCASTS, now=now)
    return [
        {
            "id": b.id,
            "status": b.status.value,
            "status_label": to_plain(reader.t(f"webapp.bc_{b.status.value}")),
            "total": b.total,
            "sent": b.sent,
            "failed": b.failed,
            "blocked": b.blocked,
            "held": b.held.count,
            "excerpt": to_plain(broadcast_views.excerpt(b)),
            "when": reader.when(b.scheduled_at or b.created_at),
        }
        for b in found
    ]


def _summary_json(reader: Reader, s: Summary) -> dict[str, Any]:
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
    }


@ROUTES("GET", "/api/dashboard", Permission.VIEW_SUMMARY)
async def api_dashboard(request: web.Request, env: WebEnv, actor: Actor) -> Any:
    reader = env.reader(actor)
    now = env.clock.now()
    team_id = inputs.query_int(request, "team")
    if team_id is None:
        s = await campaign_summary(env.sessionmaker, actor, now=now)
    else:
        s = await team_summary(env.sessionmaker, actor, team_id, now=now)
    recent = await _recent_broadcasts(env, actor, reader, now)
    return {**_summary_json(reader, s), "broadcasts": recent}
