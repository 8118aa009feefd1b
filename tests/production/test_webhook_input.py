"""The webhook endpoint refuses bad calls and handles each update once (SQLite, in-process).

The real Application is wired to the real aiohttp webhook app; requests come over HTTP
as Telegram (or an attacker) would send them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.app import GotongApp, build_application, running
from bot.db import create_engine, create_sessionmaker
from bot.webhook import SECRET_HEADER, make_webhook_app
from models import ProcessedUpdate
from sandbox import SandboxClient, SandboxServer
from tests.support.databases import create_schema
from tests.support.harness import test_settings as harness_settings

SECRET = "right-secret"
PATH = "/tg/hook"


@dataclass
class Endpoint:
    url: str
    app: GotongApp
    sandbox: SandboxServer
    http: aiohttp.ClientSession

    async def post(self, body: bytes, secret: str | None = SECRET) -> int:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        async with self.http.post(self.url, data=body, headers=headers) as response:
            return response.status

    async def handled(self) -> int:
        async with create_sessionmaker(self.app.bot_data.engine)() as session:  # type: ignore[arg-type]
            return int(await session.scalar(select(func.count()).select_from(ProcessedUpdate)) or 0)


@pytest.fixture
async def endpoint(sqlite_url: str) -> AsyncIterator[Endpoint]:
    sandbox = SandboxServer()
    await sandbox.start()
    engine = create_engine(sqlite_url)
    await create_schema(engine)
    app = build_application(harness_settings(sqlite_url, sandbox), engine=engine)
    runner = web.AppRunner(make_webhook_app(app, path=PATH, secret=SECRET))
    try:
        async with running(app, polling=False):
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            async with aiohttp.ClientSession() as http:
                yield Endpoint(f"http://127.0.0.1:{port}{PATH}", app, sandbox, http)
            await runner.cleanup()
    finally:
        await sandbox.stop()


def message_update(update_id: int, user_id: int, text: str) -> bytes:
    user = {"id": user_id, "is_bot": False, "first_name": f"U{user_id}", "language_code": "en"}
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 1_790_000_000,
                "chat": {"id": user_id, "type": "private", "first_name": user["first_name"]},
                "from": user,
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
            },
        }
    ).encode()


async def test_wrong_or_missing_secret_is_403_and_nothing_is_processed(
    endpoint: Endpoint,
) -> None:
    body = message_update(1, 42, "/me")
    assert await endpoint.post(body, secret=None) == 403
    assert await endpoint.post(body, secret="wrong-secret") == 403
    assert await endpoint.handled() == 0
    assert endpoint.sandbox.stats.calls["sendMessage"] == 0


_CHAT = '"chat": {"id": 7, "type": "private"}'


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'{"update_id": "x"}',
        b'{"message": {}}',
        b"",
        # Used to reach PTB's de_json or a handler and answer 500 (or crash it):
        b'{"update_id": 1, "message": "x"}',
        b"[" * 100_000 + b"]" * 100_000,  # RecursionError in json.loads
        b'{"update_id": 1, "callback_query": [1]}',
        b'{"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": "x"}}',
        b'{"update_id": 1, "message": {"message_id": 1, "date": 1, ' + _CHAT.encode()
        + b', "text": {"a": 1}}}',
        b'{"update_id": 1, "message": {"message_id": 1, "date": 1, ' + _CHAT.encode()
        + b', "entities": "x"}}',
        b'{"update_id": 1, "message": {"message_id": "1", "date": 1, ' + _CHAT.encode() + b"}}",
        b'{"update_id": true}',
    ],
)
async def test_malformed_body_is_400_logged_and_nothing_is_processed(
    endpoint: Endpoint, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.webhook"):
        assert await endpoint.post(body) == 400
    assert "malformed webhook body" in caplog.text
    assert await endpoint.handled() == 0
    assert endpoint.sandbox.stats.calls["sendMessage"] == 0


async def test_a_redelivered_update_is_answered_but_handled_once(endpoint: Endpoint) -> None:
    client = SandboxClient(endpoint.sandbox)
    ani = client.user(7, first_name="Ani", language_code="en")
    await ani.send("/me")  # makes the chat known to the sandbox; nobody pulls it (no webhook)
    body = message_update(500, 7, "/tz wita")  # a write: it records the update
    assert await endpoint.post(body) == 200
    assert await endpoint.post(body) == 200  # Telegram retried: same update_id
    assert await endpoint.handled() == 1
    replies = ani.bot_messages()
    assert len(replies) == 1 and "Asia/Makassar" in replies[0].text


async def test_a_redelivered_read_only_update_is_answered_again(endpoint: Endpoint) -> None:
    # The documented choice (bot/ops/dedup.py): a read changes nothing, so it leaves no row
    # and a redelivery answers once more, with the same answer.
    client = SandboxClient(endpoint.sandbox)
    ani = client.user(6, first_name="Ani", language_code="en")
    await ani.send("/me")
    body = message_update(400, 6, "/me")
    assert await endpoint.post(body) == 200
    assert await endpoint.post(body) == 200
    assert await endpoint.handled() == 0
    first, second = ani.bot_messages()
    assert first.text == second.text


async def test_update_for_an_unknown_chat_is_handled_sanely(endpoint: Endpoint) -> None:
    # Nobody the sandbox knows: the reply fails ("chat not found"), the error handler logs
    # it, the update counts as handled (no redelivery storm) and the endpoint stays up.
    assert await endpoint.post(message_update(900, 987654321, "/me")) == 200
    client = SandboxClient(endpoint.sandbox)
    ani = client.user(8, first_name="Ani", language_code="en")
    await ani.send("/me")
    assert await endpoint.post(message_update(901, 8, "/help")) == 200
    assert "/me" in ani.bot_messages()[-1].text


async def test_health_and_metrics_describe_the_replica(endpoint: Endpoint) -> None:
    client = SandboxClient(endpoint.sandbox)
    await client.user(9, first_name="Ani", language_code="en").send("/me")
    assert await endpoint.post(message_update(950, 9, "/me")) == 200
    assert await endpoint.post(b"{oops") == 400
    base = endpoint.url.removesuffix(PATH)
    async with endpoint.http.get(f"{base}/healthz") as response:
        health = await response.json()
    assert response.status == 200
    assert health["ok"] and health["role"] == "leader" and health["database"] == "ok"
    assert health["outbox_lag_seconds"] == 0
    async with endpoint.http.get(f"{base}/metrics") as response:
        text = await response.text()
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert 'gotong_updates_total{outcome="handled"}' in text
    assert 'gotong_updates_total{outcome="malformed"}' in text
    assert "# TYPE gotong_update_handling_seconds histogram" in text
    assert 'gotong_update_handling_seconds_bucket{le="+Inf"}' in text
    assert "# TYPE gotong_telegram_429_total counter" in text
