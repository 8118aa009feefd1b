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
    def __init__(self, max_concurrent_updates: int = 8) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = ordering_key(update)
        if key is None:
            await super().process_update(update, coroutine)
            return
        # The lock is taken before a concurrency slot, so a person with a queue of
        # updates never holds slots that other people's updates could use.  Tasks reach
        # this line in arrival order and asyncio.Lock wakes waiters first-in first-out.
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await super().process_update(update, coroutine)
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key], self._locks[key]

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
