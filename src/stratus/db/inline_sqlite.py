"""SQLite for the async engine without a thread per connection: statements run in the calling
thread, between two awaits of the caller.

SQLAlchemy's asyncio support needs a driver whose calls are awaitables. aiosqlite provides them
by running every call (execute, fetch, cursor, commit) in a thread of its own and waking the
event loop when it is done: three or four hops per statement, each costing ~0.1 ms of CPU and
a trip round the loop, while SQLite itself answers most of Stratus' statements in a few
microseconds. Here the awaitables complete at once: the adapter keeps SQLAlchemy's asyncio
interface (the same pool, sessions and greenlet bridge), and a transaction of seven statements
costs ~0.8 ms of CPU instead of ~2.8 ms.

The trade: a statement blocks the event loop while it runs. That is what SQLite costs in any
case (the GIL is held while rows are built), with one exception the engine arranges around:
waiting for the database's write lock. In one process ``Database`` serialises writers with an
asyncio lock before ``BEGIN``, so a writer never waits on SQLite's lock held by a coroutine of
the same loop; only another process holding it (two services on one file) makes a ``BEGIN``
wait, up to the busy timeout, as with any SQLite client.

Use it with the URL scheme ``sqlite+stratus://`` (``Database`` maps ``sqlite+aiosqlite://``
to it)."""

import sqlite3
from collections.abc import Iterable
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)

SCHEME = "sqlite+stratus"


class _Cursor:
    """A sqlite3 cursor with the awaitable methods SQLAlchemy's adapter calls."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> "_Cursor":
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> "_Cursor":
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        if size is None:
            return self._cursor.fetchmany()
        return self._cursor.fetchmany(size)

    async def close(self) -> None:
        self._cursor.close()

    async def __aenter__(self) -> "_Cursor":
        return self

    async def __aexit__(self, *_: object) -> None:
        self._cursor.close()


class _Connection:
    """A sqlite3 connection shaped like aiosqlite's (the parts SQLAlchemy uses)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        # aiosqlite's name for the open connection (None once closed); the adapter reads it.
        self._connection: sqlite3.Connection | None = connection

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> _Cursor:
        return _Cursor(self._conn.cursor())

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._connection = None
        self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    def stop(self) -> None:
        self._connection = None
        self._conn.close()


def raw_connection(driver_connection: object) -> sqlite3.Connection | None:
    """The sqlite3 connection under a driver connection of this module (None for others)."""
    if isinstance(driver_connection, _Connection):
        return driver_connection._conn
    return None


class _AdaptedConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    # aiosqlite's adapter sets the isolation level through aiosqlite's own queue; here the
    # connection is at hand.
    @property
    def isolation_level(self) -> str | None:
        return self._connection._conn.isolation_level  # type: ignore[no-any-return]

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._connection._conn.isolation_level = value


class _Dbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *args: Any, **kwargs: Any) -> _AdaptedConnection:
        kwargs.pop("async_creator_fn", None)
        # The pool may hand a connection to another thread's loop (a cloud served from a
        # thread in tests); SQLite's serialized mode makes that safe.
        kwargs["check_same_thread"] = False
        connection = sqlite3.connect(*args, **kwargs)
        # _Connection covers what the adapter calls, not the whole aiosqlite protocol.
        adapted: Any = _Connection(connection)
        return _AdaptedConnection(self, adapted)


class InlineSQLiteDialect(SQLiteDialect_aiosqlite):
    driver = "stratus"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> AsyncAdapt_aiosqlite_dbapi:
        # aiosqlite only lends the error classes the adapter re-exports.
        import aiosqlite

        return _Dbapi(aiosqlite, sqlite3)


registry.register("sqlite.stratus", __name__, "InlineSQLiteDialect")
