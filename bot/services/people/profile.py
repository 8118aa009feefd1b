"""What /me shows about a person: who they are here, plus the sections features add.

A section is a pair: a loader here, in the services (an async function of the session,
the person and the time, returning a plain frozen dataclass), and a view that turns
that data into lines (`bot.views.people.ProfileSection` holds both).  `load_profile`
runs every loader in one read-only session, so /me stays one service call.

`register_section` is the older registry (a section that renders its own lines with the
reader it is handed); it keeps working until every section is declared as a pair.
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
# Transitional: (session, person, reader, now) -> lines, the reader passed through untouched.
LegacySection = Callable[[AsyncSession, Actor, Any, datetime], Awaitable[list[str]]]
SECTIONS: list[LegacySection] = []


def register_section(section: LegacySection) -> None:
    if section not in SECTIONS:
        SECTIONS.append(section)


@dataclass(frozen=True, slots=True)
class Profile:
    """One person's /me: the actor, each declared section's data (in the order asked for)
    and the lines of the older self-rendering sections."""

    actor: Actor
    sections: tuple[Any, ...] = ()
    legacy_lines: tuple[str, ...] = ()


async def load_profile(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    loaders: Sequence[SectionLoader] = (),
    *,
    now: datetime,
    legacy: Sequence[LegacySection] | None = None,
    legacy_reader: object = None,
) -> Profile:
    """The data /me shows; `legacy` sections (default: the registered ones) are handed
    `legacy_reader` and return their own lines."""
    older = SECTIONS if legacy is None else legacy
    if not loaders and not older:
        return Profile(actor)
    async with sessionmaker() as session:
        data = tuple([await load(session, actor, now) for load in loaders])
        lines: list[str] = []
        for section in older:
            lines += await section(session, actor, legacy_reader, now)
    return Profile(actor, data, tuple(lines))
