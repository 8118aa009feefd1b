"""Handling each update once although Telegram delivers it at least once.

The crash window, and the choice made here (PostgreSQL):
the `processed_update` row is inserted with ON CONFLICT DO NOTHING in a transaction that
stays open on its own connection while the update is handled, and commits only after.

* A replica that dies mid-update (before the commit): PostgreSQL rolls the insert back
  when its connection drops, so the redelivered update finds no row and is handled
  again elsewhere.  Nothing is lost.
* A redelivery racing the first attempt (a proxy or Telegram timeout): its insert waits
  on the uncommitted row; if the first attempt commits, it sees a conflict and is
  answered 200 as a duplicate; if it waits longer than `lock_timeout`, it is answered 503
  and Telegram retries later.  Never two handlings at the same time.
* A replica that dies after its work but before answering 200: the row is committed,
  the redelivery is ignored.
* What remains: a replica killed between the handler's own commit/reply and the claim's
  commit (a millisecond) handles that update twice.  Inserting the claim *before*
  handling in a separate transaction would close that window by losing the update
  instead, which is worse: a duplicate reply beats a silently dropped claim.

SQLite is one process: the claim is checked before and recorded after the handling, and
an in-memory set turns a concurrent redelivery into 503.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from models import ProcessedUpdate

# How long a redelivery waits for the first attempt before being told to come back.
CLAIM_LOCK_TIMEOUT = "5s"


class Claim(enum.Enum):
    NEW = "new"  # handle it
    DUPLICATE = "duplicate"  # handled already: answer 200, do nothing
    BUSY = "busy"  # being handled right now elsewhere: answer 503, Telegram retries


class UpdateGate:
    def __init__(self, engine: AsyncEngine, replica_id: str) -> None:
        self.engine = engine
        self.replica_id = replica_id
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._in_flight: set[int] = set()

    @asynccontextmanager
    async def claim(self, update_id: int, now: datetime) -> AsyncIterator[Claim]:
        """Yields what to do with the update; handling inside the block commits the claim."""
        if self.is_sqlite:
            async with self._claim_sqlite(update_id, now) as outcome:
                yield outcome
            return
        async with self.engine.connect() as conn:
            tx = await conn.begin()
            try:
                await conn.execute(text(f"SET LOCAL lock_timeout = '{CLAIM_LOCK_TIMEOUT}'"))
                inserted = await conn.scalar(
                    pg_insert(ProcessedUpdate)
                    .values(update_id=update_id, handled_at=now, handled_by=self.replica_id)
                    .on_conflict_do_nothing(index_elements=["update_id"])
                    .returning(ProcessedUpdate.update_id)
                )
            except DBAPIError as exc:
                await tx.rollback()
                if "lock timeout" in str(exc).lower() or "LockNotAvailable" in repr(exc):
                    yield Claim.BUSY
                    return
                raise
            if inserted is None:
                await tx.rollback()
                yield Claim.DUPLICATE
                return
            try:
                yield Claim.NEW
            except BaseException:
                await tx.rollback()
                raise
            await tx.commit()

    @asynccontextmanager
    async def _claim_sqlite(self, update_id: int, now: datetime) -> AsyncIterator[Claim]:
        if update_id in self._in_flight:
            yield Claim.BUSY
            return
        sessionmaker = async_sessionmaker(self.engine)
        async with sessionmaker() as session:
            seen = await session.scalar(
                select(exists().where(ProcessedUpdate.update_id == update_id))
            )
        if seen:
            yield Claim.DUPLICATE
            return
        self._in_flight.add(update_id)
        try:
            yield Claim.NEW
            async with sessionmaker.begin() as session:
                await session.execute(
                    sqlite_insert(ProcessedUpdate)
                    .values(update_id=update_id, handled_at=now, handled_by=self.replica_id)
                    .on_conflict_do_nothing(index_elements=["update_id"])
                )
        finally:
            self._in_flight.discard(update_id)


async def prune_processed_updates(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime, retention: timedelta
) -> int:
    """Forgets update ids older than the retention window (Telegram keeps updates 24 h)."""
    async with sessionmaker.begin() as session:
        result = await session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.handled_at < now - retention)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
