"""The async engine and session factory: SQLite (WAL) by default, run inline in the event loop
(``inline_sqlite``), PostgreSQL via asyncpg."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from stratus.db import inline_sqlite

# Older configurations name aiosqlite; the same database is served by the inline driver.
_SQLITE_ALIASES = ("sqlite+aiosqlite:", "sqlite:")


class Database:
    """Owns the engine. ``session()`` gives one transaction: commit on success, rollback on error."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        for alias in _SQLITE_ALIASES:
            if url.startswith(alias):
                url = inline_sqlite.SCHEME + ":" + url[len(alias) :]
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30}
            # Sessions end their transactions themselves (commit, or rollback on error):
            # no second rollback when the connection goes back to the pool.
            kwargs["pool_reset_on_return"] = None
            if ":memory:" not in url and url.rstrip("/") != inline_sqlite.SCHEME + ":":
                # File connections are cheap; readers run alongside the one writer under WAL
                # (each reader holds its own connection through its transaction).
                kwargs.update(pool_size=50, max_overflow=30)
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin_immediate)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer. Writers queue here, before BEGIN: statements run inline, so a
        # writer waiting on SQLite's own lock would stall the loop that must finish the holder.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A read-write transaction. On SQLite writers are serialised through one lock."""
        async with self._write_lock or contextlib.nullcontext(), self._transaction() as session:
            yield session

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction (no writer lock on SQLite: WAL lets readers run alongside)."""
        async with self._transaction() as session:
            yield session

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        """On SQLite the clean-up runs in the caller's task. The session's own context manager
        closes it in a shielded task of its own, so that a cancellation cannot cut the close
        short while it waits on the driver; inline SQLite never waits, and those tasks cost
        two trips round the loop per transaction (with the writer lock held)."""
        if not self.is_sqlite:
            async with self._sessions() as session, session.begin():
                yield session
            return
        session = self._sessions()
        try:
            async with session.begin():
                yield session
        finally:
            await session.close()

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Take over transaction control from the sqlite3 module, so the engine's BEGIN is the one.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    inline = inline_sqlite.raw_connection(conn.connection.driver_connection)
    if inline is not None:
        inline.execute("BEGIN")  # straight to SQLite: nothing to compile or log
    else:
        conn.exec_driver_sql("BEGIN")
