"""Property: over random inventories and random claim sequences, a claim succeeds exactly
when it fits (min/max/step and (total - reserved) * ratio), and usage never exceeds
capacity. Runs the service in-process on SQLite."""

import asyncio
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stratus.db import Database
from stratus.db.migrate import upgrade
from stratus.kit.errors import Conflict
from stratus.services.placement.service import (
    ConsumerAllocations,
    InventoryRecord,
    PlacementService,
)


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("placement-prop") / "p.sqlite"
    url = f"sqlite+aiosqlite:///{path}"

    async def migrate() -> None:
        db = Database(url)
        try:
            await upgrade(db)
            await PlacementService(db).sync_standard_names()
        finally:
            await db.dispose()

    asyncio.run(migrate())
    return url


inventories = st.builds(
    dict,
    total=st.integers(1, 40),
    reserved=st.integers(0, 10),
    ratio=st.sampled_from([0.5, 1.0, 1.5, 4.0]),
    min_unit=st.integers(1, 3),
    max_unit=st.integers(1, 40),
    step=st.integers(1, 4),
)
claims = st.lists(st.tuples(st.integers(0, 5), st.integers(1, 30)), min_size=1, max_size=12)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(inv=inventories, steps=claims)
def test_claims_match_the_capacity_model(
    db_url: str, inv: dict[str, float], steps: list[tuple[int, int]]
) -> None:
    if inv["reserved"] > inv["total"] or inv["min_unit"] > inv["max_unit"]:
        return
    asyncio.run(_scenario(db_url, inv, steps))


async def _scenario(db_url: str, inv: dict[str, float], steps: list[tuple[int, int]]) -> None:
    db = Database(db_url)
    svc = PlacementService(db)
    try:
        rp = await svc.create_provider(name=f"prop-{uuid.uuid4()}", uuid=None, parent_uuid=None)
        record = InventoryRecord(
            resource_class="VCPU",
            total=int(inv["total"]),
            reserved=int(inv["reserved"]),
            min_unit=int(inv["min_unit"]),
            max_unit=int(inv["max_unit"]),
            step_size=int(inv["step"]),
            allocation_ratio=float(inv["ratio"]),
        )
        await svc.set_inventories(
            rp.uuid, generation=0, records=[record], replace=True, reserved_can_be_total=True
        )
        capacity = (record.total - record.reserved) * record.allocation_ratio
        consumers = [str(uuid.uuid4()) for _ in range(6)]
        held: dict[str, int] = {}
        for who, amount in steps:
            consumer = consumers[who]
            fits = (
                record.min_unit <= amount <= record.max_unit
                and amount % record.step_size == 0
                and sum(v for k, v in held.items() if k != consumer) + amount <= capacity
            )
            request = ConsumerAllocations(
                consumer_uuid=consumer,
                allocations={rp.uuid: {"VCPU": amount}},
                project_id="p",
                user_id="u",
            )
            try:
                await svc.write_allocations([request])
                ok = True
            except Conflict:
                ok = False
            assert ok == fits, (record, held, consumer, amount)
            if ok:
                held[consumer] = amount
            _gen, usages = await svc.usages_for_provider(rp.uuid)
            assert usages["VCPU"] == sum(held.values())
            assert usages["VCPU"] <= capacity
    finally:
        await db.dispose()
