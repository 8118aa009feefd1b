"""What /me shows; features add their own sections (hours, reliability, outcomes).

A section is an async function returning lines for one person; registering one
keeps /me a single service call for the handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.people.members import Actor
from bot.views.i18n import Html, escape
from bot.views.render import Reader

ProfileSection = Callable[[AsyncSession, Actor, Reader, datetime], Awaitable[list[str]]]
SECTIONS: list[ProfileSection] = []


def register_section(section: ProfileSection) -> None:
    if section not in SECTIONS:
        SECTIONS.append(section)


async def profile_lines(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, reader: Reader, *, now: datetime
) -> list[str]:
    teams = ", ".join(
        escape(t.name) + (" ★" if t.is_lead else "") for t in actor.teams
    ) or reader.t("me.no_team")
    lines = [
        reader.t("me.title"),
        reader.t("me.name", name=actor.display_name),
        reader.t("me.role", role=reader.t(f"role.{actor.role}")),
        reader.t("me.teams", teams=Html(teams)),
        reader.t("me.language", language=reader.t(f"lang.name_{actor.language}")),
    ]
    if SECTIONS:
        async with sessionmaker() as session:
            for section in SECTIONS:
                lines += await section(session, actor, reader, now)
    return lines
