"""Handling each update once although Telegram delivers it at least once, in every mode.

One mechanism for polling and webhook, SQLite and PostgreSQL: the `processed_update` row
is written **inside the update's own transaction**.

* `UpdateGate.admit(update_id)` runs around the handling of one update (the update
  processor in polling mode, `bot.webhook` in webhook mode).  It answers BUSY when the
  same update is being handled in this process right now, DUPLICATE when a committed
  `processed_update` row says it was handled already, and otherwise puts a `Handling`
  in `bot.db.WRITE_HOOK` (a context variable: the handler's code runs in its context).
* The first *write* transaction opened while handling it (`sessionmaker.begin()`, see
  `bot.db.WRITE_HOOK`) inserts the row as its first statement (ON CONFLICT DO NOTHING).
  So the row commits or rolls back with the handler's own changes:
  - a crash before that commit leaves no row: the redelivered update is handled again,
    nothing is lost;
  - a committed handling makes any redelivery a no-op (the check before handling);
  - a concurrent copy (another replica, or webhook and polling racing) finds the row:
    on PostgreSQL its insert waits for the first transaction and then sees the conflict,
    on SQLite the writer queue orders them; it raises `DuplicateUpdate`, its transaction
    rolls back, and PTB stops handling the update quietly (an `ApplicationHandlerStop`:
    no error reply, no error handler).
* Housekeeping writes that any update may cause (registering the sender on first
  contact, `bot.services.people.members.load_actor`) run inside `with bot.db.housekeeping():`
  and do not claim: a crash after them must not turn the real work into a "duplicate".

A replica killed after that commit and before its reply went out (the reply may be waiting
for its chat's 1/s window: up to a second) has made the change: the redelivery is not
handled again, but `answered` is still false, so it is UNANSWERED and the person is told
their last message was done (`tell_unanswered`) rather than left without a word.  Nothing
is done twice.  Marking `answered` is off the update's path and coalesced: the update's
slot is free as soon as it is handled, and one UPDATE marks every update finished in the
last `MARK_GATHER_SECONDS` or while the previous marks were being written (under a rally's
load, dozens at once).  Until its mark is written, this process already knows an update
is finished (a redelivery here is DUPLICATE); another replica would find it UNANSWERED
for those few milliseconds, as it would a replica that died just then.  `drain()` writes
the last marks at shutdown.

The choice for read-only updates (`/help`, `/me`, a list): they write nothing, so they
leave no row and a redelivery answers again.  That costs nothing but a repeated answer
(no side effects), and keeps every read-only update off SQLite's writer queue.  A handler
that writes in several transactions is claimed by the first; a crash between them loses
the rest (the same as a crash before its reply).

Rows older than the retention window (Telegram keeps updates 24 h) are pruned.
"""

from __future__ import annotations

import asyncio
import contextvars
import enum
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.db import WRITE_HOOK, create_sessionmaker, housekeeping, is_housekeeping
from bot.sqlite_driver import INLINE
from models import ProcessedUpdate

log = logging.getLogger(__name__)
# The person's language code -> "your last message was handled, but my answer got lost"
# as (message HTML, callback toast): the words are `bot.views.ops.reply_lost`.
ReplyLost = Callable[[str | None], tuple[str, str]]


class Claim(enum.Enum):
    NEW = "new"  # handle it
    DUPLICATE = "duplicate"  # handled already: answer 200, do nothing
    BUSY = "busy"  # being handled right now in this process: answer 503, Telegram retries
    # Handled (its changes committed) by a copy that never finished: the replica died
    # before its reply went out.  Not handled again; the person is told it was done.
    UNANSWERED = "unanswered"


class DuplicateUpdate(ApplicationHandlerStop):
    """Another copy of this update committed first: stop quietly, change nothing."""


# The update's row, built once per dialect ([sqlite, postgresql]): it is in every writing
# update's transaction.
_RECORD_UPDATE = tuple(  # one row by its key: on SQLite it runs on the loop's thread
    insert(ProcessedUpdate)
    .on_conflict_do_nothing(index_elements=["update_id"])
    .execution_options(**INLINE)
    for insert in (sqlite_insert, pg_insert)
)


@dataclass
class Handling:
    """One update being handled; the write hook records it in the first write transaction."""

    update_id: int
    replica_id: str
    claimed: bool = False  # its row is committed
    duplicate: bool = False  # a concurrent copy won
    _pending: Session | None = field(default=None, repr=False)

    # ---- bot.db.WriteHook -----------------------------------------------------------------
    def begun(self, session: Session, connection: Connection) -> None:
        if self.claimed or self._pending is not None or is_housekeeping():
            return
        result = connection.execute(
            _RECORD_UPDATE[connection.dialect.name == "postgresql"],
            {"update_id": self.update_id, "handled_at": datetime.now(UTC),
             "handled_by": self.replica_id},
        )
        if result.rowcount == 0:
            self.duplicate = True
            log.info("update %s was handled by another copy; stopping", self.update_id)
            raise DuplicateUpdate()
        self._pending = session

    def committed(self, session: Session) -> None:
        if self._pending is session:
            self.claimed, self._pending = True, None

    def ended(self, session: Session) -> None:
        if self._pending is session:  # rolled back: the next write transaction claims
            self._pending = None


