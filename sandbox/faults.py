"""Injected failures, so the bot's retry and unreachable-user paths are exercised on purpose.

Real Telegram sometimes answers 502, sometimes hangs, and a `sendMessage` that timed out on
the client may still have been delivered: that is how duplicates happen, so it has its own
rate (`delivered_timeout_rate`).  Decisions come from a seeded RNG so a failing run repeats.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass, field
from enum import Enum

# Methods that change what people see; the read-only and polling methods stay reliable so a
# fault knob does not make PTB's updater back off for tens of seconds.
DEFAULT_FAULTY_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "editmessagetext",
        "editmessagereplymarkup",
        "editmessagecaption",
        "deletemessage",
        "answercallbackquery",
    }
)


@dataclass
class Faults:
    error_5xx_rate: float = 0.0
    timeout_rate: float = 0.0  # hang, then NOT delivered
    delivered_timeout_rate: float = 0.0  # delivered, then hang: the client retries -> duplicate
    timeout_seconds: float = 30.0  # must exceed the client's read timeout to look like a timeout
    slow_seconds: float = 0.0  # extra latency on every faulty-method call
    blocked_user_ids: set[int] = field(default_factory=set)
    deactivated_user_ids: set[int] = field(default_factory=set)
    seed: int = 1
    methods: frozenset[str] = DEFAULT_FAULTY_METHODS
    # A proxy or captive portal in front of the Bot API answering its own HTML page that
    # echoes the request path, token and all (`Cannot POST /bot<token>/sendMessage`).
    # Status 200 is the nasty case: the client sees "success" with a body that is no JSON.
    html_error_rate: float = 0.0
    html_error_status: int = 200


class Fate(Enum):
    OK = "ok"
    ERROR_5XX = "5xx"
    TIMEOUT_LOST = "timeout_lost"
    TIMEOUT_DELIVERED = "timeout_delivered"


class FaultDecider:
    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed)

    def reseed(self) -> None:
        self._rng = random.Random(self.faults.seed)

    def applies_to(self, method: str) -> bool:
        return method in self.faults.methods

    def html_error_page(self, method: str, path: str) -> str | None:
        """The HTML page to answer instead of the Bot API, or None (most calls)."""
        rate = self.faults.html_error_rate
        if rate <= 0 or not self.applies_to(method.lower()) or self._rng.random() >= rate:
            return None
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Error</title>'
            f"</head>\n<body><pre>Cannot POST {html.escape(path)}</pre></body>\n</html>\n"
        )

    def fate(self) -> Fate:
        faults = self.faults
        roll = self._rng.random()
        for rate, fate in (
            (faults.error_5xx_rate, Fate.ERROR_5XX),
            (faults.timeout_rate, Fate.TIMEOUT_LOST),
            (faults.delivered_timeout_rate, Fate.TIMEOUT_DELIVERED),
        ):
            if roll < rate:
                return fate
            roll -= rate
        return Fate.OK
