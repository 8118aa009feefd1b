"""A deployed database upgrades in place: data written at an old revision survives every
later migration and the bot reads it at head; released migrations never change.

Why: a campaign's SQLite file or PostgreSQL database outlives any release; a revision that
rewrites a table, or an edited old revision (which a deployed database never runs again),
loses or forks its data.  Schema changes are new, additive revisions (issue #12 item 7).
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from bot import migrate
from bot.db import create_sessionmaker
from bot.services.people.members import actor_by_telegram_id
from models import Event, Membership, Person, Shift, Team

VERSIONS = Path(migrate.MIGRATIONS_DIR) / "versions"
# sha256 of every released revision: a deployed database has run these and never will again.
RELEASED = {
    "0001_foundation.py": "235be8617688ca3ab8b338f41afdd048b85594b1912cfce905905cc280e5737e",
    "0002_features.py": "52bda65dd8701f7355a0f0fadeb282e5506399e7a534536d658da4e3203b0d72",
    "0003_feedback.py": "4ef8792412025a3d7f9954ba2fcea2c549f7e454487b199e85d1d7e8f61141bc",
    "0004_reach.py": "6c92acca59ed8a688b1d4ba59e1f11478439e1aebbf087c3b02536578ce3032d",
    "0005_update_answered.py": "ad3dfd1faf4b597bb190f4ef7b9b06208d37b0ce025481111bc73e902bcef7a6",
    "0006_event_invitations.py": "366e763c9c802107c9e4c4c5613ebaefd3a589f1bbf9433758168387660f6d3c",
    "0007_summary_indexes.py": "653bb306eca82e0524866f3a263f66c6ce880187bbe82c4b2927b3b6ccd6ce83",
    "0008_group_digest.py": "ee1d87139e06a8c57006dcd1d9b151398bd08428373241c2ebd7f50a141e09c8",
}
AT = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


def _digest(name: str) -> str:
    return hashlib.sha256((VERSIONS / name).read_bytes()).hexdigest()


def test_released_revisions_are_frozen() -> None:
    for name, digest in RELEASED.items():
        assert _digest(name) == digest, f"{name} was edited: add a new revision instead"


def _rows() -> list[tuple[Any, dict[str, Any]]]:
    """One campaign as revision 0002 knew it: a team, its lead, a shift and an event."""
    return [
        (Person.__table__, {"id": 1, "telegram_id": 9001, "first_name": "Sari",
                            "username": "sari", "language": "id", "role": "lead",
                            "reachable": True, "joined_at": AT, "last_seen_at": AT}),
        (Team.__table__, {"id": 1, "name": "Jaksel", "name_key": "jaksel", "created_at": AT}),
        (Membership.__table__, {"id": 1, "person_id": 1, "team_id": 1, "is_lead": True,
                                "joined_at": AT}),
        (Shift.__table__, {"id": 1, "team_id": 1, "title": "Door-knocking", "place": "Tebet",
                           "starts_at": AT + timedelta(days=3),
                           "ends_at": AT + timedelta(days=3, hours=3), "capacity": 12,
                           "taken": 0, "notes": "", "status": "open", "created_at": AT,
                           "updated_at": AT}),
        (Event.__table__, {"id": 1, "title": "Nobar & diskusi", "checkin_radius_m": 200,
                           "starts_at": AT + timedelta(days=5),
                           "ends_at": AT + timedelta(days=5, hours=2), "going_count": 0,
                           "checkin_token": "tok", "status": "scheduled", "created_at": AT,
                           "updated_at": AT}),
    ]


async def _write_old(url: str) -> None:
    """Inserts through tables cut down to the columns these rows name (a later revision's
    columns, and their defaults, do not exist yet at the old revision)."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for model_table, values in _rows():
                old = Table(model_table.name, MetaData(),
                            *(c._copy() for c in model_table.c if c.name in values))
                await conn.execute(insert(old).values(**values))
    finally:
        await engine.dispose()


async def _read_new(url: str) -> tuple[Any, ...]:
    engine = create_async_engine(url)
    sessionmaker = create_sessionmaker(engine)
    try:
        async with sessionmaker() as session:
            person = (await session.scalars(select(Person))).one()
            shift = (await session.scalars(select(Shift))).one()
            event = (await session.scalars(select(Event))).one()
            team = (await session.scalars(select(Team))).one()
        actor = await actor_by_telegram_id(sessionmaker, 9001, "en")
        return person, shift, event, team, actor
    finally:
        await engine.dispose()


def test_a_database_with_data_upgrades_to_head_and_the_bot_reads_it(db_url: str) -> None:
    migrate.upgrade(db_url, "0002")
    asyncio.run(_write_old(db_url))
    migrate.upgrade(db_url)
    assert asyncio.run(migrate.current_revision(db_url)) == migrate.head_revision()
    person, shift, event, team, actor = asyncio.run(_read_new(db_url))
    assert (person.first_name, person.username, person.language) == ("Sari", "sari", "id")
    assert (shift.title, shift.place, shift.capacity, shift.taken) == ("Door-knocking", "Tebet",
                                                                       12, 0)
    assert shift.starts_at == AT + timedelta(days=3)
    assert (event.title, event.checkin_token) == ("Nobar & diskusi", "tok")
    assert team.name == "Jaksel"
    assert actor is not None and actor.role == "lead"
    assert [t.name for t in actor.teams] == ["Jaksel"] and actor.teams[0].is_lead
