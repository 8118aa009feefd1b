"""Shifts and tasks end to end: the real bot on the sandbox, people tapping buttons,
the outbox dispatcher delivering offers and reminders while the clock moves."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.clock import FrozenClock
from bot.views.shift_buttons import ReleaseSignup
from models import Membership, OutboxMessage, Person, Role, ShiftSignup, TaskOutcome, Team
from sandbox import UserSpec
from tests.conftest import T0
from tests.support.harness import BotHarness, deliver, forged_press, start_harness

PEOPLE = {2: "Ani", 3: "Budi", 4: "Citra"}


async def seed(bot: BotHarness) -> None:
    async with bot.db.begin() as session:
        team = Team(name="Jaksel", name_key="jaksel")
        session.add(team)
        await session.flush()
        for tid, name in PEOPLE.items():
            person = Person(telegram_id=tid, first_name=name, role=Role.VOLUNTEER,
                            language="en", memberships=[])
            session.add(person)
            await session.flush()
            session.add(Membership(person_id=person.id, team_id=team.id))
            bot.sandbox.world.private_chat(UserSpec(tid, name))


async def test_claim_full_waitlist_release_offer_accept_and_reminder(tmp_path: Path) -> None:
    clock = FrozenClock(T0)  # Thursday 10:00 in Jakarta
    url = f"sqlite+aiosqlite:///{tmp_path / 'shifts.sqlite3'}"
    async with start_harness(url, clock=clock) as bot:
        await seed(bot)
        admin = bot.admin
        created = await admin.send_and_wait(
            "/newshift Jaksel | Door-knocking Tebet | besok 08:00 | 3j | 1 | Pasar Tebet"
        )
        assert "Shift #1 created" in created.text and "Pasar Tebet" in created.text

        ani, budi = bot.user(2, "Ani"), bot.user(3, "Budi")
        listing = await ani.send_and_wait("/shifts")
        assert "Door-knocking Tebet" in listing.text and "1 of 1 place free" in listing.text
        claimed = await ani.press(listing, 0, expect="edit")  # tap two: the list says yours
        assert claimed.answer.text == "✅ It's yours!"
        assert claimed.message is not None and "You're on this shift" in claimed.message.text
        assert "Door-knocking Tebet" in claimed.message.text
        assert claimed.message.button_texts == ["↩️ Release my place", "◀️ Back"]
        back = await ani.press(claimed.message, "◀️ Back", expect="edit")
        assert back.message is not None and "no open shifts" in back.message.text  # mine now

        full_list = await budi.send_and_wait("/shifts")
        assert "(full)" in full_list.button_texts[0]
        full = await budi.press(full_list, 0, expect="edit")
        assert full.message is not None and "is full" in full.message.text
        assert full.message.button_texts == ["⏳ Join the waitlist", "◀️ Back"]
        joined = await budi.press(full.message, "⏳ Join the waitlist", expect="edit")
        assert joined.message is not None and "number 1" in joined.message.text

        mine = await ani.send_and_wait("/my")
        assert "Door-knocking Tebet" in mine.text
        released = await ani.press(mine, "↩️ Release 1", expect="edit")
        assert released.message is not None and "released your place" in released.message.text

        await deliver(bot)
        offer = await budi.next_message()
        assert "A place freed up" in offer.text and "✅ Accept" in offer.button_texts
        accepted = await budi.press(offer, "✅ Accept", expect="edit")
        assert accepted.message is not None and "The place is yours" in accepted.message.text

        async with bot.db() as session:
            signups = (await session.scalars(select(ShiftSignup.person_id))).all()
            budi_id = await session.scalar(select(Person.id).where(Person.telegram_id == 3))
            reminder = await session.scalar(select(OutboxMessage).where(
                OutboxMessage.kind == "shift.reminder", OutboxMessage.person_id == budi_id))
        assert signups == [budi_id]
        assert reminder is not None and reminder.due_at == T0 + timedelta(hours=20)

        clock.advance(hours=19)
        await deliver(bot)
        assert "Reminder" not in (budi.last_bot_message() or offer).text
        clock.advance(hours=1)  # 06:00 Friday: 2 h before the start (urgent, not held back)
        await deliver(bot)
        reminded = await budi.next_message()
        assert "your shift starts in 2 h" in reminded.text


async def test_guided_flow_bad_input_refusals_and_task_done(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    url = f"sqlite+aiosqlite:///{tmp_path / 'flow.sqlite3'}"
    async with start_harness(url, clock=clock) as bot:
        await seed(bot)
        admin = bot.admin
        ask_team = await admin.send_and_wait("/newshift")
        assert "which team" in ask_team.text
        ask_title = await admin.press(ask_team, "Jaksel")
        assert ask_title.message is not None and "title" in ask_title.message.text
        assert "When does it start" in (await admin.send_and_wait("Sweep Blok M")).text
        past = await admin.send_and_wait("kemarin 08:00")
        assert "already in the past" in past.text
        nonsense = await admin.send_and_wait("sometime")
        assert "couldn't read" in nonsense.text and "5 Dec 14:00" in nonsense.text
        assert "How long" in (await admin.send_and_wait("Sabtu 08:00")).text
        assert "end must be after" in (await admin.send_and_wait("Jumat 07:00")).text
        assert "How many places" in (await admin.send_and_wait("12:00")).text
        assert "1 to 10000" in (await admin.send_and_wait("0")).text
        assert "1 to 10000" in (await admin.send_and_wait("20000")).text
        assert "Where" in (await admin.send_and_wait("5")).text
        done = await admin.send_and_wait("Blok M")
        assert "Shift #1 created" in done.text and "5 of 5 places free" in done.text

        # A volunteer may not create shifts; nothing is created.
        ani = bot.user(2, "Ani")
        refused = await ani.send_and_wait("/newshift Jaksel | X | besok 08:00 | 3j | 5 | Y")
        assert "doesn't allow" in refused.text
        usage = await admin.send_and_wait("/newshift Jaksel | only two")
        assert "Usage" in usage.text

        # Ani claims; Budi forges a release of Ani's place and is refused.
        listing = await ani.send_and_wait("/shifts")
        await ani.press(listing, 0, expect="edit")
        async with bot.db() as session:
            signup_id = await session.scalar(select(ShiftSignup.id))
        assert signup_id is not None
        budi = bot.user(3, "Budi")
        budi_list = await budi.send_and_wait("/shifts")
        forged = ReleaseSignup(signup_id).pack()
        assert "That isn't yours" in await forged_press(bot, 3, budi_list, forged)
        assert "no longer valid" in await forged_press(bot, 3, budi_list, "shr1:abc")
        async with bot.db() as session:
            assert await session.scalar(select(ShiftSignup.id)) == signup_id

        # Tasks: create in one line, claim in two taps, done with an outcome.
        made = await admin.send_and_wait("/newtask Jaksel | Door-knock RT 05 | besok 17:00 | 2")
        assert "Task #1 created" in made.text
        tasks = await ani.send_and_wait("/tasks")
        claimed = await ani.press(tasks, 0, expect="edit")
        assert claimed.message is not None and "The task is yours" in claimed.message.text
        finished = await ani.send_and_wait("/done 40 doors warm welcome")
        assert "done: 40 doors" in finished.text
        async with bot.db() as session:
            outcome = await session.scalar(select(TaskOutcome))
        assert outcome is not None and (outcome.quantity, outcome.unit) == (40, "doors")
