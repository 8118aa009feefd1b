"""Teams: create, add members (and leads), list; leads act only on their own teams."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.services import audit
from bot.services.authz import Permission, require
from bot.services.people.members import Actor, find_person
from models import Membership, Person, Role, Team

MAX_TEAM_NAME = 64


@dataclass(frozen=True, slots=True)
class TeamSummary:
    id: int
    name: str
    members: int
    leads: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MemberLine:
    display_name: str
    username: str | None
    telegram_id: int  # what /promote takes when they have no @username
    role: Role
    is_lead: bool


def team_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def clean_team_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput("team.name_empty")
    if len(cleaned) > MAX_TEAM_NAME:
        raise InvalidInput("team.name_too_long", max=MAX_TEAM_NAME)
    return cleaned


async def find_team(session: AsyncSession, ref: str) -> Team:
    """A team by id or by name, ignoring case and spacing."""
    ref = ref.strip()
    team = None
    if ref.isdigit():
        team = await session.get(Team, int(ref))
    if team is None:
        team = await session.scalar(select(Team).where(Team.name_key == team_key(ref)))
    if team is None:
        raise NotFound("team.not_found", name=ref)
    return team


async def create_team(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, name: str
) -> TeamSummary:
    require(actor, Permission.MANAGE_TEAMS)
    if actor.role == Role.LEAD:
        raise NotAllowed(permission="create_team")
    cleaned = clean_team_name(name)
    try:
        async with sessionmaker.begin() as session:
            team = Team(name=cleaned, name_key=team_key(cleaned))
            session.add(team)
            await session.flush()
            audit.record(
                session,
                action="team.create",
                actor_id=actor.person_id,
                target_type="team",
                target_id=team.id,
                name=cleaned,
            )
            return TeamSummary(team.id, team.name, 0, ())
    except IntegrityError:
        raise Conflict("team.exists", name=cleaned) from None


async def add_member(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    team_ref: str,
    person_ref: str,
    *,
    as_lead: bool = False,
) -> tuple[str, str]:
    """Adds (or makes lead) a person in a team; returns (person name, team name)."""
    async with sessionmaker.begin() as session:
        team = await find_team(session, team_ref)
        require(actor, Permission.MANAGE_TEAMS, team.id)
        if as_lead:
            require(actor, Permission.MANAGE_ROLES)
        person = await find_person(session, person_ref)
        await join_team(session, person, team, as_lead=as_lead)
        audit.record(
            session,
            action="team.add_member",
            actor_id=actor.person_id,
            target_type="person",
            target_id=person.id,
            team_id=team.id,
            lead=as_lead,
        )
        return person.display_name, team.name


async def join_team(session: AsyncSession, person: Person, team: Team, *, as_lead: bool) -> None:
    """Membership upsert used by /team add, invites and promotions; never commits."""
    membership = await session.scalar(
        select(Membership).where(Membership.person_id == person.id, Membership.team_id == team.id)
    )
    if membership is None:
        membership = Membership(person_id=person.id, team_id=team.id, is_lead=as_lead)
        session.add(membership)
    elif as_lead:
        membership.is_lead = True
    if as_lead and person.role in (Role.VOLUNTEER, Role.PARTNER, Role.MEDIA):
        person.role = Role.LEAD
    await session.flush()


async def list_teams(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor
) -> list[TeamSummary]:
    require(actor, Permission.MANAGE_TEAMS)
    async with sessionmaker() as session:
        query = select(Team).order_by(Team.name_key)
        if actor.role == Role.LEAD:
            query = query.where(Team.id.in_(actor.lead_team_ids))
        teams = list(await session.scalars(query))
        counted = await session.execute(
            select(Membership.team_id, func.count()).group_by(Membership.team_id)
        )
        counts = {team_id: n for team_id, n in counted}
        leads: dict[int, list[str]] = {}
        rows = await session.execute(
            select(Membership.team_id, Person)
            .join(Person, Person.id == Membership.person_id)
            .where(Membership.is_lead.is_(True))
        )
        for team_id, person in rows:
            leads.setdefault(team_id, []).append(person.display_name)
        return [
            TeamSummary(t.id, t.name, counts.get(t.id, 0), tuple(sorted(leads.get(t.id, []))))
            for t in teams
        ]


async def team_members(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, team_ref: str
) -> tuple[str, list[MemberLine]]:
    async with sessionmaker() as session:
        team = await find_team(session, team_ref)
        require(actor, Permission.MANAGE_TEAMS, team.id)
        rows = await session.execute(
            select(Person, Membership.is_lead)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.team_id == team.id)
            .order_by(Membership.is_lead.desc(), func.lower(Person.first_name))
        )
        return team.name, [
            MemberLine(p.display_name, p.username, p.telegram_id, p.role, lead) for p, lead in rows
        ]


async def resolve_team_id(sessionmaker: async_sessionmaker[AsyncSession], ref: str) -> int:
    async with sessionmaker() as session:
        return (await find_team(session, ref)).id
