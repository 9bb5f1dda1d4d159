"""The candidate search's cache of provider facts, shared by nothing: two placement services
on one database stand for two processes (scale-out API workers). Each must see what the
other wrote (allocations, releases, inventories) at its next search, and no stale answer
may ever let a claim exceed capacity. On SQLite and PostgreSQL (when reachable)."""

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from stratus.db import Database
from stratus.db.migrate import upgrade
from stratus.kit.errors import Conflict
from stratus.services.placement.client import CandidateQuery, PlacementClient
from stratus.services.placement.errors import DuplicateName, InventoryInUse
from stratus.services.placement.service import PlacementService
from tests.conftest import postgres_database, postgres_reachable


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'p.sqlite'}"
        return
    if not postgres_reachable():
        pytest.skip("no PostgreSQL reachable at 127.0.0.1:5432")
    with postgres_database() as url:
        yield url


async def _two(
    url: str, *, concurrent: bool = False
) -> tuple[list[Database], PlacementClient, PlacementClient]:
    """Two services, each with its own engine and caches, over one database. (SQLite
    writers in one process take turns through their engine's lock, so concurrent writers
    there share one engine; their caches stay apart.)"""
    first = Database(url)
    await upgrade(first)
    second = first if concurrent and first.is_sqlite else Database(url)
    clients = []
    for db in (first, second):
        svc = PlacementService(db)
        await svc.sync_standard_names()
        clients.append(PlacementClient(svc))
    return [first, second], clients[0], clients[1]


def _vcpu(n: int, limit: int | None = None) -> CandidateQuery:
    return CandidateQuery(resources={"VCPU": n}, limit=limit)


async def _used(client: PlacementClient, rp: str) -> int:
    found = await client.allocation_candidates(_vcpu(1))
    for uuid_, summary in found.summaries.items():
        if uuid_ == rp:
            return int(summary["resources"]["VCPU"]["used"])
    raise AssertionError(f"{rp} is not a candidate for one VCPU")


def test_sees_allocations_of_another_process(db_url: str) -> None:
    asyncio.run(_sees_allocations(db_url))


async def _sees_allocations(url: str) -> None:
    dbs, a, b = await _two(url)
    try:
        node = str(uuid.uuid4())
        await a.ensure_provider(node, "node-1")
        await a.set_inventories(node, {"VCPU": {"total": 4}})
        # Both caches are warm: four free VCPUs.
        for client in (a, b):
            assert len((await client.allocation_candidates(_vcpu(3))).requests) == 1
        stale = (await a.allocation_candidates(_vcpu(3))).requests[0][0]
        first = str(uuid.uuid4())
        await b.claim(first, stale, project_id="p", user_id="u", consumer_generation=None)
        # A sees B's allocation at once: no room for three more, one used... three used.
        assert (await a.allocation_candidates(_vcpu(3))).requests == []
        assert await _used(a, node) == 3
        # Its provider list shows the generation B's claim moved.
        gen_b = (await b.service.get_provider(node)).generation
        listed = await a.service.list_providers(uuid=node)
        assert [p.generation for p in listed] == [gen_b]
        # The stale candidate A read before is refused by the claim: no over-allocation.
        second = str(uuid.uuid4())
        with pytest.raises(Conflict):
            await a.claim(second, stale, project_id="p", user_id="u", consumer_generation=None)
        assert await _used(b, node) == 3
        # A release (which leaves the provider generation alone) is seen too.
        await b.delete_allocations(first)
        assert await _used(a, node) == 0
        assert len((await a.allocation_candidates(_vcpu(4))).requests) == 1
        # And an inventory change.
        await b.set_inventories(node, {"VCPU": {"total": 2}})
        assert (await a.allocation_candidates(_vcpu(3))).requests == []
        found = await a.allocation_candidates(_vcpu(2))
        assert found.summaries[node]["resources"]["VCPU"]["capacity"] == 2
        # Traits and aggregates too.
        await b.service.ensure_trait("CUSTOM_FAST")
        fast = CandidateQuery(resources={"VCPU": 1}, required=[{"CUSTOM_FAST"}])
        assert (await a.allocation_candidates(fast)).requests == []
        await b.set_traits(node, ["CUSTOM_FAST"])
        assert len((await a.allocation_candidates(fast)).requests) == 1
        agg = str(uuid.uuid4())
        in_agg = CandidateQuery(resources={"VCPU": 1}, member_of=[{agg}])
        assert (await a.allocation_candidates(in_agg)).requests == []
        await b.set_aggregates(node, [agg])
        assert len((await a.allocation_candidates(in_agg)).requests) == 1
        # And a provider deleted there is gone here.
        await b.service.delete_provider(node)
        assert (await a.allocation_candidates(_vcpu(1))).requests == []
    finally:
        for db in set(dbs):
            await db.dispose()


