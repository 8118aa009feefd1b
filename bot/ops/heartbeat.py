"""Replica heartbeats: who is alive, who leads, and how many share the Telegram pace.

Each replica upserts its row every LEADER_CHECK_SECONDS; a row not refreshed for three
ticks is a dead replica.  Only PostgreSQL deployments run several processes, so SQLite
skips the writes (one process, always alive, always leader).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Replica

# A replica that missed this many heartbeats is counted as gone.
MISSED_BEATS = 3
# Rows of replicas gone longer than this are deleted by the leader's pruning job.
FORGET_AFTER = timedelta(hours=1)


def liveness_window(check_seconds: float) -> timedelta:
    return timedelta(seconds=max(MISSED_BEATS * check_seconds, 3.0))


async def beat(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    replica_id: str,
    host: str,
    pid: int,
    started_at: datetime,
    leader: bool,
    now: datetime,
    window: timedelta,
) -> int:
    """Records that this replica is alive; returns how many replicas are alive now."""
    async with sessionmaker.begin() as session:
        await session.execute(
            pg_insert(Replica)
            .values(
                replica_id=replica_id,
                host=host,
                pid=pid,
                started_at=started_at,
                seen_at=now,
                leader=leader,
            )
            .on_conflict_do_update(
                index_elements=["replica_id"], set_={"seen_at": now, "leader": leader}
            )
        )
        alive = await session.scalar(
            select(func.count()).select_from(Replica).where(Replica.seen_at >= now - window)
        )
        return max(int(alive or 0), 1)


async def leave(sessionmaker: async_sessionmaker[AsyncSession], replica_id: str) -> None:
    """A replica shutting down cleanly stops counting at once."""
    async with sessionmaker.begin() as session:
        await session.execute(delete(Replica).where(Replica.replica_id == replica_id))


async def forget_gone(sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime) -> int:
    async with sessionmaker.begin() as session:
        result = await session.execute(delete(Replica).where(Replica.seen_at < now - FORGET_AFTER))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
