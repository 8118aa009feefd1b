"""Telegram's flood limits as a strict sliding-window referee.

Telegram does not publish an exact algorithm; the sandbox uses the strictest reading of the
documented numbers (any 1 s window globally and per private chat, any 60 s window per group)
so a sender that passes here has no burst that the real server could punish.  Edits
(`editMessageText`/`Caption`/`ReplyMarkup`) and media sends count exactly like
`sendMessage`, as they do on Telegram; answering a callback query does not.  Off by default
because functional tests should not wait for pacing; benchmarks switch it on.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass
class Limits:
    enabled: bool = False
    global_per_second: int = 30
    paid_per_second: int = 1000
    private_chat_per_second: int = 1
    group_chat_per_minute: int = 20
    # A forced flood wait, as another replica or Telegram's own judgement may cause: the next
    # `forced_429s` calls of `forced_methods` (lower case; any metered method when empty) are
    # answered 429 with `forced_retry_after`, whether or not `enabled` is set.
    forced_429s: int = 0
    forced_retry_after: int = 30
    forced_methods: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Rule:
    limit: int
    window: float


class _Window:
    """Send times inside a sliding window; counts those with t > now - window."""

    def __init__(self) -> None:
        self.times: deque[float] = deque()

    def wait_needed(self, now: float, rule: _Rule) -> float:
        """Seconds until one more send fits, 0.0 if it fits now."""
        while self.times and self.times[0] <= now - rule.window:
            self.times.popleft()
        excess = len(self.times) - rule.limit
        if excess < 0:
            return 0.0
        # The send that must expire for a slot to free is the (excess)-th oldest.
        return self.times[excess] + rule.window - now


class RateReferee:
    """Decides whether a send is allowed now; records the sends it allowed."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._global = _Window()
        self._chats: dict[int, _Window] = {}

    def reset(self) -> None:
        self._global = _Window()
        self._chats.clear()

    def forced(self, method: str) -> int | None:
        """The forced retry_after for this call, if one is due (it is used up)."""
        limits = self.limits
        if limits.forced_429s <= 0:
            return None
        if limits.forced_methods and method.lower() not in limits.forced_methods:
            return None
        limits.forced_429s -= 1
        return max(1, limits.forced_retry_after)

    def retry_after(self, chat_id: int, is_group: bool, paid: bool, now: float) -> int | None:
        """Whole seconds the caller must wait (>= 1), or None when the send may go now."""
        if not self.limits.enabled:
            return None
        limits = self.limits
        global_rule = _Rule(limits.paid_per_second if paid else limits.global_per_second, 1.0)
        chat_rule = (
            _Rule(limits.group_chat_per_minute, 60.0)
            if is_group
            else _Rule(limits.private_chat_per_second, 1.0)
        )
        chat_window = self._chats.setdefault(chat_id, _Window())
        wait = max(
            self._global.wait_needed(now, global_rule), chat_window.wait_needed(now, chat_rule)
        )
        if wait <= 0.0:
            return None
        return max(1, math.ceil(wait))

    def record(self, chat_id: int, now: float) -> None:
        if not self.limits.enabled:
            return
        self._global.times.append(now)
        self._chats.setdefault(chat_id, _Window()).times.append(now)
