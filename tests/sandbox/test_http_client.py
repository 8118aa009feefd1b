"""HttpSandboxClient against a sandbox in another thread: same interface, over /sandbox/."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from sandbox import HttpSandboxClient, SandboxError, SandboxServer, SandboxTimeout
from tests.sandbox.conftest import TOKEN


class ThreadedSandbox:
    """A sandbox with its own event loop, as if it ran in another process."""

    def __init__(self) -> None:
        self.server = SandboxServer()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        await self.server.start()
        self._ready.set()
        await self._stop.wait()
        await self.server.stop()

    def __enter__(self) -> ThreadedSandbox:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


@pytest.fixture
def remote() -> Iterator[ThreadedSandbox]:
    with ThreadedSandbox() as sandbox:
        yield sandbox


@pytest.fixture
async def remote_bot(remote: ThreadedSandbox) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=remote.server.base_url) as tg:
        yield tg


async def test_http_client_sends_waits_and_presses(
    remote: ThreadedSandbox, remote_bot: Bot
) -> None:
    async with HttpSandboxClient(remote.server.url) as client:
        dewi = client.user(31, "Dewi", language_code="id")
        sent = await dewi.send("/start")
        assert sent.text == "/start" and sent.chat_id == 31
        update = (await remote_bot.get_updates())[-1]
        assert update.message is not None and update.message.from_user is not None
        assert update.message.from_user.first_name == "Dewi"

        waiting = asyncio.create_task(dewi.next_message(predicate=lambda m: "2" in m.text))
        await remote_bot.send_message(31, "reply 1")
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
        menu = await remote_bot.send_message(31, "reply 2", reply_markup=keyboard)
        assert (await waiting).text == "reply 2"
        assert [m.text for m in dewi.bot_messages()] == ["reply 1", "reply 2"]

        pressing = asyncio.create_task(dewi.press(button="OK", expect="edit"))
        query = None
        while query is None:  # drain updates until the press arrives (long poll, no sleep)
            for item in await remote_bot.get_updates(offset=update.update_id + 1, timeout=5):
                update = item
                query = item.callback_query or query
        await remote_bot.answer_callback_query(query.id, "Done")
        await remote_bot.edit_message_text("reply 2 (ok)", 31, menu.message_id)
        result = await pressing
        assert result.answer.text == "Done"
        assert result.message is not None and result.message.text == "reply 2 (ok)"

        await dewi.upload_document(b"x,y\n", "data.csv")
        assert dewi.messages()[-1].document is not None
        await client.set_faults(blocked_user_ids={31})
        assert remote.server.faults.blocked_user_ids == {31}
        await client.set_limits(enabled=True)
        assert remote.server.limits.enabled
        assert client.stats().calls["sendMessage"] == 2
        with pytest.raises(SandboxError, match="no button"):
            await dewi.press(menu.message_id, "Missing")
        with pytest.raises(SandboxTimeout):
            await dewi.next_message(timeout=0.05)
