"""Events end to end: the real Application over HTTP against the sandbox, with a moved clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from icalendar import Calendar
from sqlalchemy import select

from bot.clock import FrozenClock
from models import Event, EventRsvp, OutboxMessage, OutboxStatus
from tests.conftest import T0
from tests.support.harness import BotHarness, deliver, forged_press, start_harness

START = T0 + timedelta(days=3)  # Sunday 29 Nov 2026, 10:00 Jakarta


def document_bytes(bot: BotHarness, message: object) -> bytes:
    file_id = message.document["file_id"]  # type: ignore[attr-defined]
    stored = bot.sandbox.world.files.get(file_id)
    assert stored is not None
    return bytes(stored.content)


async def test_event_from_creation_to_no_shows(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    url = f"sqlite+aiosqlite:///{tmp_path / 'events.sqlite3'}"
    async with start_harness(url, clock=clock) as bot:
        admin = bot.admin
        ani = bot.user(2, "Ani", "en", username="ani")
        budi = bot.user(3, "Budi", "en", username="budi")
        for who in (admin, ani, budi):
            ask = await who.send_and_wait("/start")
            await who.press(ask, 1, expect="edit")
        await admin.send_and_wait("/team create Jaksel")
        await admin.send_and_wait("/team add Jaksel @ani")
        await admin.send_and_wait("/team add Jaksel @budi")

        # A volunteer may not create events; bad input gets the usage; nothing is stored.
        refused = await ani.send_and_wait("/newevent Rally | 2026-11-29 10:00 | 3h")
        assert "doesn't allow" in refused.text
        usage = await admin.send_and_wait("/newevent just a title")
        assert "/newevent Title" in usage.text
        past = await admin.send_and_wait("/newevent Rally | 2026-11-20 10:00 | 3h")
        assert "already past" in past.text
        async with bot.db() as session:
            assert (await session.scalars(select(Event))).all() == []

        card = await admin.send_and_wait(
            "/newevent Rally | 2026-11-29 10:00 | 3h | GOR Senayan @ -6.2183,106.8023 | Jaksel | 50"
        )
        assert "Event created" in card.text and "Rally" in card.text and "GOR Senayan" in card.text
        assert "📣 Invite" in card.button_texts
        pick = await admin.press(card, "📣 Invite", expect="message")
        assert pick.message is not None and "Jaksel" in pick.message.button_texts
        queued = await admin.press(pick.message, "Jaksel", expect="edit")
        assert "2 people" in queued.message.text  # type: ignore[union-attr]

        await deliver(bot)
        invite = await ani.next_message()
        assert "invited" in invite.text and "Rally" in invite.text
        going = await ani.press(invite, "✅ Going", expect="edit")
        assert "going to" in (going.answer.text or "")
        await deliver(bot)
        budi_invite = await budi.next_message()
        await budi.press(budi_invite, "✅ Going", expect="edit")

        # Forged buttons: an unknown event, a bad answer code; nothing changes.
        assert "no event number 999" in await forged_press(bot, 2, invite, "evr1:going:999")
        assert "no longer valid" in await forged_press(bot, 2, invite, "evr1:z:1")
        assert "doesn't allow" in await forged_press(bot, 2, invite, "evxy1:1")
        async with bot.db() as session:
            assert len((await session.scalars(select(EventRsvp))).all()) == 2
            event = (await session.scalars(select(Event))).one()
            token = event.checkin_token

        # /calendar gives a file an icalendar parser reads, times and alarm right.
        cal_msg = await ani.send_and_wait("/calendar")
        cal = Calendar.from_ical(document_bytes(bot, cal_msg))
        (vevent,) = cal.walk("VEVENT")
        assert vevent.decoded("DTSTART") == START and vevent.walk("VALARM")

        # The day before: everyone Going is asked to confirm (rows due at start - 24 h).
        clock.set(START - timedelta(hours=24))
        await deliver(bot)
        ask = await ani.next_message(predicate=lambda m: "still coming" in m.text)
        confirmed = await ani.press(ask, "👍 Confirm", expect="edit")
        assert "confirmed" in confirmed.message.text  # type: ignore[union-attr]
        async with bot.db() as session:
            sent = await session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.kind == "event.confirm", OutboxMessage.status == OutboxStatus.SENT
                )
            )
            assert {m.chat_id for m in sent} == {2, 3}

        # The coordinator's card shows confirmed / unconfirmed counts.
        listing = await admin.send_and_wait("/events")
        card2 = await admin.press(listing, "📅 1", expect="edit")
        assert "1 confirmed, 1 not yet" in card2.message.text  # type: ignore[union-attr]

        # Still silent after the nudge: the creator hears whom to phone.  Due 12 h before
        # the start (22:00 Jakarta), quiet hours hold it until 07:00.
        clock.set(START - timedelta(hours=12))
        await deliver(bot)
        async with bot.db() as session:
            held = await session.scalar(
                select(OutboxMessage).where(OutboxMessage.kind == "event.escalation")
            )
            assert held is not None and held.status == OutboxStatus.PENDING
        clock.set(START - timedelta(hours=3))
        await deliver(bot)
        escalation = await admin.next_message(predicate=lambda m: "going but" in m.text)
        assert "Budi" in escalation.text and "Ani" not in escalation.text

        # At the venue: the QR deep link checks Ani in; a wrong code changes nothing.
        clock.set(START + timedelta(minutes=10))
        bad = await ani.send_and_wait("/start checkin_wrongtoken")
        assert "not valid" in bad.text
        ok = await ani.send_and_wait(f"/start checkin_{token}")
        assert "checked in" in ok.text
        # A newcomer opening the link is registered first, then checked in (a walk-in).
        walk_in = bot.user(7, "Citra", "en")
        ok = await walk_in.send_and_wait(f"/start checkin_{token}")
        assert "checked in" in ok.text

        # After the end the sweep marks Budi (going, never came) as a no-show.
        clock.set(START + timedelta(hours=4))
        from bot.services.events.attendance import sweep_no_shows

        assert await sweep_no_shows(bot.db, now=clock.now()) == 1
        me = await budi.send_and_wait("/me")
        assert "no-shows: 1" in me.text
        roster = await admin.send_and_wait("/roster 1")
        csv_text = document_bytes(bot, roster).decode("utf-8-sig")
        assert "Budi,budi,going,no,no,yes" in csv_text
        assert "Ani,ani,going,yes,yes,no" in csv_text
