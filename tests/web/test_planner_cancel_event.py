"""Cancelling an event in the planner takes the RSVP buttons off the invitations already
delivered, exactly as the chat's "Yes, cancel" does (both through
`bot.delivery.sender.take_off_keyboards`), and the invited are told it is off."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from models import Event, EventStatus
from tests.support.harness import deliver, fresh, start_harness
from tests.web.support import web_client


async def test_web_cancel_strips_the_delivered_invitations(tmp_path: Path) -> None:
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'c.sqlite3'}") as bot:
        admin = bot.admin
        ani = bot.user(2, "Ani", "en", username="ani")
        for who in (admin, ani):
            ask = await who.send_and_wait("/start")
            await who.press(ask, 1, expect="edit")
        await admin.send_and_wait("/team create Jaksel")
        await admin.send_and_wait("/team add Jaksel @ani")
        card = await admin.send_and_wait("/newevent Rally | 2026-11-29 10:00 | 3h | GOR | Jaksel")
        pick = await admin.press(card, "📣 Invite", expect="message")
        assert pick.message is not None
        await admin.press(pick.message, "Jaksel", expect="edit")
        await deliver(bot)
        invite = await ani.next_message()
        assert "Rally" in invite.text and "✅ Going" in invite.button_texts

        async with web_client(bot) as web:
            week = await web.call("GET", "/api/planner?start=2026-11-23", user=admin.user_id)
            [event] = week.body["events"]
            done = await web.call("POST", f"/api/events/{event['id']}/cancel",
                                  user=admin.user_id, body={"version": event["version"]})
            assert done.status == 200, done.body
            assert done.body["cancelled"] is True and done.body["told"] == 1

        # Ani's invitation has no buttons any more, and she is told the event is off.
        assert fresh(ani, invite).button_texts == []
        # The web's write is stamped a microsecond after the frozen clock (its version).
        bot.clock.advance(seconds=1)
        await deliver(bot)
        notice = await ani.next_message()
        assert "Rally" in notice.text and "cancel" in notice.text.lower()
        async with bot.db() as session:
            status = await session.scalar(select(Event.status))
            assert status == EventStatus.CANCELLED
