"""`Ops`: the production machinery of one replica, started and stopped with the app.

`bot.app.build_application` creates one and keeps it in `AppState.ops`;
`post_init` starts it (leader election, heartbeat, the leader's pruning job) and
`post_shutdown` stops it before the engine closes (leaves the heartbeat table and gives
the leader lock up, so a clean stop hands leadership over at once).
Liveness uses the wall clock, not the app's Clock: a frozen test clock must not make a
live replica look dead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.config import Settings
from bot.db import ping_when_idle
from bot.ops import heartbeat
from bot.ops.dedup import UpdateGate, prune_processed_updates
from bot.ops.health import Health, check_health
from bot.ops.leader import Leadership, gate_jobs, leader_only
from bot.ops.statistics import (
    FIRST_REFRESH_SECONDS,
    REFRESH_INTERVAL_SECONDS,
    refresh_statistics,
)

log = logging.getLogger(__name__)

PRUNE_INTERVAL_SECONDS = 600
# Updates a replica handles at once (bot.webhook.HANDLING_SLOTS) plus a little headroom.
CLAIM_POOL_SIZE = 10
# On stop, how long the beat under way may take before the loop is cancelled.
STOP_BEAT_SECONDS = 10.0


def wall_now() -> datetime:
    return datetime.now(UTC)


class Ops:
    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession] | None = None,
        pacer: Any = None,
    ) -> None:
        """`pacer`: the app's one pacer, whose rate this replica sets to its share."""
        self.settings = settings
        self.engine = engine
        self.sessionmaker = sessionmaker or async_sessionmaker(engine, expire_on_commit=False)
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.replica_id = f"{self.host}:{self.pid}:{secrets.token_hex(3)}"
        self.started_at = wall_now()
        self.leadership = Leadership(
            settings.database_url, check_seconds=settings.leader_check_seconds
        )
        # Claims hold a connection while their update is handled: a pool of their own, so
        # they can never starve the handlers' pool (the handlers need it to finish).
        self._claim_engine = (
            engine
            if settings.is_sqlite
            else ping_when_idle(create_async_engine(
                settings.database_url, pool_size=CLAIM_POOL_SIZE, max_overflow=0,
                pool_timeout=60,
            ))
        )
        self.gate = UpdateGate(self._claim_engine, self.replica_id)
        self.multi_process = not settings.is_sqlite
        self.live_replicas = 1
        self._window = heartbeat.liveness_window(settings.leader_check_seconds)
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.pacer = pacer
        self._job_queue: Any = None
        self.base_rate = (
            settings.paid_rate_per_second if settings.paid_broadcast
            else settings.send_rate_per_second
        )

    async def start(self, app: Any) -> None:
        self._stopping.clear()
        await self.leadership.start()
        if self.multi_process:
            await self.beat()
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="ops.beat")
        if app.job_queue is not None:
            app.job_queue.run_repeating(
                leader_only(job_prune_ops_tables),
                interval=PRUNE_INTERVAL_SECONDS,
                first=30,
                name="ops.prune",
            )
            if self.engine.dialect.name == "sqlite":
                app.job_queue.run_repeating(
                    leader_only(job_refresh_statistics),
                    interval=REFRESH_INTERVAL_SECONDS,
                    first=FIRST_REFRESH_SECONDS,
                    name="ops.statistics",
                )
        log.info("replica %s started (%s)", self.replica_id, self.role)

    def gate_jobs(self, app: Any) -> None:
        """After the start-up hooks: periodic jobs run on the leader only (see leader.py)."""
        self._job_queue = app.job_queue
        gated = gate_jobs(app.job_queue)
        if gated:
            log.info("%d periodic jobs run on the leader only", gated)

    async def stop(self) -> None:
        # The heartbeat loop is asked to stop and ends after the beat it is in: cancelled
        # inside a database call, SQLAlchemy would close the connection in a task nobody
        # awaits.  Cancelled only if a beat hangs past its bound.
        self._stopping.set()
        await self.gate.drain()  # the last updates' `answered` marks
        if self._task is not None:
            _, late = await asyncio.wait({self._task}, timeout=STOP_BEAT_SECONDS)
            if late:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        if self.multi_process:
            with contextlib.suppress(Exception):
                await heartbeat.leave(self.sessionmaker, self.replica_id)
        await self.leadership.stop()
        if not self.settings.is_sqlite:
            await self._claim_engine.dispose()

    @property
    def role(self) -> str:
        return "leader" if self.leadership.is_leader else "follower"

    async def health(self) -> Health:
        return await check_health(
            self.sessionmaker,
            leader=self.leadership.is_leader,
            replica_id=self.replica_id,
            live_replicas=self.live_replicas,
            now=wall_now(),
        )

    async def prune(self) -> tuple[int, int]:
        now = wall_now()
        retention = timedelta(hours=self.settings.update_retention_hours)
        updates = await prune_processed_updates(self.sessionmaker, now=now, retention=retention)
        replicas = await heartbeat.forget_gone(self.sessionmaker, now=now)
        return updates, replicas

    async def beat(self) -> None:
        """Says this replica is alive, learns how many are, and takes its share of the pace."""
        try:
            self.live_replicas = await heartbeat.beat(
                self.sessionmaker,
                replica_id=self.replica_id,
                host=self.host,
                pid=self.pid,
                started_at=self.started_at,
                leader=self.leadership.is_leader,
                now=wall_now(),
                window=self._window,
            )
            self._share_pace()
            gate_jobs(self._job_queue)  # jobs scheduled after start-up too
        except Exception:  # the database is away: keep the last count, say so once per beat
            log.warning("heartbeat failed", exc_info=True)

    def _share_pace(self) -> None:
        """One bot token gets SEND_RATE_PER_SECOND in total, so each live replica paces at
        its share.  Why divide by the heartbeat count rather than a token bucket in
        PostgreSQL: no database round trip per message (interactive replies stay instant)
        and nothing to lock; the cost is that an idle replica's share goes unused, and for
        up to one heartbeat after a replica joins the total may run one share over (the
        pacer then backs off on Telegram's 429) or, after one dies, one share under."""
        set_rate = getattr(self.pacer, "set_rate", None)
        if set_rate is not None:
            set_rate(self.base_rate / max(self.live_replicas, 1))

    @property
    def telegram_429s(self) -> int:
        """429s this replica's sends met (the shared pacer pauses once per 429)."""
        return int(getattr(self.pacer, "pauses", 0))

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.settings.leader_check_seconds)
            if self._stopping.is_set():
                return
            await self.beat()


def find_ops(obj: Any) -> Ops | None:
    """The Ops of an app, a context or an AppState (None when not wired)."""
    ops = getattr(getattr(obj, "bot_data", obj), "ops", None)
    return ops if isinstance(ops, Ops) else None


def get_ops(obj: Any) -> Ops:
    ops = find_ops(obj)
    if ops is None:
        raise RuntimeError("the ops runtime is not wired into this application")
    return ops


async def job_prune_ops_tables(context: Any) -> None:
    """Leader job: forgets old update ids and long-gone replicas."""
    updates, replicas = await get_ops(context).prune()
    if updates or replicas:
        log.info("pruned %d handled update ids and %d gone replicas", updates, replicas)


async def job_refresh_statistics(context: Any) -> None:
    """Leader job (SQLite only): fresh planner statistics (see bot.ops.statistics)."""
    await refresh_statistics(get_ops(context).engine)
