"""All scheduler SQL: host usage rows (compare-and-swap on their generation) and instance
topologies."""

from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.scheduler.models import HostClaimRow, InstanceTopologyRow


async def host_usages(s: AsyncSession, node_uuids: Sequence[str]) -> dict[str, HostClaimRow]:
    out: dict[str, HostClaimRow] = {}
    ids = list(node_uuids)
    for i in range(0, len(ids), 500):
        rows = await s.scalars(
            select(HostClaimRow).where(HostClaimRow.node_uuid.in_(ids[i : i + 500]))
        )
        out.update({r.node_uuid: r for r in rows})
    return out


async def host_usage(s: AsyncSession, node_uuid: str) -> HostClaimRow | None:
    return await s.get(HostClaimRow, node_uuid)


async def swap_usage(
    s: AsyncSession, node_uuid: str, generation: int, usage: dict[str, object]
) -> bool:
    """Write ``usage`` if the row is still at ``generation``; False when another claim won."""
    result = await s.execute(
        update(HostClaimRow)
        .where(HostClaimRow.node_uuid == node_uuid, HostClaimRow.generation == generation)
        .values(usage=usage, generation=generation + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def add_usage(s: AsyncSession, node_uuid: str, usage: dict[str, object]) -> None:
    s.add(HostClaimRow(node_uuid=node_uuid, generation=1, usage=usage))


async def instance_topology(s: AsyncSession, instance_uuid: str) -> InstanceTopologyRow | None:
    return await s.get(InstanceTopologyRow, instance_uuid)


def add_instance_topology(s: AsyncSession, row: InstanceTopologyRow) -> None:
    s.add(row)


async def delete_instance_topology(s: AsyncSession, instance_uuid: str) -> None:
    await s.execute(
        delete(InstanceTopologyRow).where(InstanceTopologyRow.instance_uuid == instance_uuid)
    )


async def instance_topologies(
    s: AsyncSession, instance_uuids: Sequence[str]
) -> dict[str, InstanceTopologyRow]:
    rows = await s.scalars(
        select(InstanceTopologyRow).where(InstanceTopologyRow.instance_uuid.in_(instance_uuids))
    )
    return {r.instance_uuid: r for r in rows}
