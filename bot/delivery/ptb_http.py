"""PTB's HTTP on aiohttp: every Bot API call the application makes, polling included.

Why: PTB's default `HTTPXRequest` cost ~1.6 ms of CPU per request on this machine (httpx,
httpcore's pool scan, anyio), against ~0.13 ms for aiohttp's client with its C parser,
which the sandbox, the webhook server and the outbox already use.  PTB keeps everything
else: it builds the request parameters, checks the answer and raises its own errors
(`BaseRequest._request_wrapper`: RetryAfter, Forbidden, BadRequest, ...), and parses
updates and messages.  Only the transport changes.

Bodies are JSON (the Bot API accepts it for every method) or multipart when a file is
uploaded, as PTB's own request does.  A proxy in the environment is honoured.
"""

from __future__ import annotations

import asyncio
import urllib.request
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

JSON_HEADERS = {"Content-Type": "application/json", "User-Agent": BaseRequest.USER_AGENT}


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` on one aiohttp keep-alive pool (created in the running loop)."""

    def __init__(
        self,
        *,
        connections: int = 64,
        read_timeout: float = 5.0,
        write_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        media_write_timeout: float = 20.0,
    ) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections, keepalive_timeout=30),
                # Only when a proxy is configured: with trust_env aiohttp also looks for a
                # ~/.netrc in a worker thread on every request (measured: a third of the
                # bot's busy time under a crowd).
                trust_env=bool(urllib.request.getproxies()),
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            await self.initialize()
        assert self._session is not None
        files = request_data is not None and request_data.contains_files
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        write = (
            (self._media_write_timeout if files else self._write_timeout)
            if isinstance(write_timeout, DefaultValue)
            else write_timeout
        )
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        # aiohttp has no separate write timeout: the whole call is bounded by both.
        total = None if read is None else read + (write or 0.0) + (connect or 0.0)
        timeout = aiohttp.ClientTimeout(total=total, connect=connect, sock_read=read)
        body: Any = None
        headers: dict[str, str] = {"User-Agent": self.USER_AGENT}
        if request_data is not None and files:
            body = _multipart(request_data)
        elif request_data is not None:
            body = request_data.json_payload
            headers = JSON_HEADERS
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as answer:
                return answer.status, await answer.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except asyncio.CancelledError:
            raise
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _multipart(request_data: RequestData) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, part in request_data.multipart_data.items():
        filename, content, *rest = part
        mimetype = rest[0] if rest else "application/octet-stream"
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
