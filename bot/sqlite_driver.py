"""SQLAlchemy's aiosqlite adapter with one thread hop per statement instead of four.

aiosqlite runs each SQLite call on the connection's own thread and hands the result back
to the event loop: a queue put, a thread wake-up, the GIL changing hands and a self-pipe
write that wakes the loop, per call.  SQLAlchemy's adapter makes four such calls for one
statement (create a cursor, execute, fetch the rows, close the cursor), and one more for
the `BEGIN` that opens each transaction.  At a rally, a claim is ~11 statements in three
transactions: ~45 hops, most of its CPU on SQLite (measured with `claim_bench`).

This adapter does the same work in one hop per statement: cursor, execute, fetch and close
run together on the connection's thread; the `BEGIN` that opens a transaction rides along
with the transaction's first statement (or is dropped when the transaction ends before
any: nothing was begun, nothing to end), and a COMMIT or ROLLBACK with no transaction
open (the pool's rollback when a session gives its connection back) is not sent at all.
Everything else is SQLAlchemy's own adapter:
server-side cursors (streamed exports), commit, rollback, close, error mapping.

A write transaction need not hop at all.  In-process writers queue on the event loop
(`bot.db`'s write lock), so the write lock is free unless another process holds it: the
`BEGIN IMMEDIATE` is tried on the loop's thread with SQLite's busy timeout at zero, and
only when another process holds the lock does it go to the connection's thread to wait
there with the full timeout (`_begin_unless_busy`).  Under WAL a COMMIT waits for
nothing: it appends to the log, and with `synchronous=NORMAL` it does not sync.  Only
the automatic checkpoint inside it would copy pages and sync the files; it is turned
off on these connections, and the commit that follows every `CHECKPOINT_AFTER_ROWS`
changed rows goes to the thread with a passive checkpoint behind it (`_finish`).  Held
between two thread hops, the lock was the rally's ceiling: at 300 claims/s it was held
92 % of the time, 2.8 ms per claim, most of it waiting for the loop to come back to the
writer after each hop (`claim_bench sqlite`, measured 2026-12-06).

It relies on two attributes of aiosqlite's `Connection` that SQLAlchemy's own adapter
uses too (`_execute`, which queues a function on the connection's thread, and `_conn`,
the `sqlite3.Connection` that must only be used there) and on its `in_transaction`,
read on the loop's thread as aiosqlite itself does; aiosqlite is pinned below 1 in
pyproject.toml, and tests/db/test_sqlite_driver.py checks the adapter against SQLite's
own behaviour.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_

INLINE_OPTION = "gotong_inline"
# `.execution_options(**INLINE)`: a statement that SQLite answers in microseconds (a lookup
# or a few rows by primary or unique key) runs on the event loop's thread, no hop at all.
INLINE = {INLINE_OPTION: True}

# Rows changed through one engine's connections between two checkpoints of the WAL (SQLite
# checkpoints itself every 1,000 log pages; a claim changes ~8 rows in ~10 pages).
CHECKPOINT_AFTER_ROWS = 500

# (description, rows, rowcount, lastrowid) of one statement, read on the connection's thread.
_Outcome = tuple[Any, list[Any], int, int | None]


def _run(
    conn: sqlite3.Connection, begin: str | None, operation: str, parameters: Any, many: bool
) -> _Outcome:
    """On the connection's thread: the pending BEGIN, then the statement and all its rows."""
    if begin is not None:
        conn.execute(begin)
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _end(conn: sqlite3.Connection, commit: bool) -> None:
    if commit:
        conn.commit()
    else:
        conn.rollback()


def _finish(conn: sqlite3.Connection) -> None:
    """On the connection's thread: COMMIT, then copy the WAL's pages into the database as
    far as no reader still needs them (PASSIVE: it waits for nobody)."""
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _begin_unless_busy(conn: sqlite3.Connection, begin: str, busy_timeout_ms: int) -> bool:
    """On the loop's thread: the BEGIN that takes the write lock, if nobody holds it.
    False when another connection holds it (nothing was begun: the caller waits for it on
    the connection's thread); any other error is raised."""
    conn.execute("PRAGMA busy_timeout=0")
    try:
        conn.execute(begin)
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:  # or BUSY_RECOVERY, …
            raise
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    return True


