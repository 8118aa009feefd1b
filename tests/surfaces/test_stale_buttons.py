"""A button no handler knows is answered, in the person's language (issue #17).

Without an answer the person's app keeps its spinner running and nothing tells them why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import FrozenClock
from tests.conftest import T0
from tests.support.harness import forged_press, start_harness
from tests.surfaces.plain import assert_plain

NO_LONGER_VALID = {"en": "This button is no longer valid.", "id": "Tombol ini sudah tidak berlaku."}


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_a_button_nobody_handles_gets_no_longer_valid(tmp_path: Path, lang: str) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'stale.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        ani = bot.user(2, "Ani", lang)
        menu = await ani.send_and_wait("/lang")  # any message with a keyboard to press on
        assert menu.buttons
        # An old version's prefix, a made-up one, and data with no prefix at all.
        for data in ("oldfeature:x:1", "zz", "::"):
            answer = await forged_press(bot, 2, menu, data)
            assert answer == NO_LONGER_VALID[lang]
            assert_plain(answer)
        assert bot.sandbox.world.pending_callbacks == {}
        # The message pressed on is left as it was.
        assert bot.sandbox.world.message(menu.chat_id, menu.message_id).text == menu.text
