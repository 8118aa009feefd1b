"""A local, Telegram-compatible Bot API sandbox (DESIGN.md section 5).

Tests drive the real PTB stack against it over loopback HTTP, benchmarks measure pacing
against its strict referee, and a newcomer can chat with the bot in a terminal.
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
