"""All block storage SQL."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Select, and_, delete, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.db import Base
from stratus.services.volume.models import (
    Attachment,
    Backup,
    Group,
    GroupSnapshot,
    GroupType,
    GroupTypeAccess,
    GroupVolumeType,
    Message,
    QosSpecs,
    QuotaClass,
    ServiceState,
    Snapshot,
    Transfer,
    Volume,
    VolumeDefaultType,
    VolumeType,
    VolumeTypeAccess,
)

T = TypeVar("T", bound=Base)


async def add(session: AsyncSession, row: Base) -> None:
    session.add(row)
    await session.flush()


async def remove(session: AsyncSession, row: Base) -> None:
    await session.delete(row)
    await session.flush()


# -- volume types ------------------------------------------------------------------------


async def get_type(session: AsyncSession, type_id: str) -> VolumeType | None:
    return await session.get(VolumeType, type_id)


async def get_type_by_name(session: AsyncSession, name: str) -> VolumeType | None:
    result = await session.execute(select(VolumeType).where(VolumeType.name == name))
    return result.scalar_one_or_none()


async def list_types(
    session: AsyncSession, *, project_id: str | None, is_public: bool | None, is_admin: bool
) -> list[VolumeType]:
    query = select(VolumeType).order_by(VolumeType.created_at, VolumeType.id)
    if is_public is not None:
        query = query.where(VolumeType.is_public == is_public)
    if not is_admin:
        shared = select(VolumeTypeAccess.volume_type_id).where(
            VolumeTypeAccess.project_id == (project_id or "")
        )
        query = query.where(or_(VolumeType.is_public.is_(True), VolumeType.id.in_(shared)))
    return list((await session.execute(query)).scalars())


async def type_access(session: AsyncSession, type_id: str) -> list[str]:
    result = await session.execute(
        select(VolumeTypeAccess.project_id)
        .where(VolumeTypeAccess.volume_type_id == type_id)
        .order_by(VolumeTypeAccess.project_id)
    )
    return list(result.scalars())


async def has_type_access(session: AsyncSession, type_id: str, project_id: str) -> bool:
    return await session.get(VolumeTypeAccess, (type_id, project_id)) is not None


async def remove_type_access(session: AsyncSession, type_id: str, project_id: str) -> bool:
    result = await session.execute(
        delete(VolumeTypeAccess).where(
            VolumeTypeAccess.volume_type_id == type_id, VolumeTypeAccess.project_id == project_id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def types_with_qos(session: AsyncSession, qos_id: str) -> list[VolumeType]:
    result = await session.execute(select(VolumeType).where(VolumeType.qos_specs_id == qos_id))
    return list(result.scalars())


async def default_type_of(session: AsyncSession, project_id: str) -> VolumeDefaultType | None:
    return await session.get(VolumeDefaultType, project_id)


async def list_default_types(session: AsyncSession) -> list[VolumeDefaultType]:
    result = await session.execute(select(VolumeDefaultType).order_by(VolumeDefaultType.project_id))
    return list(result.scalars())


async def count_default_type_uses(session: AsyncSession, type_id: str) -> int:
    result = await session.execute(
        select(func.count()).where(VolumeDefaultType.volume_type_id == type_id)
    )
    return int(result.scalar_one())


# -- QoS specs ---------------------------------------------------------------------------


async def get_qos(session: AsyncSession, qos_id: str) -> QosSpecs | None:
    return await session.get(QosSpecs, qos_id)


async def get_qos_by_name(session: AsyncSession, name: str) -> QosSpecs | None:
    result = await session.execute(select(QosSpecs).where(QosSpecs.name == name))
    return result.scalar_one_or_none()


async def list_qos(session: AsyncSession) -> list[QosSpecs]:
    result = await session.execute(select(QosSpecs).order_by(QosSpecs.created_at, QosSpecs.id))
    return list(result.scalars())


# -- volumes -----------------------------------------------------------------------------


@dataclass
class Listing:
    """Filters, sort and page of a collection GET."""

    project_id: str | None  # None: every project (admin all_tenants)
    equals: dict[str, Any] = field(default_factory=dict)
    like: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    sort: list[tuple[str, str]] = field(default_factory=list)
    limit: int | None = None
    marker: str | None = None
    offset: int | None = None
    # consumes_quota filter (3.65): every stored volume and snapshot consumes quota, so
    # False matches nothing and True everything.
    consumes_quota: bool | None = None


async def _page(
    session: AsyncSession, model: type[T], query: Select[Any], listing: Listing
) -> list[T]:
    if listing.project_id is not None:
        query = query.where(model.project_id == listing.project_id)  # type: ignore[attr-defined]
    if listing.consumes_quota is False:
        query = query.where(false())
    for key, value in listing.equals.items():
        column = getattr(model, key)
        if isinstance(value, (list, tuple, set)):
            query = query.where(column.in_(list(value)))
        else:
            query = query.where(column == value)
    for key, value in listing.like.items():
        query = query.where(getattr(model, key).like(f"%{value}%"))
    sort = listing.sort or [("created_at", "desc")]
    if all(key != "id" for key, _ in sort):
        sort = [*sort, ("id", sort[-1][1])]
    if listing.marker is not None:
        marker = await session.get(model, listing.marker)
        if marker is not None:
            ors = []
            for i, (key, direction) in enumerate(sort):
                column = getattr(model, key)
                value = getattr(marker, key)
                eqs = [getattr(model, k) == getattr(marker, k) for k, _ in sort[:i]]
                cmp = column < value if direction == "desc" else column > value
                if value is None:
                    cmp = column.is_not(None) if direction == "asc" else column.is_(None)
                ors.append(and_(*eqs, cmp))
            query = query.where(or_(*ors))
    for key, direction in sort:
        column = getattr(model, key)
        query = query.order_by(column.desc() if direction == "desc" else column.asc())
    rows = list((await session.execute(query)).scalars())
    if listing.metadata:
        rows = [
            r
            for r in rows
            if all(
                str(r.metadata_.get(k)) == v  # type: ignore[attr-defined]
                for k, v in listing.metadata.items()
            )
        ]
    if listing.offset:
        rows = rows[listing.offset :]
    if listing.limit is not None:
        rows = rows[: listing.limit]
    return rows


async def get_volume(session: AsyncSession, volume_id: str) -> Volume | None:
    return await session.get(Volume, volume_id)


async def get_volume_for_update(session: AsyncSession, volume_id: str) -> Volume | None:
    result = await session.execute(select(Volume).where(Volume.id == volume_id).with_for_update())
    return result.scalar_one_or_none()


async def list_volumes(session: AsyncSession, listing: Listing) -> list[Volume]:
    return await _page(session, Volume, select(Volume), listing)


async def volumes_of_type(session: AsyncSession, type_id: str) -> int:
    result = await session.execute(select(func.count()).where(Volume.volume_type_id == type_id))
    return int(result.scalar_one())


async def volume_usage(
    session: AsyncSession, project_id: str, type_id: str | None = None
) -> tuple[int, int]:
    query = select(func.count(), func.coalesce(func.sum(Volume.size), 0)).where(
        Volume.project_id == project_id
    )
    if type_id is not None:
        query = query.where(Volume.volume_type_id == type_id)
    count, size = (await session.execute(query)).one()
    return int(count), int(size)


async def allocated_by_host(session: AsyncSession) -> dict[str, int]:
    result = await session.execute(
        select(Volume.host, func.coalesce(func.sum(Volume.size), 0))
        .where(Volume.host.is_not(None))
        .group_by(Volume.host)
    )
    return {str(host): int(size) for host, size in result.all()}


async def managed_provider_ids(session: AsyncSession, host: str) -> dict[str, str]:
    """Backend names (provider ids, or ``volume-<id>``) of the volumes on ``host``."""
    result = await session.execute(select(Volume.id, Volume.provider_id).where(Volume.host == host))
    return {(pid or f"volume-{vid}"): vid for vid, pid in result.all()}


async def summary(session: AsyncSession, project_id: str | None) -> tuple[int, int]:
    query = select(func.count(), func.coalesce(func.sum(Volume.size), 0))
    if project_id is not None:
        query = query.where(Volume.project_id == project_id)
    count, size = (await session.execute(query)).one()
    return int(count), int(size)


# -- snapshots ---------------------------------------------------------------------------


async def get_snapshot(session: AsyncSession, snapshot_id: str) -> Snapshot | None:
    return await session.get(Snapshot, snapshot_id)


async def list_snapshots(session: AsyncSession, listing: Listing) -> list[Snapshot]:
    return await _page(session, Snapshot, select(Snapshot), listing)


async def snapshots_of(session: AsyncSession, volume_id: str) -> list[Snapshot]:
    result = await session.execute(
        select(Snapshot).where(Snapshot.volume_id == volume_id).order_by(Snapshot.created_at)
    )
    return list(result.scalars())


async def snapshot_usage(
    session: AsyncSession, project_id: str, type_id: str | None = None
) -> tuple[int, int]:
    query = select(func.count(), func.coalesce(func.sum(Snapshot.size), 0)).where(
        Snapshot.project_id == project_id
    )
    if type_id is not None:
        query = query.where(Snapshot.volume_type_id == type_id)
    count, size = (await session.execute(query)).one()
    return int(count), int(size)


# -- backups -----------------------------------------------------------------------------


async def get_backup(session: AsyncSession, backup_id: str) -> Backup | None:
    return await session.get(Backup, backup_id)


async def list_backups(session: AsyncSession, listing: Listing) -> list[Backup]:
    return await _page(session, Backup, select(Backup), listing)


async def backups_of(session: AsyncSession, volume_id: str) -> list[Backup]:
    result = await session.execute(
        select(Backup).where(Backup.volume_id == volume_id).order_by(Backup.created_at)
    )
    return list(result.scalars())


async def children_of_backup(session: AsyncSession, backup_id: str) -> int:
    result = await session.execute(select(func.count()).where(Backup.parent_id == backup_id))
    return int(result.scalar_one())


async def backup_usage(session: AsyncSession, project_id: str) -> tuple[int, int]:
    query = select(func.count(), func.coalesce(func.sum(Backup.size), 0)).where(
        Backup.project_id == project_id
    )
    count, size = (await session.execute(query)).one()
    return int(count), int(size)


# -- attachments -------------------------------------------------------------------------


async def get_attachment(session: AsyncSession, attachment_id: str) -> Attachment | None:
    return await session.get(Attachment, attachment_id)


async def attachments_of(session: AsyncSession, volume_ids: Sequence[str]) -> list[Attachment]:
    if not volume_ids:
        return []
    result = await session.execute(
        select(Attachment)
        .where(Attachment.volume_id.in_(list(volume_ids)))
        .order_by(Attachment.created_at, Attachment.id)
    )
    return list(result.scalars())


async def list_attachments(
    session: AsyncSession,
    *,
    project_id: str | None,
    volume_id: str | None = None,
    instance_id: str | None = None,
    status: str | None = None,
) -> list[Attachment]:
    query = select(Attachment).order_by(Attachment.created_at, Attachment.id)
    if project_id is not None:
        query = query.where(Attachment.project_id == project_id)
    if volume_id is not None:
        query = query.where(Attachment.volume_id == volume_id)
    if instance_id is not None:
        query = query.where(Attachment.instance_uuid == instance_id)
    if status is not None:
        query = query.where(Attachment.attach_status == status)
    return list((await session.execute(query)).scalars())


# -- transfers ---------------------------------------------------------------------------


async def get_transfer(session: AsyncSession, transfer_id: str) -> Transfer | None:
    return await session.get(Transfer, transfer_id)


async def list_transfers(session: AsyncSession, project_id: str | None) -> list[Transfer]:
    query = select(Transfer).where(Transfer.accepted.is_(False)).order_by(Transfer.created_at)
    if project_id is not None:
        query = query.where(Transfer.project_id == project_id)
    return list((await session.execute(query)).scalars())


async def transfers_of(session: AsyncSession, volume_id: str) -> list[Transfer]:
    result = await session.execute(
        select(Transfer).where(Transfer.volume_id == volume_id, Transfer.accepted.is_(False))
    )
    return list(result.scalars())


# -- service states and quota classes ----------------------------------------------------


async def service_states(session: AsyncSession) -> dict[tuple[str, str], ServiceState]:
    result = await session.execute(select(ServiceState))
    return {(r.binary, r.host): r for r in result.scalars()}


async def service_state(session: AsyncSession, binary: str, host: str) -> ServiceState | None:
    return await session.get(ServiceState, (binary, host))


async def quota_class(session: AsyncSession, name: str) -> dict[str, int]:
    result = await session.execute(select(QuotaClass).where(QuotaClass.class_name == name))
    return {r.resource: r.hard_limit for r in result.scalars()}


async def set_quota_class(session: AsyncSession, name: str, resource: str, limit: int) -> None:
    row = await session.get(QuotaClass, (name, resource))
    if row is None:
        session.add(QuotaClass(class_name=name, resource=resource, hard_limit=limit))
    else:
        row.hard_limit = limit
    await session.flush()


async def host_usage(session: AsyncSession, host_prefix: str) -> list[tuple[str, int, int]]:
    """(project_id, volume count, gigabytes) of the volumes on a backend host."""
    result = await session.execute(
        select(Volume.project_id, func.count(), func.coalesce(func.sum(Volume.size), 0))
        .where(or_(Volume.host == host_prefix, Volume.host.like(f"{host_prefix}#%")))
        .group_by(Volume.project_id)
    )
    return [(str(p), int(c), int(g)) for p, c, g in result.all()]


async def disabled_volume_hosts(session: AsyncSession) -> set[str]:
    result = await session.execute(
        select(ServiceState.host).where(
            ServiceState.binary == "cinder-volume", ServiceState.disabled.is_(True)
        )
    )
    return set(result.scalars())


# -- group types -------------------------------------------------------------------------


async def get_group_type(session: AsyncSession, type_id: str) -> GroupType | None:
    return await session.get(GroupType, type_id)


async def get_group_type_by_name(session: AsyncSession, name: str) -> GroupType | None:
    result = await session.execute(select(GroupType).where(GroupType.name == name))
    return result.scalar_one_or_none()


async def list_group_types(
    session: AsyncSession,
    *,
    project_id: str | None,
    is_public: bool | None,
    is_admin: bool,
    sort: Sequence[tuple[str, str]] = (),
) -> list[GroupType]:
    query = select(GroupType)
    if is_public is not None:
        query = query.where(GroupType.is_public == is_public)
    if not is_admin:
        shared = select(GroupTypeAccess.group_type_id).where(
            GroupTypeAccess.project_id == (project_id or "")
        )
        query = query.where(or_(GroupType.is_public.is_(True), GroupType.id.in_(shared)))
    for key, direction in [*sort, ("created_at", "asc"), ("id", "asc")]:
        column = getattr(GroupType, key)
        query = query.order_by(column.desc() if direction == "desc" else column.asc())
    return list((await session.execute(query)).scalars())


async def has_group_type_access(session: AsyncSession, type_id: str, project_id: str) -> bool:
    return await session.get(GroupTypeAccess, (type_id, project_id)) is not None


async def group_type_access(session: AsyncSession, type_id: str) -> list[str]:
    result = await session.execute(
        select(GroupTypeAccess.project_id)
        .where(GroupTypeAccess.group_type_id == type_id)
        .order_by(GroupTypeAccess.project_id)
    )
    return list(result.scalars())


async def remove_group_type_access(session: AsyncSession, type_id: str, project_id: str) -> bool:
    result = await session.execute(
        delete(GroupTypeAccess).where(
            GroupTypeAccess.group_type_id == type_id, GroupTypeAccess.project_id == project_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def groups_of_type(session: AsyncSession, type_id: str) -> int:
    result = await session.execute(
        select(func.count()).select_from(Group).where(Group.group_type_id == type_id)
    )
    return int(result.scalar_one())


# -- groups ------------------------------------------------------------------------------


async def get_group(session: AsyncSession, group_id: str) -> Group | None:
    return await session.get(Group, group_id)


async def list_groups(session: AsyncSession, listing: Listing) -> list[Group]:
    return await _page(session, Group, select(Group), listing)


async def group_volume_types(
    session: AsyncSession, group_ids: Sequence[str]
) -> dict[str, list[str]]:
    if not group_ids:
        return {}
    result = await session.execute(
        select(GroupVolumeType.group_id, GroupVolumeType.volume_type_id)
        .where(GroupVolumeType.group_id.in_(list(group_ids)))
        .order_by(GroupVolumeType.position)
    )
    out: dict[str, list[str]] = {}
    for gid, tid in result.all():
        out.setdefault(gid, []).append(tid)
    return out


async def groups_using_volume_type(session: AsyncSession, type_id: str) -> int:
    result = await session.execute(
        select(func.count())
        .select_from(GroupVolumeType)
        .where(GroupVolumeType.volume_type_id == type_id)
    )
    return int(result.scalar_one())


async def volumes_in_group(session: AsyncSession, group_id: str) -> list[Volume]:
    result = await session.execute(
        select(Volume).where(Volume.group_id == group_id).order_by(Volume.created_at, Volume.id)
    )
    return list(result.scalars())


async def volume_ids_in_groups(
    session: AsyncSession, group_ids: Sequence[str]
) -> dict[str, list[str]]:
    if not group_ids:
        return {}
    result = await session.execute(
        select(Volume.group_id, Volume.id)
        .where(Volume.group_id.in_(list(group_ids)))
        .order_by(Volume.created_at, Volume.id)
    )
    out: dict[str, list[str]] = {}
    for gid, vid in result.all():
        out.setdefault(str(gid), []).append(vid)
    return out


async def group_count(session: AsyncSession, project_id: str) -> int:
    result = await session.execute(
        select(func.count()).select_from(Group).where(Group.project_id == project_id)
    )
    return int(result.scalar_one())


async def groups_from_source(session: AsyncSession, group_id: str) -> int:
    """Groups still being created from ``group_id`` (as their source group)."""
    result = await session.execute(
        select(func.count())
        .select_from(Group)
        .where(Group.source_group_id == group_id, Group.status == "creating")
    )
    return int(result.scalar_one())


# -- group snapshots ---------------------------------------------------------------------


async def get_group_snapshot(session: AsyncSession, group_snapshot_id: str) -> GroupSnapshot | None:
    return await session.get(GroupSnapshot, group_snapshot_id)


async def list_group_snapshots(session: AsyncSession, listing: Listing) -> list[GroupSnapshot]:
    return await _page(session, GroupSnapshot, select(GroupSnapshot), listing)


async def group_snapshots_of(session: AsyncSession, group_id: str) -> list[GroupSnapshot]:
    result = await session.execute(select(GroupSnapshot).where(GroupSnapshot.group_id == group_id))
    return list(result.scalars())


async def snapshots_in_group_snapshot(
    session: AsyncSession, group_snapshot_id: str
) -> list[Snapshot]:
    result = await session.execute(
        select(Snapshot)
        .where(Snapshot.group_snapshot_id == group_snapshot_id)
        .order_by(Snapshot.created_at, Snapshot.id)
    )
    return list(result.scalars())


async def groups_from_group_snapshot(session: AsyncSession, group_snapshot_id: str) -> int:
    result = await session.execute(
        select(func.count())
        .select_from(Group)
        .where(Group.group_snapshot_id == group_snapshot_id, Group.status == "creating")
    )
    return int(result.scalar_one())


# -- messages ----------------------------------------------------------------------------


async def get_message(session: AsyncSession, message_id: str) -> Message | None:
    return await session.get(Message, message_id)


async def list_messages(session: AsyncSession, listing: Listing) -> list[Message]:
    return await _page(session, Message, select(Message), listing)


async def remove_expired_messages(session: AsyncSession, now: Any) -> int:
    result = await session.execute(delete(Message).where(Message.expires_at < now))
    return int(getattr(result, "rowcount", 0) or 0)
