"""Free-place nudges that don't spam (issue #17): a lead's week of shifts nudges each person who
could take one at most once a local day, one message listing the shifts starting within a day
with their claim buttons, never the lead who made them; in English and Indonesian, through the
real bot on the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from models import Membership, OutboxMessage, Person, Role, Team
from sandbox import UserSpec
from tests.conftest import T0
from tests.shifts.test_surfaces import run_sweep
from tests.support.harness import deliver, start_harness

LEAD, ANI, BUDI, CITRA = 4, 2, 3, 5
SEEN = {
    "en": {"head": "Starting within a day and still needing people.",
           "claim": "1. Door-knocking Pagi ·", "second": "2. Door-knocking Siang ·"},
    "id": {"head": "Mulai dalam sehari dan masih butuh orang.",
           "claim": "1. Door-knocking Pagi ·", "second": "2. Door-knocking Siang ·"},
}


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_a_week_of_shifts_nudges_each_person_once_a_day_and_never_the_lead(
    tmp_path: Path, lang: str
) -> None:
    seen = SEEN[lang]
    url = f"sqlite+aiosqlite:///{tmp_path / f'nudge-{lang}.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:  # Thursday 10:00 WIB
        async with bot.db.begin() as session:
            jaksel, other = Team(name="Jaksel", name_key="jaksel"), Team(name="Depok",
                                                                         name_key="depok")
            session.add_all([jaksel, other])
            await session.flush()
            for tid, name, team in [(LEAD, "Lia", jaksel), (ANI, "Ani", jaksel),
                                    (BUDI, "Budi", jaksel), (CITRA, "Citra", other)]:
                person = Person(telegram_id=tid, first_name=name, language=lang,
                                role=Role.LEAD if tid == LEAD else Role.VOLUNTEER)
                session.add(person)
                await session.flush()
                session.add(Membership(person_id=person.id, team_id=team.id,
                                       is_lead=tid == LEAD))
                bot.sandbox.world.private_chat(UserSpec(tid, name))
        lead = bot.user(LEAD, "Lia", lang)
        # A week from tomorrow: two shifts tomorrow (within a day), one a day after that.
        for title, hour in [("Pagi", "06:00"), ("Siang", "09:00")]:
            await lead.send_and_wait(
                f"/newshift Jaksel | Door-knocking {title} | besok {hour} | 2j | 2 | Tebet"
            )
        for day in range(28, 34):
            when = f"2026-{11 + day // 31}-{(day - 1) % 30 + 1:02d} 08:00"
            await lead.send_and_wait(
                f"/newshift Jaksel | Door-knocking {day} | {when} | 3j | 2 | X"
            )
        budi = bot.user(BUDI, "Budi", lang)
        await budi.press(await budi.send_and_wait("/shifts"), 0, expect="edit")  # takes Pagi
        before = {
            tid: len(bot.user(tid, "?", lang).messages()) for tid in (LEAD, ANI, BUDI, CITRA)
        }

        await run_sweep(bot)
        await run_sweep(bot)  # the minutely job again: nothing more
        await deliver(bot)
        ani = bot.user(ANI, "Ani", lang)
        (nudge,) = ani.messages()[before[ANI]:]
        assert seen["head"] in nudge.text
        assert "Door-knocking Pagi" in nudge.text and "Door-knocking Siang" in nudge.text
        assert "Door-knocking 28" not in nudge.text  # more than a day ahead
        assert [t.split(" · ")[0] for t in nudge.button_texts] == [
            seen["claim"].split(" ·")[0], seen["second"].split(" ·")[0]
        ]
        # Budi is on Pagi: his one nudge lists Siang only; the lead and another team: nothing.
        (budi_nudge,) = budi.messages()[before[BUDI]:]
        assert "Door-knocking Siang" in budi_nudge.text
        assert "Door-knocking Pagi" not in budi_nudge.text
        assert len(budi_nudge.button_texts) == 1
        assert len(lead.messages()) == before[LEAD]
        assert len(bot.user(CITRA, "Citra", lang).messages()) == before[CITRA]
        async with bot.db() as session:
            rows = list(await session.scalars(select(OutboxMessage).where(
                OutboxMessage.kind == "shift.free_nudge")))
            assert len(rows) == 2 and not any(r.urgent for r in rows)

        # A claim button on the nudge claims that shift.
        claimed = await ani.press(nudge, 0)
        assert claimed is not None

        # The next day's sweep may nudge again (Saturday's shift is now within a day).
        bot.clock.advance(hours=24)
        await run_sweep(bot)
        await deliver(bot)
        again = ani.messages()[before[ANI]:]
        assert seen["head"] in again[-1].text and "Door-knocking 28" in again[-1].text
        assert len(lead.messages()) == before[LEAD]
