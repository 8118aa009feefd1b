"""Keep-alive HTTP for the outbox's JSON calls to the Bot API, on aiohttp's client.

Why not httpx (PTB's client): measured against the sandbox on this 2-core machine,
httpx cost ~1.6 ms of CPU per `sendMessage` and its shared pool scan was most of the
bot's busy time in paid mode (1000 msg/s); aiohttp's client, with its C HTTP parser,
costs ~0.13 ms, and aiohttp is already here for the sandbox and the webhook server.
(A hand-written HTTP/1.1 client measured ~0.07 ms: not worth owning an HTTP parser.)
The outbox needs only POST with a JSON body and the status and body of the answer.

A proxy configured in the environment: `usable()` says no and the sender goes through
PTB, which knows its proxy settings.  A call that failed or timed out may or may not
have reached Telegram, so the caller treats it as transient.
"""

from __future__ import annotations

import urllib.request
from urllib.parse import urlsplit

import aiohttp

MAX_CONNECTIONS = 64  # well above the dispatcher's sender workers


class LaneError(Exception):
    """The connection failed or the answer was not HTTP we understand."""


class LaneTimeout(LaneError):
    """No complete answer within the timeout."""


def usable(base_url: str) -> bool:
    """False when the environment routes this URL through a proxy (then PTB sends)."""
    parts = urlsplit(base_url)
    proxies = urllib.request.getproxies()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return True
    return bool(urllib.request.proxy_bypass(parts.hostname or ""))


class Lanes:
    """Keep-alive connections to one Bot API server (aiohttp's pool), opened lazily."""

    def __init__(self, base_url: str, *, timeout: float, connect_timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout, connect=connect_timeout)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use: a ClientSession belongs to the running event loop.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS, keepalive_timeout=30),
                timeout=self.timeout,
                headers={"Content-Type": "application/json"},
            )
        return self._session

    async def post_json(self, method: str, body: bytes) -> tuple[int, bytes]:
        """POSTs `body` to `<base_url>/<method>`; returns the status and the answer's body."""
        try:
            async with self._client().post(f"{self.base_url}/{method}", data=body) as answer:
                return answer.status, await answer.read()
        except TimeoutError as exc:
            raise LaneTimeout(f"no answer within {self.timeout.total:g} s") from exc
        except aiohttp.ClientError as exc:
            raise LaneError(f"{type(exc).__name__}: {exc}") from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
