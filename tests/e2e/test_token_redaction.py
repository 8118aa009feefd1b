"""The bot token leaks nowhere, even when a proxy echoes it in an HTML error page.

A proxy (or captive portal) in front of the Bot API answers sendMessage with its own
HTML page, status 200, echoing the request path: `Cannot POST /bot<token>/sendMessage`.
Before, that text became the outbox's failure reason (in the database), the broadcast's
"not delivered" list (shown to the admin) and the log (the sender's traceback, PTB's
"invalid JSON" line).  Now every stored, shown or logged error text goes through
`bot.redaction.redact`; the test searches the database's every column, the captured log
and every sandbox chat for the token.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import select

from bot.clock import FrozenClock
from bot.delivery.dispatcher import MAX_ATTEMPTS
from bot.logs import setup_logging
from models import Base
from tests.conftest import T0
from tests.support.harness import TOKEN, BotHarness, deliver, start_harness

SECRET = "hook-secret-7f3a9c"
SECRETS = (TOKEN, quote(TOKEN, safe=""), TOKEN.split(":")[1], SECRET)


async def database_text(bot: BotHarness) -> str:
    found = []
    async with bot.db() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                found.append(repr(tuple(row)))
    return "\n".join(found)


def chats_text(bot: BotHarness) -> str:
    world = bot.sandbox.world
    return "\n".join(
        f"{m.text} {m.caption if hasattr(m, 'caption') else ''} {m.button_texts}"
        for chat_id in list(world.chats)
        for m in world.messages(chat_id)
    )


async def test_an_html_error_page_echoing_the_token_leaks_it_nowhere(tmp_path: Path) -> None:
    log = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    setup_logging("DEBUG", stream=log)
    try:
        async with start_harness(
            f"sqlite+aiosqlite:///{tmp_path / 'leak.sqlite3'}",
            clock=FrozenClock(T0),
            webhook_secret=SECRET,
        ) as bot:
            for i in range(3):
                await bot.user(20 + i, f"Vol{i}", "en").send_and_wait("/start")
            admin = bot.admin
            await admin.send_and_wait("/broadcast")
            await admin.send_and_wait("Rapat relawan Sabtu jam 9")
            await admin.press(button="Everyone", expect="edit")
            await admin.press(button="✅ Send now", expect="edit")

            bot.sandbox.set_faults(html_error_rate=1.0, methods=frozenset({"sendmessage"}))
            for _ in range(MAX_ATTEMPTS):
                await deliver(bot)
                bot.clock.advance(hours=1)
            bot.sandbox.set_faults(html_error_rate=0.0)
            await deliver(bot)

            report = await admin.send_and_wait("/broadcasts")
            failures = await admin.press(report, button="#1: who did not get it", expect="message")
            assert failures.message is not None
            assert "not delivered" in failures.message.text
            # The reason is shown in the coordinator's words; Telegram's text stays for the logs.
            assert "too many retries" in failures.message.text

            stored = await database_text(bot)
            shown = chats_text(bot)
        logged = log.getvalue()
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    assert "Cannot POST" in stored and "Cannot POST" in logged  # the page was seen...
    for secret in SECRETS:  # ...and the token and the secret nowhere
        assert secret not in stored
        assert secret not in shown
        assert secret not in logged
