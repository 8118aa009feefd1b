"""The dispatcher: keeps a few sender workers busy with leased outbox rows, at Telegram's pace.

Shape (why): the JobQueue job (`outbox-dispatch`) must never block, so it only returns
expired leases, wakes the refill loop and updates broadcast progress.  A refill loop
leases and renders rows while the in-memory queue is short (a few seconds of work, so
texts are fresh and leases never run out in the queue); a handful of long-lived worker
tasks pull from that queue, take a pacer slot and send (DESIGN "Performance facts": a few
workers beat `asyncio.gather` over thousands of sends 3x); a flusher writes outcomes in
small batches.  `run_once` does the same work synchronously for tests and tools.

Retries: 429 waits `retry_after` (the pacer pauses everyone) and sends the same message
again, never dropping it; 5xx/timeouts go back to `pending` with an exponential backoff
(durable: a restart keeps the schedule) until `MAX_ATTEMPTS`, then failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.delivery import broadcasts, chats, failures
from bot.delivery.leasing import (
    Claim,
    Outcome,
    Prepared,
    claim,
    expire_leases,
    has_due,
    holds_leases,
    record,
)
from bot.delivery.message import Message
from bot.delivery.pacing import Pacer
from bot.delivery.quiet import QuietHours
from bot.delivery.sender import Blocked, Flood, Migrated, Rejected, Transient, Transport
from bot.redaction import redact
from models import OutboxMessage, Person

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 300.0
# Do not start a send whose lease ends this soon: another replica may take the row back.
LEASE_MARGIN = timedelta(seconds=5)
FLUSH_EVERY_SECONDS = 0.25
# run_once, while only rows its refill loop leased are still out: how often it looks again.
IN_FLIGHT_POLL_SECONDS = 0.02
# On stop, how long sends already under way may take to finish before they are cancelled.
STOP_GRACE_SECONDS = 10.0
FLUSH_BATCH = 200
# Rows leased (and rendered) per transaction.  Leasing holds the event loop while it
# renders; 1,000 at a time held it 60-90 ms, longer than the pacer's catch-up, and every
# refill cost a paid broadcast a few dozen sends in that second.
LEASE_BATCH = 250
PROGRESS_EVERY_SECONDS = 3.0
# Ticks a progress state may wait for its chat (429s, 5xx) before it is dropped: ~2 minutes.
PROGRESS_MAX_TRIES = 40
MAX_MIGRATIONS = 2  # a bounced send follows its group this often, never in a loop


async def _finish(tasks: list[asyncio.Task[None]], grace: float = STOP_GRACE_SECONDS) -> None:
    """Lets `tasks` end on their own for `grace` seconds, then cancels the rest and waits
    (bounded again) for them; one that will not end is logged, never waited on forever."""
    if not tasks:
        return
    _, late = await asyncio.wait(tasks, timeout=grace) if grace > 0 else (set(), set(tasks))
    for task in late:
        task.cancel()
    if late:
        _, stuck = await asyncio.wait(late, timeout=STOP_GRACE_SECONDS)
        for task in stuck:
            log.error("outbox: task %s did not end when cancelled", task.get_name())


def instance_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Counters:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    retried: int = 0
    flood: int = 0
    released: int = 0
    deferred: int = 0
    skipped: int = 0


@dataclass
class DrainReport:
    """What `run_once` did (tests assert on the database; this helps them say why)."""

    rounds: int = 0
    leased: int = 0
    counters: Counters = field(default_factory=Counters)


class OutboxRendering(Protocol):
    """What the dispatcher is given to turn rows and progress into messages."""

    async def row(
        self, session: AsyncSession, row: OutboxMessage, person: Person | None, now: datetime
    ) -> Message | None:
        """The row's message for `person` at `now`; None: skip it; raises `UnknownKind`."""
        ...

    def progress(self, view: broadcasts.ProgressView) -> Message:
        """A running or finished broadcast's progress message, for its author."""
        ...


