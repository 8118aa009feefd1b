"""Concurrent updates across people, in order for each person, each handled once.

PTB's `concurrent_updates(8)` runs any 8 updates at once, so a person who types
`/team create X` and then `/invite` quickly can have the second handled before
the first committed.  Here each person's (or chat's) updates wait for the
previous one; different people still run side by side, up to the limit.

A reply that waits for its chat's own flood window (a group's 20 per minute) gives its
running slot back while it waits (`bot.delivery.pacing.CHAT_WAIT`): 30 people calling the
bot in one group must not hold every slot for a minute while a private `/me` waits.  The
person's lock stays held, so their own updates keep their order.

Polling mode passes every update through `bot.ops.dedup.UpdateGate` here (webhook mode
does it in `bot.webhook`): one handled already is skipped, and the handler's first write
transaction records it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.delivery.pacing import CHAT_WAIT
from bot.ops.dedup import Claim, UpdateGate, update_id_of


def ordering_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None


class _Slot:
    """One update's hold on a running slot, which it lends out while a send waits."""

    __slots__ = ("held", "running")

    def __init__(self, running: asyncio.Semaphore) -> None:
        self.running = running
        self.held = False

    async def take(self) -> None:
        await self.running.acquire()
        self.held = True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self.running.release()

    def lend(self) -> AbstractAsyncContextManager[object]:
        # Only the holder lends (a task the handler spawned inherits this hook too; once the
        # update is done, or while the slot is already lent, there is nothing to give).
        return self._lent() if self.held else nullcontext()

    @asynccontextmanager
    async def _lent(self) -> AsyncIterator[None]:
        self.give_back()
        try:
            yield
        finally:
            await self.take()


class PerPersonOrderedProcessor(BaseUpdateProcessor):
    """At most `max_running` updates run at once; one person's run one after another.

    PTB's own semaphore (sized generously) only bounds how many updates may wait.
    The real limit is taken after the person's lock, so a person with a queue of
    updates never holds slots that other people's updates could use.
    """

    def __init__(
        self,
        max_running: int = 8,
        max_waiting: int = 1024,
        *,
        gate: UpdateGate | None = None,
        on_unanswered: Callable[[object], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(max_waiting)
        self._running = asyncio.Semaphore(max_running)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}
        self.gate = gate
        self.on_unanswered = on_unanswered  # a redelivery whose first handling died

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await self._in_order(update, coroutine)
        finally:
            # Not run (a duplicate, or cancelled while waiting): closing it avoids "was never
            # awaited"; a coroutine that ran to its end is not touched by close().
            _discard(coroutine)

    async def _in_order(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = ordering_key(update)
        if key is None:
            await self._run(update, coroutine)
            return
        # Tasks reach this line in arrival order and asyncio.Lock wakes waiters first in,
        # first out, so each person's updates keep their order.
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await self._run(update, coroutine)
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key], self._locks[key]

    async def _run(self, update: object, coroutine: Awaitable[Any]) -> None:
        slot = _Slot(self._running)
        await slot.take()
        token = CHAT_WAIT.set(slot.lend)
        try:
            update_id = update_id_of(update)
            if self.gate is None or update_id is None:
                await coroutine
                return
            async with self.gate.admit(update_id, polling=True) as (claim, _handling):
                if claim is Claim.NEW:
                    await coroutine
                elif claim is Claim.UNANSWERED and self.on_unanswered is not None:
                    await self.on_unanswered(update)
                # else: handled before, or right now by another copy
        finally:
            CHAT_WAIT.reset(token)
            slot.give_back()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def _discard(coroutine: Awaitable[Any]) -> None:
    if isinstance(coroutine, Coroutine):
        coroutine.close()
