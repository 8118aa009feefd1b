"""The events whose confirmations someone may chase: upcoming, with how many are still silent.

The People page's "who hasn't confirmed" starts from this list; the names themselves and
"ask them again" are the chat's own use cases (`attendance.unconfirmed`,
`attendance.renudge_unconfirmed`), so the page and the card's 🔔 button agree.  One
grouped statement over the indexed `event_rsvp.event_id`, whatever the number of events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.authz import Permission, can, require
from bot.services.people.members import Actor
from models import Event, EventRsvp, EventStatus, RsvpStatus, Team

MAX_EVENTS = 20


@dataclass(frozen=True, slots=True)
class EventToConfirm:
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    team_name: str | None
    going: int
    unconfirmed: int


async def events_to_confirm(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, *, now: datetime
) -> list[EventToConfirm]:
    """Events not begun yet that the actor runs (as the chat's `may_run` says), soonest
    first: all for coordinators, their teams' and the campaign-wide ones for leads."""
    require(actor, Permission.CHECK_IN_OTHERS)
    query = (
        select(Event.id, Event.title, Event.starts_at, Event.ends_at, Team.name)
        .outerjoin(Team, Team.id == Event.team_id)
        .where(Event.status == EventStatus.SCHEDULED, Event.starts_at > now)
        .order_by(Event.starts_at, Event.id)
        .limit(MAX_EVENTS)
    )
    if not can(actor, Permission.MANAGE_EVENTS):
        # A lead checks people in at their teams' events and the campaign-wide ones.
        query = query.where(Event.team_id.in_(actor.lead_team_ids) | Event.team_id.is_(None))
    going = EventRsvp.status == RsvpStatus.GOING
    async with sessionmaker() as session:
        rows = (await session.execute(query)).all()
        # The answers of those few events only, counted in one grouped statement.
        counted = await session.execute(
            select(
                EventRsvp.event_id,
                func.sum(case((going, 1), else_=0)),
                func.sum(case((going & EventRsvp.confirmed_at.is_(None), 1), else_=0)),
            )
            .where(EventRsvp.event_id.in_([r[0] for r in rows] or [-1]))
            .group_by(EventRsvp.event_id)
        )
        counts = {int(e): (int(g or 0), int(u or 0)) for e, g, u in counted}
    return [
        EventToConfirm(int(i), str(t), s, e, n, *counts.get(int(i), (0, 0)))
        for i, t, s, e, n in rows
    ]
