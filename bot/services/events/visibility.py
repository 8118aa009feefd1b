"""Who may see an event, manage it, or check people in at it.

Campaign-wide events are everyone's.  A team event is for its team, for whoever was
invited to it (an `EventInvitation` row, written with the invitation) or answered it,
and for the people who run it.  The same rule answers "show me the card", "may I
RSVP" and "which events does /events list", so a forged button learns nothing that
the list would not show.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NotFound
from bot.services.authz import Permission, can
from bot.services.people.members import Actor
from models import Event, EventInvitation, EventRsvp, Role


def may_manage(actor: Actor, event: Event) -> bool:
    return can(actor, Permission.MANAGE_EVENTS)


def may_check_in_others(actor: Actor, event: Event) -> bool:
    if can(actor, Permission.MANAGE_EVENTS):
        return True
    if event.team_id is None:
        return can(actor, Permission.CHECK_IN_OTHERS)
    return can(actor, Permission.CHECK_IN_OTHERS, event.team_id)


def may_run(actor: Actor, event: Event) -> bool:
    """Manages the event or checks people in at it (counts, roster, QR, re-nudge)."""
    return may_manage(actor, event) or may_check_in_others(actor, event)


async def may_see(session: AsyncSession, actor: Actor, event: Event) -> bool:
    """Team events are for their team, people who were invited or answered, and managers."""
    if event.team_id is None or event.team_id in actor.team_ids:
        return True
    if may_run(actor, event):
        return True
    invited = await session.scalar(
        select(EventInvitation.id).where(
            EventInvitation.event_id == event.id, EventInvitation.person_id == actor.person_id
        )
    )
    if invited is not None:
        return True
    answered = await session.scalar(
        select(EventRsvp.id).where(
            EventRsvp.event_id == event.id, EventRsvp.person_id == actor.person_id
        )
    )
    return answered is not None


async def require_visible(session: AsyncSession, actor: Actor, event: Event) -> None:
    """Not found, like a missing event, for someone who may not see it."""
    if not await may_see(session, actor, event):
        raise NotFound("events.not_found", id=event.id)


def visible_filter(actor: Actor) -> ColumnElement[bool] | None:
    """The WHERE clause of the events this person may see (None: all of them)."""
    if can(actor, Permission.MANAGE_EVENTS) or actor.role == Role.LEAD:
        return None
    mine: Any = select(EventRsvp.event_id).where(EventRsvp.person_id == actor.person_id)
    invited: Any = select(EventInvitation.event_id).where(
        EventInvitation.person_id == actor.person_id
    )
    return or_(
        Event.team_id.is_(None),
        Event.team_id.in_(list(actor.team_ids) or [-1]),
        Event.id.in_(mine),
        Event.id.in_(invited),
    )
