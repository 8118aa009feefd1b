"""Webhook push: secret header, per-chat order, redelivery after failures, 409 for polling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Conflict

from sandbox import SandboxClient, SandboxServer
from sandbox.signals import Signal


class Receiver:
    """A bot-side webhook endpoint that fails its first `failures` requests with 500."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.seen: list[tuple[str | None, dict[str, Any]]] = []
        self.accepted: list[dict[str, Any]] = []
        self.signal = Signal()
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.seen.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), body))
        self.signal.fire()
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=500)
        self.accepted.append(body)
        return web.Response(status=200)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hook"

    async def stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def wait_accepted(self, count: int) -> None:
        done = await self.signal.wait_for(lambda: len(self.accepted) >= count or None, 5)
        assert done, f"accepted {len(self.accepted)} of {count}"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver(failures=1)
    await hook.start()
    yield hook
    await hook.stop()


async def test_push_with_secret_and_redelivery(
    server: SandboxServer, bot: Bot, client: SandboxClient, receiver: Receiver
) -> None:
    server.set_webhook_settings(retry_backoff_seconds=0.01)
    await bot.set_webhook(receiver.url, secret_token="s3cret", max_connections=5)
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    ana, budi = client.user(1, "Ana"), client.user(2, "Budi")
    for i in range(3):
        await ana.send(f"ana {i}")
        await budi.send(f"budi {i}")
    await receiver.wait_accepted(6)
    assert {secret for secret, _ in receiver.seen} == {"s3cret"}
    assert len(receiver.seen) == 7  # the first delivery failed and was redelivered
    texts_for = {
        name: [u["message"]["text"] for u in receiver.accepted if name in u["message"]["text"]]
        for name in ("ana", "budi")
    }
    assert texts_for == {"ana": ["ana 0", "ana 1", "ana 2"], "budi": ["budi 0", "budi 1", "budi 2"]}
    info = await bot.get_webhook_info()
    assert info.url == receiver.url and info.pending_update_count == 0
    assert info.max_connections == 5
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert await bot.delete_webhook()
    await ana.send("polling again")
    assert [u.message.text for u in await bot.get_updates() if u.message] == ["polling again"]


async def test_unreachable_webhook_keeps_updates_pending(
    server: SandboxServer, bot: Bot, client: SandboxClient
) -> None:
    server.set_webhook_settings(retry_backoff_seconds=0.01)
    await bot.set_webhook("http://127.0.0.1:9/nobody-listens")
    await client.user(1).send("are you there?")
    failed = await server.world.updates_signal.wait_for(
        lambda: server.webhook_info.failed or None, 5
    )
    assert failed
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1 and info.last_error_message == "Connection refused"
    await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_only_loopback_webhooks(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="loopback"):
        await bot.set_webhook("https://example.com/hook")
    with pytest.raises(BadRequest, match=r"(?i)secret token"):
        await bot.set_webhook("http://127.0.0.1:8443/hook", secret_token="no spaces allowed")


async def test_slow_webhook_times_out_and_is_redelivered(
    server: SandboxServer, bot: Bot, client: SandboxClient
) -> None:
    release = asyncio.Event()
    calls: list[int] = []
    got = Signal()

    async def handle(request: web.Request) -> web.Response:
        calls.append((await request.json())["update_id"])
        got.fire()
        if len(calls) == 1:
            await release.wait()  # longer than the sandbox's webhook timeout
        return web.Response()

    app = web.Application()
    app.router.add_post("/slow", handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        server.set_webhook_settings(timeout_seconds=0.05, retry_backoff_seconds=0.01)
        await bot.set_webhook(f"http://127.0.0.1:{runner.addresses[0][1]}/slow")
        await client.user(1).send("slow")
        assert await got.wait_for(lambda: len(calls) >= 2 or None, 5)
        assert calls[0] == calls[1]
        assert (await bot.get_webhook_info()).last_error_message == "Read timeout expired"
    finally:
        release.set()
        await runner.cleanup()
