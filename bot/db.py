"""Engine and session factory; the sessionmaker is what travels through the app.

SQLite gets WAL (readers don't block the writer), foreign keys on, and a busy
timeout so concurrent writers wait instead of failing with "database is locked".

How SQLite transactions begin, and why (the claim path depends on it):

- A write use case (`async with sessionmaker.begin() as session:`) first takes an
  in-process asyncio lock, then starts with `BEGIN IMMEDIATE`.  Writers queue FIFO on
  the event loop and wake the moment the previous writer commits, instead of sleeping in
  SQLite's busy handler (whose back-off grows to 100 ms per try); the lock is taken before
  a pooled connection is checked out, so a waiting writer holds nothing another task needs.
  `BEGIN IMMEDIATE` (not deferred) still matters: another process (a second replica, a
  migration, a script) may hold the write lock, and only an immediate BEGIN waits for it
  in the busy handler; a deferred transaction that reads and then writes would fail at
  once with SQLITE_BUSY when another writer committed in between.
- A read-only session (`async with sessionmaker() as session:`, never committed: the code
  base commits only through `sessionmaker.begin()`) starts with a plain deferred `BEGIN`:
  under WAL it reads a consistent snapshot without waiting for, or blocking, any writer.
- Core use of the engine (`engine.begin()`: create_all, Alembic, ops) keeps `BEGIN
  IMMEDIATE` through the engine's "begin" listener, as before.

The session marks its connection through an execution option (`gotong_sqlite_begin`) that
the engine's "begin" listener reads; sessions are bound to an option-engine saying
"deferred", and a writer asks for "immediate" when it opens its connection.  The lock is
per engine and event loop (engines outlive a test's loop; an asyncio lock must not).  It
is not re-entrant: a write use case must not open a second write session while it holds
one (that never worked on SQLite: the second BEGIN IMMEDIATE would wait on the first);
`WRITE_LOCK_TIMEOUT` turns such a mistake into an error instead of a hang.

PostgreSQL needs none of this (row locks, MVCC): `begin()` only marks the session as a
write transaction.  Its read-only sessions run in autocommit: under READ COMMITTED (the
default) each statement reads its own snapshot whether or not a transaction is open, so
the BEGIN and ROLLBACK around a read bought nothing but two round trips per update.  A
read that needs a transaction (a streamed result: PostgreSQL's server-side cursors live
in one; several statements that must agree) asks for `snapshot(sessionmaker)`.

`WRITE_HOOK`: while an update is handled, `bot.ops.dedup` puts a hook in this context
variable; every write transaction (`sessionmaker.begin()`, not a read-only session) calls
it when its connection begins and when it commits or ends, so the update's
`processed_update` row is written in the update's own transaction.  Writes that are not
the update's work (registering its sender) run inside `with housekeeping():`.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

from bot.sqlite_driver import begin_with_first_statement, mark_inline, one_hop_dbapi

SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE_LOCK_TIMEOUT = SQLITE_BUSY_TIMEOUT_MS / 1000
BEGIN_OPTION = "gotong_sqlite_begin"
WRITE_INFO = "gotong_write"  # session.info: opened by sessionmaker.begin()

_write_locks: weakref.WeakKeyDictionary[
    Engine, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]
] = weakref.WeakKeyDictionary()


class WriteHook(Protocol):
    def begun(self, session: Session, connection: Connection) -> None: ...

    def committed(self, session: Session) -> None: ...

    def ended(self, session: Session) -> None: ...


WRITE_HOOK: ContextVar[WriteHook | None] = ContextVar("gotong_write_hook", default=None)


class GotongSession(Session):
    """The sync session behind every AsyncSession of `create_sessionmaker`."""


_HOUSEKEEPING: ContextVar[bool] = ContextVar("gotong_housekeeping", default=False)


@contextmanager
def housekeeping() -> Iterator[None]:
    """Write transactions opened inside are upkeep, not the update's work: they claim
    nothing (`with housekeeping(): async with sessionmaker.begin() as session: ...`)."""
    token = _HOUSEKEEPING.set(True)
    try:
        yield
    finally:
        _HOUSEKEEPING.reset(token)


def is_housekeeping() -> bool:
    return _HOUSEKEEPING.get()


def _write_hook(session: Session) -> WriteHook | None:
    return WRITE_HOOK.get() if session.info.get(WRITE_INFO) else None


@event.listens_for(GotongSession, "after_begin")
def _after_begin(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    if transaction.parent is None and (hook := _write_hook(session)) is not None:
        hook.begun(session, connection)


@event.listens_for(GotongSession, "after_commit")
def _after_commit(session: Session) -> None:
    if (hook := _write_hook(session)) is not None:
        hook.committed(session)


@event.listens_for(GotongSession, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and (hook := _write_hook(session)) is not None:
        hook.ended(session)


def create_engine(database_url: str, *, echo: bool = False) -> AsyncEngine:
    if database_url.startswith("sqlite"):
        engine = create_async_engine(
            database_url,
            echo=echo,
            # One thread hop per statement, none for the hot path's INLINE statements
            # (bot/sqlite_driver.py): those use the connection from the loop's thread.
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            module=one_hop_dbapi(),
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        event.listen(engine.sync_engine, "before_cursor_execute", mark_inline)
        return engine
    # JIT compilation pays off for long analytic scans only; the bot's statements are short
    # and its heaviest (the summary's counts at campaign scale) spent 20-45 ms compiling.
    connect_args = {"server_settings": {"jit": "off"}} if "asyncpg" in database_url else {}
    return ping_when_idle(create_async_engine(
        database_url, echo=echo, pool_size=10, max_overflow=20, connect_args=connect_args,
    ))


# A pooled connection that rested longer than this is pinged before use.
PING_AFTER_IDLE_SECONDS = 10.0
_CHECKED_IN = "gotong_checked_in"


def ping_when_idle(engine: AsyncEngine) -> AsyncEngine:
    """SQLAlchemy's `pool_pre_ping`, but only for a connection that rested a while.

    `pool_pre_ping` costs a round trip on every checkout: two or three per update, a tenth
    of the bot's CPU at a rally (py-spy, claim_bench postgres).  A connection that was in
    use a moment ago is alive; one that rested `PING_AFTER_IDLE_SECONDS` may have been cut
    (a database restart, a proxy's idle timeout) and is pinged: a dead one is replaced
    before anyone sees it, as with `pool_pre_ping`.  A restart in the middle of a rally is
    still seen by the statements in flight (SQLAlchemy then discards the whole pool).
    """

    def checkin(_dbapi_connection: Any, record: Any) -> None:  # also: just connected
        record.info[_CHECKED_IN] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        rested = time.monotonic() - record.info.get(_CHECKED_IN, 0.0)
        if rested < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception:
            alive = False
        if not alive:
            raise DisconnectionError("the pooled connection did not answer a ping")

    event.listen(engine.sync_engine, "connect", checkin)
    event.listen(engine.sync_engine, "checkin", checkin)
    event.listen(engine.sync_engine, "checkout", checkout)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, emit BEGIN (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # pysqlite's own BEGIN handling defers locking until the first write, which lets two
    # transactions read then both try to upgrade: SQLITE_BUSY without waiting.  Writers and
    # Core use take the write lock up front (the busy timeout applies); read-only sessions
    # ask for a deferred BEGIN (see the module docstring).
    deferred = conn.get_execution_options().get(BEGIN_OPTION) == "deferred"
    begin_with_first_statement(conn, "BEGIN" if deferred else "BEGIN IMMEDIATE")


def write_lock(engine: AsyncEngine) -> asyncio.Lock:
    """The engine's writer queue on the running event loop."""
    per_loop = _write_locks.setdefault(engine.sync_engine, weakref.WeakKeyDictionary())
    loop = asyncio.get_running_loop()
    lock = per_loop.get(loop)
    if lock is None:
        lock = per_loop[loop] = asyncio.Lock()
    return lock


class GotongSessionmaker(async_sessionmaker[AsyncSession]):
    """`begin()` is a write transaction (the dedup hook sees it); `()` reads."""

    write_bind: AsyncEngine | None = None  # None: writes use the sessionmaker's own bind

    def __init__(self, bind: AsyncEngine, **kw: Any) -> None:
        super().__init__(bind, sync_session_class=GotongSession, **kw)

    def begin(self) -> Any:  # an async context manager yielding the session
        return self._marked_write()

    @asynccontextmanager
    async def _marked_write(self) -> AsyncIterator[AsyncSession]:
        writer = self() if self.write_bind is None else self(bind=self.write_bind)
        async with writer as session, session.begin():
            session.info[WRITE_INFO] = True
            yield session


class PostgresSessionmaker(GotongSessionmaker):
    """Reads in autocommit (see the module docstring); `begin()` a real transaction."""

    def __init__(self, engine: AsyncEngine, **kw: Any) -> None:
        super().__init__(engine.execution_options(isolation_level="AUTOCOMMIT"), **kw)
        self.write_bind = engine
        self.snapshot_bind = engine.execution_options(isolation_level="REPEATABLE READ")


def snapshot(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncSession:
    """A read-only session in one transaction that reads one snapshot throughout (an
    export's tables agree with each other; a streamed result has its cursor).  On SQLite
    every read session is one already."""
    if isinstance(sessionmaker, PostgresSessionmaker):
        return sessionmaker(bind=sessionmaker.snapshot_bind)
    return sessionmaker()


class SqliteSessionmaker(GotongSessionmaker):
    """`begin()` is a write transaction (writer queue + BEGIN IMMEDIATE); `()` reads."""

    def __init__(self, engine: AsyncEngine, **kw: Any) -> None:
        super().__init__(engine.execution_options(**{BEGIN_OPTION: "deferred"}), **kw)
        self.engine = engine

    def begin(self) -> Any:  # an async context manager yielding the session
        return self._write_transaction()

    @asynccontextmanager
    async def _write_transaction(self) -> AsyncIterator[AsyncSession]:
        lock = write_lock(self.engine)
        try:
            await asyncio.wait_for(lock.acquire(), WRITE_LOCK_TIMEOUT)
        except TimeoutError:
            raise TimeoutError(
                "waited too long for the SQLite write lock (a write session opened "
                "inside another on the same task?)"
            ) from None
        try:
            async with self() as session, session.begin():
                session.info[WRITE_INFO] = True
                await session.connection(execution_options={BEGIN_OPTION: "immediate"})
                yield session
        finally:
            lock.release()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    if engine.dialect.name == "sqlite":
        return SqliteSessionmaker(engine, expire_on_commit=False)
    if engine.dialect.name == "postgresql":
        return PostgresSessionmaker(engine, expire_on_commit=False)
    return GotongSessionmaker(engine, expire_on_commit=False)
