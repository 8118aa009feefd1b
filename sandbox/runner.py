"""Running the sandbox on its own, for benchmarks and for trying a bot by hand.

`python -m bot sandbox --port 8081 [--limits]` (the project CLI) and
`python -m sandbox` both land here.  The bot then uses the logged base URL as its
Telegram API base URL with any token of Telegram's shape.  (Starting *our* bot against
a sandbox, as `python -m bot` does without a token, is wiring: `sandbox.standalone`.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sandbox.faults import Faults
from sandbox.limits import Limits
from sandbox.server import SandboxServer

log = logging.getLogger("sandbox")


async def serve_forever(
    host: str = "127.0.0.1",
    port: int = 8081,
    limits: Limits | None = None,
    faults: Faults | None = None,
) -> None:
    server = SandboxServer(limits, faults)
    await server.start(host, port)
    log.info(
        "sandbox Bot API at %s (any <digits>:<secret> token; user side at %s/sandbox/)",
        server.base_url,
        server.url,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def run_standalone(host: str, port: int, limits_enabled: bool) -> None:
    """Serve until interrupted (Ctrl-C); blocks the calling thread."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(host, port, Limits(enabled=limits_enabled)))
