"""Volumes: create (blank, from image, snapshot, volume, backup), list, show, update,
delete, metadata, image metadata, and the actions of cinder's state machine (extend,
retype, revert, upload to image, bootable, read-only, reset status, force delete,
manage/unmanage)."""

import logging
import math
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.kit.errors import BadRequest, Conflict, NotFound
from stratus.kit.ids import uuid_str
from stratus.kit.timeutil import utcnow
from stratus.services.volume import core as st
from stratus.services.volume import message, policies, quota
from stratus.services.volume import repository as repo
from stratus.services.volume.backend import Backend, NoValidBackend
from stratus.services.volume.core import Core, snapshot_spec, volume_spec
from stratus.services.volume.drivers.base import GIB, VolumeSpec
from stratus.services.volume.errors import (
    InvalidInput,
    InvalidSnapshot,
    InvalidVolume,
    VolumeNotFound,
)
from stratus.services.volume.models import Attachment, Snapshot, Volume, VolumeType

DELETABLE = (st.AVAILABLE, st.ERROR, st.ERROR_RESTORING, st.ERROR_EXTENDING, st.ERROR_MANAGING)
_DELETE_MESSAGE = (
    "Volume status must be available or error or error_restoring or error_extending or "
    "error_managing and must not be migrating, attached, belong to a group, have snapshots, "
    "awaiting a transfer, or be disassociated from snapshots after volume transfer."
)
# Image properties cinder copies into volume_image_metadata.
_IMAGE_CORE = ("checksum", "container_format", "disk_format", "min_disk", "min_ram", "size")
_IMAGE_SKIP = {"os_hash_algo", "os_hash_value", "os_glance_importing_to_stores"}
READ_CHUNK = 4 * 1024 * 1024
log = logging.getLogger(__name__)
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)


@dataclass
class VolumeData:
    volume: Volume
    type: VolumeType | None
    attachments: list[Attachment]


def _image_metadata(image: Any) -> dict[str, Any]:
    """The volume_image_metadata a volume written from ``image`` (an ImageInfo) carries."""
    return {
        "image_id": image.id,
        "image_name": image.name or "",
        **{
            k: str(getattr(image, k) or 0)
            if k in ("min_disk", "min_ram", "size")
            else (getattr(image, k) or "")
            for k in _IMAGE_CORE
        },
        **{k: str(v) for k, v in image.properties.items() if k not in _IMAGE_SKIP},
    }


def _size(value: Any, *, field: str = "size") -> int:
    if isinstance(value, bool):
        raise InvalidInput(f"{field} must be an integer and greater than 0")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(
            f"Invalid input received: {field} must be an integer and greater than 0"
        ) from None
    if number <= 0:
        raise InvalidInput(f"{field} must be an integer and greater than 0")
    if number > 2**31 - 1:
        raise InvalidInput(f"{field} must be less than 2147483648")
    return number


def check_metadata(meta: Any) -> dict[str, str]:
    if not isinstance(meta, dict):
        raise InvalidInput("Invalid metadata: metadata must be an object.")
    out: dict[str, str] = {}
    for key, value in meta.items():
        if not isinstance(key, str) or not key:
            raise InvalidInput("Metadata property key blank.")
        if len(key) > 255:
            raise InvalidInput("Metadata property key greater than 255 characters.")
        if not isinstance(value, str):
            raise InvalidInput(f"Invalid metadata value for {key}: it must be a string.")
        if len(value) > 255:
            raise InvalidInput("Metadata property value greater than 255 characters.")
        out[key] = value
    return out


def check_text(value: Any, field: str, *, limit: int = 255) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a string.")
    if len(value) > limit:
        raise InvalidInput(f"{field} has more than {limit} characters.")
    return value


def is_multiattach_type(t: VolumeType | None) -> bool:
    spec = (t.extra_specs or {}).get("multiattach", "") if t else ""
    return spec.strip().lower() == "<is> true"


