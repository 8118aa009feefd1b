"""Webhook push mode: deliver pending updates to the bot's HTTP endpoint like Telegram does.

Production runs the bot behind a webhook, so the sandbox pushes too: one POST per update
with the secret header, at most `max_connections` at once, in update_id order within a chat
(a chat's next update waits until the previous one was accepted), and redelivery after a
non-2xx answer, a connection error or a timeout.  Only loopback URLs are accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from sandbox.errors import bad_request
from sandbox.world import SandboxWorld, update_chat_id

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_SECRET_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass
class WebhookSettings:
    """Sandbox knobs (Telegram's own values are not configurable): how long a delivery may
    take before it counts as failed, and how long a failed update waits before redelivery."""

    timeout_seconds: float = 10.0
    retry_backoff_seconds: float = 0.2


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    ip_address: str = "127.0.0.1"
    extra: dict[str, Any] = field(default_factory=dict)


def check_webhook(url: str, secret_token: str | None, max_connections: int | None) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("bad webhook: invalid webhook URL specified")
    if parts.hostname not in _LOOPBACK_HOSTS:
        raise bad_request("bad webhook: the sandbox delivers only to loopback addresses")
    if secret_token is not None and (
        not 1 <= len(secret_token) <= 256 or not set(secret_token) <= _SECRET_CHARS
    ):
        raise bad_request("secret token contains unallowed characters")
    if max_connections is not None and not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")


class WebhookPusher:
    def __init__(self, world: SandboxWorld, settings: WebhookSettings) -> None:
        self.world = world
        self.settings = settings
        self.config: WebhookConfig | None = None
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.delivered = 0
        self.failed = 0
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._busy_chats: set[int | None] = set()
        self._closed = False

    def set(self, config: WebhookConfig) -> None:
        self.config = config
        self._closed = False
        self.last_error_date = None
        self.last_error_message = None
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        self.world.updates_signal.fire()

    def clear(self) -> None:
        self.config = None
        self.world.updates_signal.fire()

    async def close(self) -> None:
        self.config = None
        self._closed = True  # ends `_run` even if its cancellation were lost
        self.world.updates_signal.fire()
        tasks = [t for t in (self._task, *self._inflight.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        while not self._closed:
            self._dispatch()
            await self.world.updates_signal.wait(3600)

    def _dispatch(self) -> None:
        config = self.config
        if config is None:
            return
        for update_id, update in self.world.updates.items():
            if len(self._inflight) >= config.max_connections:
                break
            if update_id in self._inflight:
                continue
            chat_key = update_chat_id(update)
            if chat_key in self._busy_chats:
                continue  # keeps per-chat order: this chat's earlier update is in flight
            self._busy_chats.add(chat_key)
            self._inflight[update_id] = asyncio.get_running_loop().create_task(
                self._deliver(config, update_id, update, chat_key)
            )

    async def _deliver(
        self, config: WebhookConfig, update_id: int, update: dict[str, Any], chat_key: int | None
    ) -> None:
        try:
            error = await self._post(config, update)
            if error is None:
                self.world.updates.pop(update_id, None)
                self.delivered += 1
            else:
                self.failed += 1
                self.last_error_date = int(time.time())
                self.last_error_message = error
                # The chat stays busy during the backoff so its later updates cannot overtake.
                await asyncio.sleep(self.settings.retry_backoff_seconds)
        finally:
            self._inflight.pop(update_id, None)
            self._busy_chats.discard(chat_key)
            self.world.updates_signal.fire()

    async def _post(self, config: WebhookConfig, update: dict[str, Any]) -> str | None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {}
        if config.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = config.secret_token
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        try:
            async with self._session.post(
                config.url, json=update, headers=headers, timeout=timeout
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as error:
            return f"Connection error: {type(error).__name__}"
