"""The people page's roster: who a coordinator (everyone) or a lead (their teams) may see.

A page of people, most recently active first, filtered by team, skill or name, with their
teams, skills and reliability, in a few grouped statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import NotAllowed, NotFound
from bot.services.authz import Permission, can, is_team_scoped, require
from bot.services.people.members import Actor
from bot.services.people.reliability import Reliability, reliability_of
from bot.services.planning.week import teams_in_scope
from models import (
    Membership,
    Person,
    PersonSkill,
    Role,
    Skill,
)

PEOPLE_PAGE = 100


@dataclass(frozen=True, slots=True)
class RosterPerson:
    person_id: int
    telegram_id: int
    name: str
    username: str | None
    role: Role
    teams: tuple[tuple[int, str, bool], ...]  # (id, name, leads it)
    skills: tuple[str, ...]
    reliability: Reliability
    last_seen_at: datetime


@dataclass(frozen=True, slots=True)
class Roster:
    people: tuple[RosterPerson, ...]
    total: int
    offset: int
    teams: tuple[tuple[int, str], ...]
    skills: tuple[str, ...]


def roster_scope(actor: Actor) -> frozenset[int] | None:
    """Coordinators see everyone; a lead the members of the teams they lead."""
    if can(actor, Permission.MANAGE_ROLES):
        return None
    if is_team_scoped(actor) and can(actor, Permission.INVITE):
        return actor.lead_team_ids
    raise NotAllowed(permission=Permission.MANAGE_ROLES.value)


async def roster(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    *,
    team_id: int | None,
    skill: str | None,
    query: str | None,
    offset: int = 0,
) -> Roster:
    """A page of people, most recently active first, filtered by team, skill, name."""
    scope = roster_scope(actor)
    if team_id is not None:
        require(actor, Permission.INVITE, team_id)
    async with sessionmaker() as session:
        where: list[ColumnElement[bool]] = [true()]
        if scope is not None:
            where.append(Person.role.not_in((Role.PARTNER, Role.MEDIA)))
        teams = frozenset({team_id}) if team_id is not None else scope
        if teams is not None:
            where.append(
                Person.id.in_(
                    select(Membership.person_id).where(Membership.team_id.in_(teams or {-1}))
                )
            )
        if skill:
            where.append(
                Person.id.in_(
                    select(PersonSkill.person_id)
                    .join(Skill, Skill.id == PersonSkill.skill_id)
                    .where(func.lower(Skill.name) == skill.strip().lower())
                )
            )
        if query:
            like = f"%{query.strip().lower()[:64]}%"
            where.append(
                or_(
                    func.lower(Person.first_name).like(like),
                    func.lower(Person.last_name).like(like),
                    func.lower(Person.username).like(like),
                )
            )
        total = await session.scalar(select(func.count()).select_from(Person).where(*where)) or 0
        people = (
            await session.scalars(
                select(Person)
                .where(*where)
                .order_by(Person.last_seen_at.desc(), Person.id)
                .offset(max(offset, 0))
                .limit(PEOPLE_PAGE)
            )
        ).unique().all()
        ids = [p.id for p in people]
        skills: dict[int, list[str]] = {}
        if ids:
            for pid, name in (
                await session.execute(
                    select(PersonSkill.person_id, Skill.name)
                    .join(Skill, Skill.id == PersonSkill.skill_id)
                    .where(PersonSkill.person_id.in_(ids))
                    .order_by(Skill.name)
                )
            ).all():
                skills.setdefault(pid, []).append(name)
        reliability = await reliability_of(session, ids) if ids else {}
        all_skills = tuple(await session.scalars(select(Skill.name).order_by(Skill.name)))
        return Roster(
            people=tuple(
                RosterPerson(
                    person_id=p.id,
                    telegram_id=p.telegram_id,
                    name=p.display_name,
                    username=p.username,
                    role=p.role,
                    teams=tuple(
                        sorted(
                            ((m.team.id, m.team.name, m.is_lead) for m in p.memberships),
                            key=lambda t: t[1].lower(),
                        )
                    ),
                    skills=tuple(skills.get(p.id, ())),
                    reliability=reliability.get(p.id, Reliability(0, 0)),
                    last_seen_at=p.last_seen_at,
                )
                for p in people
            ),
            total=total,
            offset=max(offset, 0),
            teams=await teams_in_scope(session, scope),
            skills=all_skills,
        )


async def telegram_id_of(
    sessionmaker: async_sessionmaker[AsyncSession], person_id: int
) -> int:
    """The Telegram id of a roster person (the chat's role change takes one)."""
    async with sessionmaker() as session:
        telegram_id = await session.scalar(
            select(Person.telegram_id).where(Person.id == person_id)
        )
    if telegram_id is None:
        raise NotFound()
    return int(telegram_id)