class VolumeService:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.db = core.db

    # -- reading ---------------------------------------------------------------------------

    async def _with_extras(self, s: AsyncSession, rows: list[Volume]) -> list[VolumeData]:
        attachments = await repo.attachments_of(s, [v.id for v in rows])
        by_volume: dict[str, list[Attachment]] = {}
        for a in attachments:
            by_volume.setdefault(a.volume_id, []).append(a)
        types: dict[str, VolumeType | None] = {}
        out = []
        for v in rows:
            if v.volume_type_id not in types:
                types[v.volume_type_id] = await repo.get_type(s, v.volume_type_id)
            out.append(VolumeData(v, types[v.volume_type_id], by_volume.get(v.id, [])))
        return out

    async def get(self, ctx: RequestContext, volume_id: str) -> VolumeData:
        async with self.db.reader() as s:
            row = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_GET, {"project_id": row.project_id})
            return (await self._with_extras(s, [row]))[0]

    async def list_volumes(self, ctx: RequestContext, listing: repo.Listing) -> list[VolumeData]:
        async with self.db.reader() as s:
            if listing.marker is not None and await repo.get_volume(s, listing.marker) is None:
                raise NotFound(f"Marker {listing.marker} could not be found.")
            rows = await repo.list_volumes(s, listing)
            return await self._with_extras(s, rows)

    async def summary(
        self, ctx: RequestContext, all_projects: bool
    ) -> tuple[int, int, dict[str, list[str]]]:
        listing = repo.Listing(project_id=None if all_projects else ctx.project_id)
        async with self.db.reader() as s:
            rows = await repo.list_volumes(s, listing)
        meta: dict[str, list[str]] = {}
        for v in rows:
            for key, value in (v.metadata_ or {}).items():
                values = meta.setdefault(key, [])
                if value not in values:
                    values.append(value)
        return len(rows), sum(v.size for v in rows), meta

    # -- create ----------------------------------------------------------------------------

    async def create(self, ctx: RequestContext, body: Mapping[str, Any]) -> VolumeData:
        ctx.can(policies.VOLUME_CREATE, {"project_id": ctx.project_id})
        project_id = ctx.project_id
        if not project_id:
            raise BadRequest("A project-scoped token is required to create volumes.")
        origin = message.Origin.of(ctx)
        name = check_text(body.get("name", body.get("display_name")), "name")
        description = check_text(
            body.get("description", body.get("display_description")), "description"
        )
        metadata = check_metadata(body.get("metadata") or {})
        snapshot_id = body.get("snapshot_id")
        source_volid = body.get("source_volid")
        image_ref = body.get("imageRef") or body.get("image_id")
        backup_id = body.get("backup_id")
        sources = [x for x in (snapshot_id, source_volid, image_ref, backup_id) if x]
        if len(sources) > 1:
            raise InvalidInput(
                "Only one of snapshot_id, source_volid, imageRef and backup_id may be given."
            )
        size_raw = body.get("size")
        az = body.get("availability_zone")
        if az is not None and not isinstance(az, str):
            raise InvalidInput("availability_zone must be a string.")
        if az and az not in self.core.backends.zones():
            raise InvalidInput(f"Availability zone '{az}' is invalid.")
        multiattach_flag = body.get("multiattach", False)
        group_id = body.get("group_id") if ctx.version and ctx.version.at_least("3.13") else None
        if body.get("consistencygroup_id") is not None:
            # a consistency group is a group of cinder's reserved consistency-group type
            group_id = body["consistencygroup_id"]
        if group_id is not None and not isinstance(group_id, str):
            raise InvalidInput("group_id must be a string.")
        image = None
        image_size = None
        async with self.db.session() as s:
            source_volume: Volume | None = None
            source_snapshot: Snapshot | None = None
            source_backup = None
            if snapshot_id:
                source_snapshot = await self.core.snapshot(s, ctx, str(snapshot_id))
                if source_snapshot.status != "available":
                    raise InvalidSnapshot(
                        "Originating snapshot status must be one of 'available' values"
                    )
                source_volume = await repo.get_volume(s, source_snapshot.volume_id)
            elif source_volid:
                source_volume = await self.core.volume(s, ctx, str(source_volid))
                if source_volume.status not in (st.AVAILABLE, st.IN_USE):
                    raise InvalidVolume(
                        "Unable to create a volume from an originating source volume when "
                        f"its status is {source_volume.status}."
                    )
            elif backup_id:
                source_backup = await self.core.backup(s, ctx, str(backup_id))
                if source_backup.status != "available":
                    raise InvalidInput(
                        f"Invalid backup: Backup status must be available, but current "
                        f"status is: {source_backup.status}."
                    )
            if image_ref:
                images = self.core.client("image-data")
                if images is None:
                    raise InvalidInput("The image service is not enabled.")
                image = await images.get(ctx, str(image_ref))
                if image is None:
                    raise InvalidInput(f"Image {image_ref} could not be found.")
                if image.status != "active":
                    raise InvalidInput(f"Image {image_ref} is not active.")
                image_size = image.size or 0
            # size
            minimum = 1
            if source_snapshot is not None:
                minimum = source_snapshot.size
            elif source_volume is not None:
                minimum = source_volume.size
            elif source_backup is not None:
                minimum = source_backup.size
            if size_raw is None:
                if source_snapshot is None and source_volume is None and source_backup is None:
                    raise InvalidInput("Volume size '' must be an integer and greater than 0")
                size = minimum
            else:
                size = _size(size_raw)
            if source_snapshot is not None and size < source_snapshot.size:
                raise InvalidInput(
                    f"Volume size '{size}'GB cannot be smaller than the snapshot size "
                    f"{source_snapshot.size}GB. They must be >= original snapshot size."
                )
            if source_volid and source_volume is not None and size < source_volume.size:
                raise InvalidInput(
                    f"Volume size '{size}'GB cannot be smaller than original volume size "
                    f"{source_volume.size}GB. They must be >= original volume size."
                )
            if source_backup is not None and size < source_backup.size:
                raise InvalidInput(
                    f"Volume size {size}GB cannot be smaller than the backup size "
                    f"{source_backup.size}GB."
                )
            virtual = image.virtual_size if image and image.disk_format == "qcow2" else None
            if virtual and virtual > size * GIB:
                raise InvalidInput(
                    f"Image virtual size is {math.ceil(virtual / GIB)}GB and "
                    f"doesn't fit in a volume of size {size}GB."
                )
            if image is not None:
                needed = max(math.ceil((image_size or 0) / GIB), image.min_disk or 0)
                if size < needed:
                    raise InvalidInput(
                        f"Size of specified image {math.ceil((image_size or 0) / GIB)}GB is "
                        f"larger than volume size {size}GB."
                        if needed > (image.min_disk or 0)
                        else f"Volume size {size}GB cannot be smaller than the image minDisk "
                        f"size {image.min_disk}GB."
                    )
            # type
            type_ref = body.get("volume_type")
            if not type_ref and image is not None:
                # cinder honours the image's cinder_img_volume_type property
                type_ref = image.properties.get("cinder_img_volume_type")
            if type_ref:
                vtype = await self.core.types.find(s, str(type_ref), ctx=ctx)
            elif source_volume is not None:
                found = await repo.get_type(s, source_volume.volume_type_id)
                vtype = found or await self.core.types.default_for(s, project_id)
            else:
                vtype = await self.core.types.default_for(s, project_id)
            if source_volume is not None and source_snapshot is None and az is None:
                az = source_volume.availability_zone
            if source_snapshot is not None and source_volume is not None and az is None:
                az = source_volume.availability_zone
            group = None
            group_backend: Backend | None = None
            if group_id:
                groups = self.core.client("volume-groups")
                group, group_backend = await groups.member_backend(s, ctx, group_id, vtype)
                az = group.availability_zone
            multiattach = is_multiattach_type(vtype) or bool(multiattach_flag is True)
            if multiattach:
                ctx.can(policies.VOLUME_MULTIATTACH, {"project_id": project_id})
            await quota.claim(
                self.core.quota,
                s,
                project_id,
                volumes=1,
                gigabytes=size,
                type_name=vtype.name,
            )
            # placement
            backend: Backend | None
            status = st.CREATING
            try:
                if group_backend is not None:
                    backend = group_backend
                elif source_volume is not None and source_volume.host:
                    backend = self.core.backend_of(source_volume)
                else:
                    backend = self.core.backends.schedule(
                        size=size,
                        availability_zone=az,
                        extra_specs=vtype.extra_specs or {},
                        allocated=await repo.allocated_by_host(s),
                        multiattach=multiattach,
                        exclude=await repo.disabled_volume_hosts(s),
                    )
            except NoValidBackend:
                backend = None
                status = st.ERROR
            now = utcnow()
            image_meta: dict[str, Any] | None = None
            bootable = False
            if image is not None:
                image_meta = _image_metadata(image)
                bootable = True
            elif source_volume is not None:
                image_meta = (
                    dict(source_volume.image_metadata) if source_volume.image_metadata else None
                )
                bootable = source_volume.bootable
            elif source_backup is not None:
                bootable = bool((source_backup.manifest or {}).get("bootable", False))
                meta_from = (source_backup.manifest or {}).get("volume_image_metadata")
                image_meta = dict(meta_from) if meta_from else None
            row = Volume(
                id=uuid_str(),
                project_id=project_id,
                user_id=ctx.user_id,
                name=name,
                description=description,
                size=size,
                status=status,
                attach_status="detached",
                availability_zone=(
                    backend.availability_zone
                    if backend
                    else (az or self.core.cfg.default_availability_zone)
                ),
                volume_type_id=vtype.id,
                host=backend.pool_host if backend else None,
                snapshot_id=source_snapshot.id if source_snapshot else None,
                source_volid=source_volume.id if source_volid and source_volume else None,
                group_id=group.id if group is not None else None,
                bootable=bootable,
                multiattach=multiattach,
                encrypted=bool(vtype.encryption),
                metadata_=metadata,
                image_metadata=image_meta,
                created_at=now,
                updated_at=None,
            )
            await repo.add(s, row)
            if backend is None:
                # cinder's scheduler leaves the volume in error and tells the user why
                await message.record(
                    s,
                    origin,
                    message.Action.SCHEDULE_ALLOCATE_VOLUME,
                    message.Detail.NO_BACKEND_AVAILABLE,
                    resource_uuid=row.id,
                )
            data = VolumeData(row, vtype, [])
        if backend is not None:
            snap_spec = snapshot_spec(source_snapshot) if source_snapshot else None
            src_spec = volume_spec(source_volume) if source_volid and source_volume else None
            backup_row_id = source_backup.id if source_backup else None
            source_image = image
            spec = volume_spec(row)
            driver = backend.driver
            vid = row.id

            # what was being done when it failed, for the user message
            stage = [message.Action.CREATE_VOLUME_FROM_BACKEND, message.Detail.DRIVER_FAILED_CREATE]

            async def build() -> None:
                if snap_spec is not None:
                    provider = await driver.from_snapshot(spec, snap_spec)
                elif src_spec is not None:
                    provider = await driver.clone(spec, src_spec)
                else:
                    provider = await driver.create(spec)
                if source_image is not None:
                    stage[:] = [message.Action.COPY_IMAGE_TO_VOLUME, message.Detail.UNKNOWN_ERROR]
                    await self.core.set_volume(vid, status=st.DOWNLOADING)
                    images = self.core.client("image-data")

                    async def write_at(chunks: AsyncIterator[bytes], offset: int) -> int:
                        return await driver.write(spec, chunks, offset)

                    await images.copy_to_volume(ctx, source_image, write_at)
                if backup_row_id is not None:
                    stage[:] = [message.Action.BACKUP_RESTORE, message.Detail.BACKUP_RESTORE_ERROR]
                    await self.core.set_volume(vid, status=st.RESTORING_BACKUP)
                    backups = self.core.client("volume-backups")
                    await backups.restore_into(backup_row_id, vid)
                await self.core.set_volume(
                    vid, status=st.AVAILABLE, provider_id=provider, launched_at=utcnow()
                )

            async def failed(_err: BaseException) -> None:
                await self.core.set_volume(vid, status=st.ERROR)
                await self._tell(origin, stage[0], stage[1], vid)

            self.core.later(build, failed)
        return data

    async def _tell(
        self, origin: message.Origin, action: message.Field, detail: message.Field, vid: str
    ) -> None:
        messages = self.core.client("volume-messages")
        if messages is not None:
            await messages.tell(origin, action, detail, resource_uuid=vid)

    # -- update / metadata -----------------------------------------------------------------

    async def update(
        self, ctx: RequestContext, volume_id: str, body: Mapping[str, Any]
    ) -> VolumeData:
        allowed = {"name", "description", "display_name", "display_description", "metadata"}
        if not body:
            raise InvalidInput("Update body is empty.")
        unknown = set(body) - allowed
        if unknown:
            raise InvalidInput(
                f"Additional properties are not allowed ({sorted(unknown)[0]!r} was unexpected)"
            )
        async with self.db.session() as s:
            row = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_UPDATE, {"project_id": row.project_id})
            if "name" in body or "display_name" in body:
                row.name = check_text(body.get("name", body.get("display_name")), "name")
            if "description" in body or "display_description" in body:
                row.description = check_text(
                    body.get("description", body.get("display_description")), "description"
                )
            if "metadata" in body:
                row.metadata_ = check_metadata(body["metadata"] or {})
            row.updated_at = utcnow()
            return (await self._with_extras(s, [row]))[0]

    async def metadata(self, ctx: RequestContext, volume_id: str) -> dict[str, str]:
        async with self.db.reader() as s:
            row = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_GET_METADATA, {"project_id": row.project_id})
            return dict(row.metadata_ or {})

    async def set_metadata(
        self, ctx: RequestContext, volume_id: str, meta: Any, *, replace: bool
    ) -> dict[str, str]:
        clean = check_metadata(meta)
        async with self.db.session() as s:
            row = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_METADATA, {"project_id": row.project_id})
            if row.status == st.MAINTENANCE:
                raise InvalidVolume("Volume status must be available or in-use, not maintenance.")
            row.metadata_ = clean if replace else {**(row.metadata_ or {}), **clean}
            row.updated_at = utcnow()
            return dict(row.metadata_)

    async def delete_metadata(self, ctx: RequestContext, volume_id: str, key: str) -> None:
        async with self.db.session() as s:
            row = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_DELETE_METADATA, {"project_id": row.project_id})
            meta = dict(row.metadata_ or {})
            if key not in meta:
                raise NotFound(f"Volume {volume_id} has no metadata with key {key}.")
            del meta[key]
            row.metadata_ = meta
            row.updated_at = utcnow()

    # -- image metadata --------------------------------------------------------------------

    async def image_metadata(self, ctx: RequestContext, volume_id: str) -> dict[str, str]:
        async with self.db.reader() as s:
            row = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.IMAGE_METADATA_GET, {"project_id": row.project_id})
            return dict(row.image_metadata or {})

    async def set_image_metadata(
        self, ctx: RequestContext, volume_id: str, meta: Any
    ) -> dict[str, str]:
        clean = check_metadata(meta)
        async with self.db.session() as s:
            row = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.IMAGE_METADATA_SET, {"project_id": row.project_id})
            if row.status not in (st.AVAILABLE, st.IN_USE):
                raise InvalidVolume(
                    f"Volume {volume_id} status must be available or in-use, but current "
                    f"status is: {row.status}."
                )
            row.image_metadata = {**(row.image_metadata or {}), **clean}
            return dict(row.image_metadata)

    async def unset_image_metadata(self, ctx: RequestContext, volume_id: str, key: Any) -> None:
        if not isinstance(key, str) or not key:
            raise InvalidInput("key must be a non-empty string.")
        async with self.db.session() as s:
            row = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.IMAGE_METADATA_REMOVE, {"project_id": row.project_id})
            meta = dict(row.image_metadata or {})
            if key not in meta:
                raise NotFound(
                    f"Glance metadata for volume {volume_id} with key {key} cannot be found."
                )
            del meta[key]
            row.image_metadata = meta or None

    # -- delete ----------------------------------------------------------------------------

    async def delete(
        self, ctx: RequestContext, volume_id: str, *, cascade: bool = False, force: bool = False
    ) -> None:
        async with self.db.session() as s:
            row = await self.core.volume(s, ctx, volume_id)
            if force:
                ctx.can(policies.VOLUME_FORCE_DELETE, {"project_id": row.project_id})
            else:
                ctx.can(policies.VOLUME_DELETE, {"project_id": row.project_id})
            snaps = await repo.snapshots_of(s, row.id)
            attachments = await repo.attachments_of(s, [row.id])
            if row.group_id:
                # a group's volumes go with the group (delete-volumes) or leave it first
                raise InvalidVolume(_DELETE_MESSAGE)
            if not force:
                if row.status not in DELETABLE or row.attach_status == "attached" or attachments:
                    raise InvalidVolume(_DELETE_MESSAGE)
                if row.migration_status not in (None, "", "success", "error"):
                    raise InvalidVolume(_DELETE_MESSAGE)
                if snaps and not cascade:
                    raise InvalidVolume(_DELETE_MESSAGE)
                if cascade and any(sn.status not in ("available", "error") for sn in snaps):
                    raise InvalidVolume(
                        "Snapshot must be available or error to be deleted with its volume."
                    )
            elif any(a.attach_status == "attached" for a in attachments):
                # even a forced delete leaves attached volumes alone, as cinder does
                raise InvalidVolume(_DELETE_MESSAGE)
            for t in await repo.transfers_of(s, row.id):
                await repo.remove(s, t)
            row.status = st.DELETING
            row.updated_at = utcnow()
            for sn in snaps:
                sn.status = "deleting"
            host = row.host
            spec = volume_spec(row)
            snap_specs = [snapshot_spec(sn) for sn in snaps]
        vid = row.id

        async def remove() -> None:
            if host:
                driver = self.core.backends.of_host(host).driver
                for sp in snap_specs:
                    await driver.delete_snapshot(sp)
                await driver.delete(spec)
            async with self.db.session() as s2:
                for sn in await repo.snapshots_of(s2, vid):
                    await repo.remove(s2, sn)
                for a in await repo.attachments_of(s2, [vid]):
                    await repo.remove(s2, a)
                found = await repo.get_volume(s2, vid)
                if found is not None:
                    await repo.remove(s2, found)

        async def failed(_err: BaseException) -> None:
            await self.core.set_volume(vid, status=st.ERROR_DELETING)

        self.core.later(remove, failed)

    # -- actions ---------------------------------------------------------------------------

    async def extend(
        self, ctx: RequestContext, volume_id: str, new_size_raw: Any, *, online_ok: bool
    ) -> None:
        new_size = _size(new_size_raw, field="new_size")
        async with self.db.session() as s:
            row = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_EXTEND, {"project_id": row.project_id})
            allowed = (st.AVAILABLE, st.IN_USE) if online_ok else (st.AVAILABLE,)
            if row.status not in allowed:
                raise InvalidVolume(
                    f"Volume status must be {' or '.join(allowed)} to extend, but current status "
                    f"is: {row.status}."
                    if online_ok
                    else f"Volume status must be 'available' to extend, but current status is: {row.status}."
                )
            if row.status == st.IN_USE:
                ctx.can(policies.VOLUME_EXTEND_ATTACHED, {"project_id": row.project_id})
            if new_size <= row.size:
                raise InvalidInput(
                    "New size for extend must be greater than current size. "
                    f"(current: {row.size}, extended: {new_size})."
                )
            vtype = await repo.get_type(s, row.volume_type_id)
            await quota.claim(
                self.core.quota,
                s,
                row.project_id,
                gigabytes=new_size - row.size,
                type_name=vtype.name if vtype else None,
            )
            previous = row.status
            row.previous_status = previous
            row.status = st.EXTENDING
            row.updated_at = utcnow()
            spec = volume_spec(row)
            backend = self.core.backend_of(row) if row.host else None
        if backend is None:
            raise InvalidVolume("The volume has no backend.")
        origin = message.Origin.of(ctx, row.project_id)

        async def grow() -> None:
            await backend.driver.extend(spec, new_size)
            await self.core.set_volume(
                volume_id, status=previous, size=new_size, previous_status=None
            )
            if previous == st.IN_USE:
                await self._notify_extended(origin, volume_id)

        async def failed(_err: BaseException) -> None:
            await self.core.set_volume(volume_id, status=st.ERROR_EXTENDING)
            await self._tell(
                origin, message.Action.EXTEND_VOLUME, message.Detail.DRIVER_FAILED_EXTEND, volume_id
            )

        self.core.later(grow, failed)

    async def _notify_extended(self, origin: message.Origin, volume_id: str) -> None:
        """As cinder after growing an attached volume: compute gets a ``volume-extended``
        event for each server the volume is attached to; a user message when it refuses."""
        async with self.db.reader() as s:
            servers = sorted(
                {
                    a.instance_uuid
                    for a in await repo.attachments_of(s, [volume_id])
                    if a.instance_uuid and a.attach_status == "attached"
                }
            )
        compute = self.core.client("compute")
        if not servers or compute is None:
            return
        try:
            ok = bool(await compute.volume_extended(servers, volume_id))
        except Exception:  # the volume did grow: a failed notice is a message, not an error
            log.exception("volume-extended event for volume %s failed", volume_id)
            ok = False
        if not ok:
            await self._tell(
                origin,
                message.Action.EXTEND_VOLUME,
                message.Detail.NOTIFY_COMPUTE_SERVICE_FAILED,
                volume_id,
            )

    async def extend_completion(self, ctx: RequestContext, volume_id: str, error: Any) -> None:
        """``os-extend_volume_completion`` (3.71): compute reports how it finished an extend
        that the backend handed to it. Stratus backends grow volumes themselves and then only
        tell compute (``volume-extended``), so no extend ever waits for this call: a volume
        that is extending has no compute-side extend recorded to complete."""
        if error is not None and not isinstance(error, (bool, str)):
            raise BadRequest(
                "Invalid input for field/attribute error. Value: "
                f"{error}. {error!r} is not of type 'string', 'null', 'boolean'"
            )
        async with self.db.reader() as s:
            row = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_EXTEND_COMPLETE, {"project_id": row.project_id})
            if row.status != st.EXTENDING:
                raise InvalidVolume("Volume is not being extended.")
        raise InvalidVolume("Required volume admin metadata is malformed or missing.")

    async def reimage(self, ctx: RequestContext, volume_id: str, body: Mapping[str, Any]) -> None:
        """``os-reimage`` (3.68): the volume's data replaced by an image's disk (qcow2 images
        converted to raw), its image metadata by the image's. An ``available`` or ``error``
        volume, or a ``reserved`` one when ``reimage_reserved`` is true (compute rebuilding a
        volume-backed server)."""
        unknown = set(body) - {"image_id", "reimage_reserved"}
        if unknown:
            raise BadRequest(
                f"Additional properties are not allowed ({sorted(unknown)[0]!r} was unexpected)"
            )
        image_id = body.get("image_id")
        if not isinstance(image_id, str) or not _UUID.fullmatch(image_id):
            raise BadRequest(
                f"Invalid input for field/attribute image_id. Value: {image_id}. "
                + ("'image_id' is a required property" if image_id is None else "is not a uuid")
            )
        reimage_reserved = parse_bool(body.get("reimage_reserved", False), "reimage_reserved")
        async with self.db.reader() as s:
            await self.core.volume(s, ctx, volume_id)  # an unknown volume is 404 first
        images = self.core.client("image-data")
        if images is None:
            raise InvalidInput("The image service is not enabled.")
        image = await images.get(ctx, image_id)
        if image is None:
            raise NotFound(f"Image {image_id} could not be found.")
        async with self.db.session() as s:
            row = await self.core.volume(s, ctx, volume_id)
            ctx.can(
                policies.VOLUME_REIMAGE_RESERVED
                if row.status == st.RESERVED
                else policies.VOLUME_REIMAGE,
                {"project_id": row.project_id},
            )
            attached = [
                a for a in await repo.attachments_of(s, [row.id]) if a.attach_status != "detached"
            ]
            if len(attached) > 1:
                raise Conflict(
                    "Cannot re-image a volume which is attached to more than one server."
                )
            allowed = (
                (st.AVAILABLE, st.ERROR, st.RESERVED)
                if reimage_reserved
                else (st.AVAILABLE, st.ERROR)
            )
            if row.status not in allowed:
                raise InvalidVolume(
                    f"Volume {row.id} status must be {' or '.join(allowed)}, but current status "
                    f"is {row.status}."
                )
            if image.status != "active":
                raise InvalidInput(f"Image {image.id} is not active.")
            image_gb = math.ceil((image.size or 0) / GIB)
            if image_gb > row.size:
                raise InvalidInput(
                    f"Size of specified image {image_gb}GB is larger than volume size {row.size}GB."
                )
            if row.size < (image.min_disk or 0):
                raise InvalidInput(
                    f"Volume size {row.size}GB cannot be smaller than the image minDisk size "
                    f"{image.min_disk}GB."
                )
            virtual = image.virtual_size if image.disk_format == "qcow2" else None
            if virtual and virtual > row.size * GIB:
                raise InvalidInput(
                    f"Image virtual size is {math.ceil(virtual / GIB)}GB and doesn't fit in a "
                    f"volume of size {row.size}GB."
                )
            if row.host is None:
                raise InvalidVolume(f"Volume {row.id} has no backend.")
            previous = row.status
            row.previous_status = previous
            row.status = st.DOWNLOADING
            row.updated_at = utcnow()
            spec = volume_spec(row)
            driver = self.core.backend_of(row).driver
        image_meta = _image_metadata(image)

        async def rewrite() -> None:
            # a fresh (zeroed) volume of the same size, then the image's disk into it
            await driver.delete(spec)
            await driver.create(spec)

            async def write_at(chunks: AsyncIterator[bytes], offset: int) -> int:
                return await driver.write(spec, chunks, offset)

            await images.copy_to_volume(ctx, image, write_at)
            await self.core.set_volume(
                volume_id, status=previous, previous_status=None, image_metadata=image_meta
            )

        async def failed(_err: BaseException) -> None:
            await self.core.set_volume(volume_id, status=st.ERROR, previous_status=st.DOWNLOADING)

        self.core.later(rewrite, failed)

    async def reset_status(
        self, ctx: RequestContext, volume_id: str, body: Mapping[str, Any]
    ) -> None:
        status = body.get("status")
        attach_status = body.get("attach_status")
        migration_status = body.get("migration_status")
        if status is None and attach_status is None and migration_status is None:
            raise InvalidInput(
                "Must specify 'status', 'attach_status' or 'migration_status' for update."
            )
        if status is not None and status not in st.VOLUME_STATUSES:
            raise InvalidInput(f"Must specify a valid status: {status} is not valid.")
        if attach_status is not None and attach_status not in ("attached", "detached"):
            raise InvalidInput(f"Must specify a valid attach status: {attach_status}.")
        if migration_status is not None and migration_status not in (
            "migrating",
            "error",
            "success",
            "completing",
            "none",
            "starting",
        ):
            raise InvalidInput(f"Must specify a valid migration status: {migration_status}.")
        async with self.db.session() as s:
            row = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_RESET_STATUS, {"project_id": row.project_id})
            if status is not None:
                row.status = status
            if attach_status is not None:
                row.attach_status = attach_status
                if attach_status == "detached":
                    for a in await repo.attachments_of(s, [row.id]):
                        await repo.remove(s, a)
            if migration_status is not None:
                row.migration_status = None if migration_status == "none" else migration_status
            row.updated_at = utcnow()

    async def set_bootable(self, ctx: RequestContext, volume_id: str, value: Any) -> None:
        flag = parse_bool(value, "bootable")
        async with self.db.session() as s:
            row = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_BOOTABLE, {"project_id": row.project_id})
            if row.status == st.MAINTENANCE:
                raise InvalidVolume("Volume is in maintenance.")
            row.bootable = flag
            row.updated_at = utcnow()

    async def set_readonly(self, ctx: RequestContext, volume_id: str, value: Any) -> None:
        flag = parse_bool(value, "readonly")
        async with self.db.session() as s:
            row = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_READONLY, {"project_id": row.project_id})
            if row.status != st.AVAILABLE:
                raise InvalidVolume(
                    f"Volume {volume_id} status must be available to update readonly flag, "
                    f"but current status is: {row.status}."
                )
            row.read_only = flag
            # cinder keeps the flag in admin metadata, shown in the volume's metadata
            row.metadata_ = {**(row.metadata_ or {}), "readonly": str(flag)}
            row.updated_at = utcnow()

    async def retype(
        self, ctx: RequestContext, volume_id: str, new_type_ref: Any, policy: Any
    ) -> None:
        if not isinstance(new_type_ref, str) or not new_type_ref:
            raise InvalidInput("New volume type must be specified.")
        migration_policy = policy or "never"
        if migration_policy not in ("never", "on-demand"):
            raise InvalidInput("Invalid migration policy.")
        async with self.db.session() as s:
            row = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_RETYPE, {"project_id": row.project_id})
            if row.status not in (st.AVAILABLE, st.IN_USE):
                raise InvalidVolume(
                    f"Volume status must be available or in-use, but current status is: {row.status}."
                )
            if row.group_id:
                raise InvalidVolume("Volume must not be part of a group.")
            new_type = await self.core.types.find(s, new_type_ref, ctx=ctx)
            old_type = await repo.get_type(s, row.volume_type_id)
            if new_type.id == row.volume_type_id:
                raise InvalidInput("Retype requested with the same volume type.")
            if bool(new_type.encryption) != bool(old_type and old_type.encryption):
                raise InvalidInput("Retype cannot change encryption requirements.")
            if row.status == st.IN_USE and is_multiattach_type(new_type) != row.multiattach:
                raise InvalidInput(
                    "Retyping to or from a multiattach type of an in-use volume is not supported."
                )
            current = self.core.backend_of(row) if row.host else None
            allocated = await repo.allocated_by_host(s)
            try:
                target = self.core.backends.schedule(
                    size=row.size,
                    availability_zone=row.availability_zone,
                    extra_specs=new_type.extra_specs or {},
                    allocated=allocated,
                )
            except NoValidBackend:
                raise InvalidInput("No valid host was found for the new volume type.") from None
            fits_here = current is not None and _fits(
                self.core, current, new_type, row.size, allocated
            )
            needs_migration = not fits_here
            if needs_migration and migration_policy == "never":
                raise InvalidInput("Retype needs volume migration but migration policy is 'never'.")
            if needs_migration and row.status == st.IN_USE:
                raise InvalidInput("Retype with migration of an in-use volume is not supported.")
            # Per-type quota moves from the old type to the new one.
            await _claim_type_only(self.core, s, row.project_id, new_type.name, row.size)
            previous = row.status
            row.status = st.RETYPING
            row.previous_status = previous
            row.updated_at = utcnow()
            spec = volume_spec(row)
            new_type_id = new_type.id
            multi = is_multiattach_type(new_type) or (row.multiattach and previous == st.IN_USE)
            encrypted = bool(new_type.encryption)

        async def move() -> None:
            values: dict[str, Any] = {
                "status": previous,
                "volume_type_id": new_type_id,
                "previous_status": None,
                "multiattach": multi,
                "encrypted": encrypted,
            }
            if needs_migration and current is not None:
                moved = volume_spec_plain(spec)
                await target.driver.create(moved)
                await target.driver.write(moved, current.driver.read(spec, READ_CHUNK))
                await current.driver.delete(spec)
                values.update(
                    host=target.pool_host,
                    provider_id=None,
                    migration_status="success",
                    availability_zone=target.availability_zone,
                )
            await self.core.set_volume(volume_id, **values)

        async def failed(_err: BaseException) -> None:
            await self.core.set_volume(volume_id, status=previous)

        self.core.later(move, failed)

    async def revert(self, ctx: RequestContext, volume_id: str, snapshot_id: Any) -> None:
        if not isinstance(snapshot_id, str) or not snapshot_id:
            raise InvalidInput("snapshot_id must be specified.")
        async with self.db.session() as s:
            row = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_REVERT, {"project_id": row.project_id})
            snap = await self.core.snapshot(s, ctx, snapshot_id)
            if snap.volume_id != row.id:
                raise InvalidInput(
                    f"Snapshot {snapshot_id} is not a snapshot of volume {volume_id}."
                )
            if row.status != st.AVAILABLE:
                raise InvalidVolume(
                    "Volume status must be available to revert to snapshot, but current "
                    f"status is: {row.status}."
                )
            if snap.status != "available":
                raise InvalidSnapshot(
                    "Snapshot status must be available to revert, but current status is: "
                    f"{snap.status}."
                )
            snaps = await repo.snapshots_of(s, row.id)
            latest = max(snaps, key=lambda x: (x.created_at, x.id)) if snaps else None
            if latest is None or latest.id != snap.id:
                raise InvalidInput(
                    f"Volume {volume_id} can only be reverted to its latest snapshot."
                )
            if snap.size != row.size:
                raise InvalidInput(
                    f"Volume {volume_id} size {row.size} does not match its latest snapshot "
                    f"{snapshot_id} size {snap.size}: revert is not possible."
                )
            row.status = st.REVERTING
            snap.status = "restoring"
            spec = volume_spec(row)
            sspec = snapshot_spec(snap)
            backend = self.core.backend_of(row)

        async def back() -> None:
            await backend.driver.revert(spec, sspec)
            await self.core.set_snapshot(snapshot_id, status="available")
            await self.core.set_volume(volume_id, status=st.AVAILABLE)

        async def failed(_err: BaseException) -> None:
            await self.core.set_snapshot(snapshot_id, status="available")
            await self.core.set_volume(volume_id, status=st.ERROR)

        self.core.later(back, failed)

    async def upload_to_image(
        self, ctx: RequestContext, volume_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        image_name = body.get("image_name")
        if not isinstance(image_name, str) or not image_name:
            raise InvalidInput("No image_name was specified in request.")
        force = parse_bool(body.get("force", False), "force")
        disk_format = body.get("disk_format", "raw")
        container_format = body.get("container_format", "bare")
        if disk_format not in ("raw", "qcow2", "vmdk", "vdi", "vhd", "vhdx", "ploop"):
            raise InvalidInput(
                f"Invalid disk-format '{disk_format}' is specified. Allowed disk-formats are raw, vmdk, vdi, qcow2, vhd, vhdx, ploop."
            )
        if disk_format not in ("raw", "qcow2"):
            # Cinder converts with qemu-img; Stratus converts to raw and qcow2 only, and will
            # not label raw bytes with another format (the image service would refuse them).
            raise InvalidInput(
                f"Uploading a volume as '{disk_format}' is not supported here: use raw or qcow2."
            )
        if container_format != "bare":
            raise InvalidInput(
                f"Invalid container-format '{container_format}' is specified. Allowed container-formats are bare."
            )
        visibility = body.get("visibility", "private")
        protected = parse_bool(body.get("protected", False), "protected")
        images = self.core.client("image-data")
        if images is None:
            raise InvalidInput("The image service is not enabled.")
        async with self.db.session() as s:
            row = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.VOLUME_UPLOAD_IMAGE, {"project_id": row.project_id})
            if visibility == "public":
                ctx.can(policies.VOLUME_UPLOAD_PUBLIC, {"project_id": row.project_id})
            allowed = (st.AVAILABLE, st.IN_USE) if force else (st.AVAILABLE,)
            if row.status not in allowed:
                raise InvalidVolume(
                    f"Volume {volume_id} status must be available, but current status is: {row.status}."
                    if not force
                    else f"Volume {volume_id} status must be available or in-use, but current status is: {row.status}."
                )
            props: dict[str, Any] = {}
            for key, value in (row.image_metadata or {}).items():
                if key not in (
                    "image_id",
                    "image_name",
                    "checksum",
                    "size",
                    "container_format",
                    "disk_format",
                    "min_disk",
                    "min_ram",
                ):
                    props[key] = value
            previous = row.status
            row.status = st.UPLOADING
            row.updated_at = utcnow()
            vtype = await repo.get_type(s, row.volume_type_id)
            spec = volume_spec(row)
            backend = self.core.backend_of(row)
            size, description, updated = row.size, row.description, row.updated_at
        # The image is created outside our transaction: the image service writes in its own
        # (SQLite has one writer), and the volume is already ours in "uploading".
        try:
            image_id = await images.create(
                ctx,
                {
                    "name": image_name,
                    "disk_format": disk_format,
                    "container_format": container_format,
                    "visibility": visibility,
                    "protected": protected,
                    "min_disk": size,
                    **props,
                },
            )
        except BaseException:
            await self.core.set_volume(volume_id, status=previous)
            raise
        answer = {
            "id": volume_id,
            "updated_at": updated,
            "status": st.UPLOADING,
            "display_description": description,
            "size": size,
            "volume_type": vtype,
            "image_id": image_id,
            "container_format": container_format,
            "disk_format": disk_format,
            "image_name": image_name,
            "visibility": visibility,
            "protected": protected,
        }

        async def upload() -> None:
            await images.upload_from_volume(
                ctx, image_id, disk_format, size * GIB, backend.driver.read(spec, READ_CHUNK)
            )
            await self.core.set_volume(volume_id, status=previous)

        async def failed(_err: BaseException) -> None:
            await self.core.set_volume(volume_id, status=previous)

        self.core.later(upload, failed)
        return answer

    # -- manage ----------------------------------------------------------------------------

    async def manage(self, ctx: RequestContext, body: Mapping[str, Any]) -> VolumeData:
        ctx.can(policies.MANAGE, {"project_id": ctx.project_id})
        host = body.get("host") or body.get("service_host")
        ref = body.get("ref")
        if not isinstance(ref, dict) or not ref:
            raise InvalidInput("Manage existing volume requires 'ref' to be a non-empty object.")
        if not isinstance(host, str) or not host:
            raise InvalidInput("Manage existing volume requires 'host'.")
        try:
            backend = self.core.backends.of_host(host)
        except LookupError:
            raise NotFound(f"Service {host} could not be found.") from None
        project_id = ctx.project_id or ""
        name = check_text(body.get("name"), "name")
        description = check_text(body.get("description"), "description")
        metadata = check_metadata(body.get("metadata") or {})
        bootable = parse_bool(body.get("bootable", False), "bootable")
        ref_clean = {str(k): str(v) for k, v in ref.items()}
        async with self.db.session() as s:
            managed = await repo.managed_provider_ids(s, backend.pool_host)
            reference = ref_clean.get("source-name") or ref_clean.get("name") or ""
            if reference in managed:
                raise InvalidVolume(
                    f"Volume {reference} is already managed as {managed[reference]}."
                )
            type_ref = body.get("volume_type")
            vtype = (
                await self.core.types.find(s, str(type_ref), ctx=ctx)
                if type_ref
                else await self.core.types.default_for(s, project_id)
            )
            row = Volume(
                id=uuid_str(),
                project_id=project_id,
                user_id=ctx.user_id,
                name=name,
                description=description,
                size=0,
                status=st.CREATING,
                attach_status="detached",
                availability_zone=backend.availability_zone,
                volume_type_id=vtype.id,
                host=backend.pool_host,
                bootable=bootable,
                multiattach=is_multiattach_type(vtype),
                metadata_=metadata,
                created_at=utcnow(),
            )
            await quota.claim(self.core.quota, s, project_id, volumes=1, type_name=vtype.name)
            await repo.add(s, row)
            data = VolumeData(row, vtype, [])
            type_name = vtype.name
        vid = row.id
        spec = volume_spec(row)

        async def adopt() -> None:
            size, provider = await backend.driver.manage(spec, ref_clean)
            async with self.db.session() as s2:
                await quota.claim(
                    self.core.quota, s2, project_id, gigabytes=size, type_name=type_name
                )
                found = await repo.get_volume(s2, vid)
                if found is None:
                    return
                found.size = size
                found.provider_id = provider
                found.status = st.AVAILABLE
                found.updated_at = utcnow()

        async def failed(_err: BaseException) -> None:
            await self.core.set_volume(vid, status=st.ERROR_MANAGING)

        self.core.later(adopt, failed)
        return data

    async def unmanage(self, ctx: RequestContext, volume_id: str) -> None:
        async with self.db.session() as s:
            row = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.UNMANAGE, {"project_id": row.project_id})
            if row.status not in (
                st.AVAILABLE,
                st.ERROR,
                st.ERROR_MANAGING,
            ) or await repo.attachments_of(s, [row.id]):
                raise InvalidVolume(_DELETE_MESSAGE)
            if await repo.snapshots_of(s, row.id):
                raise InvalidVolume(_DELETE_MESSAGE)
            row.status = "unmanaging"
            spec = volume_spec(row)
            host = row.host

        async def forget() -> None:
            if host:
                await self.core.backends.of_host(host).driver.unmanage(spec)
            async with self.db.session() as s2:
                found = await repo.get_volume(s2, volume_id)
                if found is not None:
                    await repo.remove(s2, found)

        async def failed(_err: BaseException) -> None:
            await self.core.set_volume(volume_id, status=st.ERROR)

        self.core.later(forget, failed)

    async def manageable(self, ctx: RequestContext, host: str | None) -> list[tuple[str, Any]]:
        ctx.can(policies.LIST_MANAGEABLE, {"project_id": ctx.project_id})
        out = []
        backends = list(self.core.backends.by_name.values())
        if host:
            try:
                backends = [self.core.backends.of_host(host)]
            except LookupError:
                raise NotFound(f"Service {host} could not be found.") from None
        for b in backends:
            async with self.db.reader() as s:
                managed = await repo.managed_provider_ids(s, b.pool_host)
            for item in await b.driver.manageable(managed):
                out.append((b.pool_host, item))
        return out

    # -- reading data (backups, compute) ---------------------------------------------------

    def read(self, volume: Volume) -> AsyncIterator[bytes]:
        return self.core.backend_of(volume).driver.read(volume_spec(volume), READ_CHUNK)

    async def find(self, volume_id: str) -> Volume:
        async with self.db.reader() as s:
            row = await repo.get_volume(s, volume_id)
        if row is None:
            raise VolumeNotFound(volume_id)
        return row


