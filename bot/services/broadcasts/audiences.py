"""Broadcast audiences: who "everyone", "team Jaksel" or "event X's unconfirmed" are.

Adding an audience is one small function: `@audience("kind")` on an async
function that returns a SELECT of `Person.id` for an argument (a team id, an
event id, ...), plus an optional function listing the choices for buttons.  How an
audience is called on screen ("A team…", "Team Jaksel") is the views' business
(`bot.views.broadcasts.AUDIENCE_LABELS`).
Partners and media are only ever reached by the audiences meant for them
(`role:partner`, `role:media`): every other audience excludes them here, once.

An audience may be chats rather than people (`chats=True`: a team's linked group
chats, one post per group instead of a message to every member); `targets` gives a
broadcast both kinds in one shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, null, select
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


AUDIENCES: dict[str, AudienceKind] = {}


def audience(
    kind: str,
    *,
    choices: AudienceChoices | None = None,
    for_outsiders: bool = False,
    team_scoped: bool = False,
    chats: bool = False,
) -> Callable[[AudienceQuery], AudienceQuery]:
    """Registers an audience kind (its label is the views': `AUDIENCE_LABELS`)."""

    def register(query: AudienceQuery) -> AudienceQuery:
        AUDIENCES[kind] = AudienceKind(kind, query, choices, for_outsiders, team_scoped, chats)
        return query

    return register


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


@audience("all")
async def everyone(session: AsyncSession, arg: str | None) -> PersonIds:
    return select(Person.id)


async def _team_choices(session: AsyncSession, actor: Actor) -> list[tuple[str, str]]:
    query = select(Team.id, Team.name).order_by(Team.name_key)
    if actor.role == Role.LEAD:
        query = query.where(Team.id.in_(actor.lead_team_ids))
    return [(str(i), n) for i, n in await session.execute(query)]


@audience("team", choices=_team_choices, team_scoped=True)
async def team_members(session: AsyncSession, arg: str | None) -> PersonIds:
    return select(Membership.person_id).where(Membership.team_id == int(arg or 0))


async def _role_choices(session: AsyncSession, actor: Actor) -> list[tuple[str, str]]:
    return [(r.value, r.value) for r in (Role.VOLUNTEER, Role.LEAD)]


@audience("role", choices=_role_choices)
async def by_role(session: AsyncSession, arg: str | None) -> PersonIds:
    return select(Person.id).where(Person.role == Role(arg or Role.VOLUNTEER.value))


@audience("partners", for_outsiders=True)
async def partners(session: AsyncSession, arg: str | None) -> PersonIds:
    return select(Person.id).where(Person.role == Role.PARTNER)


@audience("media", for_outsiders=True)
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


@audience("groups", choices=_group_team_choices, team_scoped=True, chats=True)
async def team_group_chats(session: AsyncSession, arg: str | None) -> Select[Any]:
    """One post in each group chat linked to the team (`/linkteam`), not a DM per member."""
    return select(TeamGroup.chat_id).where(TeamGroup.team_id == int(arg or 0))
