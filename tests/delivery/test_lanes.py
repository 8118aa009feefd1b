"""The outbox's own HTTP lanes: framing, keep-alive, timeouts and PTB's error mapping."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from bot.delivery.lanes import Lanes, LaneTimeout
from bot.delivery.sender import _raise_for, retry_seconds

Answer = Callable[[bytes], bytes | None]
Serve = Callable[[Answer], Awaitable["Server"]]


class Server:
    """A loopback HTTP server that answers each request with `answer(body)` (None: never)."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.requests: list[tuple[bytes, bytes]] = []  # (request line, body)
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                body = await reader.readexactly(length)
                self.requests.append((head.split(b"\r\n")[0], body))
                reply = self.answer(body)
                if reply is None:
                    await asyncio.Event().wait()  # never answers
                    return
                writer.write(reply)
                await writer.drain()
                if b"Connection: close" in reply:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    servers: list[asyncio.Server] = []

    async def start(answer: Answer) -> Server:
        state = Server(answer)
        server = await asyncio.start_server(state.handle, "127.0.0.1", 0)
        state.port = server.sockets[0].getsockname()[1]
        servers.append(server)
        return state

    yield start
    for server in servers:
        server.close()


def _chunked(payload: bytes) -> bytes:
    half = len(payload) // 2
    chunks = b"".join(
        f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (payload[:half], payload[half:])
    )
    return (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
        + chunks
        + b"0\r\n\r\n"
    )


def _sized(payload: bytes, *, status: str = "200 OK", close: bool = False) -> bytes:
    extra = b"Connection: close\r\n" if close else b""
    return (
        f"HTTP/1.1 {status}\r\nContent-Length: {len(payload)}\r\n".encode() + extra + b"\r\n"
        + payload
    )


async def test_chunked_and_sized_answers_on_one_kept_alive_connection(serve: Serve) -> None:
    def answer(body: bytes) -> bytes:
        n = json.loads(body)["n"]
        payload = json.dumps({"ok": True, "result": {"message_id": n}}).encode()
        return _chunked(payload) if n % 2 else _sized(payload)

    server = await serve(answer)
    lanes = Lanes(f"http://127.0.0.1:{server.port}/botTOKEN", timeout=5)
    for n in range(1, 5):
        status, payload = await lanes.post_json("sendMessage", json.dumps({"n": n}).encode())
        assert status == 200 and json.loads(payload)["result"]["message_id"] == n
    assert server.connections == 1
    assert server.requests[0][0] == b"POST /botTOKEN/sendMessage HTTP/1.1"
    await lanes.aclose()


async def test_connection_close_is_honoured_and_a_silent_server_times_out(
    serve: Serve,
) -> None:
    closing = await serve(lambda body: _sized(b'{"ok":true,"result":{}}', close=True))
    lanes = Lanes(f"http://127.0.0.1:{closing.port}/bot1:A", timeout=5)
    for _ in range(2):
        assert (await lanes.post_json("sendMessage", b"{}"))[0] == 200
    assert closing.connections == 2

    silent = await serve(lambda body: None)
    quick = Lanes(f"http://127.0.0.1:{silent.port}/bot1:A", timeout=0.2)
    with pytest.raises(LaneTimeout):
        await quick.post_json("sendMessage", b"{}")
    await lanes.aclose()
    await quick.aclose()


def _error(code: int, description: str, **parameters: int) -> bytes:
    body: dict[str, object] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return json.dumps(body).encode()


def test_error_answers_raise_what_ptb_raises() -> None:
    with pytest.raises(RetryAfter) as flood:
        _raise_for(429, _error(429, "Too Many Requests: retry after 3", retry_after=3))
    assert retry_seconds(flood.value) == 3
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        _raise_for(403, _error(403, "Forbidden: bot was blocked by the user"))
    with pytest.raises(BadRequest) as bad:
        _raise_for(400, _error(400, "Bad Request: chat not found"))
    assert str(bad.value) == "Chat not found"  # PTB strips the prefix, capitalises
    with pytest.raises(ChatMigrated):
        _raise_for(400, _error(400, "Bad Request: group upgraded", migrate_to_chat_id=-100))
    with pytest.raises(NetworkError, match="Bad Gateway"):
        _raise_for(502, _error(502, "Bad Gateway"))
    with pytest.raises(NetworkError, match="Unknown HTTPError"):
        _raise_for(500, b"<html>oops</html>")
