"""Scheduler leadership: one replica runs the periodic jobs, chosen by PostgreSQL.

Why a session-level advisory lock on a dedicated connection: PostgreSQL releases it the
moment that connection ends, so a leader killed with -9 loses it as soon as the kernel
closes its socket, and a follower's next try (every LEADER_CHECK_SECONDS) takes over,
well within 10 s.  No lease table, no clock skew.  The leader re-checks its connection
on the same tick; if the check fails it stops leading at once (a job it runs after that
would risk running twice).  On SQLite there is only one process, and it leads.

Every JobQueue job is leader-only by default: after the start-up hooks scheduled them,
`gate_jobs` wraps each job's callback in `leader_only` (and again on every heartbeat, for
jobs added later), so a feature needs no line at all for its digest or sweep to run once
across replicas.  A job that must run on every replica (the outbox dispatcher: dispatch
stays on every replica, leased with SKIP LOCKED) is named in `EVERY_REPLICA_JOBS`; one
line, `EVERY_REPLICA_JOBS.add("my-job")`, exempts another.  `leader_only(callback)` can
also be applied explicitly at `run_repeating(...)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

# Advisory lock keys (bigint, database-wide): the leader, and the webhook registration step.
LEADER_LOCK_KEY = 0x60706F6E67_01
WEBHOOK_LOCK_KEY = 0x60706F6E67_02
# A re-check that hangs longer than this counts as a lost connection.
CHECK_TIMEOUT_SECONDS = 5.0

C = TypeVar("C")

# Jobs that run on every replica.  "outbox-dispatch" is bot.app.DISPATCH_JOB (named here,
# not imported: ops sits below the app); tests check the two agree.
EVERY_REPLICA_JOBS: set[str] = {"outbox-dispatch"}


class Leadership:
    """Holds (or keeps trying to take) the leader lock; `is_leader` is read by jobs."""

    def __init__(self, database_url: str, *, check_seconds: float = 2.0) -> None:
        self.database_url = database_url
        self.check_seconds = check_seconds
        self.single_process = database_url.startswith("sqlite")
        self.is_leader = self.single_process
        self.changes = 0  # how many times this replica gained or lost leadership
        self._engine: AsyncEngine | None = None
        self._conn: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.single_process:
            return
        # NullPool: the connection is ours alone and really closes when we let go of it.
        self._engine = create_async_engine(
            self.database_url, poolclass=NullPool, isolation_level="AUTOCOMMIT"
        )
        await self.check()
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="ops.leader")

    async def stop(self) -> None:
        """Gives leadership up at once (the next replica takes it on its next check)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._drop_connection(unlock=True)
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def check(self) -> bool:
        """One tick: a leader confirms its connection lives, a follower tries the lock."""
        if self.single_process:
            return True
        try:
            leading = await asyncio.wait_for(self._check_once(), CHECK_TIMEOUT_SECONDS)
        except Exception as exc:  # any failure: we cannot prove we hold the lock
            log.warning("leader check failed (%s); acting as follower", type(exc).__name__)
            await self._drop_connection(unlock=False)
            leading = False
        self._set(leading)
        return leading

    async def _check_once(self) -> bool:
        assert self._engine is not None
        if self._conn is None:
            self._conn = await self._engine.connect()
        if self.is_leader:
            # The lock lives as long as this session; a round-trip proves the session lives.
            await self._conn.execute(text("SELECT 1"))
            return True
        got = await self._conn.scalar(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK_KEY}
        )
        return bool(got)

    def _set(self, leading: bool) -> None:
        if leading != self.is_leader:
            self.changes += 1
            log.info("this replica is now the %s", "leader" if leading else "follower")
        self.is_leader = leading

    async def _drop_connection(self, *, unlock: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(Exception):
            if unlock and self.is_leader:
                await conn.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": LEADER_LOCK_KEY}
                )
        with contextlib.suppress(Exception):
            await conn.close()
        if not self.single_process:
            self._set(False)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.check_seconds)
            await self.check()


def is_leader(context_or_app: Any) -> bool:
    """True on the replica that runs periodic jobs (always True without the ops runtime)."""
    # The app state's ops runtime (bot/ops/runtime.py), read by shape: that module builds on
    # this one, so this one does not import it.
    ops = getattr(getattr(context_or_app, "bot_data", context_or_app), "ops", None)
    leadership = getattr(ops, "leadership", None)
    return True if leadership is None else bool(leadership.is_leader)


def leader_only(callback: Callable[[C], Awaitable[Any]]) -> Callable[[C], Awaitable[None]]:
    """Wraps a JobQueue callback so it runs only on the leader (a no-op elsewhere)."""

    if getattr(callback, "__leader_only__", False):
        return callback

    @functools.wraps(callback)
    async def run_if_leader(context: C) -> None:
        if not is_leader(context):
            return
        await callback(context)

    run_if_leader.__leader_only__ = True  # type: ignore[attr-defined]
    return run_if_leader


def gate_jobs(job_queue: Any) -> int:
    """Makes every scheduled job leader-only except EVERY_REPLICA_JOBS; returns how many
    were newly gated."""
    gated = 0
    for job in job_queue.jobs() if job_queue is not None else ():
        if job.name in EVERY_REPLICA_JOBS or getattr(job.callback, "__leader_only__", False):
            continue
        job.callback = leader_only(job.callback)
        gated += 1
    return gated
