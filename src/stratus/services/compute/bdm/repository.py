"""All SQL of compute's volume mappings."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.services.compute.bdm.models import VolumeMapping


async def of_server(session: AsyncSession, instance_uuid: str) -> list[VolumeMapping]:
    result = await session.execute(
        select(VolumeMapping)
        .where(VolumeMapping.instance_uuid == instance_uuid)
        .order_by(VolumeMapping.created_at, VolumeMapping.device_name)
    )
    return list(result.scalars())


async def of_servers(session: AsyncSession, uuids: list[str]) -> dict[str, list[VolumeMapping]]:
    out: dict[str, list[VolumeMapping]] = {u: [] for u in uuids}
    if not uuids:
        return out
    result = await session.execute(
        select(VolumeMapping)
        .where(VolumeMapping.instance_uuid.in_(uuids))
        .order_by(VolumeMapping.created_at, VolumeMapping.device_name)
    )
    for row in result.scalars():
        out[row.instance_uuid].append(row)
    return out


async def find(session: AsyncSession, instance_uuid: str, volume_id: str) -> VolumeMapping | None:
    result = await session.execute(
        select(VolumeMapping).where(
            VolumeMapping.instance_uuid == instance_uuid, VolumeMapping.volume_id == volume_id
        )
    )
    return result.scalars().first()


async def of_volume(session: AsyncSession, volume_id: str) -> list[VolumeMapping]:
    """Every server's mapping of ``volume_id`` (more than one: a multiattach volume)."""
    result = await session.execute(
        select(VolumeMapping)
        .where(VolumeMapping.volume_id == volume_id)
        .order_by(VolumeMapping.created_at)
    )
    return list(result.scalars())


async def add(session: AsyncSession, row: VolumeMapping) -> None:
    session.add(row)
    await session.flush()


async def remove(session: AsyncSession, row: VolumeMapping) -> None:
    await session.delete(row)
    await session.flush()
