"""Generic volume groups: create (empty, from a group snapshot, from a source group), list,
show, update (name, description, add and remove volumes), delete (with their volumes),
reset status. Every member volume lives on the group's backend and has one of the group's
volume types."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.kit.errors import NotFound
from stratus.kit.ids import uuid_str
from stratus.kit.timeutil import utcnow
from stratus.quota.engine import OverQuota
from stratus.services.volume import core as st
from stratus.services.volume import policies, quota
from stratus.services.volume import repository as repo
from stratus.services.volume.backend import Backend, NoValidBackend, _capability_matches
from stratus.services.volume.core import Core, snapshot_spec, volume_spec
from stratus.services.volume.drivers.base import SnapshotSpec, VolumeSpec
from stratus.services.volume.errors import (
    GroupNotFound,
    GroupSnapshotNotFound,
    InvalidGroup,
    InvalidInput,
    InvalidVolume,
    OverLimit,
)
from stratus.services.volume.group_type import DEFAULT_CGSNAPSHOT_TYPE, GroupTypeService
from stratus.services.volume.models import Group, GroupSnapshot, GroupVolumeType, Volume, VolumeType

# cinder's GroupStatus values (reset_status accepts these).
CREATING = "creating"
AVAILABLE = "available"
DELETING = "deleting"
ERROR = "error"
ERROR_DELETING = "error_deleting"
UPDATING = "updating"
IN_USE = "in-use"
GROUP_STATUSES = (ERROR, AVAILABLE, CREATING, DELETING, "deleted", UPDATING, IN_USE, ERROR_DELETING)

VALID_REMOVE_STATUSES = ("available", "in-use", "error", "error_deleting")
VALID_ADD_STATUSES = ("available", "in-use")


@dataclass
class GroupData:
    group: Group
    volume_types: list[str]
    volumes: list[str] = field(default_factory=list)


def _split(ids: str | None) -> list[str]:
    if not ids:
        return []
    return [x for x in ids.strip(",").split(",") if x]


class GroupService:
    def __init__(self, core: Core, group_types: GroupTypeService) -> None:
        self.core = core
        self.db = core.db
        self.group_types = group_types

    # -- loading ---------------------------------------------------------------------------

    async def load(self, s: AsyncSession, ctx: RequestContext | None, group_id: str) -> Group:
        row = await repo.get_group(s, group_id)
        if row is None or not (ctx is None or ctx.is_admin or ctx.project_id == row.project_id):
            raise GroupNotFound(group_id)
        return row

    async def check_not_cg_type(
        self, s: AsyncSession, group_type_id: str, *, cg: bool = False
    ) -> None:
        """Groups of cinder's reserved consistency-group type are reached only through the
        consistency group API (``cg``)."""
        if cg:
            return
        t = await repo.get_group_type(s, group_type_id)
        if t is not None and t.name == DEFAULT_CGSNAPSHOT_TYPE:
            raise InvalidInput(
                f"Group_type {group_type_id} is reserved for migrating CGs to groups. "
                "Migrated group can only be operated by CG APIs."
            )

    async def _data(self, s: AsyncSession, rows: Sequence[Group]) -> list[GroupData]:
        ids = [g.id for g in rows]
        types = await repo.group_volume_types(s, ids)
        volumes = await repo.volume_ids_in_groups(s, ids)
        return [GroupData(g, types.get(g.id, []), volumes.get(g.id, [])) for g in rows]

    async def get(self, ctx: RequestContext, group_id: str, *, cg: bool = False) -> GroupData:
        async with self.db.reader() as s:
            row = await self.load(s, ctx, group_id)
            ctx.can(policies.GROUP_GET, {"project_id": row.project_id})
            await self.check_not_cg_type(s, row.group_type_id, cg=cg)
            return (await self._data(s, [row]))[0]

    async def list_groups(
        self, ctx: RequestContext, listing: repo.Listing, *, cg: bool = False
    ) -> list[GroupData]:
        ctx.can(policies.GROUP_GET_ALL, {"project_id": ctx.project_id})
        async with self.db.reader() as s:
            if listing.marker is not None and await repo.get_group(s, listing.marker) is None:
                raise NotFound(f"Marker {listing.marker} could not be found.")
            rows = await repo.list_groups(s, listing)
            hidden = {
                t.id
                for t in [await repo.get_group_type_by_name(s, DEFAULT_CGSNAPSHOT_TYPE)]
                if t is not None and not cg
            }
            return await self._data(s, [g for g in rows if g.group_type_id not in hidden])

    # -- placement -------------------------------------------------------------------------

    async def _place(
        self, s: AsyncSession, types: Sequence[VolumeType], zone: str | None
    ) -> Backend:
        """The backend with the most free space whose capabilities suit every volume type."""
        allocated = await repo.allocated_by_host(s)
        disabled = await repo.disabled_volume_hosts(s)
        candidates: list[tuple[float, str, Backend]] = []
        for backend, stats in self.core.backends.stats(allocated):
            if backend.host in disabled:
                continue
            if zone and backend.availability_zone != zone:
                continue
            if any(
                backend.availability_zone
                not in {z.strip() for z in t.extra_specs["RESKEY:availability_zones"].split(",")}
                for t in types
                if (t.extra_specs or {}).get("RESKEY:availability_zones")
            ):
                continue
            if all(
                _capability_matches(stats, k, v, backend)
                for t in types
                for k, v in (t.extra_specs or {}).items()
                if k != "RESKEY:availability_zones"
            ):
                candidates.append((-stats.free_capacity_gb, backend.name, backend))
        if not candidates:
            raise NoValidBackend("No valid backend was found.")
        return sorted(candidates, key=lambda c: (c[0], c[1]))[0][2]

    # -- create ----------------------------------------------------------------------------

    async def create(
        self,
        ctx: RequestContext,
        *,
        name: str | None,
        description: str | None,
        group_type: str,
        volume_types: Sequence[str],
        availability_zone: str | None,
        cg: bool = False,
    ) -> Group:
        ctx.can(policies.GROUP_CREATE, {"project_id": ctx.project_id})
        project_id = ctx.project_id
        if not project_id:
            raise InvalidInput("A project-scoped token is required to create groups.")
        if availability_zone and availability_zone not in self.core.backends.zones():
            raise InvalidInput(f"Availability zone '{availability_zone}' is invalid.")
        async with self.db.session() as s:
            gtype = await self.group_types.find(s, group_type, ctx=ctx)
            await self.check_not_cg_type(s, gtype.id, cg=cg)
            vtypes = [await self.core.types.find(s, ref, ctx=ctx) for ref in volume_types]
            if len({t.id for t in vtypes}) != len(vtypes):
                raise InvalidInput("volume_types has non-unique elements.")
            await self._claim_group(s, project_id)
            try:
                backend: Backend | None = await self._place(s, vtypes, availability_zone)
            except NoValidBackend:
                backend = None
            row = Group(
                id=uuid_str(),
                project_id=project_id,
                user_id=ctx.user_id,
                name=name,
                description=description,
                status=CREATING if backend is not None else ERROR,
                availability_zone=(
                    backend.availability_zone
                    if backend is not None
                    else availability_zone or self.core.cfg.default_availability_zone
                ),
                group_type_id=gtype.id,
                host=backend.pool_host if backend is not None else None,
                created_at=utcnow(),
            )
            await repo.add(s, row)
            for i, t in enumerate(vtypes):
                await repo.add(s, GroupVolumeType(group_id=row.id, volume_type_id=t.id, position=i))
        if backend is not None:
            self._finish_create(row.id, [])
        return row

    async def _claim_group(self, s: AsyncSession, project_id: str) -> None:
        try:
            await self.core.quota.claim(s, project_id, {quota.PREFIX + "groups": 1})
        except OverQuota as err:
            raise OverLimit(f"Maximum number of groups allowed ({err.limit}) exceeded") from None

    def _finish_create(
        self, group_id: str, members: list[tuple[VolumeSpec, str, SnapshotSpec | VolumeSpec]]
    ) -> None:
        """Build the member volumes (from snapshots or source volumes), then the group is
        available; on failure the group and its unbuilt volumes go to error."""
        host = None

        async def build() -> None:
            nonlocal host
            async with self.db.reader() as s:
                g = await repo.get_group(s, group_id)
                host = g.host if g is not None else None
            for spec, _vid, source in members:
                driver = self.core.backends.of_host(host).driver
                if isinstance(source, SnapshotSpec):
                    provider = await driver.from_snapshot(spec, source)
                else:
                    provider = await driver.clone(spec, source)
                await self.core.set_volume(
                    spec.id, status=st.AVAILABLE, provider_id=provider, launched_at=utcnow()
                )
            await self._set_group(group_id, status=AVAILABLE)

        async def failed(_err: BaseException) -> None:
            async with self.db.session() as s:
                for v in await repo.volumes_in_group(s, group_id):
                    if v.status == st.CREATING:
                        v.status = st.ERROR
                g = await repo.get_group(s, group_id)
                if g is not None:
                    g.status = ERROR

        self.core.later(build, failed)

    async def _set_group(self, group_id: str, **values: object) -> None:
        async with self.db.session() as s:
            row = await repo.get_group(s, group_id)
            if row is None:
                return
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = utcnow()

    async def create_from_source(
        self,
        ctx: RequestContext,
        *,
        name: str | None,
        description: str | None,
        group_snapshot_id: str | None,
        source_group_id: str | None,
        cg: bool = False,
    ) -> Group:
        ctx.can(policies.GROUP_CREATE, {"project_id": ctx.project_id})
        project_id = ctx.project_id
        if not project_id:
            raise InvalidInput("A project-scoped token is required to create groups.")
        async with self.db.session() as s:
            gsnap: GroupSnapshot | None = None
            if group_snapshot_id:
                gsnap = await repo.get_group_snapshot(s, group_snapshot_id)
                if gsnap is None or not (ctx.is_admin or gsnap.project_id == project_id):
                    raise GroupSnapshotNotFound(group_snapshot_id)
                source = await repo.get_group(s, gsnap.group_id)
                if source is None:
                    raise GroupNotFound(gsnap.group_id)
                await self.check_not_cg_type(s, gsnap.group_type_id, cg=cg)
                if gsnap.status != "available":
                    raise InvalidGroup(
                        f"Group snapshot {gsnap.id} status must be available, but current "
                        f"status is: {gsnap.status}."
                    )
                snaps = await repo.snapshots_in_group_snapshot(s, gsnap.id)
                if not snaps:
                    raise InvalidGroup("Group snapshot is empty. No group will be created.")
                sources: list[tuple[str, int, SnapshotSpec | VolumeSpec]] = [
                    (sn.volume_type_id, sn.size, snapshot_spec(sn)) for sn in snaps
                ]
                origin = {"snapshot": [sn.id for sn in snaps]}
            else:
                source = await self.load(s, ctx, str(source_group_id))
                await self.check_not_cg_type(s, source.group_type_id, cg=cg)
                if source.status != AVAILABLE:
                    raise InvalidGroup(
                        f"Source group {source.id} status must be available, but current "
                        f"status is: {source.status}."
                    )
                vols = await repo.volumes_in_group(s, source.id)
                if not vols:
                    raise InvalidGroup("Source Group is empty. No group will be created.")
                bad = [v.id for v in vols if v.status not in (st.AVAILABLE, st.IN_USE)]
                if bad:
                    raise InvalidVolume(
                        f"Volume {bad[0]} status must be available or in-use to clone it."
                    )
                sources = [(v.volume_type_id, v.size, volume_spec(v)) for v in vols]
                origin = {"volume": [v.id for v in vols]}
            type_ids = (await repo.group_volume_types(s, [source.id])).get(source.id, [])
            await self._claim_group(s, project_id)
            now = utcnow()
            row = Group(
                id=uuid_str(),
                project_id=project_id,
                user_id=ctx.user_id,
                name=name,
                description=description,
                status=CREATING,
                availability_zone=source.availability_zone,
                group_type_id=source.group_type_id,
                host=source.host,
                group_snapshot_id=gsnap.id if gsnap is not None else None,
                source_group_id=None if gsnap is not None else source.id,
                created_at=now,
            )
            await repo.add(s, row)
            for i, type_id in enumerate(type_ids):
                await repo.add(
                    s, GroupVolumeType(group_id=row.id, volume_type_id=type_id, position=i)
                )
            members: list[tuple[VolumeSpec, str, SnapshotSpec | VolumeSpec]] = []
            kind = "snapshot" if gsnap is not None else "volume"
            for i, (type_id, size, src) in enumerate(sources):
                vtype = await repo.get_type(s, type_id)
                # each claim counts the members inserted before it (same transaction)
                await quota.claim(
                    self.core.quota,
                    s,
                    project_id,
                    volumes=1,
                    gigabytes=size,
                    type_name=vtype.name if vtype else None,
                )
                vol = Volume(
                    id=uuid_str(),
                    project_id=project_id,
                    user_id=ctx.user_id,
                    name=None,
                    description=None,
                    size=size,
                    status=st.CREATING,
                    attach_status="detached",
                    availability_zone=row.availability_zone,
                    volume_type_id=type_id,
                    host=row.host,
                    snapshot_id=origin[kind][i] if kind == "snapshot" else None,
                    source_volid=origin[kind][i] if kind == "volume" else None,
                    group_id=row.id,
                    metadata_={},
                    created_at=now,
                )
                await repo.add(s, vol)
                members.append((volume_spec(vol), vol.id, src))
        self._finish_create(row.id, members)
        return row

    # -- update ----------------------------------------------------------------------------

    async def update(
        self,
        ctx: RequestContext,
        group_id: str,
        *,
        name: str | None,
        description: str | None,
        add_volumes: str | None,
        remove_volumes: str | None,
        cg: bool = False,
    ) -> None:
        adding = _split(add_volumes)
        removing = _split(remove_volumes)
        both = [v for v in adding if v in removing]
        if both:
            raise InvalidVolume(f"UUIDs {both} are in both add and remove volume list.")
        async with self.db.session() as s:
            row = await self.load(s, ctx, group_id)
            ctx.can(policies.GROUP_UPDATE, {"project_id": row.project_id})
            await self.check_not_cg_type(s, row.group_type_id, cg=cg)
            if name == row.name:
                name = None
            if description == row.description:
                description = None
            members = await repo.volumes_in_group(s, row.id)
            member_ids = {v.id for v in members}
            type_ids = (await repo.group_volume_types(s, [row.id])).get(row.id, [])
            to_add: list[Volume] = []
            for vid in adding:
                if vid in member_ids:
                    continue
                vol = await repo.get_volume(s, vid)
                if vol is None or not (ctx.is_admin or vol.project_id == ctx.project_id):
                    raise InvalidVolume(
                        f"Cannot add volume {vid} to group {row.id} because volume cannot be found."
                    )
                self._check_addable(vol, row, type_ids)
                to_add.append(vol)
            to_remove: list[Volume] = []
            for vid in removing:
                vol = next((v for v in members if v.id == vid), None)
                if vol is None:
                    raise InvalidVolume(
                        f"Cannot remove volume {vid} from group {row.id} because it is not in "
                        "the group."
                    )
                if vol.status not in VALID_REMOVE_STATUSES:
                    raise InvalidVolume(
                        f"Cannot remove volume {vid} from group {row.id} because volume is in "
                        f"an invalid state: {vol.status}. Valid states are: "
                        f"{VALID_REMOVE_STATUSES}."
                    )
                to_remove.append(vol)
            if name is None and description is None and not to_add and not to_remove:
                raise InvalidGroup(
                    f"Cannot update group {row.id} because no valid name, description, "
                    "add_volumes, or remove_volumes were provided."
                )
            if name is not None:
                row.name = name
            if description is not None:
                row.description = description
            row.updated_at = utcnow()
            if not to_add and not to_remove:
                row.status = AVAILABLE
                return
            if row.status != AVAILABLE:
                raise InvalidGroup("Group status must be available.")
            row.status = UPDATING
        add_ids = [v.id for v in to_add]
        remove_ids = [v.id for v in to_remove]

        async def regroup() -> None:
            async with self.db.session() as s2:
                for vid in add_ids:
                    vol = await repo.get_volume(s2, vid)
                    if vol is not None:
                        vol.group_id = group_id
                for vid in remove_ids:
                    vol = await repo.get_volume(s2, vid)
                    if vol is not None and vol.group_id == group_id:
                        vol.group_id = None
                g = await repo.get_group(s2, group_id)
                if g is not None:
                    g.status = AVAILABLE
                    g.updated_at = utcnow()

        async def failed(_err: BaseException) -> None:
            await self._set_group(group_id, status=ERROR)

        self.core.later(regroup, failed)

    @staticmethod
    def _check_addable(vol: Volume, group: Group, type_ids: Sequence[str]) -> None:
        prefix = f"Cannot add volume {vol.id} to group {group.id}"
        if vol.group_id:
            raise InvalidVolume(f"{prefix} because it is already in group {vol.group_id}.")
        if vol.project_id != group.project_id:
            raise InvalidVolume(f"{prefix} as they belong to different projects.")
        if vol.volume_type_id not in type_ids:
            raise InvalidVolume(
                f"{prefix} because volume type {vol.volume_type_id} is not supported by the group."
            )
        if vol.status not in VALID_ADD_STATUSES:
            raise InvalidVolume(
                f"{prefix} because volume is in an invalid state: {vol.status}. Valid states "
                f"are: {VALID_ADD_STATUSES}."
            )
        if _backend_host(vol.host) != _backend_host(group.host):
            raise InvalidVolume("Volume is not local to this node.")

    # -- delete ----------------------------------------------------------------------------

    async def delete(
        self, ctx: RequestContext, group_id: str, *, delete_volumes: bool, cg: bool = False
    ) -> None:
        async with self.db.session() as s:
            row = await self.load(s, ctx, group_id)
            ctx.can(policies.GROUP_DELETE, {"project_id": row.project_id})
            await self.check_not_cg_type(s, row.group_type_id, cg=cg)
            if row.host is None:
                # never placed: nothing on a backend to remove
                await self._drop(s, row)
                return
            if not delete_volumes and row.status not in (AVAILABLE, ERROR):
                raise InvalidGroup(
                    f"Group status must be available or error, but current status is: {row.status}"
                )
            if await repo.group_snapshots_of(s, row.id):
                raise InvalidGroup("Group has existing snapshots.")
            volumes = await repo.volumes_in_group(s, row.id)
            if volumes and not delete_volumes:
                raise InvalidGroup(
                    f"Group {row.id} still contains volumes. The delete-volumes flag is "
                    "required to delete it."
                )
            for vol in volumes:
                if vol.attach_status == "attached" or await repo.attachments_of(s, [vol.id]):
                    raise InvalidGroup(
                        f"Volume in group {row.id} is attached. Need to detach first."
                    )
                if await repo.snapshots_of(s, vol.id):
                    raise InvalidGroup("Volume in group still has dependent snapshots.")
            if await repo.groups_from_source(s, row.id):
                raise InvalidGroup(
                    f"Cannot delete group {row.id}. It is the source for an ongoing group creation."
                )
            for vol in volumes:
                vol.status = st.DELETING
                vol.updated_at = utcnow()
            row.status = DELETING
            row.updated_at = utcnow()
            host = row.host
            specs = [volume_spec(v) for v in volumes]

        async def remove() -> None:
            driver = self.core.backends.of_host(host).driver
            for spec in specs:
                await driver.delete(spec)
            async with self.db.session() as s2:
                for spec in specs:
                    found = await repo.get_volume(s2, spec.id)
                    if found is not None:
                        await repo.remove(s2, found)
                g = await repo.get_group(s2, group_id)
                if g is not None:
                    await self._drop(s2, g)

        async def failed(_err: BaseException) -> None:
            async with self.db.session() as s2:
                for v in await repo.volumes_in_group(s2, group_id):
                    if v.status == st.DELETING:
                        v.status = st.ERROR_DELETING
                g = await repo.get_group(s2, group_id)
                if g is not None:
                    g.status = ERROR_DELETING

        self.core.later(remove, failed)

    @staticmethod
    async def _drop(s: AsyncSession, row: Group) -> None:
        for v in await repo.volumes_in_group(s, row.id):
            v.group_id = None
        await repo.remove(s, row)

    # -- admin -----------------------------------------------------------------------------

    async def reset_status(self, ctx: RequestContext, group_id: str, status: object) -> None:
        if not isinstance(status, str) or status.lower() not in GROUP_STATUSES:
            raise InvalidInput(
                f"Invalid input for field/attribute status. Value: {status}. "
                f"Valid statuses: {', '.join(GROUP_STATUSES)}."
            )
        async with self.db.session() as s:
            row = await self.load(s, ctx, group_id)
            ctx.can(policies.GROUP_RESET_STATUS, {"project_id": row.project_id})
            row.status = status.lower()
            row.updated_at = utcnow()

    # -- what volume create asks of a group ------------------------------------------------

    async def member_backend(
        self, s: AsyncSession, ctx: RequestContext, group_id: str, vtype: VolumeType
    ) -> tuple[Group, Backend]:
        """The group a new volume joins, and its backend; the type must be one of the
        group's volume types."""
        group = await self.load(s, ctx, group_id)
        type_ids = (await repo.group_volume_types(s, [group.id])).get(group.id, [])
        if vtype.id not in type_ids:
            raise InvalidInput(
                f"Invalid volume_type provided: {vtype.id} (requested type must be supported "
                "by this group)."
            )
        if group.status != AVAILABLE:
            raise InvalidGroup(
                f"Group {group.id} status must be available, but current status is: {group.status}."
            )
        if group.host is None:
            raise InvalidGroup(f"Group {group.id} has no backend.")
        return group, self.core.backends.of_host(group.host)


def _backend_host(host: str | None) -> str:
    """``host@backend`` of ``host@backend#pool`` (cinder's extract_host at backend level)."""
    return (host or "").split("#", 1)[0]
