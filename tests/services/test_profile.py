"""/me's sections: a service loader returns plain data, its view writes the lines
(bot.services.people.profile + bot.views.people), in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.people import profile
from bot.services.people.members import Actor, TelegramUser, load_actor
from bot.views.i18n import I18n
from bot.views.people import ProfileSection, profile_lines
from bot.views.render import Reader
from tests.conftest import T0


@dataclass(frozen=True, slots=True)
class Seen:
    when: datetime
    name: str


async def load_seen(session: AsyncSession, actor: Actor, now: datetime) -> Seen:
    return Seen(now, actor.display_name)


def seen_lines(reader: Reader, seen: Seen) -> list[str]:
    return [f"{seen.name} @ {reader.date(seen.when)}"]


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_sections_are_data_and_a_view(
    sessionmaker: async_sessionmaker[AsyncSession], lang: str
) -> None:
    actor = await load_actor(
        sessionmaker, TelegramUser(7, "Ani"), admin_ids=frozenset(), default_language=lang,
        now=T0,
    )
    reader = Reader(I18n(), lang, "Asia/Jakarta", "IDR", T0)
    pairs = [ProfileSection(load_seen, seen_lines)]
    me = await profile.load_profile(sessionmaker, actor, [s.load for s in pairs], now=T0)
    assert me.sections == (Seen(T0, "Ani"),)  # plain data, no text
    lines = profile_lines(reader, me, pairs)
    assert lines[0] == I18n().t(lang, "me.title")
    assert "Ani" in lines[1]
    assert lines[-1] == f"Ani @ {reader.date(T0)}"
