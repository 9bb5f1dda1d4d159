"""A queue in front of the connection pool for the network service's transactions.

On PostgreSQL every port create of one project waits on that project's quota lock row while
holding a pooled connection; a burst larger than the pool (10 + 20 overflow) leaves the rest
waiting for a connection, and SQLAlchemy gives up on them after its 30 s checkout timeout
(a 500). Here they wait in an asyncio queue without a deadline instead, and at most ``slots``
transactions of this service hold connections at once, so other services keep some. A task
that already holds a slot (a nested reader) does not queue again: no self-deadlock. On SQLite
writers are already serialised by the Database's own lock, so the gate only applies to
PostgreSQL.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.db import Database

_holding: ContextVar[bool] = ContextVar("network_gate_holding", default=False)


class GatedDatabase:
    """``session()`` and ``reader()`` of a Database, admitted ``slots`` at a time."""

    def __init__(self, db: Database, slots: int) -> None:
        self.db = db
        self.url = db.url
        self.is_sqlite = db.is_sqlite
        self._slots = None if db.is_sqlite else asyncio.Semaphore(slots)

    @asynccontextmanager
    async def _admitted(self) -> AsyncIterator[None]:
        if self._slots is None or _holding.get():
            yield
            return
        async with self._slots:
            token = _holding.set(True)
            try:
                yield
            finally:
                _holding.reset(token)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._admitted(), self.db.session() as session:
            yield session

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        async with self._admitted(), self.db.reader() as session:
            yield session
