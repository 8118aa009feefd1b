"""The broadcast audiences an event adds: everyone Going, and the Going not yet confirmed.

`/broadcast` offers them with the upcoming events as choices; invitations and
re-nudges reach people through them too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.audiences import AudienceKind
from bot.services.people.members import Actor
from models import Event, EventRsvp, EventStatus, RsvpStatus
from models.base import utcnow

MAX_CHOICES = 20


async def _event_choices(session: AsyncSession, actor: Actor) -> list[tuple[str, str]]:
    """(event id, title) of the next upcoming events; the views shorten the labels."""
    rows = await session.execute(
        select(Event.id, Event.title)
        .where(Event.status == EventStatus.SCHEDULED, Event.ends_at > utcnow())
        .order_by(Event.starts_at)
        .limit(MAX_CHOICES)
    )
    return [(str(i), str(t)) for i, t in rows]


def _event_arg(arg: str | None) -> int:
    if not arg or not arg.isdigit():
        raise ValueError("an event audience needs an event id")
    return int(arg)


async def event_attendees(session: AsyncSession, arg: str | None) -> Select[Any]:
    """Everyone Going to the event."""
    return select(EventRsvp.person_id).where(
        EventRsvp.event_id == _event_arg(arg), EventRsvp.status == RsvpStatus.GOING
    )


async def event_unconfirmed(session: AsyncSession, arg: str | None) -> Select[Any]:
    """Going, but not confirmed yet: the ones to phone."""
    return select(EventRsvp.person_id).where(
        EventRsvp.event_id == _event_arg(arg),
        EventRsvp.status == RsvpStatus.GOING,
        EventRsvp.confirmed_at.is_(None),
    )


EVENT_AUDIENCES: tuple[AudienceKind, ...] = (
    AudienceKind("event", event_attendees, _event_choices),
    AudienceKind("event_unconfirmed", event_unconfirmed, _event_choices),
)
