"""The dashboard page: the campaign's (or one team's) numbers, as `/summary` counts them,
the latest broadcasts with their delivery counts for those who may broadcast, and what the
page draws as charts: goals with their pace, attendance and no-shows per event, and the
budget planned vs spent for those who hold `/budget` (MANAGE_BUDGET, as in chat).

Amounts go out both as minor units (the charts' lengths) and formatted by the chat's
`Reader.money` in the campaign's currency (the labels), so the page does no money
formatting of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from bot.services import broadcasts
from bot.services.authz import Permission, can
from bot.services.budget.lines import BudgetStatus, LineStatus
from bot.services.people.members import Actor
from bot.services.progress.dashboard import EventAttendance, GoalPace, attendance, team_budget
from bot.services.progress.goals import GoalProgress
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
        "goals": [_goal_json(reader, g) for g in s.goals],
        "teams": [{"id": i, "name": n} for i, n in s.teams],
        "upcoming": [{"id": i, "title": t, "when": reader.when(w)} for i, t, w in s.upcoming],
    }


def _goal_json(reader: Reader, g: GoalProgress) -> dict[str, Any]:
    pace = GoalPace.of(g)
    expected = pace.expected
    return {
        "id": g.id, "metric": g.metric, "team": g.team_name, "target": g.target,
        "current": g.current, "ratio": g.ratio, "percent": reader.percent(g.ratio),
        "current_label": reader.number(round(g.current)),
        "target_label": reader.number(g.target),
        "deadline": reader.date(g.deadline) if g.deadline else None,
        "done": g.done,
        "expected": expected,
        "expected_label": None if expected is None else reader.number(round(expected)),
        "behind": pace.behind,
    }


def _attendance_json(reader: Reader, rows: tuple[EventAttendance, ...]) -> list[dict[str, Any]]:
    return [
        {"id": a.event_id, "title": a.title, "when": reader.date(a.starts_at), "ended": a.ended,
         "going": a.going, "confirmed": a.confirmed, "checked_in": a.checked_in,
         "no_show": a.no_show}
        for a in rows
    ]


def _line_json(reader: Reader, line: LineStatus, currency: str) -> dict[str, Any]:
    return {
        "id": line.id, "category": line.category, "planned": line.planned, "spent": line.spent,
        "pending": line.pending, "over": line.remaining < 0,
        "planned_label": reader.money(line.planned, currency),
        "spent_label": reader.money(line.spent, currency),
        "percent": reader.percent(line.ratio),
    }


def _budget_json(reader: Reader, b: BudgetStatus | None) -> dict[str, Any]:
    if b is None or not b.lines:
        return {"currency": b.currency if b else reader.currency, "lines": []}
    money = b.currency
    return {
        "currency": money, "planned": b.planned, "spent": b.spent, "pending": b.pending,
        "over": b.remaining < 0,
        "planned_label": reader.money(b.planned, money),
        "spent_label": reader.money(b.spent, money),
        "pending_label": reader.money(b.pending, money),
        "percent": reader.percent(b.spent / b.planned if b.planned else 0.0),
        "lines": [_line_json(reader, line, money) for line in b.lines],
    }


async def _budget(
    env: WebEnv, actor: Actor, reader: Reader, s: Summary, team_id: int | None
) -> dict[str, Any] | None:
    """None for those without /budget; the campaign's is the one /summary already read."""
    if not can(actor, Permission.MANAGE_BUDGET):
        return None
    if team_id is None:  # holders of /budget see the whole campaign: summary read it
        return _budget_json(reader, s.budget)
    status = await team_budget(env.sessionmaker, actor, team_id,
                               currency=env.settings.currency)
    return _budget_json(reader, status)


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
    shown = await attendance(env.sessionmaker, actor, team_id, now=now)
    return {
        **_summary_json(reader, s),
        "broadcasts": recent,
        "attendance": _attendance_json(reader, shown),
        "budget": await _budget(env, actor, reader, s, team_id),
    }
