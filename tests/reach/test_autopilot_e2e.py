"""The staffing autopilot end to end: a coordinator turns it on, /summary forecasts the gap,
invited volunteers claim with one tap while the lead reads the reports."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.clock import FrozenClock
from bot.services.reach import autopilot
from models import Membership, Person, Role, ShiftSignup, Team
from sandbox import UserSpec
from tests.conftest import T0
from tests.support.harness import BotHarness, deliver, start_harness

LEAD = 10
VOLUNTEERS = {11: "Ani", 12: "Budi", 13: "Citra", 14: "Dodi"}


async def seed(bot: BotHarness) -> None:
    async with bot.db.begin() as session:
        team = Team(name="Jaksel", name_key="jaksel")
        session.add(team)
        await session.flush()
        for tid, name in {LEAD: "Lina", **VOLUNTEERS}.items():
            person = Person(telegram_id=tid, first_name=name, language="en", memberships=[],
                            role=Role.LEAD if tid == LEAD else Role.VOLUNTEER)
            session.add(person)
            await session.flush()
            session.add(Membership(person_id=person.id, team_id=team.id, is_lead=tid == LEAD))
            bot.sandbox.world.private_chat(UserSpec(tid, name))


async def run_autopilot(bot: BotHarness) -> autopilot.RunReport:
    """What the `autopilot.sweep` job runs, at the harness's clock, then delivery."""
    report = await autopilot.sweep(bot.db, bot.settings, now=bot.clock.now())
    await deliver(bot)
    return report


async def test_an_understaffed_shift_is_filled_by_the_autopilot(tmp_path: Path) -> None:
    clock = FrozenClock(T0)  # Thursday 10:00 in Jakarta
    url = f"sqlite+aiosqlite:///{tmp_path / 'autopilot.sqlite3'}"
    async with start_harness(url, clock=clock, autopilot_wave_factor=1,
                             autopilot_wave_minutes=120) as bot:
        await seed(bot)
        admin = bot.admin
        on = await admin.send_and_wait("/autopilot on Jaksel")
        assert "Autopilot is on for team Jaksel" in on.text
        status = await admin.send_and_wait("/autopilot")
        assert "✅ Jaksel" in status.text
        await admin.send_and_wait(
            "/newshift Jaksel | Door-knocking Tebet | besok 08:00 | 3j | 2 | Pasar Tebet")
        summary = await admin.send_and_wait("/summary")
        assert "1 shift tomorrow is likely understaffed" in summary.text
        # A lead's /autopilot is refused: coordinators switch it.
        refused = await bot.user(LEAD).send_and_wait("/autopilot off Jaksel")
        assert "your role doesn't allow that" in refused.text

        first = await run_autopilot(bot)
        assert first.asked == 2  # 2 free places x factor 1
        invited = [tid for tid in VOLUNTEERS if bot.user(tid).last_bot_message() is not None]
        assert invited == [11, 12]
        invite = bot.user(11).last_bot_message()
        assert invite is not None and "This shift still needs people" in invite.text
        assert "Door-knocking Tebet" in invite.text and invite.button_texts == ["✋ Claim"]
        report = bot.user(LEAD).last_bot_message()
        assert report is not None and "Autopilot report" in report.text
        assert "asked 2 (wave 1), 2 places still open" in report.text

        claimed = await bot.user(11).press(invite, "✋ Claim", expect="edit")
        assert claimed.answer.text == "✅ It's yours!"
        assert (await run_autopilot(bot)).asked == 0  # the next wave is not due yet

        clock.advance(timedelta(minutes=121))
        second = await run_autopilot(bot)
        assert second.asked == 1  # one place left: Citra, never Ani or Budi again
        assert bot.user(13).last_bot_message() is not None
        assert bot.user(14).last_bot_message() is None
        wave_two = bot.user(LEAD).last_bot_message()
        assert wave_two is not None and "asked 1 (wave 2), 1 place still open" in wave_two.text
        citra = bot.user(13).last_bot_message()
        assert citra is not None
        await bot.user(13).press(citra, "✋ Claim", expect="edit")

        clock.advance(timedelta(minutes=5))
        done = await run_autopilot(bot)
        assert done.asked == 0 and done.reports == 1
        filled = bot.user(LEAD).last_bot_message()
        assert filled is not None and "full ✅" in filled.text
        assert "Every shift above is full" in filled.text
        async with bot.db() as session:
            people = set(await session.scalars(
                select(Person.telegram_id).join(ShiftSignup, ShiftSignup.person_id == Person.id)))
        assert people == {11, 13}
        summary = await admin.send_and_wait("/summary")
        assert "likely understaffed" not in summary.text
