"""/tz: a volunteer in Makassar reads times in WITA; bad names are refused, nothing changes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.clock import FrozenClock
from models import Person
from tests.conftest import T0
from tests.support.harness import BotHarness, start_harness


async def timezone_of(bot: BotHarness, telegram_id: int) -> str | None:
    async with bot.db() as session:
        return await session.scalar(
            select(Person.timezone).where(Person.telegram_id == telegram_id)
        )


async def test_volunteer_sets_wita_and_times_follow(tmp_path: Path) -> None:
    # T0 is 10:00 in Jakarta (WIB), 11:00 in Makassar (WITA), 12:00 in Jayapura (WIT).
    async with start_harness(
        f"sqlite+aiosqlite:///{tmp_path / 'tz.sqlite3'}", clock=FrozenClock(T0)
    ) as bot:
        dewi = bot.user(5, "Dewi", "en")
        shown = await dewi.send_and_wait("/tz")
        assert "Asia/Jakarta" in shown.text and "10:00" in shown.text
        assert shown.button_texts == ["WIB", "WITA", "WIT"]
        wita = await dewi.press(shown, "WITA", expect="edit")
        assert wita.message is not None and "Asia/Makassar" in wita.message.text
        assert "11:00" in wita.message.text
        assert await timezone_of(bot, 5) == "Asia/Makassar"

        wit = await dewi.send_and_wait("/tz wit")
        assert "Asia/Jayapura" in wit.text and "12:00" in wit.text
        refused = await dewi.send_and_wait("/tz Mars/Olympus")
        assert "Mars/Olympus" in refused.text and "WITA" in refused.text
        assert await timezone_of(bot, 5) == "Asia/Jayapura"

        again = await dewi.send_and_wait("/tz")
        back = await dewi.press(again, "↩️ The campaign's timezone", expect="edit")
        assert back.message is not None and "Asia/Jakarta" in back.message.text
        assert await timezone_of(bot, 5) is None
