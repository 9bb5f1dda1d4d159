"""Volumes on servers: attach, detach, list and show (``os-volume_attachments``) and boot
from volume (``block_device_mapping_v2`` with destination ``volume``), through the block
storage service's client and its attachments API."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stratus.api.context import RequestContext
from stratus.api.policy import Rule, register
from stratus.db import Database
from stratus.kit.errors import BadRequest, Conflict, NotFound
from stratus.kit.ids import is_uuid_like, uuid_str
from stratus.kit.timeutil import utcnow
from stratus.services.compute.bdm import repository as repo
from stratus.services.compute.bdm.models import VolumeMapping
from stratus.services.compute.errors import InstanceInvalidState
from stratus.services.compute.models import Instance

POLICY_INDEX = "os_compute_api:os-volumes-attachments:index"
POLICY_CREATE = "os_compute_api:os-volumes-attachments:create"
POLICY_SHOW = "os_compute_api:os-volumes-attachments:show"
POLICY_UPDATE = "os_compute_api:os-volumes-attachments:update"
POLICY_SWAP = "os_compute_api:os-volumes-attachments:swap"
POLICY_DELETE = "os_compute_api:os-volumes-attachments:delete"
_OWNER = "role:admin or project_id:%(project_id)s"
register(
    [
        Rule(POLICY_INDEX, _OWNER, "List volume attachments of a server"),
        Rule(POLICY_CREATE, _OWNER, "Attach a volume to a server"),
        Rule(POLICY_SHOW, _OWNER, "Show a volume attachment of a server"),
        Rule(POLICY_UPDATE, _OWNER, "Update a volume attachment (delete_on_termination)"),
        Rule(POLICY_SWAP, "role:admin", "Swap the volume of an attachment"),
        Rule(POLICY_DELETE, _OWNER, "Detach a volume from a server"),
    ]
)

# vm_states in which nova attaches and detaches volumes.
_ATTACHABLE = (
    "active",
    "paused",
    "stopped",
    "suspended",
    "resized",
    "soft-delete",
    "shelved",
    "shelved_offloaded",
)
_DEVICE = re.compile(r"^/dev/[a-z]+[a-z0-9]*$")


class VolumeMappingNotFound(NotFound):
    def __init__(self, volume_id: str) -> None:
        super().__init__(f"volume_id not found: {volume_id}")


@dataclass
class BootVolume:
    """One ``block_device_mapping_v2`` entry with destination ``volume``, validated."""

    source_type: str  # image | volume | snapshot | blank
    uuid: str | None
    volume_size: int | None
    boot_index: int | None
    delete_on_termination: bool
    device_name: str | None
    tag: str | None
    volume_type: str | None
    volume_id: str | None = None  # filled once prepared


def _bad(field: str, value: Any, why: str = "") -> BadRequest:
    return BadRequest(f"Invalid input for field/attribute {field}. Value: {value}. {why}".strip())


def parse_block_devices(items: Any) -> list[BootVolume]:
    """The volume entries of ``block_device_mapping_v2`` (image → local entries are left to
    the image boot path)."""
    if not items:
        return []
    if not isinstance(items, list):
        raise _bad("block_device_mapping_v2", items, "is not of type 'array'")
    out: list[BootVolume] = []
    for item in items:
        if not isinstance(item, dict):
            raise _bad("block_device_mapping_v2", item, "is not of type 'object'")
        if item.get("destination_type") != "volume":
            continue
        source = item.get("source_type")
        if source not in ("image", "volume", "snapshot", "blank"):
            raise BadRequest(f"Block Device Mapping is Invalid: source_type {source} is invalid.")
        uuid = item.get("uuid")
        if source != "blank" and (not isinstance(uuid, str) or not is_uuid_like(uuid)):
            raise BadRequest("Block Device Mapping is Invalid: uuid must be a valid UUID.")
        size_raw = item.get("volume_size")
        size: int | None = None
        if size_raw is not None:
            try:
                size = int(size_raw)
            except (TypeError, ValueError):
                raise _bad("volume_size", size_raw, "is not of type 'integer'") from None
            if size < 1:
                raise BadRequest("Block Device Mapping is Invalid: volume_size must be >= 1.")
        if source in ("image", "blank") and size is None:
            raise BadRequest(
                f"Block Device Mapping is Invalid: volume_size is required for source_type {source}."
            )
        boot_index = item.get("boot_index")
        if boot_index is not None:
            try:
                boot_index = int(boot_index)
            except (TypeError, ValueError):
                raise _bad("boot_index", boot_index, "is not of type 'integer'") from None
        device = item.get("device_name")
        if device is not None and (not isinstance(device, str) or not _DEVICE.match(device)):
            raise BadRequest(f"Block Device Mapping is Invalid: device name {device} is invalid.")
        dot = item.get("delete_on_termination", False)
        if isinstance(dot, str):
            dot = dot.strip().lower() in ("true", "1", "yes")
        out.append(
            BootVolume(
                source_type=source,
                uuid=uuid if isinstance(uuid, str) else None,
                volume_size=size,
                boot_index=boot_index if boot_index is None or boot_index >= 0 else None,
                delete_on_termination=bool(dot),
                device_name=device,
                tag=item.get("tag") if isinstance(item.get("tag"), str) else None,
                volume_type=item.get("volume_type")
                if isinstance(item.get("volume_type"), str)
                else None,
            )
        )
    roots = [b for b in out if b.boot_index == 0]
    if len(roots) > 1:
        raise BadRequest(
            "Block Device Mapping is Invalid: Boot sequence for the instance and "
            "image/block device mapping combination is not valid."
        )
    return out


def parse_legacy_block_devices(items: Any) -> list[BootVolume]:
    """The legacy ``block_device_mapping`` (``volume_id`` or ``snapshot_id``, ``device_name``,
    ``volume_size``, ``delete_on_termination``): the root device name makes it the boot disk."""
    if not items:
        return []
    if not isinstance(items, list):
        raise _bad("block_device_mapping", items, "is not of type 'array'")
    out: list[BootVolume] = []
    for item in items:
        if not isinstance(item, dict):
            raise _bad("block_device_mapping", item, "is not of type 'object'")
        if item.get("no_device") or item.get("virtual_name"):
            continue  # ephemeral/swap/suppressed devices: nothing in block storage
        volume_id, snapshot_id = item.get("volume_id"), item.get("snapshot_id")
        ref = snapshot_id or volume_id
        if not isinstance(ref, str) or not is_uuid_like(ref):
            raise BadRequest(
                "Block Device Mapping is Invalid: volume_id or snapshot_id is required."
            )
        device = item.get("device_name")
        if isinstance(device, str) and device and not device.startswith("/dev/"):
            device = f"/dev/{device}"
        size = item.get("volume_size")
        dot = item.get("delete_on_termination", False)
        if isinstance(dot, str):
            dot = dot.strip().lower() in ("true", "1", "yes")
        out.append(
            BootVolume(
                source_type="snapshot" if snapshot_id else "volume",
                uuid=ref,
                volume_size=int(size)
                if isinstance(size, (int, str)) and str(size).isdigit()
                else None,
                boot_index=0 if device in ("/dev/vda", "/dev/sda", "/dev/xvda") else None,
                delete_on_termination=bool(dot),
                device_name=device if isinstance(device, str) and _DEVICE.match(device) else None,
                tag=None,
                volume_type=None,
            )
        )
    return out


def _next_device(used: set[str], prefix: str = "/dev/vd") -> str:
    for letter in "abcdefghijklmnopqrstuvwxyz":
        name = f"{prefix}{letter}"
        if name not in used:
            return name
    raise BadRequest("No free disk device names for prefix 'vd'")


class VolumeAttachmentService:
    def __init__(self, db: Database, volumes: Any) -> None:
        self.db = db
        # services/volume/client.py VolumeClient, or None when block storage is disabled
        self.volumes = volumes

    def _client(self) -> Any:
        if self.volumes is None:
            raise BadRequest("The block storage service is not enabled.")
        return self.volumes

    async def mappings(self, server_id: str) -> list[VolumeMapping]:
        async with self.db.reader() as s:
            return await repo.of_server(s, server_id)

    async def mappings_of(self, server_ids: list[str]) -> dict[str, list[VolumeMapping]]:
        async with self.db.reader() as s:
            return await repo.of_servers(s, server_ids)

    async def get(self, server_id: str, volume_id: str) -> VolumeMapping:
        async with self.db.reader() as s:
            row = await repo.find(s, server_id, volume_id)
        if row is None:
            raise VolumeMappingNotFound(volume_id)
        return row

    async def rebuild_root(
        self, ctx: RequestContext, inst: Instance, image_ref: str, *, reimage: bool
    ) -> None:
        """The root volume's side of a rebuild. Up to 2.92 a volume-backed server is rebuilt
        only from the image its root volume holds (nova's 400). From 2.93 (``reimage``) the
        root volume is re-imaged as nova does it: its attachment swapped for a reserved one,
        block storage's ``os-reimage`` (``reimage_reserved``), then connected again."""
        if self.volumes is None:
            return
        async with self.db.reader() as s:
            rows = await repo.of_server(s, inst.uuid)
        root = next((r for r in rows if r.boot_index == 0), None)
        if root is None:
            return
        image_id = image_ref.rstrip("/").rsplit("/", 1)[-1]
        if not reimage:
            volume = await self.volumes.get(ctx, root.volume_id)
            held = volume.image_metadata.get("image_id") if volume is not None else None
            if held != image_id:
                raise BadRequest(
                    f"Image {image_id} is unacceptable: Unable to rebuild with a different "
                    "image for a volume-backed server."
                )
            return
        # the rebuild's own state checks, before the volume is touched
        if inst.locked and not ctx.is_admin:
            raise Conflict(f"Instance {inst.uuid} is locked")
        if inst.vm_state not in ("active", "stopped", "error"):
            raise InstanceInvalidState("rebuild", inst.uuid, "vm_state", inst.vm_state)
        if inst.task_state is not None:
            raise InstanceInvalidState("rebuild", inst.uuid, "task_state", inst.task_state)
        client = self._client()
        if root.attachment_id:
            await client.detach(ctx, root.attachment_id)
        new_id = await client.reserve(ctx, root.volume_id, instance_id=inst.uuid)
        async with self.db.session() as s:
            row = await repo.find(s, inst.uuid, root.volume_id)
            if row is not None:
                row.attachment_id = new_id
        try:
            await client.reimage_reserved(ctx, root.volume_id, image_id)
        except NotFound:
            raise BadRequest(f"Image {image_id} could not be found.") from None
        finally:
            volume = await client.get(ctx, root.volume_id)
            if volume is not None and volume.status == "reserved":
                await client.connect(
                    ctx,
                    new_id,
                    instance_id=inst.uuid,
                    host=inst.host,
                    device=root.device_name or "/dev/vda",
                )

    # -- attach / detach -------------------------------------------------------------------

    async def attach(
        self,
        ctx: RequestContext,
        inst: Instance,
        volume_id: str,
        *,
        device: str | None,
        tag: str | None,
        delete_on_termination: bool,
        multiattach_ok: bool = True,
    ) -> VolumeMapping:
        client = self._client()
        if inst.vm_state not in _ATTACHABLE or inst.task_state is not None:
            raise Conflict(
                f"Cannot 'attach_volume' instance {inst.uuid} while it is in vm_state "
                f"{inst.vm_state}"
            )
        if device is not None and not _DEVICE.match(device):
            raise BadRequest(f"The supplied device path ({device}) is invalid.")
        volume = await client.get(ctx, volume_id)
        if volume is None:
            raise NotFound(f"Volume {volume_id} could not be found.")
        if volume.multiattach and not multiattach_ok:
            raise BadRequest(
                "Multiattach volumes are only supported starting with compute API version 2.60."
            )
        existing = await self.mappings(inst.uuid)
        if any(m.volume_id == volume_id for m in existing):
            raise BadRequest(
                f"Invalid volume: volume {volume_id} is already attached to the instance."
            )
        used = {m.device_name for m in existing}
        if not any(m.boot_index == 0 for m in existing):
            used.add("/dev/vda")  # the image's root disk
        if device is not None and device in used:
            raise BadRequest(f"The supplied device path ({device}) is in use.")
        name = device or _next_device(used)
        attachment_id = await client.attach(
            ctx, volume_id, instance_id=inst.uuid, host=inst.host, device=name
        )
        row = VolumeMapping(
            id=uuid_str(),
            instance_uuid=inst.uuid,
            volume_id=volume_id,
            attachment_id=attachment_id,
            device_name=name,
            tag=tag,
            source_type="volume",
            boot_index=None,
            delete_on_termination=delete_on_termination,
            created_at=utcnow(),
        )
        try:
            async with self.db.session() as s:
                await repo.add(s, row)
        except BaseException:
            await client.detach(ctx, attachment_id)
            raise
        return row

    async def detach(self, ctx: RequestContext, inst: Instance, volume_id: str) -> None:
        client = self._client()
        if inst.vm_state not in _ATTACHABLE or inst.task_state is not None:
            raise Conflict(
                f"Cannot 'detach_volume' instance {inst.uuid} while it is in vm_state "
                f"{inst.vm_state}"
            )
        async with self.db.session() as s:
            row = await repo.find(s, inst.uuid, volume_id)
            if row is None:
                raise VolumeMappingNotFound(volume_id)
            if row.boot_index == 0:
                raise BadRequest("Cannot detach a root device volume")
            attachment_id = row.attachment_id
            await repo.remove(s, row)
        if attachment_id:
            await client.detach(ctx, attachment_id)

    async def update(
        self, inst: Instance, volume_id: str, *, delete_on_termination: bool | None
    ) -> VolumeMapping:
        async with self.db.session() as s:
            row = await repo.find(s, inst.uuid, volume_id)
            if row is None:
                raise VolumeMappingNotFound(volume_id)
            if delete_on_termination is not None:
                row.delete_on_termination = delete_on_termination
            return row

    # -- boot from volume ------------------------------------------------------------------

    async def prepare_boot(self, ctx: RequestContext, devices: list[BootVolume]) -> None:
        """Check and create the volumes of a boot request before the server exists (so a
        bad mapping changes nothing); each entry gets its ``volume_id``."""
        if not devices:
            return
        client = self._client()
        created: list[str] = []
        # Existing volumes are checked before any volume is made for the others (as nova
        # validates them in the API), so a bad reference leaves nothing to clean up.
        ordered = sorted(devices, key=lambda d: d.source_type != "volume")
        try:
            for d in ordered:
                if d.source_type == "volume":
                    assert d.uuid is not None
                    vol = await client.get(ctx, d.uuid)
                    if vol is None:
                        raise BadRequest(
                            f"Block Device Mapping is Invalid: failed to get volume {d.uuid}."
                        )
                    if d.boot_index == 0 and not vol.bootable:
                        raise BadRequest(
                            f"Block Device Mapping is Invalid: Volume {d.uuid} is not bootable."
                        )
                    if vol.status != "available" and not (
                        vol.multiattach and vol.status == "in-use"
                    ):
                        raise BadRequest(
                            f"Block Device Mapping is Invalid: volume {d.uuid} status must be "
                            f"'available', but is '{vol.status}'."
                        )
                    d.volume_id = vol.id
                    continue
                vid = await client.create(
                    ctx,
                    size=d.volume_size,
                    name="",
                    image_id=d.uuid if d.source_type == "image" else None,
                    snapshot_id=d.uuid if d.source_type == "snapshot" else None,
                    volume_type=d.volume_type,
                )
                created.append(vid)
                d.volume_id = vid
            for vid in created:
                await client.wait(ctx, vid)
        except BaseException:
            for vid in created:
                await client.delete(ctx, vid)
            raise

    async def abandon_boot(self, ctx: RequestContext, devices: list[BootVolume]) -> None:
        """The server was not created: remove the volumes made for it."""
        if not devices:
            return
        client = self._client()
        for d in devices:
            if d.source_type != "volume" and d.volume_id:
                await client.delete(ctx, d.volume_id)

    async def attach_boot(
        self, ctx: RequestContext, inst: Instance, devices: list[BootVolume]
    ) -> None:
        client = self._client()
        used: set[str] = set() if any(d.boot_index == 0 for d in devices) else {"/dev/vda"}
        ordered = sorted(devices, key=lambda d: (d.boot_index is None, d.boot_index or 0))
        for d in ordered:
            assert d.volume_id is not None
            name = d.device_name or ("/dev/vda" if d.boot_index == 0 else _next_device(used))
            used.add(name)
            attachment_id = await client.attach(
                ctx, d.volume_id, instance_id=inst.uuid, host=inst.host, device=name
            )
            async with self.db.session() as s:
                await repo.add(
                    s,
                    VolumeMapping(
                        id=uuid_str(),
                        instance_uuid=inst.uuid,
                        volume_id=d.volume_id,
                        attachment_id=attachment_id,
                        device_name=name,
                        tag=d.tag,
                        source_type=d.source_type,
                        boot_index=d.boot_index,
                        delete_on_termination=d.delete_on_termination,
                        created_at=utcnow(),
                    ),
                )

    async def server_deleted(self, ctx: RequestContext, server_id: str) -> None:
        """Detach the server's volumes; delete those marked ``delete_on_termination``."""
        if self.volumes is None:
            return
        async with self.db.reader() as s:  # most servers have none: no write transaction
            if not await repo.of_server(s, server_id):
                return
        async with self.db.session() as s:
            rows = await repo.of_server(s, server_id)
            for row in rows:
                await repo.remove(s, row)
        for row in rows:
            if row.attachment_id:
                await self.volumes.detach(ctx, row.attachment_id)
            if row.delete_on_termination:
                await self.volumes.delete(ctx, row.volume_id)


_KEY = "compute.volume_attachments"


def service_for(runtime: Any) -> VolumeAttachmentService:
    """The one service of a runtime (the compute app and its handlers share it)."""
    existing = runtime.clients.get(_KEY)
    if isinstance(existing, VolumeAttachmentService):
        return existing
    client = None
    if "block-storage" in runtime.settings.services:
        from stratus.services.volume.client import VolumeClient

        client = VolumeClient(runtime)
    built = VolumeAttachmentService(runtime.db, client)
    runtime.clients[_KEY] = built
    return built


_ATTACHED = "os-extended-volumes:volumes_attached"


async def mappings_in(session: Any, server_ids: list[str]) -> dict[str, list[VolumeMapping]]:
    """The volume mappings of ``server_ids``, in the caller's session (a server list's)."""
    return await repo.of_servers(session, server_ids)


def fill_volumes_attached(
    views: list[dict[str, Any]], found: Mapping[str, list[VolumeMapping]], version: Any
) -> None:
    """Set ``os-extended-volumes:volumes_attached`` of views from mappings read already."""
    key = _ATTACHED
    for view in views:
        if key not in view:
            continue
        view[key] = [
            {"id": m.volume_id, "delete_on_termination": m.delete_on_termination}
            if version.at_least("2.3")
            else {"id": m.volume_id}
            for m in found.get(view["id"], [])
        ]
