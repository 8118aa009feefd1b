"""Broadcast audiences: who "everyone", "team Jaksel" or "event X's unconfirmed" are.

Adding an audience is one small function: an async function that returns a SELECT of
`Person.id` for an argument (a team id, an event id, ...), plus an optional function
listing the choices for buttons, declared as an `AudienceKind` in its area's table and
listed in `bot/services/broadcasts/catalog.py`.  How an
audience is called on screen ("A team…", "Team Jaksel") is the views' business
(`bot.views.broadcasts.AUDIENCE_LABELS`).
Partners and media are only ever reached by the audiences meant for them
(`role:partner`, `role:media`): every other audience excludes them (`catalog.recipients`).

An audience may be chats rather than people (`chats=True`: a team's linked group
chats, one post per group instead of a message to every member); `targets` gives a
broadcast both kinds in one shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.people.members import Actor
from models import Membership, Person, Role, Team, TeamGroup

PersonIds = Select[int]  # a SELECT of Person.id
AudienceQuery = Callable[[AsyncSession, str | None], Awaitable[PersonIds]]
# (arg, label) pairs for the buttons; label is plain text (escaped when shown).
AudienceChoices = Callable[[AsyncSession, Actor], Awaitable[list[tuple[str, str]]]]
OUTSIDERS = (Role.PARTNER, Role.MEDIA)


@dataclass(frozen=True, slots=True)
class AudienceKind:
    kind: str
    query: AudienceQuery
    choices: AudienceChoices | None
    for_outsiders: bool = False
    team_scoped: bool = False  # the argument is a team id (leads may use their own only)
    chats: bool = False  # the query selects chat ids (groups), not Person.id


async def everyone(session: AsyncSession, arg: str | None) -> PersonIds:
    return select(Person.id)


async def _team_choices(session: AsyncSession, actor: Actor) -> list[tuple[str, str]]:
    query = select(Team.id, Team.name).order_by(Team.name_key)
    if actor.role == Role.LEAD:
        query = query.where(Team.id.in_(actor.lead_team_ids))
    return [(str(i), n) for i, n in await session.execute(query)]


async def team_members(session: AsyncSession, arg: str | None) -> PersonIds:
    return select(Membership.person_id).where(Membership.team_id == int(arg or 0))


async def _role_choices(session: AsyncSession, actor: Actor) -> list[tuple[str, str]]:
    return [(r.value, r.value) for r in (Role.VOLUNTEER, Role.LEAD)]


async def by_role(session: AsyncSession, arg: str | None) -> PersonIds:
    return select(Person.id).where(Person.role == Role(arg or Role.VOLUNTEER.value))


async def partners(session: AsyncSession, arg: str | None) -> PersonIds:
    return select(Person.id).where(Person.role == Role.PARTNER)


async def media(session: AsyncSession, arg: str | None) -> PersonIds:
    return select(Person.id).where(Person.role == Role.MEDIA)


async def _group_team_choices(session: AsyncSession, actor: Actor) -> list[tuple[str, str]]:
    """Teams with a linked group chat (a lead: their own)."""
    query = (
        select(Team.id, Team.name)
        .where(Team.id.in_(select(TeamGroup.team_id)))
        .order_by(Team.name_key)
    )
    if actor.role == Role.LEAD:
        query = query.where(Team.id.in_(actor.lead_team_ids))
    return [(str(i), n) for i, n in await session.execute(query)]


async def team_group_chats(session: AsyncSession, arg: str | None) -> Select[Any]:
    """One post in each group chat linked to the team (`/linkteam`), not a DM per member."""
    return select(TeamGroup.chat_id).where(TeamGroup.team_id == int(arg or 0))


BASE_AUDIENCES: tuple[AudienceKind, ...] = (
    AudienceKind("all", everyone, None),
    AudienceKind("team", team_members, _team_choices, team_scoped=True),
    AudienceKind("role", by_role, _role_choices),
    AudienceKind("partners", partners, None, for_outsiders=True),
    AudienceKind("media", media, None, for_outsiders=True),
    AudienceKind("groups", team_group_chats, _group_team_choices, team_scoped=True, chats=True),
)
