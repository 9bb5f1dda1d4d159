"""The SQLite engine: statements inline in the event loop, writers queued before BEGIN."""

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from stratus.db.engine import Database


async def _counter_db(path: Path) -> Database:
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.session() as s:
        await s.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)"))
        await s.execute(text("INSERT INTO counter (id, n) VALUES (1, 0)"))
    return db


def test_aiosqlite_urls_are_served_by_the_inline_driver(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'a.sqlite'}")
    assert db.engine.dialect.driver == "stratus"
    assert Database(f"sqlite:///{tmp_path / 'b.sqlite'}").engine.dialect.driver == "stratus"


def test_writers_that_yield_mid_transaction_are_serialised(tmp_path: Path) -> None:
    async def main() -> int:
        db = await _counter_db(tmp_path / "c.sqlite")

        async def bump() -> None:
            async with db.session() as s:
                n = (await s.execute(text("SELECT n FROM counter WHERE id = 1"))).scalar_one()
                await asyncio.sleep(0)  # other writers get the loop here
                await s.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})

        await asyncio.gather(*(bump() for _ in range(40)))
        async with db.reader() as s:
            total = (await s.execute(text("SELECT n FROM counter"))).scalar_one()
        await db.dispose()
        return int(total)

    assert asyncio.run(main()) == 40


def test_a_failed_writer_changes_nothing_and_frees_the_next(tmp_path: Path) -> None:
    async def main() -> int:
        db = await _counter_db(tmp_path / "f.sqlite")
        with pytest.raises(RuntimeError):
            async with db.session() as s:
                await s.execute(text("UPDATE counter SET n = 99 WHERE id = 1"))
                raise RuntimeError("boom")
        async with db.session() as s:
            await s.execute(text("UPDATE counter SET n = n + 1 WHERE id = 1"))
        async with db.reader() as s:
            total = (await s.execute(text("SELECT n FROM counter"))).scalar_one()
        await db.dispose()
        return int(total)

    assert asyncio.run(main()) == 1


def test_readers_see_the_last_commit_while_a_writer_is_open(tmp_path: Path) -> None:
    async def main() -> tuple[int, int]:
        db = await _counter_db(tmp_path / "r.sqlite")
        writing = asyncio.Event()
        release = asyncio.Event()

        async def writer() -> None:
            async with db.session() as s:
                await s.execute(text("UPDATE counter SET n = 5 WHERE id = 1"))
                writing.set()
                await release.wait()

        task = asyncio.create_task(writer())
        await writing.wait()
        async with db.reader() as s:
            during = (await s.execute(text("SELECT n FROM counter"))).scalar_one()
        release.set()
        await task
        async with db.reader() as s:
            after = (await s.execute(text("SELECT n FROM counter"))).scalar_one()
        await db.dispose()
        return int(during), int(after)

    assert asyncio.run(main()) == (0, 5)
