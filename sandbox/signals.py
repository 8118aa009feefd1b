"""A broadcast wake-up primitive for the wait helpers and long polls.

State in the sandbox is mutated from plain synchronous code (a handler appends a message,
a press records an answer).  `asyncio.Condition.notify_all` needs its lock held, which sync
code cannot take, so instead every waiter awaits the *current* `asyncio.Event` and a change
swaps in a fresh one after setting the old.  Waiters re-check their predicate on each wake:
no polling, no sleeps, no lost wake-ups (the predicate is checked before each wait).
`asyncio.timeout` rather than `asyncio.wait_for`: on Python 3.11, wait_for can swallow a
cancellation that arrives as the event is set, which left shutdown waiting forever.
"""

# The wait helpers take `timeout=` on purpose (tests read better with it); each one turns it
# into a single deadline, which is what ASYNC109 worries about.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Signal:
    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        """Sleep until the next `fire()` or `timeout` seconds, whichever comes first."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._event.wait()

    async def wait_for(self, probe: Callable[[], T | None], timeout: float) -> T | None:
        """Return the first non-None `probe()` result, or None once `timeout` seconds passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = probe()
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            try:
                async with asyncio.timeout(remaining):
                    await self._event.wait()
            except TimeoutError:
                return probe()
