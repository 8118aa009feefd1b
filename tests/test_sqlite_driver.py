"""The one-hop SQLite adapter (bot/sqlite_driver.py) against real SQLite files.

What it must keep from SQLAlchemy's own aiosqlite adapter: rows, row counts and ids,
many-row inserts, streamed results, error mapping, and the write lock that `BEGIN
IMMEDIATE` takes although the BEGIN now travels with the transaction's first statement.
What it changes is counted, not timed: the calls queued on the connection's thread (none
for an INLINE statement, nor for a free write lock's BEGIN IMMEDIATE or a COMMIT under
WAL), and the loop staying free while another process holds the write lock.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db import create_engine, create_sessionmaker
from bot.sqlite_driver import CHECKPOINT_AFTER_ROWS, INLINE
from models import Base, Team


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'hops.sqlite3'}")
    async with eng.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield eng
    await eng.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@contextmanager
def thread_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Names of the functions queued on aiosqlite's connection threads."""
    calls: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(
        self: aiosqlite.Connection, fn: object, *args: object, **kw: object
    ) -> object:
        calls.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kw)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    yield calls


async def test_a_statement_is_one_call_on_the_thread_and_begin_rides_with_it(
    sessionmaker: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with sessionmaker.begin() as session:  # warm the pool: connecting is not counted
        session.add(Team(name="Jaksel", name_key="jaksel"))
    with thread_calls(monkeypatch) as calls:
        async with sessionmaker() as session:
            assert await session.scalar(select(Team.name)) == "Jaksel"
        assert calls == ["_run"]  # BEGIN + SELECT + rows; ending a read needs no hop
        calls.clear()
        async with sessionmaker.begin() as session:
            await session.execute(update(Team).values(name="Jakarta Selatan"))
            await session.execute(insert(Team).values(name="Bogor", name_key="bogor"))
        # The write lock was free: BEGIN IMMEDIATE on the loop's thread, then each
        # statement one call; COMMIT under WAL, with no checkpoint due, needs none.
        assert calls == ["_run", "_run"]
        calls.clear()
        async with sessionmaker.begin():
            pass  # begun (BEGIN IMMEDIATE issued) but no statement: nothing to do there
        assert calls == []


async def test_inline_statements_skip_the_thread_but_never_wait_for_the_write_lock(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with sessionmaker.begin() as session:
        session.add(Team(name="Jaksel", name_key="jaksel"))
    by_key = select(Team.name).where(Team.name_key == "jaksel").execution_options(**INLINE)
    renamed = update(Team).where(Team.name_key == "jaksel").execution_options(**INLINE)
    with thread_calls(monkeypatch) as calls:
        async with sessionmaker() as session:  # a read: BEGIN, SELECT, ROLLBACK all inline
            assert await session.scalar(by_key) == "Jaksel"
        assert calls == []
        async with sessionmaker.begin() as session:  # a write nobody is in the way of
            await session.execute(renamed.values(name="Jakarta Selatan"))
            await session.execute(renamed.values(name="Jaksel Raya"))
        assert calls == []
    async with sessionmaker() as session:
        assert await session.scalar(by_key) == "Jaksel Raya"

    async def rename() -> None:
        async with sessionmaker.begin() as session:
            await session.execute(renamed.values(name="Jaksel Baru"))

    async with sessionmaker() as one, sessionmaker() as two:  # two pooled connections
        assert await one.scalar(by_key) == await two.scalar(by_key)
    assert engine.url.database is not None
    other = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with thread_calls(monkeypatch) as calls:
            writing = asyncio.create_task(rename())
            await asyncio.sleep(0.2)
            # The writer waits on its thread: the loop still serves a read meanwhile.
            async with sessionmaker() as session:
                assert await session.scalar(by_key) == "Jaksel Raya"
            assert not writing.done()
            other.execute("ROLLBACK")  # from the loop: a blocked loop would never get here
            await asyncio.wait_for(writing, 5)
        # BEGIN IMMEDIATE and the first (INLINE) statement waited on the thread; COMMIT
        # under WAL did not.
        assert calls == ["_run"]
    finally:
        other.close()
    async with sessionmaker() as session:
        assert await session.scalar(by_key) == "Jaksel Baru"


async def test_the_wal_is_checkpointed_on_the_thread_every_few_hundred_changed_rows(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    rows_per_commit = 50
    commits = 2 * CHECKPOINT_AFTER_ROWS // rows_per_commit
    with thread_calls(monkeypatch) as calls:
        for batch in range(commits):
            async with sessionmaker.begin() as session:
                await session.execute(insert(Team), [
                    {"name": f"T{batch}-{i}", "name_key": f"t{batch}-{i}"}
                    for i in range(rows_per_commit)
                ])
    assert calls.count("_finish") == 2  # one per CHECKPOINT_AFTER_ROWS rows
    assert calls.count("_end") == 0  # every other COMMIT ran on the loop's thread
    async with sessionmaker() as session:  # SQLite's own checkpoint would run in a COMMIT
        assert await session.scalar(text("PRAGMA wal_autocheckpoint")) == 0
    # The last commit checkpointed: the database file alone, without its WAL, has the rows.
    alone = tmp_path / "without-wal.sqlite3"
    assert engine.url.database is not None
    shutil.copyfile(engine.url.database, alone)
    copy = sqlite3.connect(alone)
    try:
        count = copy.execute(f"SELECT count(*) FROM {Team.__tablename__}").fetchone()[0]
    finally:
        copy.close()
    assert count == commits * rows_per_commit


async def test_rows_counts_ids_and_many_row_inserts(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker.begin() as session:
        team = Team(name="Jaksel", name_key="jaksel")
        session.add(team)
        await session.flush()
        assert team.id is not None  # the ORM's id (RETURNING) came back
        await session.execute(insert(Team), [
            {"name": f"Team {i}", "name_key": f"team-{i}"} for i in range(50)
        ])
        moved = await session.execute(
            update(Team).where(Team.name_key.like("team-%")).values(name="Renamed")
        )
        assert moved.rowcount == 50  # type: ignore[attr-defined]
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count(Team.id))) == 51
        streamed = await session.stream_scalars(select(Team.name_key).order_by(Team.id))
        assert [key async for key in streamed][:3] == ["jaksel", "team-0", "team-1"]


async def test_errors_are_sqlalchemys_and_the_session_goes_on(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker.begin() as session:
        session.add(Team(name="Jaksel", name_key="jaksel"))
    with pytest.raises(IntegrityError):
        async with sessionmaker.begin() as session:
            await session.execute(insert(Team).values(name="Again", name_key="jaksel"))
    async with sessionmaker.begin() as session:  # the connection was rolled back cleanly
        session.add(Team(name="Bogor", name_key="bogor"))
    async with sessionmaker() as session:
        assert sorted(await session.scalars(select(Team.name_key))) == ["bogor", "jaksel"]


async def test_begin_immediate_still_takes_the_write_lock(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    path = engine.url.database
    assert path is not None
    other = sqlite3.connect(path, timeout=0, isolation_level=None)  # another process's view
    try:
        async with sessionmaker.begin() as session:
            await session.execute(select(1))  # the deferred BEGIN IMMEDIATE ran with it
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # committed: free again
        other.execute("ROLLBACK")
    finally:
        other.close()
