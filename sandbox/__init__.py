"""A local, Telegram-compatible Bot API sandbox (DESIGN.md section 5).

Tests drive the real PTB stack against it over loopback HTTP, benchmarks measure pacing
against its strict referee, and a newcomer can chat with the bot in a terminal.

    server = SandboxServer()                      # Limits(enabled=True) for benchmarks
    await server.start()                          # ApplicationBuilder().base_url(server.base_url)
    ana = SandboxClient(server).user(2, "Ana", language_code="id")
    reply = await ana.send_and_wait("/start")     # the bot's next message in Ana's chat
    result = await ana.press(reply, "Going")      # answer + the edit or new message
    server.set_faults(error_5xx_rate=0.1); server.stats.max_in_window(1.0)

Standalone: `python -m sandbox --port 8081 [--limits]` (user side under /sandbox/).
"""

from sandbox.client import HttpSandboxClient, PressResult, SandboxClient, SandboxUser
from sandbox.errors import ApiError, SandboxError, SandboxTimeout
from sandbox.faults import Faults
from sandbox.limits import Limits
from sandbox.models import CallbackAnswer, SandboxEvent, SandboxMessage, UserSpec
from sandbox.runner import run_standalone, serve_forever
from sandbox.server import SandboxServer
from sandbox.stats import Delivery, Stats
from sandbox.terminal import run_terminal_chat
from sandbox.webhook import WebhookSettings

__all__ = [
    "ApiError",
    "CallbackAnswer",
    "Delivery",
    "Faults",
    "HttpSandboxClient",
    "Limits",
    "PressResult",
    "SandboxClient",
    "SandboxError",
    "SandboxEvent",
    "SandboxMessage",
    "SandboxServer",
    "SandboxTimeout",
    "SandboxUser",
    "Stats",
    "UserSpec",
    "WebhookSettings",
    "run_standalone",
    "run_terminal_chat",
    "serve_forever",
]
