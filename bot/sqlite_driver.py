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
        if begin is not None:
            connection.began = begin
        conn = self._connection._conn
        try:
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

    __slots__ = ("began", "pending_begin")

    _cursor_cls = OneHopCursor  # type: ignore[assignment]  # a subclass; mypy sees __init__

    def __init__(self, dbapi: Any, connection: Any) -> None:  # an aiosqlite.Connection
        super().__init__(dbapi, connection)
        self.pending_begin: str | None = None
        self.began: str | None = None  # the BEGIN of the open transaction

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
        try:
            if not commit and not _may_wait(began):
                # Ending a read: nothing to undo or write (a COMMIT may checkpoint the WAL
                # and sync the file, and undoing a write touches pages: both on the thread).
                _end(self._connection._conn, commit)
            else:
                await_(self._connection._execute(_end, self._connection._conn, commit))
        except Exception as error:
            self._handle_exception(error)


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module handed to `create_async_engine(module=...)`."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)


def mark_inline(
    _conn: Any, cursor: Any, _statement: str, _parameters: Any, context: Any, _many: bool
) -> None:
    """The engine's `before_cursor_execute` listener: a statement built with `INLINE` runs
    on the event loop's thread."""
    if context is not None and context.execution_options.get(INLINE_OPTION):
        cursor.inline = True
