"""The browser chat page's own API (`sandbox.chat`), in-process over a real sandbox.

Its initData is signed exactly as Telegram signs it (the Mini App's validator accepts it
for the bot's token and refuses it for another), it lists the sandbox's people, proxies
only the user-side calls a person makes, and serves the files the bot sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web

from bot.web.initdata import InitDataError, validate
from sandbox import SandboxServer, UserSpec
from sandbox.chat import ChatPage, init_data
from tests.sandbox.conftest import TOKEN

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def test_init_data_is_signed_as_telegram_signs_it() -> None:
    signed = init_data({"id": 30, "first_name": "Ani", "language_code": "id"}, TOKEN, now=NOW)
    user = validate(signed, TOKEN, now=NOW, max_age=timedelta(hours=1))
    assert (user.id, user.first_name, user.language_code) == (30, "Ani", "id")
    with pytest.raises(InitDataError):
        validate(signed, "999:" + "x" * 35, now=NOW, max_age=timedelta(hours=1))


@pytest.fixture
async def page(server: SandboxServer) -> AsyncIterator[str]:
    runner = web.AppRunner(ChatPage(server, token=TOKEN, admin_id=7, now=lambda: NOW).app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_people_proxy_files_and_pages(server: SandboxServer, page: str) -> None:
    server.world.send_text(UserSpec(42, "Dewi", language_code="id"), "/start")
    stored = server.world.files.add(b"a,b\n", kind="document", file_name="r.csv",
                                    mime_type="text/csv")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{page}/api/people") as answer:
            people = await answer.json()
        assert [p["user_id"] for p in people["people"]] == [2, 3, 7, 42]
        assert people["bot"] == server.world.bot_username

        async with http.post(f"{page}/api/initdata", json={"user_id": 42, "first_name": "Dewi"}
                             ) as answer:
            signed = (await answer.json())["init_data"]
        assert validate(signed, TOKEN, now=NOW, max_age=timedelta(minutes=1)).id == 42

        async with http.post(f"{page}/api/proxy/messages", json={"chat_id": 42}) as answer:
            assert answer.status == 200
            assert (await answer.json())["result"][0]["text"] == "/start"
        async with http.post(f"{page}/api/proxy/reset", json={}) as answer:
            assert answer.status == 404  # knobs and resets stay with tests and benchmarks
        assert server.world.messages(42)

        async with http.get(f"{page}/api/file/{stored.file_id}", params={"name": "r.csv"}
                            ) as answer:
            assert await answer.read() == b"a,b\n"
            assert answer.content_type == "text/csv"
            assert "r.csv" in answer.headers["Content-Disposition"]
        async with http.get(f"{page}/api/file/nope") as answer:
            assert answer.status == 404

        async with http.get(f"{page}/") as answer:
            assert "chat.js" in await answer.text()
            assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
