"""What other services (compute) may do with block storage, in-process and as the calling
user: read a volume, create one (blank, from an image, snapshot or volume), wait for it,
attach it to an instance through the attachments API and detach it, delete it."""

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stratus.api.context import RequestContext
from stratus.api.runtime import Runtime
from stratus.kit.errors import NotFound
from stratus.services.volume.errors import VolumeNotFound

KEY = "block-storage.services"


@dataclass(frozen=True)
class AttachmentInfo:
    id: str
    server_id: str | None
    device: str | None


@dataclass(frozen=True)
class VolumeInfo:
    id: str
    name: str | None
    status: str
    size: int
    multiattach: bool
    bootable: bool
    availability_zone: str
    image_metadata: dict[str, str] = field(default_factory=dict)
    attached_to: tuple[str, ...] = ()
    description: str | None = None
    volume_type: str | None = None
    snapshot_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    created_at: Any = None
    attachments: tuple[AttachmentInfo, ...] = ()


@dataclass(frozen=True)
class SnapshotInfo:
    id: str
    volume_id: str
    status: str
    size: int
    name: str | None
    description: str | None
    created_at: Any


def _info(data: Any) -> VolumeInfo:
    v = data.volume
    attached = [a for a in data.attachments if a.attach_status == "attached"]
    return VolumeInfo(
        id=v.id,
        name=v.name,
        status=v.status,
        size=v.size,
        multiattach=v.multiattach,
        bootable=v.bootable,
        availability_zone=v.availability_zone,
        image_metadata=dict(v.image_metadata or {}),
        attached_to=tuple(a.instance_uuid for a in attached if a.instance_uuid is not None),
        description=v.description,
        volume_type=data.type.name if data.type else None,
        snapshot_id=v.snapshot_id,
        metadata=dict(v.metadata_ or {}),
        created_at=v.created_at,
        attachments=tuple(AttachmentInfo(a.id, a.instance_uuid, a.mountpoint) for a in attached),
    )


def _snap(row: Any) -> SnapshotInfo:
    return SnapshotInfo(
        id=row.id,
        volume_id=row.volume_id,
        status=row.status,
        size=row.size,
        name=row.name,
        description=row.description,
        created_at=row.created_at,
    )


class VolumeUnavailable(Exception):
    """A volume did not reach the wanted status (it went to error, or took too long)."""


