"""Times shown to someone on another zone than the campaign's carry the zone's label
("11:00 WITA"); the campaign's own zone stays unlabelled (issue #17), in both languages,
in replies and in messages the outbox writes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.config import Settings
from bot.views.i18n import I18n
from bot.views.outbox import OutboxRendering
from models import Shift
from tests.conftest import T0
from tests.support.harness import BotHarness, start_harness


async def seed_shift(bot: BotHarness) -> None:
    starts = T0 + timedelta(days=2)  # Saturday 10:00 WIB, 11:00 WITA
    async with bot.db.begin() as session:
        session.add(Shift(title="Door-knocking", place="Pasar", starts_at=starts,
                          ends_at=starts + timedelta(hours=3), capacity=3, taken=0,
                          created_at=T0, updated_at=T0))


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_times_carry_the_zone_only_off_the_campaign_zone(
    tmp_path: Path, lang: str
) -> None:
    sep = ":" if lang == "en" else "."
    url = f"sqlite+aiosqlite:///{tmp_path / 'zones.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        await seed_shift(bot)
        dewi, budi = bot.user(5, "Dewi", lang), bot.user(6, "Budi", lang)
        await budi.send_and_wait("/start")
        at_home = await budi.send_and_wait("/tz")
        home_list = await budi.send_and_wait("/shifts")
        await dewi.send_and_wait("/start")
        moved = await dewi.send_and_wait("/tz wita")
        wita_list = await dewi.send_and_wait("/shifts")
        back = await dewi.send_and_wait("/tz wib")  # the campaign's zone, chosen by name
    assert f"10{sep}00" in at_home.text and "WIB" not in at_home.text
    assert f"10{sep}00–13{sep}00" in home_list.text and "WIB" not in home_list.text
    assert f"11{sep}00 WITA" in moved.text
    assert f"11{sep}00–14{sep}00 WITA" in wita_list.text
    assert any(f"11{sep}00 WITA" in label for label in wita_list.button_texts)
    assert not any("WI" in label for label in home_list.button_texts)
    assert f"10{sep}00" in back.text and "WIB" not in back.text


@pytest.mark.parametrize("lang", ["en", "id"])
def test_outbox_messages_carry_the_zone_too(lang: str) -> None:
    settings = Settings(_env_file=None, timezone="Asia/Jakarta")  # type: ignore[call-arg]
    rendering = OutboxRendering(I18n(), settings, {})
    sep = ":" if lang == "en" else "."
    assert rendering.reader(lang, "Asia/Makassar", T0).when(T0).endswith(f"11{sep}00 WITA")
    assert rendering.reader(lang, "Asia/Jayapura", T0).when(T0).endswith(f"12{sep}00 WIT")
    assert rendering.reader(lang, None, T0).when(T0).endswith(f"10{sep}00")
