"""Every broadcast audience of the bot, in the order the composer offers them, and who an
audience key (`team:7`, `event:12`) reaches.

The list is explicit: each area declares its audiences as a table of `AudienceKind`s
(the base ones in `audiences.py`, an event's in `bot.services.events.audiences`, skills'
in `bot.services.people.skills`) and this module puts them together.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, null, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.audiences import BASE_AUDIENCES, OUTSIDERS, AudienceKind
from bot.services.events.audiences import EVENT_AUDIENCES
from bot.services.people.skills import SKILL_AUDIENCES
from models import Person

AUDIENCES: dict[str, AudienceKind] = {
    a.kind: a for a in (*BASE_AUDIENCES, *EVENT_AUDIENCES, *SKILL_AUDIENCES)
}


async def recipients(session: AsyncSession, key: str) -> Select[int, int]:
    """(person id, telegram id) of everyone reachable in audience `kind[:arg]`."""
    kind, _, arg = key.partition(":")
    spec = AUDIENCES.get(kind)
    if spec is None or spec.chats:
        raise KeyError(kind)
    ids = (await spec.query(session, arg or None)).subquery()
    stmt = select(Person.id, Person.telegram_id).where(
        Person.id.in_(select(ids.c[0])), Person.reachable.is_(True)
    )
    if not spec.for_outsiders:
        stmt = stmt.where(Person.role.not_in(OUTSIDERS))
    return stmt.order_by(Person.id)


async def targets(session: AsyncSession, key: str) -> Select[Any]:
    """(person id or None, chat id, timezone or None) of every chat a broadcast to `key`
    reaches: people's private chats, or group chats for a chat audience."""
    kind, _, arg = key.partition(":")
    spec = AUDIENCES.get(kind)
    if spec is None:
        raise KeyError(kind)
    if not spec.chats:
        return (await recipients(session, key)).add_columns(Person.timezone)
    chats = (await spec.query(session, arg or None)).subquery()
    return select(
        null().label("person_id"), chats.c[0].label("chat_id"), null().label("timezone")
    ).order_by(chats.c[0])