def test_uncommitted_allocation_is_seen_once_committed(db_url: str) -> None:
    asyncio.run(_uncommitted(db_url))


async def _uncommitted(url: str) -> None:
    dbs, a, b = await _two(url)
    try:
        node = str(uuid.uuid4())
        await a.ensure_provider(node, "node-1")
        await a.set_inventories(node, {"VCPU": {"total": 4}})
        assert await _used(a, node) == 0
        from stratus.services.placement.service import ConsumerAllocations

        consumer = str(uuid.uuid4())
        async with dbs[1].session() as s:
            await b.service.write_allocations(
                [ConsumerAllocations(consumer, {node: {"VCPU": 2}}, "p", "u")], session=s
            )
            # Not committed yet: A's search (its own transaction) does not see it.
            assert await _used(a, node) == 0
        # Committed: the next search does, though A cached the epoch of the empty node.
        assert await _used(a, node) == 2
    finally:
        for db in set(dbs):
            await db.dispose()


def test_concurrent_claims_from_two_processes_never_overallocate(db_url: str) -> None:
    asyncio.run(_concurrent(db_url))


async def _concurrent(url: str) -> None:
    dbs, a, b = await _two(url, concurrent=True)
    try:
        nodes = [str(uuid.uuid4()) for _ in range(3)]
        for i, node in enumerate(nodes):
            await a.ensure_provider(node, f"node-{i}")
            await a.set_inventories(node, {"VCPU": {"total": 4}})
        placed = 0

        async def boot(client: PlacementClient) -> None:
            nonlocal placed
            consumer = str(uuid.uuid4())
            # As the scheduler: search, then claim the candidates in order until one holds.
            for allocations, _ in (await client.allocation_candidates(_vcpu(1))).requests:
                try:
                    await client.claim(
                        consumer, allocations, project_id="p", user_id="u", consumer_generation=None
                    )
                except Conflict:
                    continue
                placed += 1
                return

        # 12 VCPUs, 20 boots from both services at once: 12 land, none beyond capacity.
        await asyncio.gather(*(boot(a if i % 2 else b) for i in range(20)))
        assert placed == 12
        for client in (a, b):
            assert (await client.allocation_candidates(_vcpu(1))).requests == []
            for node in nodes:
                _gen, usage = await client.service.usages_for_provider(node)
                assert usage == {"VCPU": 4}
    finally:
        for db in set(dbs):
            await db.dispose()


def test_report_providers(db_url: str) -> None:
    asyncio.run(_report(db_url))


