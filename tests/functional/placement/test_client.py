"""The in-process client the compute scheduler uses: report a compute node, find
candidates, claim, release."""

import asyncio
import uuid
from pathlib import Path

import pytest

from stratus.db import Database
from stratus.db.migrate import upgrade
from stratus.kit.errors import Conflict
from stratus.services.placement.client import CandidateQuery, PlacementClient
from stratus.services.placement.service import GroupSpec, PlacementService


def test_scheduler_flow(tmp_path: Path) -> None:
    asyncio.run(_flow(tmp_path))


async def _flow(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'p.sqlite'}")
    try:
        await upgrade(db)
        service = PlacementService(db)
        await service.sync_standard_names()
        client = PlacementClient(service)
        node, agg = str(uuid.uuid4()), str(uuid.uuid4())
        await client.ensure_provider(node, "compute-1")
        again = await client.ensure_provider(node, "compute-1")
        assert again.uuid == node
        gen = await client.set_inventories(
            node,
            {"VCPU": {"total": 4, "allocation_ratio": 2.0}, "MEMORY_MB": {"total": 2048}},
        )
        assert gen == 1
        await client.set_traits(node, ["HW_CPU_X86_AVX2", "CUSTOM_FAST"])
        await client.set_aggregates(node, [agg])
        query = CandidateQuery(
            resources={"VCPU": 6, "MEMORY_MB": 1024},
            required=[{"CUSTOM_FAST"}],
            member_of=[{agg}],
            limit=5,
        )
        found = await client.allocation_candidates(query)
        assert [list(allocs) for allocs, _ in found.requests] == [[node]]
        assert found.summaries[node]["resources"]["VCPU"]["capacity"] == 8
        instance = str(uuid.uuid4())
        allocs, _ = found.requests[0]
        await client.claim(instance, allocs, project_id="p", user_id="u", consumer_generation=None)
        view = await client.allocations(instance)
        assert view.generation == 1 and view.allocations[node]["resources"]["VCPU"] == 6
        with pytest.raises(Conflict):  # the node is now too full for a second one
            await client.claim(
                str(uuid.uuid4()), allocs, project_id="p", user_id="u", consumer_generation=None
            )
        assert (await client.allocation_candidates(query)).requests == []
        granular = CandidateQuery(
            groups=[GroupSpec(suffix="1", resources={"VCPU": 2})], group_policy="none"
        )
        assert len((await client.allocation_candidates(granular)).requests) == 1
        await client.delete_allocations(instance)
        assert (await client.allocations(instance)).allocations == {}
    finally:
        await db.dispose()