class VolumeClient:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def _svc(self) -> Any:
        built = self.runtime.clients.get(KEY)
        if built is None:
            from stratus.services.volume import spec

            built = spec.services(self.runtime)
        return built

    async def get(self, ctx: RequestContext, volume_id: str) -> VolumeInfo | None:
        try:
            data = await self._svc().volumes.get(ctx, volume_id)
        except NotFound:
            return None
        return _info(data)

    async def list_volumes(
        self, ctx: RequestContext, *, limit: int | None = None, offset: int | None = None
    ) -> list[VolumeInfo]:
        from stratus.services.volume.repository import Listing

        listing = Listing(project_id=ctx.project_id, limit=limit, offset=offset)
        return [_info(d) for d in await self._svc().volumes.list_volumes(ctx, listing)]

    async def create_snapshot(
        self,
        ctx: RequestContext,
        volume_id: str,
        *,
        force: bool = False,
        name: str | None = None,
        description: str | None = None,
    ) -> SnapshotInfo:
        row = await self._svc().snapshots.create(
            ctx,
            {"volume_id": volume_id, "force": force, "name": name, "description": description},
        )
        return _snap(row)

    async def get_snapshot(self, ctx: RequestContext, snapshot_id: str) -> SnapshotInfo | None:
        try:
            return _snap(await self._svc().snapshots.get(ctx, snapshot_id))
        except NotFound:
            return None

    async def list_snapshots(
        self, ctx: RequestContext, *, limit: int | None = None, offset: int | None = None
    ) -> list[SnapshotInfo]:
        from stratus.services.volume.repository import Listing

        listing = Listing(project_id=ctx.project_id, limit=limit, offset=offset)
        return [_snap(r) for r in await self._svc().snapshots.list_snapshots(ctx, listing)]

    async def delete_snapshot(self, ctx: RequestContext, snapshot_id: str) -> None:
        await self._svc().snapshots.delete(ctx, snapshot_id)

    async def update_snapshot_status(
        self, ctx: RequestContext, snapshot_id: str, status: str, *, progress: str | None = None
    ) -> None:
        """Compute's report on an assisted snapshot (os-update_snapshot_status)."""
        body: dict[str, Any] = {"status": status}
        if progress is not None:
            body["progress"] = progress
        await self._svc().snapshots.update_status(ctx, snapshot_id, body)

    async def create(
        self,
        ctx: RequestContext,
        *,
        size: int | None,
        name: str | None = None,
        image_id: str | None = None,
        snapshot_id: str | None = None,
        volume_type: str | None = None,
        availability_zone: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        body: dict[str, Any] = {"name": name, "description": description}
        if metadata:
            body["metadata"] = dict(metadata)
        if size is not None:
            body["size"] = size
        if image_id:
            body["imageRef"] = image_id
        if snapshot_id:
            body["snapshot_id"] = snapshot_id
        if volume_type:
            body["volume_type"] = volume_type
        if availability_zone:
            body["availability_zone"] = availability_zone
        data = await self._svc().volumes.create(ctx, body)
        return str(data.volume.id)

    async def wait(
        self, ctx: RequestContext, volume_id: str, status: str = "available", timeout: float = 600
    ) -> VolumeInfo:
        deadline = time.monotonic() + timeout
        while True:
            info = await self.get(ctx, volume_id)
            if info is None:
                raise VolumeUnavailable(f"Volume {volume_id} is gone.")
            if info.status == status:
                return info
            if info.status.startswith("error"):
                raise VolumeUnavailable(f"Volume {volume_id} went to {info.status}.")
            if time.monotonic() > deadline:
                raise VolumeUnavailable(f"Volume {volume_id} is still {info.status}.")
            await asyncio.sleep(0.05)

    async def attach(
        self,
        ctx: RequestContext,
        volume_id: str,
        *,
        instance_id: str,
        host: str | None,
        device: str,
        mode: str = "rw",
    ) -> str:
        """Reserve, connect and complete an attachment (what nova does through cinder's
        attachments API); the volume ends ``in-use``."""
        svc = self._svc()
        connector = _connector(instance_id, host, device)
        row = await svc.attachments.create(
            ctx, volume_id=volume_id, instance_id=instance_id, connector=None, mode=mode
        )
        try:
            await svc.attachments.update(ctx, row.id, connector)
            await svc.attachments.complete(ctx, row.id)
        except BaseException:
            await svc.attachments.delete(ctx, row.id)
            raise
        return str(row.id)

    async def reserve(self, ctx: RequestContext, volume_id: str, *, instance_id: str) -> str:
        """A reserved attachment (no connector yet): the volume goes ``reserved``."""
        row = await self._svc().attachments.create(
            ctx, volume_id=volume_id, instance_id=instance_id, connector=None, mode="rw"
        )
        return str(row.id)

    async def connect(
        self,
        ctx: RequestContext,
        attachment_id: str,
        *,
        instance_id: str,
        host: str | None,
        device: str,
    ) -> None:
        """Connect and complete a reserved attachment: the volume goes ``in-use``."""
        svc = self._svc()
        connector = _connector(instance_id, host, device)
        await svc.attachments.update(ctx, attachment_id, connector)
        await svc.attachments.complete(ctx, attachment_id)

    async def reimage_reserved(self, ctx: RequestContext, volume_id: str, image_id: str) -> None:
        """3.68 ``os-reimage`` of a reserved volume (compute rebuilding a volume-backed
        server), then wait until it is ``reserved`` again (VolumeUnavailable on error)."""
        await self._svc().volumes.reimage(
            ctx, volume_id, {"image_id": image_id, "reimage_reserved": True}
        )
        await self.wait(ctx, volume_id, "reserved")

    async def detach(self, ctx: RequestContext, attachment_id: str) -> None:
        try:
            await self._svc().attachments.delete(ctx, attachment_id)
        except NotFound:
            return

    async def delete(self, ctx: RequestContext, volume_id: str, *, strict: bool = False) -> None:
        """Delete a volume (``strict``: a missing volume raises, as the proxy API wants)."""
        try:
            await self._svc().volumes.delete(ctx, volume_id)
        except VolumeNotFound:
            if strict:
                raise


def _connector(instance_id: str, host: str | None, device: str) -> Mapping[str, Any]:
    """The connector compute hands block storage for an attachment on ``host``."""
    return {
        "host": host or "",
        "mountpoint": device,
        "initiator": f"iqn.1993-08.org.debian:01:{instance_id[:12]}",
        "multipath": False,
    }