# How long a queued `answered` mark waits for others to join its UPDATE.  Short against
# Telegram's redelivery (it retries a webhook after seconds), long enough that a rally's
# dozens of finished updates per second share a transaction instead of one each.
MARK_GATHER_SECONDS = 0.05


class UpdateGate:
    def __init__(self, engine: AsyncEngine, replica_id: str) -> None:
        self.engine = engine
        self.replica_id = replica_id
        self._in_flight: set[int] = set()
        # On SQLite its writes join the writer queue (bot/db.py) instead of sleeping in
        # SQLite's busy handler while a claim holds the lock.
        self._sessionmaker = create_sessionmaker(engine)
        self._watermark: int | None = None  # polling: the newest update recorded before
        self._finished: set[int] = set()  # handled, their `answered` mark not written yet
        self._marking: asyncio.Task[None] | None = None

    async def seen(self, update_id: int) -> bool:
        return await self._record(update_id) is not None

    async def _record(self, update_id: int) -> bool | None:
        """None: never handled; else whether that handling finished (`answered`)."""
        if update_id in self._finished:
            return True
        async with self._sessionmaker() as session:
            answered = await session.scalar(
                select(ProcessedUpdate.answered).where(ProcessedUpdate.update_id == update_id)
            )
            return None if answered is None else bool(answered)

    def _mark_answered(self, update_id: int) -> None:
        """Queues the update's `answered` mark; one task writes the queued marks."""
        self._finished.add(update_id)
        if self._marking is None or self._marking.done():
            # Its own context: the marks are upkeep, never the finished update's write.
            self._marking = asyncio.create_task(
                self._write_marks(), name="dedup-answered", context=contextvars.Context()
            )

    async def _write_marks(self) -> None:
        while self._finished:
            await asyncio.sleep(MARK_GATHER_SECONDS)  # the updates finishing meanwhile join
            batch = sorted(self._finished)
            try:
                with housekeeping():
                    async with self._sessionmaker.begin() as session:
                        await session.execute(
                            update(ProcessedUpdate)
                            .where(ProcessedUpdate.update_id.in_(batch))
                            .values(answered=True)
                        )
            except Exception:
                # Unmarked, a redelivery after a restart is told "done" (UNANSWERED), as
                # after a crash: nothing is handled twice.  Kept for the next try.
                log.exception("could not mark %d updates answered", len(batch))
                return
            self._finished.difference_update(batch)

    async def drain(self) -> None:
        """Writes the queued `answered` marks (shutdown; tests that restart a replica)."""
        if self._marking is not None:
            await self._marking
        if self._finished:
            await self._write_marks()

    async def _handled_before(self, update_id: int, *, polling: bool) -> bool | None:
        """Whether a committed row says so.  Polling has one poller, which never gets an
        update twice while it runs (PTB confirms offsets): only ids up to the newest one
        recorded before this run can be redeliveries, so newer ones skip the read (one
        round trip less per update on the hot path)."""
        if polling:
            if self._watermark is None:
                async with self._sessionmaker() as session:
                    newest = await session.scalar(select(func.max(ProcessedUpdate.update_id)))
                self._watermark = int(newest) if newest is not None else -1
            if update_id > self._watermark:
                return None
        return await self._record(update_id)

    @asynccontextmanager
    async def admit(
        self, update_id: int, *, polling: bool = False
    ) -> AsyncIterator[tuple[Claim, Handling | None]]:
        """What to do with the update; inside the block (NEW) its writes claim it."""
        # Taken before the first await: two copies arriving together cannot both pass.
        if update_id in self._in_flight:
            yield Claim.BUSY, None
            return
        self._in_flight.add(update_id)
        try:
            before = await self._handled_before(update_id, polling=polling)
            if before is not None:
                yield (Claim.DUPLICATE if before else Claim.UNANSWERED), None
                return
            handling = Handling(update_id, self.replica_id)
            token = WRITE_HOOK.set(handling)
            try:
                yield Claim.NEW, handling
            finally:
                WRITE_HOOK.reset(token)
            if handling.claimed:  # its reply went out (or its error was told): finished
                self._mark_answered(update_id)
        finally:
            self._in_flight.discard(update_id)


def update_id_of(update: Any) -> int | None:
    value = getattr(update, "update_id", None)
    return value if isinstance(value, int) else None


async def prune_processed_updates(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime, retention: timedelta
) -> int:
    """Forgets update ids older than the retention window (Telegram keeps updates 24 h)."""
    async with sessionmaker.begin() as session:
        result = await session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.handled_at < now - retention)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def tell_unanswered(say: ReplyLost, update: Any) -> None:
    """The reply to this update was lost with the replica that handled it: say it was done.

    `say` writes the words in the person's language (`bot.views.ops.reply_lost`, bound to
    the app's i18n and default language)."""
    chat = getattr(update, "effective_chat", None)
    if chat is None:
        return
    user = getattr(update, "effective_user", None)
    text, toast = say(user.language_code if user else None)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(toast)
        else:
            await update.get_bot().send_message(chat.id, text)
    except TelegramError:
        log.info("could not tell %s that update %s was handled", chat.id, update.update_id)