def _checkpoints_by_hand(conn: sqlite3.Connection) -> bool:
    """On the loop's thread, once per connection: True under WAL, where COMMIT then
    runs here and `_finish` checkpoints (SQLite's automatic checkpoint turned off);
    False in any other journal mode, whose COMMIT may wait for readers."""
    (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
    if str(mode).lower() != "wal":
        return False
    conn.execute("PRAGMA wal_autocheckpoint=0").fetchall()
    return True


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement is one call on the connection's thread.

    It holds no aiosqlite cursor: `description`, `rowcount` and `lastrowid` are those of
    its last statement, and its rows were fetched with it (as SQLAlchemy's adapter does)."""

    __slots__ = ("_description", "_lastrowid", "_owner", "_rowcount", "inline")

    def __init__(self, adapt_connection: OneHopConnection) -> None:  # no cursor hop
        self._owner = adapt_connection
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = {}  # type: ignore[assignment]
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self.inline = False  # set per statement by `mark_inline` (INLINE)

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _async_soft_close(self) -> None:
        return None  # nothing is open on the connection's thread

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        return self._statement(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        return self._statement(operation, seq_of_parameters, many=True)

    def _statement(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection = self._owner
        inline, self.inline = self.inline, False
        if not many and _is_begin(operation):
            connection.pending_begin = operation
            self._description, self._rows, self._rowcount = None, collections.deque(), -1
            return
        begin, connection.pending_begin = connection.pending_begin, None
        conn = self._connection._conn
        try:
            if begin is not None:
                connection.began = begin
                if _may_wait(begin) and _begin_unless_busy(
                    conn, begin, connection.busy_timeout_ms(conn)
                ):
                    begin = None  # the write lock was free: taken here, at once
            if inline and not _may_wait(begin):
                description, rows, rowcount, lastrowid = _run(
                    conn, begin, operation, parameters, many
                )
            else:
                description, rows, rowcount, lastrowid = await_(
                    self._connection._execute(_run, conn, begin, operation, parameters, many)
                )
        except Exception as error:
            connection._handle_exception(error)
        self._description, self._rowcount, self._lastrowid = description, rowcount, lastrowid
        self._rows = collections.deque(rows)


def _is_begin(operation: Any) -> bool:
    return isinstance(operation, str) and operation[:5].upper() == "BEGIN"


def _may_wait(begin: str | None) -> bool:
    """`BEGIN IMMEDIATE` (or EXCLUSIVE) waits in the busy handler while another process
    writes: never on the event loop's thread.  A deferred BEGIN under WAL does not wait."""
    return begin is not None and begin.split()[-1].upper() in ("IMMEDIATE", "EXCLUSIVE")


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection with `OneHopCursor` and a deferred BEGIN."""

    __slots__ = ("_busy_timeout_ms", "_counted_changes", "_wal", "began", "pending_begin")

    _cursor_cls = OneHopCursor  # type: ignore[assignment]  # a subclass; mypy sees __init__

    def __init__(self, dbapi: Any, connection: Any) -> None:  # an aiosqlite.Connection
        super().__init__(dbapi, connection)
        self.pending_begin: str | None = None
        self.began: str | None = None  # the BEGIN of the open transaction
        self._busy_timeout_ms: int | None = None  # read once, when first needed
        self._wal: bool | None = None  # `_checkpoints_by_hand`, once
        self._counted_changes = 0  # the connection's total_changes, as counted so far

    def busy_timeout_ms(self, conn: sqlite3.Connection) -> int:
        if self._busy_timeout_ms is None:
            (self._busy_timeout_ms,) = conn.execute("PRAGMA busy_timeout").fetchone()
        return self._busy_timeout_ms

    def _commit_here(self, conn: sqlite3.Connection) -> bool:
        """Whether this COMMIT runs on the loop's thread: under WAL, unless the rows
        changed since the last checkpoint call for one (`_finish`, on the thread)."""
        if self._wal is None:
            self._wal = _checkpoints_by_hand(conn)
        if not self._wal:
            return False
        total = conn.total_changes
        self.dbapi.rows_since_checkpoint += total - self._counted_changes
        self._counted_changes = total
        if self.dbapi.rows_since_checkpoint < CHECKPOINT_AFTER_ROWS:
            return True
        self.dbapi.rows_since_checkpoint = 0
        return False

    def commit(self) -> None:
        self._end(commit=True)

    def rollback(self) -> None:
        self._end(commit=False)

    def _end(self, *, commit: bool) -> None:
        if self.pending_begin is not None:  # begun on paper only: SQLite holds nothing
            self.pending_begin = None
            return
        if not self._connection._connection:  # closed (SQLAlchemy's adapter checks too)
            return
        if not self._connection.in_transaction:  # e.g. the pool's rollback at check-in
            return
        began, self.began = self.began, None
        conn = self._connection._conn
        try:
            if commit:
                if self._commit_here(conn):
                    _end(conn, commit)
                elif self._wal:
                    await_(self._connection._execute(_finish, conn))
                else:
                    await_(self._connection._execute(_end, conn, commit))
            elif not _may_wait(began):
                _end(conn, commit)  # ending a read: nothing to undo
            else:
                # Undoing a write touches pages: on the thread.
                await_(self._connection._execute(_end, conn, commit))
        except Exception as error:
            self._handle_exception(error)


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module handed to `create_async_engine(module=...)`: one per engine, so
    its count of rows changed since the last checkpoint is the database's."""

    rows_since_checkpoint = 0

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)


def begin_with_first_statement(conn: Any, begin: str) -> None:
    """For the engine's "begin" listener: the transaction's BEGIN, sent with its first
    statement (`OneHopCursor`), without a trip through SQLAlchemy's execution path now
    (`exec_driver_sql` built an execution context only for the driver to put it aside:
    ~2 % of a claim's CPU, twice per update).  Any other driver gets it executed."""
    driver = conn.connection.dbapi_connection
    if isinstance(driver, OneHopConnection):
        driver.pending_begin = begin
    else:
        conn.exec_driver_sql(begin)


def mark_inline(
    _conn: Any, cursor: Any, _statement: str, _parameters: Any, context: Any, _many: bool
) -> None:
    """The engine's `before_cursor_execute` listener: a statement built with `INLINE` runs
    on the event loop's thread."""
    if context is not None and context.execution_options.get(INLINE_OPTION):
        cursor.inline = True
