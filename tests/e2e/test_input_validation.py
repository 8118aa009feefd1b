"""Input that used to crash a handler is refused with the right message, and nothing changes.

`/tz Asia` made zoneinfo open a directory (IsADirectoryError), a 300-character name a
path too long (OSError): both answered "something went wrong".  The names are checked
against zoneinfo's own list first (bot/zones.py), in /tz and in the TIMEZONE setting.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.config import SettingsError, load_settings
from tests.conftest import T0
from tests.e2e.test_timezone import timezone_of
from tests.support.harness import start_harness


@pytest.mark.parametrize("name", ["Asia", "America", "Asia/" + "x" * 300, "../../etc/passwd"])
async def test_tz_names_zoneinfo_cannot_open_are_refused_kindly(
    tmp_path: Path, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with start_harness(
        f"sqlite+aiosqlite:///{tmp_path / 'tz.sqlite3'}", clock=FrozenClock(T0)
    ) as bot:
        dewi = bot.user(5, "Dewi", "en")
        with caplog.at_level(logging.ERROR):
            refused = await dewi.send_and_wait(f"/tz {name}")
        assert "I don't know the timezone" in refused.text, refused.text
        assert "something went wrong" not in refused.text
        assert "unhandled error" not in caplog.text
        assert await timezone_of(bot, 5) is None


@pytest.mark.parametrize("name", ["Asia", "x" * 300])
def test_a_timezone_setting_zoneinfo_cannot_open_is_a_clear_error(name: str) -> None:
    with pytest.raises(SettingsError, match="not a known IANA timezone"):
        load_settings(timezone=name, _env_file=None)
