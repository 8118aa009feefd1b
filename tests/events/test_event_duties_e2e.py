"""An event's duties ("roles" on screen) end to end: the real Application over HTTP
against the sandbox.

A coordinator creates an event, adds a role from its card in a few taps, a volunteer says
Going, is offered the role and claims it in one tap, and the card shows 1/4.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.clock import FrozenClock
from models import Shift, ShiftSignup
from tests.conftest import T0
from tests.events.test_events_e2e import START
from tests.support.harness import deliver, forged_press, start_harness


async def test_add_a_duty_from_the_card_and_claim_it_after_going(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    url = f"sqlite+aiosqlite:///{tmp_path / 'roles.sqlite3'}"
    async with start_harness(url, clock=clock) as bot:
        admin = bot.admin
        ani = bot.user(2, "Ani", "en", username="ani")
        for who in (admin, ani):
            ask = await who.send_and_wait("/start")
            await who.press(ask, 1, expect="edit")
        await admin.send_and_wait("/team create Jaksel")
        await admin.send_and_wait("/team add Jaksel @ani")
        card = await admin.send_and_wait(
            "/newevent Rally | 2026-11-29 10:00 | 3h | GOR Senayan | Jaksel | 50"
        )
        assert "➕ Role/shift for this event" in card.button_texts

        # The card's button: name the role, "same time as the event?" → Yes, how many places.
        ask_name = await admin.press(card, "➕ Role/shift for this event", expect="message")
        assert ask_name.message is not None and "New role for" in ask_name.message.text
        assert "Rally" in ask_name.message.text
        same = await admin.send_and_wait("Registration desk")
        assert "Same time as the event" in same.text
        places = await admin.press(same, "✅ Yes, same time", expect="edit")
        assert places.message is not None and "How many places" in places.message.text
        created = await admin.send_and_wait("4")
        assert "Shift #1 created" in created.text and "role of event #1" in created.text
        assert "GOR Senayan" in created.text  # the event's place, not asked again
        assert "➕ Another role for this event" in created.button_texts

        # Another role, at a time of its own: a start far from the event is refused at once and
        # asked again; a set-up slot the morning before is fine.
        await admin.press(created, "➕ Another role for this event", expect="message")
        await admin.send_and_wait("Set-up crew")
        refused = await admin.send_and_wait("2026-12-10 09:00")
        assert "at most one day" in refused.text
        ask_end = await admin.send_and_wait("2026-11-28 16:00")
        assert "How long" in ask_end.text
        await admin.send_and_wait("3h")
        setup = await admin.send_and_wait("2")
        assert "Shift #2 created" in setup.text and "Set-up crew" in setup.text

        # The one-liner names the event at the end; outside the event's window it is refused.
        far = await admin.send_and_wait(
            "/newshift - | Security | 2026-12-10 09:00 | 4h | 2 | GOR | event:1"
        )
        assert "at most one day" in far.text
        bad = await admin.send_and_wait(
            "/newshift - | Security | 2026-11-29 09:00 | 4h | 2 | GOR | event:soon"
        )
        assert "event:12" in bad.text
        # A forged button for an event that doesn't exist changes nothing.
        assert "no event number 999" in await forged_press(bot, 1, card, "dua1:999")
        async with bot.db() as session:
            desk, setup_row = (await session.scalars(select(Shift).order_by(Shift.id))).all()
            assert (desk.title, desk.event_id, desk.capacity) == ("Registration desk", 1, 4)
            assert (setup_row.title, setup_row.event_id, setup_row.team_id) == ("Set-up crew", 1, 1)
            assert (desk.starts_at, desk.team_id) == (START, 1)

        # Ani is invited, says Going and is offered the role with a claim button.
        pick = await admin.press(card, "📣 Invite", expect="message")
        assert pick.message is not None
        await admin.press(pick.message, "Jaksel", expect="edit")
        await deliver(bot)
        invite = await ani.next_message()
        assert "Roles" in invite.text and "Registration desk 0/4" in invite.text
        going = await ani.press(invite, "✅ Going", expect="edit")
        assert going.message is not None
        assert "Want to help?" in going.message.text
        assert "Registration desk" in going.message.text and "4 of 4 places left" in (
            going.message.text
        )
        # The set-up slot (the day before, still ahead) is offered too.
        assert "✋ Set-up crew" in going.message.button_texts
        claimed = await ani.press(going.message, "✋ Registration desk", expect="edit")
        assert claimed.message is not None and "You're on this shift" in claimed.message.text
        async with bot.db() as session:
            signup = (await session.scalars(select(ShiftSignup))).one()
            assert (signup.shift_id, signup.person_id) == (desk.id, 2)

        # The coordinator's card now shows the role 1/4.
        listing = await admin.send_and_wait("/events")
        card2 = await admin.press(listing, "📅 1", expect="edit")
        assert card2.message is not None
        assert "Set-up crew 0/2 · Registration desk 1/4" in card2.message.text
