"""/team shows each member's @username or Telegram id, so /promote can be used without
leaving the bot (issue #17), in both languages: the id shown is one /promote takes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from models import Person, Role
from tests.conftest import T0
from tests.support.harness import start_harness

HINT = {"en": "shows a team's members", "id": "menampilkan anggota tim"}
MEMBERS = {"en": "Jaksel: 2 members", "id": "Jaksel: 2 anggota"}


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_team_members_carry_what_promote_takes(tmp_path: Path, lang: str) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'members.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        admin = bot.user(1, "Admin", lang)
        ani, budi = bot.user(5, "Ani", lang, username="ani_jaksel"), bot.user(6, "Budi", lang)
        await ani.send_and_wait("/start")
        await budi.send_and_wait("/start")
        await admin.send_and_wait("/team create Jaksel")
        await admin.send_and_wait("/team add Jaksel @ani_jaksel")
        await admin.send_and_wait("/team add Jaksel 6")
        teams = await admin.send_and_wait("/team")
        members = await admin.send_and_wait("/team Jaksel")
        budi_line = next(line for line in members.text.split("\n") if "Budi" in line)
        ref = budi_line.split()[2].rstrip(":")
        promoted = await admin.send_and_wait(f"/promote {ref} lead Jaksel")
        async with bot.db() as session:
            role = await session.scalar(select(Person.role).where(Person.telegram_id == 6))
    assert HINT[lang] in teams.text
    assert MEMBERS[lang] in members.text
    assert "Ani @ani_jaksel:" in members.text and "<code>@ani_jaksel</code>" in (members.html or "")
    assert ref == "6" and "<code>6</code>" in (members.html or "")
    assert "Budi" in promoted.text and role == Role.LEAD
