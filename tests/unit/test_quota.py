"""The quota engine never lets concurrent claims exceed a limit, on SQLite and PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.db import Database
from stratus.db.migrate import upgrade
from stratus.quota import OverQuota, QuotaEngine, QuotaResource
from tests.conftest import postgres_database, postgres_reachable

meta = MetaData()
widgets = Table(
    "test_quota_widgets",
    meta,
    Column("id", Integer, primary_key=True),
    Column("project_id", String(64)),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'q.sqlite'}"
        return
    if not postgres_reachable():
        pytest.skip("no PostgreSQL reachable at 127.0.0.1:5432")
    with postgres_database() as pg:
        yield pg


@pytest.fixture
async def db(url: str) -> AsyncIterator[Database]:
    database = Database(url)
    await upgrade(database)
    async with database.engine.begin() as conn:
        await conn.run_sync(meta.create_all)
    yield database
    await database.dispose()


async def count_widgets(session: AsyncSession, project_id: str) -> int:
    stmt = select(func.count()).select_from(widgets).where(widgets.c.project_id == project_id)
    return int((await session.execute(stmt)).scalar_one())


async def test_concurrent_claims_never_exceed_the_limit(db: Database) -> None:
    engine = QuotaEngine()
    engine.register(QuotaResource("test.widgets", default=5, counter=count_widgets))

    async def create() -> bool:
        try:
            async with db.session() as s:
                await engine.claim(s, "p1", {"test.widgets": 1})
                await asyncio.sleep(0.01)  # widen the race window
                await s.execute(insert(widgets).values(project_id="p1"))
            return True
        except OverQuota:
            return False

    results = await asyncio.gather(*(create() for _ in range(20)))
    assert sum(results) == 5
    async with db.reader() as s:
        assert await count_widgets(s, "p1") == 5


async def test_overrides_and_unlimited(db: Database) -> None:
    engine = QuotaEngine()
    engine.register(QuotaResource("test.widgets", default=0, counter=count_widgets))
    async with db.session() as s:
        with pytest.raises(OverQuota) as err:
            await engine.claim(s, "p2", {"test.widgets": 1})
    assert err.value.limit == 0
    async with db.session() as s:
        await engine.set_limit(s, "p2", "test.widgets", -1)
    async with db.session() as s:
        await engine.claim(s, "p2", {"test.widgets": 1000})
        assert (await engine.limits(s, "p2"))["test.widgets"] == -1
