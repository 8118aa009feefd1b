"""A lead refused on another team's shift reads "this is for another team", not "your role
doesn't allow that"; a campaign-wide one reads that it is the whole campaign's; a volunteer
still reads that their role doesn't allow it (issue #17), in both languages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from models import Membership, Person, Role, Shift, ShiftStatus, Team
from sandbox import UserSpec
from tests.conftest import T0
from tests.support.harness import BotHarness, start_harness

OTHER_TEAM = {"en": "This is for another team", "id": "Ini untuk tim lain"}
CAMPAIGN = {"en": "This is for the whole campaign", "id": "Ini untuk seluruh kampanye"}
ROLE = {"en": "your role doesn't allow that", "id": "peranmu tidak mengizinkan itu"}


async def seed(bot: BotHarness, lang: str) -> dict[str, int]:
    async with bot.db.begin() as session:
        a, b = Team(name="Jaksel", name_key="jaksel"), Team(name="Jakut", name_key="jakut")
        session.add_all([a, b])
        await session.flush()
        for tid, name, role, team in ((2, "Lia", Role.LEAD, b), (3, "Ani", Role.VOLUNTEER, a)):
            person = Person(telegram_id=tid, first_name=name, role=role, language=lang,
                            joined_at=T0, last_seen_at=T0)
            session.add(person)
            await session.flush()
            session.add(Membership(person_id=person.id, team_id=team.id,
                                   is_lead=role == Role.LEAD))
            bot.sandbox.world.private_chat(UserSpec(tid, name, language_code=lang))
        starts = T0 + timedelta(days=2)
        shifts = [
            Shift(title="Door-knocking", team_id=team_id, place="Pasar", starts_at=starts,
                  ends_at=starts + timedelta(hours=3), capacity=3, taken=0,
                  created_at=T0, updated_at=T0)
            for team_id in (a.id, None)
        ]
        session.add_all(shifts)
        await session.flush()
        return {"team_a": shifts[0].id, "open": shifts[1].id}


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_lead_reads_another_team_not_your_role(tmp_path: Path, lang: str) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'other.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        ids = await seed(bot, lang)
        lia, ani = bot.user(2, "Lia", lang), bot.user(3, "Ani", lang)
        other_team = await lia.send_and_wait(f"/cancelshift {ids['team_a']}")
        roster = await lia.send_and_wait(f"/shiftcheckin {ids['team_a']}")
        campaign = await lia.send_and_wait(f"/cancelshift {ids['open']}")
        volunteer = await ani.send_and_wait(f"/cancelshift {ids['team_a']}")
        async with bot.db() as session:
            statuses = set((await session.scalars(select(Shift.status))).all())
    for refused in (other_team, roster):
        assert OTHER_TEAM[lang] in refused.text and ROLE[lang] not in refused.text
    assert CAMPAIGN[lang] in campaign.text and ROLE[lang] not in campaign.text
    assert ROLE[lang] in volunteer.text and OTHER_TEAM[lang] not in volunteer.text
    assert statuses == {ShiftStatus.OPEN}  # nothing changed
