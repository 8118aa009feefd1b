"""Keep-alive HTTP/1.1 lanes for the outbox's JSON calls to the Bot API.

Why not httpx (PTB's client): measured in paid mode (1000 msg/s on this 2-core machine),
httpx + httpcore + h11 took ~0.75 ms of CPU per `sendMessage`, over 80 % of the bot's
busy time, and the bot has about one core.  A lane is one connection that writes a
request and reads one answer: a fraction of that.  It does only what the outbox needs:
POST with a JSON body, answers with Content-Length or chunked bodies, TLS for https,
`Connection: close` honoured.  A proxy configured in the environment is not supported:
`usable()` says so and the sender then goes through PTB as before.

A lane is never reused after anything went wrong on it (timeout, cancel, reset): the
request may or may not have reached Telegram, so the caller treats it as transient.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.request
from urllib.parse import urlsplit

MAX_HEADER_BYTES = 64 * 1024


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


class _Lane:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @property
    def stale(self) -> bool:
        # The server closed an idle keep-alive connection: the reader saw EOF.
        return self.writer.is_closing() or self.reader.at_eof()

    def close(self) -> None:
        self.writer.close()

    async def exchange(self, request: bytes) -> tuple[int, bytes, bool]:
        """Writes one request, reads its answer: (status, body, connection reusable)."""
        self.writer.write(request)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status_line = lines[0].split(b" ", 2)
        if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/1."):
            raise LaneError(f"not an HTTP answer: {lines[0][:80]!r}")
        status = int(status_line[1])
        length: int | None = None
        chunked = False
        keep = status_line[0] == b"HTTP/1.1"
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                token = value.strip().lower()
                if token in (b"close", b"keep-alive"):
                    keep = token == b"keep-alive"
        if chunked:
            body = await self._chunks()
        elif length is not None:
            body = await self.reader.readexactly(length)
        else:  # no framing: the body runs to the end of the connection
            body = await self.reader.read()
            keep = False
        return status, body, keep

    async def _chunks(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size_line = await self.reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while await self.reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                    pass
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


class Lanes:
    """Idle connections to one Bot API server; a call takes one (or opens one) and gives it
    back, so there are as many as calls run at once (the dispatcher's workers)."""

    def __init__(self, base_url: str, *, timeout: float, connect_timeout: float = 5.0) -> None:
        parts = urlsplit(base_url)
        self.tls = parts.scheme == "https"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (443 if self.tls else 80)
        self.prefix = parts.path.rstrip("/")
        default_port = (self.tls and self.port == 443) or (not self.tls and self.port == 80)
        self.host_header = self.host if default_port else f"{self.host}:{self.port}"
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._ssl = ssl.create_default_context() if self.tls else None
        self._idle: list[_Lane] = []

    async def post_json(self, method: str, body: bytes) -> tuple[int, bytes]:
        """POSTs `body` to `<base_url>/<method>`; returns the status and the answer's body."""
        request = (
            f"POST {self.prefix}/{method} HTTP/1.1\r\nHost: {self.host_header}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: keep-alive\r\n\r\n"
        ).encode("ascii") + body
        lane = await self._take()
        try:
            async with asyncio.timeout(self.timeout):
                status, payload, keep = await lane.exchange(request)
        except BaseException as exc:
            lane.close()
            if isinstance(exc, TimeoutError):
                raise LaneTimeout(f"no answer within {self.timeout:g} s") from exc
            if isinstance(exc, OSError | asyncio.IncompleteReadError | asyncio.LimitOverrunError
                          | ValueError):
                raise LaneError(f"{type(exc).__name__}: {exc}") from exc
            raise
        if keep:
            self._idle.append(lane)
        else:
            lane.close()
        return status, payload

    async def _take(self) -> _Lane:
        while self._idle:
            lane = self._idle.pop()
            if not lane.stale:
                return lane
            lane.close()
        try:
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await asyncio.open_connection(
                    self.host,
                    self.port,
                    ssl=self._ssl,
                    server_hostname=self.host if self.tls else None,
                    limit=MAX_HEADER_BYTES,
                )
        except TimeoutError as exc:
            raise LaneTimeout(f"connecting took over {self.connect_timeout:g} s") from exc
        except OSError as exc:
            raise LaneError(f"{type(exc).__name__}: {exc}") from exc
        return _Lane(reader, writer)

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for lane in idle:
            lane.close()
