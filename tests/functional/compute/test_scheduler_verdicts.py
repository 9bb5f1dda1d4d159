"""The scheduler fits a NUMA guest once per kind of host (same topology, RAM ratio and
usage) and shares the verdict: hosts alike get the same answer, hosts whose usage differs
are fitted on their own, and a full host is never chosen however well it weighs."""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from stratus.db import Database
from stratus.db.migrate import upgrade
from stratus.scheduler import RequestSpec, Scheduler
from stratus.scheduler.claims import HostClaims
from stratus.scheduler.numa import fit
from stratus.scheduler.request import HostState, NoValidHost
from stratus.services.placement.service import CandidateSet
from tests.functional.compute.test_claims_db import GUEST, TOPOLOGY

EXTRA = {"hw:cpu_policy": "dedicated", "hw:cpu_thread_policy": "isolate", "hw:numa_nodes": "2"}


class FakePlacement:
    """Every host is a candidate; host i has the (10 - i)th most free RAM."""

    def __init__(self, hosts: list[str]) -> None:
        self.hosts = hosts
        self.claimed: dict[str, str] = {}

    async def allocation_candidates(self, query: Any) -> CandidateSet:
        requests = [({h: dict(query.resources)}, {"": [h]}) for h in self.hosts]
        summaries = {
            h: {
                "resources": {"MEMORY_MB": {"capacity": 65536, "used": 1000 * i}},
                "root_provider_uuid": h,
            }
            for i, h in enumerate(self.hosts)
        }
        return CandidateSet(requests, summaries)

    async def claim(self, consumer: str, allocations: Any, **_kw: Any) -> None:
        self.claimed[consumer] = next(iter(allocations))

    async def delete_allocations(self, consumer: str) -> None:
        self.claimed.pop(consumer, None)


def test_numa_verdicts_follow_usage(tmp_path: Path) -> None:
    asyncio.run(_verdicts(tmp_path))


async def _verdicts(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 's.sqlite'}")
    try:
        await upgrade(db)
        claims = HostClaims(db)
        names = [f"h{i}" for i in range(5)]
        # h0 and h1 are full (four such guests each), h2 holds one, h3 and h4 none.
        for host, guests in (("h0", 4), ("h1", 4), ("h2", 1)):
            for n in range(guests):
                placed = await claims.claim(host, f"{host}-{n}", lambda u: fit(TOPOLOGY, u, GUEST))
                assert placed is not None
        states = {
            h: HostState(host=h, nodename=h, uuid=h, availability_zone="nova", topology=TOPOLOGY)
            for h in names
        }
        placement = FakePlacement(names)
        scheduler = Scheduler(placement, claims=claims)  # type: ignore[arg-type]

        def spec(name: str) -> RequestSpec:
            return RequestSpec(name, "p", "u", {"PCPU": 4, "MEMORY_MB": 1024}, extra_specs=EXTRA)

        first = spec("a")
        chosen = await scheduler.select(first, states)
        # h0 and h1 weigh best but are full; h2 (one guest) is next best.
        assert chosen.host == "h2"
        assert set(first.fits) == {"h2", "h3", "h4"}
        # Fill h2, h3 and h4 up (h2 took "a" already): the rest of the room goes, then
        # nothing fits anywhere.
        placed = [chosen.host]
        for i in range(2 + 4 + 4):
            placed.append((await scheduler.select(spec(f"g{i}"), states)).host)
        assert sorted(placed) == ["h2"] * 3 + ["h3"] * 4 + ["h4"] * 4
        with pytest.raises(NoValidHost):
            await scheduler.select(spec("late"), states)
    finally:
        await db.dispose()