class Dispatcher:
    """The outbox engine of one process, built from plain parts by the app:

        Dispatcher(sessionmaker, PtbTransport(bot), settings, clock,
                   OutboxRendering(i18n, settings), pacer=pacer)

    `rendering` (`bot.views.outbox.OutboxRendering`) writes every message it sends: the
    rows' texts at send time and the broadcasts' progress messages.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        transport: Transport,
        settings: Settings,
        clock: Clock,
        rendering: OutboxRendering,
        *,
        pacer: Pacer | None = None,
        instance: str | None = None,
        workers: int | None = None,
    ) -> None:
        self.db = sessionmaker
        self.transport = transport
        self.settings = settings
        self.clock = clock
        self.rendering = rendering
        self.paid = settings.paid_broadcast
        self.rate = settings.paid_rate_per_second if self.paid else settings.send_rate_per_second
        self.pacer = pacer or Pacer(self.rate)
        self.instance = instance or instance_name()
        start, end = settings.quiet_hours
        self.quiet = QuietHours(start, end)
        self.default_timezone = settings.timezone
        self.lease = timedelta(seconds=settings.outbox_lease_seconds)
        # Enough workers to keep the pace while some sends wait on a slow answer.
        self.worker_count = workers or max(16, min(48, int(self.rate // 20)))
        # The queue holds ~2-4 s of sending: fresh renders, leases far from expiry.
        self.low_water = max(20, int(self.rate * 2))
        self.high_water = max(50, min(4000, int(self.rate * 4)))
        self.queue: asyncio.Queue[Prepared] = asyncio.Queue()
        self.counters = Counters()
        self._outcomes: list[Outcome] = []
        self._refill = asyncio.Event()
        self._flush = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._claim_lock = asyncio.Lock()
        self._record_lock = asyncio.Lock()
        self._last_progress = 0.0
        # Progress coalescing (see `update_broadcasts`), by broadcast id.
        self._progress_due: dict[int, broadcasts.ProgressView] = {}
        self._progress_shown: dict[int, str] = {}
        self._progress_tries: dict[int, int] = {}
        self._progress_lock = asyncio.Lock()
        self._ticking = False
        # What follows a group to its new chat id (features add theirs at start).
        self.chat_moved: list[chats.ChatMoved] = []

    # ---- lifecycle ------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return bool(self._tasks)

    def wake(self) -> None:
        """Something was just enqueued for now (a broadcast sent): lease it without waiting
        for the next tick."""
        self._refill.set()

    def start(self, *, refill: bool = True) -> None:
        if self._tasks:
            return
        self._stopping = False
        self._tasks = [
            asyncio.create_task(self._worker(), name=f"outbox-sender-{i}")
            for i in range(self.worker_count)
        ]
        self._tasks.append(asyncio.create_task(self._flusher(), name="outbox-flusher"))
        if refill:
            self._tasks.append(asyncio.create_task(self._refill_loop(), name="outbox-refill"))

    async def stop(self) -> None:
        """Stops the workers; rows still queued are released so nobody waits for a lease.

        Every task ends before this returns (the engine may close right after).  The refill
        loop and the flusher are asked to stop and finish the claim or write they are in:
        cancelling one inside a database call makes SQLAlchemy throw the connection away
        in a shielded task of its own, which nobody awaits and which could wait forever
        once the engine is gone.  Cancelling is only the fallback after the grace period.
        """
        tasks, self._tasks = self._tasks, []
        self._stopping = True
        by_name = {task.get_name(): task for task in tasks}
        # Graceful (SIGTERM): no more refills, hand back the rows nobody started, and let
        # the sends already under way finish and be recorded: cancelling one that Telegram
        # already accepted would release its row and send it again from another replica.
        self._refill.set()
        await _finish([t for n, t in by_name.items() if n == "outbox-refill"])
        while not self.queue.empty():
            item = self.queue.get_nowait()
            self._outcomes.append(Outcome(item.id, "release", self.clock.now()))
            self.queue.task_done()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.queue.join(), STOP_GRACE_SECONDS)
        # Workers now wait on the empty queue (no database there): cancelling them is safe.
        await _finish([t for n, t in by_name.items() if n.startswith("outbox-sender")], 0)
        self._flush.set()
        await _finish([t for n, t in by_name.items() if n == "outbox-flusher"])
        now = self.clock.now()
        while not self.queue.empty():
            item = self.queue.get_nowait()
            self._outcomes.append(Outcome(item.id, "release", now))
        await self._write_outcomes()
        if (aclose := getattr(self.transport, "aclose", None)) is not None:
            await aclose()

    # ---- the job ----------------------------------------------------------------------------
    async def tick(self) -> None:
        """What the repeating job runs: cheap, never waits for sends."""
        if self._ticking:  # a slow database must not stack ticks
            return
        self._ticking = True
        try:
            now = self.clock.now()
            await expire_leases(self.db, now)
            self._refill.set()
            loop_now = asyncio.get_running_loop().time()
            if loop_now - self._last_progress >= PROGRESS_EVERY_SECONDS:
                self._last_progress = loop_now
                await self.update_broadcasts(now)
        finally:
            self._ticking = False

    async def update_broadcasts(self, now: datetime) -> None:
        """Starts due scheduled broadcasts, shows live progress, finishes completed ones.

        Progress is coalesced: the newest state of each broadcast waits here and goes out at
        most once per tick, only when its text changed, and never waits for a chat that is
        cooling down (the next tick brings a fresher state anyway).  The final state ("done",
        the Stop button removed) waits for its chat and is kept until it is shown: a refused
        last edit is retried on the next ticks.
        """
        async with self._progress_lock:  # the job's tick and run_once may overlap
            for view in await broadcasts.advance(self.db, now, rate=self.pacer.rate):
                self._progress_due[view.id] = view
            for broadcast_id, view in list(self._progress_due.items()):
                if await self._show_progress(view):
                    self._forget_progress(broadcast_id, shown=view.done)
                    continue
                tries = self._progress_tries.get(broadcast_id, 0) + 1
                self._progress_tries[broadcast_id] = tries
                if tries >= PROGRESS_MAX_TRIES:
                    log.warning("broadcast %d: progress could not be shown; giving up", view.id)
                    self._forget_progress(broadcast_id, shown=view.done)

    def _forget_progress(self, broadcast_id: int, *, shown: bool) -> None:
        self._progress_due.pop(broadcast_id, None)
        self._progress_tries.pop(broadcast_id, None)
        if shown:
            self._progress_shown.pop(broadcast_id, None)

    async def _show_progress(self, view: broadcasts.ProgressView) -> bool:
        """True when the state is on screen (or can never be); False to try again later."""
        message = self.rendering.progress(view)
        text = message.text
        if view.progress_message_id is not None and self._progress_shown.get(view.id) == text:
            return True
        if not view.done and self.pacer.chat_ready_in(view.progress_chat_id) > 0:
            return False  # a fresher state comes with the next tick; the final one waits
        # A send like any other: it takes a pacer slot.  (Unpaced, progress met a full
        # window every 3 s for a whole broadcast: the 429s seen at 30/s.)
        slot = await self.pacer.acquire(view.progress_chat_id, priority=True)
        try:
            if view.progress_message_id is None:
                # Paid like the broadcast it reports on: an unpaid send counts against the
                # free 30/s, which a paid broadcast's window is always over.
                message_id = await self.transport.send(
                    view.progress_chat_id, message, paid=self.paid
                )
                await broadcasts.set_progress_message(self.db, view.id, message_id)
            else:
                await self.transport.edit(
                    view.progress_chat_id, view.progress_message_id, text, message.keyboard
                )
        except Flood as exc:
            # In paid mode an edit (never paid) meets the free 30/s inside a 1000/s window:
            # that 429 is about edits only and must not pause the paid sends (it did, once
            # per progress tick: 16-28 pauses in a 10,000 paid broadcast).
            if not self.paid:
                self.pacer.pause(exc.retry_after)
            log.info("broadcast %d: progress refused with 429; retrying", view.id)
            return False
        except Transient as exc:
            log.info("broadcast %d: progress failed (%s); retrying", view.id, exc)
            return False
        except (Blocked, Rejected) as exc:
            log.info("broadcast %d: progress cannot be shown: %s", view.id, exc)
            return True
        finally:
            self.pacer.release(slot)
        self._progress_shown[view.id] = text
        return True

    # ---- refill -----------------------------------------------------------------------------
    async def _refill_loop(self) -> None:
        while True:
            await self._refill.wait()
            self._refill.clear()
            if self._stopping:
                return
            try:
                await self.fill()
            except Exception:
                log.exception("outbox: claiming failed; will retry on the next tick")

    async def fill(self) -> int:
        """Leases due rows until the queue holds `high_water` or nothing more is due."""
        leased = 0
        async with self._claim_lock:
            while self.queue.qsize() < self.low_water or leased == 0:
                want = self.high_water - self.queue.qsize()
                if want <= 0:
                    break
                batch = await self._claim(min(want, LEASE_BATCH))
                leased += len(batch.prepared)
                for item in batch.prepared:
                    self.queue.put_nowait(item)
                if batch.candidates < min(want, LEASE_BATCH):
                    break
        return leased

    async def _claim(self, limit: int) -> Claim:
        batch = await claim(
            self.db,
            instance=self.instance,
            now=self.clock.now(),
            limit=limit,
            lease=self.lease,
            quiet=self.quiet,
            default_timezone=self.default_timezone,
            render=self.rendering.row,
        )
        self.counters.deferred += batch.deferred
        self.counters.skipped += batch.skipped
        self.counters.failed += batch.failed
        return batch

    # ---- workers ----------------------------------------------------------------------------
    async def _worker(self) -> None:
        while True:
            item = await self.queue.get()
            try:
                outcome = await self._deliver(item)
            except asyncio.CancelledError:
                self._outcomes.append(Outcome(item.id, "release", self.clock.now()))
                self.queue.task_done()
                raise
            except Exception as exc:  # a bug must not kill the worker or lose the row
                log.exception("outbox: sending #%d crashed", item.id)
                outcome = self._transient(item, f"crash: {exc!r}")
            if outcome.error:  # stored and shown to admins: no token in it (bot/redaction.py)
                outcome = dataclasses.replace(outcome, error=redact(outcome.error))
            self._outcomes.append(outcome)
            self.queue.task_done()
            if len(self._outcomes) >= FLUSH_BATCH:
                self._flush.set()
            if self.queue.qsize() < self.low_water:
                self._refill.set()

    async def _deliver(self, item: Prepared) -> Outcome:
        migrations = 0
        while True:
            now = self.clock.now()
            if item.lease_until - now < LEASE_MARGIN:
                self.counters.released += 1
                return Outcome(item.id, "release", now)
            slot = await self.pacer.acquire(item.chat_id)
            try:
                message_id = await self.transport.send(item.chat_id, item.outgoing, paid=self.paid)
            except Flood as exc:
                # Same message again after the wait: never dropped.
                self.counters.flood += 1
                self.pacer.pause(exc.retry_after)
                continue
            except Migrated as exc:  # to the group's new chat (Rejected after a few)
                migrations += 1
                if migrations <= MAX_MIGRATIONS:
                    await chats.migrated(self.db, self.chat_moved, item.chat_id, exc.new_chat_id)
                    item = dataclasses.replace(item, chat_id=exc.new_chat_id)
                    continue
                self.counters.failed += 1
                error = failures.failure("rejected", str(exc))
                return Outcome(item.id, "failed", self.clock.now(), error=error)
            except Blocked as exc:
                self.counters.blocked += 1
                return Outcome(
                    item.id, "blocked", self.clock.now(), person_id=item.person_id,
                    error=failures.failure("forbidden", str(exc)),
                )
            except Rejected as exc:
                self.counters.failed += 1
                error = failures.failure("rejected", str(exc))
                return Outcome(item.id, "failed", self.clock.now(), error=error)
            except Transient as exc:
                return self._transient(item, str(exc))
            finally:
                self.pacer.release(slot)
            self.counters.sent += 1
            return Outcome(item.id, "sent", self.clock.now(), message_id=message_id)

    def _transient(self, item: Prepared, error: str) -> Outcome:
        now = self.clock.now()
        if item.attempts + 1 >= MAX_ATTEMPTS:
            self.counters.failed += 1
            return Outcome(item.id, "failed", now, error=failures.failure("gave_up", error))
        self.counters.retried += 1
        delay = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2**item.attempts)
        return Outcome(item.id, "retry", now, error=error, retry_at=now + timedelta(seconds=delay))

    # ---- outcomes ---------------------------------------------------------------------------
    async def _flusher(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._flush.wait(), FLUSH_EVERY_SECONDS)
            self._flush.clear()
            try:
                await self._write_outcomes()
            except Exception:
                log.exception("outbox: recording outcomes failed; retrying")

    async def _write_outcomes(self) -> None:
        async with self._record_lock:
            batch, self._outcomes = self._outcomes, []
            try:
                await record(self.db, self.instance, batch)
            except BaseException:
                self._outcomes[:0] = batch  # keep them for the next flush
                raise

    # ---- synchronous drain (tests, tools) ---------------------------------------------------
    async def run_once(self, *, max_rounds: int = 50) -> DrainReport:
        """Sends everything due now and records it; returns when nothing due is left and
        nothing this dispatcher leased is still out (its own refill loop, when it runs, may
        have leased rows this drain did not see, and their sends may enqueue more, such as
        a post re-sent to a group's new id).

        Works with a `FrozenClock`: retries scheduled for later are not due, so it ends.
        """
        report = DrainReport(counters=self.counters)
        started_here = not self.running
        if started_here:
            self.start(refill=False)
        try:
            for _ in range(max_rounds):
                now = self.clock.now()
                await expire_leases(self.db, now)
                leased = await self.fill()
                await self.queue.join()
                await self._write_outcomes()
                await self.update_broadcasts(self.clock.now())
                report.rounds += 1
                report.leased += leased
                if leased == 0 and not await has_due(self.db, self.clock.now()):
                    if not await holds_leases(self.db, self.instance):
                        break
                    await asyncio.sleep(IN_FLIGHT_POLL_SECONDS)
        finally:
            if started_here:
                await self.stop()
        return report
