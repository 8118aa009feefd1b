"""Concurrent updates across people, in order for each person.

PTB's `concurrent_updates(8)` runs any 8 updates at once, so a person who types
`/team create X` and then `/invite` quickly can have the second handled before
the first committed.  Here each person's (or chat's) updates wait for the
previous one; different people still run side by side, up to the limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def ordering_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None


class PerPersonOrderedProcessor(BaseUpdateProcessor):
    """At most `max_running` updates run at once; one person's run one after another.

    PTB's own semaphore (sized generously) only bounds how many updates may wait.
    The real limit is taken after the person's lock, so a person with a queue of
    updates never holds slots that other people's updates could use.
    """

    def __init__(self, max_running: int = 8, max_waiting: int = 1024) -> None:
        super().__init__(max_waiting)
        self._running = asyncio.Semaphore(max_running)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = ordering_key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        # Tasks reach this line in arrival order and asyncio.Lock wakes waiters first in,
        # first out, so each person's updates keep their order.
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock, self._running:
                await coroutine
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key], self._locks[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
