"""What /me shows about a person: who they are here, plus the sections features add.

A section is a pair: a loader here, in the services (an async function of the session,
the person and the time, returning a plain frozen dataclass), and a view that turns
that data into lines (`bot.views.people.ProfileSection` holds both).  `load_profile`
runs every loader in one read-only session, so /me stays one service call.  Features
declare their sections (`Feature.profile_sections`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.people.members import Actor

# A section's data: (session, person, now) -> a frozen dataclass its view renders.
SectionLoader = Callable[[AsyncSession, Actor, datetime], Awaitable[Any]]
@dataclass(frozen=True, slots=True)
class Profile:
    """One person's /me: the actor and each declared section's data (in the order asked for)."""

    actor: Actor
    sections: tuple[Any, ...] = ()


async def load_profile(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    loaders: Sequence[SectionLoader] = (),
    *,
    now: datetime,
) -> Profile:
    """The data /me shows: the person and what each section's loader reads."""
    if not loaders:
        return Profile(actor)
    async with sessionmaker() as session:
        data = tuple([await load(session, actor, now) for load in loaders])
    return Profile(actor, data)
