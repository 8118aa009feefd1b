"""Broadcast audiences: who "everyone", "team Jaksel" or "event X's unconfirmed" are.

Adding an audience is one small function: `@audience("kind")` on an async
function that returns a SELECT of `Person.id` for an argument (a team id, an
event id, ...), plus an optional function listing the choices for buttons.
Partners and media are only ever reached by the audiences meant for them
(`role:partner`, `role:media`): every other audience excludes them here, once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.people import Actor
from models import Membership, Person, Role

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
    # i18n key of the button/preview label; may use {name} for the chosen option's label.
    label_key: str
    for_outsiders: bool = False
    team_scoped: bool = False  # the argument is a team id (leads may use their own only)


AUDIENCES: dict[str, AudienceKind] = {}


def audience(
    kind: str,
    *,
    label_key: str,
    choices: AudienceChoices | None = None,
    for_outsiders: bool = False,
    team_scoped: bool = False,
) -> Callable[[AudienceQuery], AudienceQuery]:
    def register(query: AudienceQuery) -> AudienceQuery:
        AUDIENCES[kind] = AudienceKind(kind, query, choices, label_key, for_outsiders, team_scoped)
        return query

    return register


async def recipients(session: AsyncSession, key: str) -> Select[int, int]:
    """(person id, telegram id) of everyone reachable in audience `kind[:arg]`."""
    kind, _, arg = key.partition(":")
    spec = AUDIENCES.get(kind)
    if spec is None:
        raise KeyError(kind)
    ids = (await spec.query(session, arg or None)).subquery()
    stmt = select(Person.id, Person.telegram_id).where(
        Person.id.in_(select(ids.c[0])), Person.reachable.is_(True)
    )
    if not spec.for_outsiders:
        stmt = stmt.where(Person.role.not_in(OUTSIDERS))
    return stmt.order_by(Person.id)


@audience("all", label_key="audience.all")
async def everyone(session: AsyncSession, arg: str | None) -> PersonIds:
    return select(Person.id)


async def _team_choices(session: AsyncSession, actor: Actor) -> list[tuple[str, str]]:
    from models import Team

    query = select(Team.id, Team.name).order_by(Team.name_key)
    if actor.role == Role.LEAD:
        query = query.where(Team.id.in_(actor.lead_team_ids))
    return [(str(i), n) for i, n in await session.execute(query)]


@audience("team", label_key="audience.team", choices=_team_choices, team_scoped=True)
async def team_members(session: AsyncSession, arg: str | None) -> PersonIds:
    return select(Membership.person_id).where(Membership.team_id == int(arg or 0))


async def _role_choices(session: AsyncSession, actor: Actor) -> list[tuple[str, str]]:
    return [(r.value, r.value) for r in (Role.VOLUNTEER, Role.LEAD)]


@audience("role", label_key="audience.role", choices=_role_choices)
async def by_role(session: AsyncSession, arg: str | None) -> PersonIds:
    return select(Person.id).where(Person.role == Role(arg or Role.VOLUNTEER.value))


@audience("partners", label_key="audience.partners", for_outsiders=True)
async def partners(session: AsyncSession, arg: str | None) -> PersonIds:
    return select(Person.id).where(Person.role == Role.PARTNER)


@audience("media", label_key="audience.media", for_outsiders=True)
async def media(session: AsyncSession, arg: str | None) -> PersonIds:
    return select(Person.id).where(Person.role == Role.MEDIA)
