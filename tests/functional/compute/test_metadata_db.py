"""The metadata service's SQL on SQLite and PostgreSQL: guest passwords, injected files and
the live instances among candidates."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from stratus.db import Database
from stratus.db.migrate import upgrade
from stratus.kit.timeutil import utcnow
from stratus.services.compute.metadata import repository as repo
from stratus.services.compute.models import Instance
from tests.conftest import postgres_database, postgres_reachable


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'md.sqlite'}"
        return
    if not postgres_reachable():
        pytest.skip("no PostgreSQL reachable at 127.0.0.1:5432")
    with postgres_database() as url:
        yield url


def _instance(uuid: str, project: str, ips: list[str], *, deleted: bool = False) -> Instance:
    now = utcnow()
    return Instance(
        uuid=uuid,
        display_name=uuid[:4],
        project_id=project,
        user_id="u",
        hostname=uuid[:4],
        host="compute-0",
        vm_state="active",
        flavor={},
        vcpus=1,
        memory_mb=64,
        reservation_id="r-1",
        network_info=[{"port_id": "p", "subnets": [{"ips": ips}]}],
        deleted=deleted,
        created_at=now,
        updated_at=now,
    )


async def test_passwords_and_addresses(db_url: str) -> None:
    db = Database(db_url)
    try:
        await upgrade(db)
        async with db.session() as s:
            s.add(_instance("aaaa-1", "p1", ["10.0.0.5"]))
            s.add(_instance("bbbb-2", "p2", ["10.0.0.5"]))
            s.add(_instance("cccc-3", "p1", ["10.0.0.6"], deleted=True))
        async with db.session() as s:
            assert await repo.get_password(s, "aaaa-1") is None
            assert not await repo.has_kept(s, "aaaa-1")
            await repo.add_password(s, "aaaa-1", "c2VjcmV0", utcnow())
        async with db.reader() as s:
            assert await repo.get_password(s, "aaaa-1") == "c2VjcmV0"
            assert await repo.has_kept(s, "aaaa-1") and not await repo.has_kept(s, "bbbb-2")
            both = await repo.live_instances(s, ["aaaa-1", "bbbb-2"], project_id=None)
            assert sorted(i.uuid for i in both) == ["aaaa-1", "bbbb-2"]
            mine = await repo.live_instances(s, ["aaaa-1", "bbbb-2"], project_id="p2")
            assert [i.uuid for i in mine] == ["bbbb-2"]
            # deleted instances are not live
            assert await repo.live_instances(s, ["cccc-3"], project_id=None) == []
            assert await repo.live_instances(s, [], project_id=None) == []
        async with db.session() as s:
            await repo.delete_password(s, "aaaa-1")
            repo.add_files(s, "aaaa-1", [("/etc/b", b"\x00\xff"), ("/etc/a", b"a")])
        async with db.reader() as s:
            assert await repo.get_password(s, "aaaa-1") is None
            assert await repo.get_files(s, "aaaa-1") == [("/etc/b", b"\x00\xff"), ("/etc/a", b"a")]
            assert await repo.has_kept(s, "aaaa-1")  # the files alone
        async with db.session() as s:
            await repo.delete_files(s, "aaaa-1")
        async with db.reader() as s:
            assert await repo.get_files(s, "aaaa-1") == []
            assert not await repo.has_kept(s, "aaaa-1")
    finally:
        await db.dispose()
