"""A local, Telegram-compatible Bot API sandbox (DESIGN.md section 5).

Tests drive the real PTB stack against it over loopback HTTP, benchmarks measure pacing
against its strict referee, and a newcomer can chat with the bot in a terminal.

    server = SandboxServer()                      # Limits(enabled=True) for benchmarks
    await server.start()                          # ApplicationBuilder().base_url(server.base_url)
    ana = SandboxClient(server).user(2, "Ana", language_code="id")
    reply = await ana.send_and_wait("/start")     # the bot's next message in Ana's chat
    result = await ana.press(reply, "Going")      # answer + the edit or new message
    server.set_faults(error_5xx_rate=0.1); server.stats.max_in_window(1.0)

Standalone: `python -m bot.sandbox --port 8081 [--limits]` (user side under /sandbox/).
"""

from bot.sandbox.client import HttpSandboxClient, PressResult, SandboxClient, SandboxUser
from bot.sandbox.errors import ApiError, SandboxError, SandboxTimeout
from bot.sandbox.faults import Faults
from bot.sandbox.limits import Limits
from bot.sandbox.models import CallbackAnswer, SandboxEvent, SandboxMessage, UserSpec
from bot.sandbox.server import SandboxServer
from bot.sandbox.standalone import run_standalone, serve_forever
from bot.sandbox.stats import Delivery, Stats
from bot.sandbox.terminal import run_terminal_chat
from bot.sandbox.webhook import WebhookSettings

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
