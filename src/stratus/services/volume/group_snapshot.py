"""Group snapshots: one snapshot of every volume of a group, taken together; create, list,
show, delete (with their snapshots), reset status."""

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.kit.errors import NotFound
from stratus.kit.ids import uuid_str
from stratus.kit.timeutil import utcnow
from stratus.services.volume import core as st
from stratus.services.volume import policies
from stratus.services.volume import repository as repo
from stratus.services.volume.core import Core, snapshot_spec, volume_spec
from stratus.services.volume.errors import (
    GroupSnapshotNotFound,
    InvalidGroup,
    InvalidGroupSnapshot,
    InvalidInput,
    InvalidVolume,
)
from stratus.services.volume.group import GroupService
from stratus.services.volume.group_type import DEFAULT_CGSNAPSHOT_TYPE
from stratus.services.volume.message import Action, Detail, MessageService, Origin, Resource
from stratus.services.volume.models import GroupSnapshot
from stratus.services.volume.snapshot import claim_snapshot

# cinder's GroupSnapshotStatus values (reset_status accepts these).
GROUP_SNAPSHOT_STATUSES = (
    "error",
    "available",
    "creating",
    "deleting",
    "deleted",
    "updating",
    "error_deleting",
)


class GroupSnapshotService:
    def __init__(self, core: Core, groups: GroupService, messages: MessageService) -> None:
        self.core = core
        self.db = core.db
        self.groups = groups
        self.messages = messages

    async def load(
        self,
        s: AsyncSession,
        ctx: RequestContext | None,
        group_snapshot_id: str,
        *,
        cg: bool = False,
    ) -> GroupSnapshot:
        """The group snapshot the caller may see; those of consistency groups only through
        the cgsnapshot API (``cg``), as cinder keeps them apart."""
        row = await repo.get_group_snapshot(s, group_snapshot_id)
        if row is None or not (ctx is None or ctx.is_admin or ctx.project_id == row.project_id):
            raise GroupSnapshotNotFound(group_snapshot_id)
        await self.groups.check_not_cg_type(s, row.group_type_id, cg=cg)
        return row

    async def get(
        self, ctx: RequestContext, group_snapshot_id: str, *, cg: bool = False
    ) -> GroupSnapshot:
        async with self.db.reader() as s:
            row = await self.load(s, ctx, group_snapshot_id, cg=cg)
        ctx.can(policies.GROUP_SNAPSHOT_GET, {"project_id": row.project_id})
        return row

    async def list_group_snapshots(
        self, ctx: RequestContext, listing: repo.Listing, *, cg: bool = False
    ) -> list[GroupSnapshot]:
        ctx.can(policies.GROUP_SNAPSHOT_GET_ALL, {"project_id": ctx.project_id})
        async with self.db.reader() as s:
            if (
                listing.marker is not None
                and await repo.get_group_snapshot(s, listing.marker) is None
            ):
                raise NotFound(f"Marker {listing.marker} could not be found.")
            rows = await repo.list_group_snapshots(s, listing)
            if cg:
                return rows
            reserved = await repo.get_group_type_by_name(s, DEFAULT_CGSNAPSHOT_TYPE)
            return [r for r in rows if reserved is None or r.group_type_id != reserved.id]

    async def create(
        self,
        ctx: RequestContext,
        *,
        group_id: str,
        name: str | None,
        description: str | None,
        cg: bool = False,
    ) -> GroupSnapshot:
        async with self.db.session() as s:
            group = await self.groups.load(s, ctx, group_id)
            await self.groups.check_not_cg_type(s, group.group_type_id, cg=cg)
            ctx.can(policies.GROUP_SNAPSHOT_CREATE, {"project_id": group.project_id})
            if group.status not in ("available", "in-use"):
                raise InvalidGroup(
                    f"Group {group.id} status must be available or in-use, but current status "
                    f"is: {group.status}."
                )
            volumes = await repo.volumes_in_group(s, group.id)
            for vol in volumes:
                if vol.status not in (st.AVAILABLE, st.IN_USE):
                    raise InvalidVolume(
                        f"Volume {vol.id} status must be available or in-use, but current "
                        f"status is: {vol.status}."
                    )
            now = utcnow()
            row = GroupSnapshot(
                id=uuid_str(),
                project_id=group.project_id,
                user_id=ctx.user_id,
                group_id=group.id,
                group_type_id=group.group_type_id,
                name=name,
                description=description,
                status="creating",
                created_at=now,
            )
            await repo.add(s, row)
            members = []
            for vol in volumes:
                snap = await claim_snapshot(
                    self.core,
                    s,
                    ctx,
                    vol,
                    name=name,
                    description=description,
                    group_snapshot_id=row.id,
                )
                members.append((snapshot_spec(snap), volume_spec(vol)))
            host = group.host
        gsid = row.id
        origin = Origin.of(ctx, row.project_id)

        async def take() -> None:
            driver = self.core.backends.of_host(host).driver
            for sspec, vspec in members:
                provider = await driver.create_snapshot(sspec, vspec)
                await self.core.set_snapshot(
                    sspec.id, status="available", progress="100%", provider_id=provider
                )
            await self._set(gsid, status="available")

        async def failed(_err: BaseException) -> None:
            failed_ids = []
            async with self.db.session() as s2:
                for sn in await repo.snapshots_in_group_snapshot(s2, gsid):
                    if sn.status == "creating":
                        sn.status = "error"
                        failed_ids.append(sn.id)
                found = await repo.get_group_snapshot(s2, gsid)
                if found is not None:
                    found.status = "error"
            for sid in failed_ids:
                await self._tell_snapshot(origin, sid)

        self.core.later(take, failed)
        return row

    async def _tell_snapshot(self, origin: Origin, snapshot_id: str) -> None:
        await self.messages.tell(
            origin,
            Action.SNAPSHOT_CREATE,
            Detail.SNAPSHOT_CREATE_ERROR,
            resource_type=Resource.VOLUME_SNAPSHOT,
            resource_uuid=snapshot_id,
        )

    async def _set(self, group_snapshot_id: str, **values: object) -> None:
        async with self.db.session() as s:
            row = await repo.get_group_snapshot(s, group_snapshot_id)
            if row is None:
                return
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = utcnow()

    async def delete(
        self, ctx: RequestContext, group_snapshot_id: str, *, cg: bool = False
    ) -> None:
        async with self.db.session() as s:
            row = await self.load(s, ctx, group_snapshot_id, cg=cg)
            ctx.can(policies.GROUP_SNAPSHOT_DELETE, {"project_id": row.project_id})
            if row.status not in ("available", "error") or await repo.groups_from_group_snapshot(
                s, row.id
            ):
                raise InvalidGroupSnapshot(
                    "GroupSnapshot status must be available or error, and no Group can be "
                    "currently using it as source for its creation."
                )
            snaps = await repo.snapshots_in_group_snapshot(s, row.id)
            for sn in snaps:
                sn.status = "deleting"
                sn.updated_at = utcnow()
            row.status = "deleting"
            row.updated_at = utcnow()
            group = await repo.get_group(s, row.group_id)
            host = group.host if group is not None else None
            specs = [snapshot_spec(sn) for sn in snaps]

        async def remove() -> None:
            if host is not None:
                driver = self.core.backends.of_host(host).driver
                for spec in specs:
                    await driver.delete_snapshot(spec)
            async with self.db.session() as s2:
                for sn in await repo.snapshots_in_group_snapshot(s2, group_snapshot_id):
                    await repo.remove(s2, sn)
                found = await repo.get_group_snapshot(s2, group_snapshot_id)
                if found is not None:
                    await repo.remove(s2, found)

        async def failed(_err: BaseException) -> None:
            async with self.db.session() as s2:
                for sn in await repo.snapshots_in_group_snapshot(s2, group_snapshot_id):
                    if sn.status == "deleting":
                        sn.status = "error_deleting"
                found = await repo.get_group_snapshot(s2, group_snapshot_id)
                if found is not None:
                    found.status = "error_deleting"

        self.core.later(remove, failed)

    async def reset_status(
        self, ctx: RequestContext, group_snapshot_id: str, status: object
    ) -> None:
        if not isinstance(status, str) or status.lower() not in GROUP_SNAPSHOT_STATUSES:
            raise InvalidInput(
                f"Invalid input for field/attribute status. Value: {status}. "
                f"Valid statuses: {', '.join(GROUP_SNAPSHOT_STATUSES)}."
            )
        async with self.db.session() as s:
            row = await self.load(s, ctx, group_snapshot_id)
            ctx.can(policies.GROUP_SNAPSHOT_RESET_STATUS, {"project_id": row.project_id})
            row.status = status.lower()
            row.updated_at = utcnow()
