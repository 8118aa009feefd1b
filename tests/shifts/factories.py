"""Small factories for shift tests: people, teams, actors and shifts on a real database."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.services.people.members import Actor, TeamRef
from bot.services.shifts.parsing import ShiftDraft
from bot.services.shifts.plan import create_shift
from models import Membership, Person, Role, Team


def settings(**overrides: Any) -> Settings:
    return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]


async def make_team(db: async_sessionmaker[AsyncSession], name: str = "Jaksel") -> int:
    async with db.begin() as session:
        team = Team(name=name, name_key=name.casefold())
        session.add(team)
        await session.flush()
        return team.id


async def make_people(
    db: async_sessionmaker[AsyncSession],
    count: int,
    *,
    team_id: int | None,
    role: Role = Role.VOLUNTEER,
    first_id: int = 1000,
    lead: bool = False,
) -> list[Actor]:
    """`count` people (bulk-inserted), members of the team, as Actors."""
    async with db.begin() as session:
        await session.execute(
            insert(Person),
            [
                {"telegram_id": first_id + i, "first_name": f"P{first_id + i}", "role": role,
                 "language": "en"}
                for i in range(count)
            ],
        )
        rows = (
            await session.execute(
                select(Person.id, Person.telegram_id)
                .where(Person.telegram_id.between(first_id, first_id + count - 1))
                .order_by(Person.telegram_id)
            )
        ).all()
        if team_id is not None:
            await session.execute(
                insert(Membership),
                [{"person_id": pid, "team_id": team_id, "is_lead": lead} for pid, _ in rows],
            )
    teams = (TeamRef(team_id, "Jaksel", lead),) if team_id is not None else ()
    return [
        Actor(pid, tid, f"P{tid}", None, role, "en", True, None, True, teams)
        for pid, tid in rows
    ]


async def make_shift(
    db: async_sessionmaker[AsyncSession],
    coordinator: Actor,
    *,
    now: datetime,
    team_id: int | None,
    start_in: timedelta = timedelta(days=2),
    length: timedelta = timedelta(hours=3),
    capacity: int = 20,
    title: str = "Door-knocking Tebet",
    skill: str | None = None,
) -> int:
    draft = ShiftDraft(
        team_ref=str(team_id) if team_id else None,
        title=title,
        starts_at=now + start_in,
        ends_at=now + start_in + length,
        capacity=capacity,
        place="Pasar Tebet",
        skill_ref=skill,
    )
    return (await create_shift(db, coordinator, draft, now=now)).id