async def _report(url: str) -> None:
    dbs, a, b = await _two(url)
    try:
        hosts = [(str(uuid.uuid4()), f"host-{i}") for i in range(3)]

        def reports(vcpus: int, last_traits: list[str]) -> list[tuple[str, str, dict, list]]:  # type: ignore[type-arg]
            return [
                (
                    u,
                    name,
                    {"VCPU": {"total": vcpus if i == 2 else 4}, "MEMORY_MB": {"total": 2048}},
                    last_traits if i == 2 else ["HW_CPU_X86_AVX2"],
                )
                for i, (u, name) in enumerate(hosts)
            ]

        # B searches first, so its cache holds the empty cloud.
        assert (await b.allocation_candidates(_vcpu(1))).requests == []
        await a.report_providers(reports(4, ["HW_CPU_X86_AVX2"]))
        gens = [(await a.service.get_provider(u)).generation for u, _ in hosts]
        assert gens == [1, 1, 1]
        assert len((await b.allocation_candidates(_vcpu(4))).requests) == 3
        _gen, traits = await a.service.provider_traits(hosts[0][0])
        assert traits == ["HW_CPU_X86_AVX2"]
        # Again, one host changed (more CPUs, a new custom trait): only it moves.
        await a.report_providers(reports(8, ["CUSTOM_FAST"]))
        gens = [(await a.service.get_provider(u)).generation for u, _ in hosts]
        assert gens == [1, 1, 2]
        _gen, traits = await a.service.provider_traits(hosts[2][0])
        assert traits == ["CUSTOM_FAST"]
        found = await b.allocation_candidates(_vcpu(5))
        assert [list(allocs) for allocs, _ in found.requests] == [[hosts[2][0]]]
        # Dropping a class that is in use is refused, and nothing of the report is written.
        consumer = str(uuid.uuid4())
        await b.claim(
            consumer,
            {hosts[0][0]: {"MEMORY_MB": 512}},
            project_id="p",
            user_id="u",
            consumer_generation=None,
        )
        without_memory = [(u, n, {"VCPU": {"total": 16}}, t) for u, n, _inv, t in reports(8, [])]
        with pytest.raises(InventoryInUse):
            await a.report_providers(without_memory)
        _gen, invs = await a.service.get_inventories(hosts[0][0])
        assert {r.resource_class: r.total for r in invs} == {"VCPU": 4, "MEMORY_MB": 2048}
        # A new provider may not take an existing provider's name.
        with pytest.raises(DuplicateName):
            await a.report_providers([(str(uuid.uuid4()), "host-0", {}, [])])
    finally:
        for db in set(dbs):
            await db.dispose()


def test_renamed_class_is_not_served_under_its_old_name(tmp_path: Path) -> None:
    asyncio.run(_renamed(f"sqlite+aiosqlite:///{tmp_path / 'p.sqlite'}"))


async def _renamed(url: str) -> None:
    dbs, a, _b = await _two(url)
    try:
        node = str(uuid.uuid4())
        await a.ensure_provider(node, "node-1")
        await a.service.create_resource_class("CUSTOM_GOLD")
        await a.set_inventories(node, {"CUSTOM_GOLD": {"total": 4}})
        query = CandidateQuery(resources={"CUSTOM_GOLD": 1})
        found = await a.allocation_candidates(query)
        assert found.requests[0][0] == {node: {"CUSTOM_GOLD": 1}}
        assert set(found.summaries[node]["resources"]) == {"CUSTOM_GOLD"}
        await a.service.rename_resource_class("CUSTOM_GOLD", "CUSTOM_SILVER")
        found = await a.allocation_candidates(CandidateQuery(resources={"CUSTOM_SILVER": 1}))
        assert found.requests[0][0] == {node: {"CUSTOM_SILVER": 1}}
        assert set(found.summaries[node]["resources"]) == {"CUSTOM_SILVER"}
    finally:
        for db in set(dbs):
            await db.dispose()


def test_two_processes_report_the_same_new_hosts(db_url: str) -> None:
    asyncio.run(_report_race(db_url))


async def _report_race(url: str) -> None:
    dbs, a, b = await _two(url, concurrent=True)
    try:
        hosts = [(str(uuid.uuid4()), f"host-{i}") for i in range(50)]
        reports = [(u, n, {"VCPU": {"total": 4}}, ["HW_CPU_X86_AVX2"]) for u, n in hosts]
        await asyncio.gather(a.report_providers(reports), b.report_providers(reports))
        for u, _n in hosts:
            assert (await a.service.get_provider(u)).generation == 1
        assert len((await b.allocation_candidates(_vcpu(4))).requests) == 50
    finally:
        for db in set(dbs):
            await db.dispose()