async def _claim_type_only(
    core: Core, s: AsyncSession, project_id: str, type_name: str, size: int
) -> None:
    """A retype moves the volume's per-type usage: only the new type's limits can refuse it."""
    deltas = {f"{quota.PREFIX}volumes_{type_name}": 1, f"{quota.PREFIX}gigabytes_{type_name}": size}
    known = {}
    for name, value in deltas.items():
        try:
            core.quota.resource(name)
        except KeyError:
            continue
        known[name] = value
    from stratus.quota.engine import OverQuota

    try:
        await core.quota.claim(s, project_id, known)
    except OverQuota as err:
        from stratus.services.volume.errors import OverLimit

        raise OverLimit(
            f"Quota exceeded for resources: ['{err.resource.removeprefix(quota.PREFIX)}']."
        ) from None


def _fits(
    core: Core, backend: Backend, vtype: VolumeType, size: int, allocated: Mapping[str, int]
) -> bool:
    try:
        chosen = core.backends.schedule(
            size=0,
            availability_zone=backend.availability_zone,
            extra_specs=vtype.extra_specs or {},
            allocated=allocated,
        )
    except NoValidBackend:
        return False
    if chosen.name == backend.name:
        return True
    from stratus.services.volume.backend import _capability_matches

    stats = backend.driver.stats(allocated.get(backend.pool_host, 0))
    return all(
        _capability_matches(stats, k, v, backend) for k, v in (vtype.extra_specs or {}).items()
    )


def volume_spec_plain(spec: VolumeSpec) -> VolumeSpec:
    """The same volume under its default backend name (after a move between backends)."""
    return VolumeSpec(id=spec.id, size=spec.size)


def parse_bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in (
        "true",
        "false",
        "1",
        "0",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "t",
        "f",
    ):
        return value.strip().lower() in ("true", "1", "yes", "on", "y", "t")
    raise InvalidInput(f"Invalid value for '{field}': '{value}'. It must be a boolean.")
