"""Shift check-in end to end: the real bot on the sandbox with a moved clock — the 2 h
reminder's "I'm here" button, too early / checked in / too late, the lead's list, the
no-show sweep, and /me showing the hours and reliability that follow."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.clock import FrozenClock
from bot.services.shifts import sweeps as shift_sweeps
from models import Membership, Person, Role, ShiftSignup, Team
from sandbox import UserSpec
from tests.conftest import T0
from tests.shifts.test_e2e import deliver
from tests.support.harness import BotHarness, start_harness

VOLUNTEERS = {2: "Ani", 3: "Budi", 4: "Citra"}
LEAD = 6
START = T0 + timedelta(hours=22)  # "besok 08:00" in Jakarta, seen from Thursday 10:00
END = START + timedelta(hours=3)


async def seed(bot: BotHarness) -> None:
    async with bot.db.begin() as session:
        team = Team(name="Jaksel", name_key="jaksel")
        session.add(team)
        await session.flush()
        people = {**VOLUNTEERS, LEAD: "Lia"}
        for tid, name in people.items():
            person = Person(telegram_id=tid, first_name=name, language="en",
                            role=Role.LEAD if tid == LEAD else Role.VOLUNTEER)
            session.add(person)
            await session.flush()
            session.add(Membership(person_id=person.id, team_id=team.id, is_lead=tid == LEAD))
            bot.sandbox.world.private_chat(UserSpec(tid, name))


async def test_reminder_check_in_lead_list_no_show_and_me(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    url = f"sqlite+aiosqlite:///{tmp_path / 'checkin.sqlite3'}"
    async with start_harness(url, clock=clock) as bot:
        await seed(bot)
        created = await bot.admin.send_and_wait(
            "/newshift Jaksel | Door-knocking Tebet | besok 08:00 | 3j | 3 | Pasar Tebet"
        )
        assert "Shift #1 created" in created.text
        ani, budi, citra = (bot.user(tid, name) for tid, name in VOLUNTEERS.items())
        for volunteer in (ani, budi, citra):
            listing = await volunteer.send_and_wait("/shifts")
            claimed = await volunteer.press(listing, 0, expect="edit")
            assert claimed.answer.text == "✅ It's yours!"

        # 06:00 Friday: the 2 h reminder arrives with the button; check-in opens at 07:00.
        clock.set(START - timedelta(hours=2))
        await deliver(bot)
        reminder = await ani.next_message()
        citra_reminder = await citra.next_message()
        assert "your shift starts in 2 h" in reminder.text
        assert reminder.button_texts[0] == "✅ I'm here"
        early = await ani.press(reminder, "✅ I'm here", expect="message")
        assert early.message is not None and "too early" in early.message.text
        assert "opens at Fri, 27 Nov 2026, 07:00" in early.message.text

        clock.set(START - timedelta(minutes=30))
        here = await ani.press(reminder, "✅ I'm here", expect="message")
        assert here.answer.text == "✅ Checked in. Thank you!"
        assert here.message is not None and "You're checked in" in here.message.text
        twice = await ani.press(reminder, "✅ I'm here", expect="message")
        assert twice.message is not None and "already checked in" in twice.message.text
        mine = await ani.send_and_wait("/my")
        assert "You're checked in" in mine.text and "✅ I'm here (1)" not in mine.button_texts
        budi_mine = await budi.send_and_wait("/my")
        assert "✅ I'm here (1)" in budi_mine.button_texts

        # A volunteer cannot open the lead's list; the lead checks Budi in from it.
        refused = await citra.send_and_wait("/shiftcheckin 1")
        assert "doesn't allow" in refused.text
        lead = bot.user(LEAD, "Lia")
        bad = await lead.send_and_wait("/shiftcheckin tomorrow")
        assert "/shiftcheckin" in bad.text and "Usage" in bad.text
        picker = await lead.send_and_wait("/shiftcheckin")
        assert "which shift" in picker.text and len(picker.button_texts) == 1
        opened = await lead.press(picker, 0, expect="edit")
        assert opened.message is not None and "1 of 3 here" in opened.message.text
        assert opened.message.button_texts == ["✅ Ani", "⬜ Budi", "⬜ Citra", "🔄 Refresh"]
        ticked = await lead.press(opened.message, "⬜ Budi", expect="edit")
        assert ticked.answer.text == "✅ Budi is checked in."
        assert ticked.message is not None and "2 of 3 here" in ticked.message.text
        assert "✅ Budi" in ticked.message.button_texts

        # The shift ends; an hour later the sweep marks Citra, who never came, a no-show.
        clock.set(END + timedelta(hours=1))
        assert "✅ I'm here" in citra_reminder.button_texts
        closed = await citra.press(citra_reminder, "✅ I'm here", expect="message")
        assert closed.message is not None and "closed" in closed.message.text
        report = await shift_sweeps.sweep(bot.db, bot.settings, now=clock.now())
        assert report.no_shows == 1
        async with bot.db() as session:
            states = dict(
                (
                    await session.execute(
                        select(Person.first_name, ShiftSignup.no_show).join(
                            Person, Person.id == ShiftSignup.person_id
                        )
                    )
                ).all()
            )
        assert states == {"Ani": False, "Budi": False, "Citra": True}

        me = await ani.send_and_wait("/me")
        assert "Shifts done: 1 · 3 hours" in me.text
        assert "Reliability: 100% (came to 1 of 1 shift or event; no-shows: 0)" in me.text
        citra_me = await citra.send_and_wait("/me")
        assert "Shifts done" not in citra_me.text
        assert "Reliability: 0% (came to 0 of 1 shift or event; no-shows: 1)" in citra_me.text
