"""/qr and the card's 🔳: the event's check-in code as a picture, for those who run the event
(the token is what lets people in), refused to volunteers and for a cancelled event."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.clock import FrozenClock
from models import Event
from tests.conftest import T0
from tests.support.harness import start_harness


async def test_the_qr_code_goes_to_organisers_only(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'qr.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        admin, ani = bot.admin, bot.user(2, "Ani", "en")
        for who in (admin, ani):
            ask = await who.send_and_wait("/start")
            await who.press(ask, 1, expect="edit")
        await admin.send_and_wait("/newevent Rally | 2026-11-29 10:00 | 3h | GOR")
        async with bot.db() as session:
            token = (await session.scalars(select(Event.checkin_token))).one()
        picture = await admin.send_and_wait("/qr 1")
        assert picture.photo and f"?start=checkin_{token}" in picture.text
        refused = await ani.send_and_wait("/qr 1")
        assert not refused.photo and token not in refused.text and "doesn't allow" in refused.text
        ask = await admin.send_and_wait("/cancelevent 1")
        await admin.press(ask, "Yes, cancel it", expect="edit")
        gone = await admin.send_and_wait("/qr 1")
        assert not gone.photo and "has been cancelled" in gone.text
