"""The scheduler's host claims and the host snapshot's SQL on SQLite and PostgreSQL: many
concurrent claims on one host never take a CPU twice (compare-and-swap on the host's usage
row), release gives everything back, and the host fingerprint changes when a service does."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from stratus.db import Database
from stratus.db.migrate import upgrade
from stratus.kit.timeutil import utcnow
from stratus.scheduler.claims import HostClaims
from stratus.scheduler.numa import fit, guest_request
from stratus.scheduler.topology import build_topology, parse_cpu_set
from stratus.services.compute import repository as compute_repo
from stratus.services.compute.models import ComputeService
from tests.conftest import postgres_database, postgres_reachable


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'claims.sqlite'}"
        return
    if not postgres_reachable():
        pytest.skip("no PostgreSQL reachable at 127.0.0.1:5432")
    with postgres_database() as url:
        yield url


TOPOLOGY = build_topology(
    sockets=2,
    cores=8,
    threads=2,
    numa_cells=None,
    memory_mb=65536,
    hugepages={},
    dedicated=parse_cpu_set("0-31"),
    shared=frozenset(),
)
# 4 vCPUs isolated over 2 cells: 2 whole cores per cell, 4 such guests per host.
GUEST = guest_request(
    4,
    1024,
    {"hw:cpu_policy": "dedicated", "hw:cpu_thread_policy": "isolate", "hw:numa_nodes": "2"},
    {},
)


async def test_concurrent_claims_never_share_a_cpu(db_url: str) -> None:
    db = Database(db_url)
    try:
        await upgrade(db)
        claims = HostClaims(db)
        node = "node-1"
        results = await asyncio.gather(
            *(
                claims.claim(node, f"inst-{i}", lambda usage: fit(TOPOLOGY, usage, GUEST))
                for i in range(10)
            )
        )
        placed = [r for r in results if r is not None]
        assert len(placed) == 4
        held = [
            cpu
            for p in placed
            for cell in p["cells"]
            for cpu in [*cell["cpu_pinning"].values(), *cell["cpuset_reserved"]]
        ]
        assert len(held) == len(set(held)) == 32
        usage = (await claims.usages([node]))[node]
        assert sorted(usage.cells[0].pinned | usage.cells[1].pinned) == list(range(32))
        for i in range(10):
            await claims.release(f"inst-{i}")
        usage = (await claims.usages([node]))[node]
        assert all(not c.pinned and not c.memory_mb for c in usage.cells.values())
        # Claiming again for one consumer replaces its old placement.
        first = await claims.claim(node, "again", lambda u: fit(TOPOLOGY, u, GUEST))
        second = await claims.claim(node, "again", lambda u: fit(TOPOLOGY, u, GUEST))
        assert first == second
        assert await claims.topology("again") == second
    finally:
        await db.dispose()


async def test_host_marks_follow_services(db_url: str) -> None:
    db = Database(db_url)
    try:
        await upgrade(db)
        now = utcnow()
        async with db.session() as s:
            s.add(
                ComputeService(
                    uuid="svc-1",
                    host="compute-0",
                    binary="nova-compute",
                    topic="compute",
                    disabled=False,
                    forced_down=False,
                    last_seen_up=now,
                    created_at=now,
                    updated_at=now,
                )
            )
        async with db.reader() as s:
            rows, beats = await compute_repo.host_marks(s)
        # A heartbeat moves only the liveness mark.
        async with db.session() as s:
            await compute_repo.touch_services(s, utcnow())
        async with db.reader() as s:
            rows_after, beats_after = await compute_repo.host_marks(s)
        assert rows_after == rows and beats_after != beats
        async with db.reader() as s:
            assert await compute_repo.host_marks(s) == (rows_after, beats_after)
        # Disabling a service moves the rows mark.
        async with db.session() as s:
            svc = await compute_repo.get_service(s, "compute-0", "nova-compute")
            assert svc is not None
            svc.disabled, svc.updated_at = True, utcnow()
        async with db.reader() as s:
            rows_disabled, _beats = await compute_repo.host_marks(s)
        assert rows_disabled != rows
    finally:
        await db.dispose()
