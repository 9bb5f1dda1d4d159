"""Server actions that keep the server where it is: shelve/shelveOffload/unshelve, rescue,
createImage and createBackup (snapshots into the image service, backup rotation), crash
dumps, admin passwords, security groups, interface attach/detach and the external events
other services send. Each checks nova's states (409), records an instance action with its
events and runs the driver operation on the server's host."""

import base64
import contextlib
import logging
import secrets
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stratus.api.context import RequestContext
from stratus.bus.base import Message
from stratus.kit.errors import BadRequest, Conflict, Gone, NotFound
from stratus.kit.ids import uuid_str
from stratus.kit.timeutil import utcnow
from stratus.scheduler import NoValidHost
from stratus.services.compute import repository as repo
from stratus.services.compute.bdm import repository as bdm_repo
from stratus.services.compute.drivers.base import PowerState
from stratus.services.compute.errors import InstanceInvalidState, ServerNotFound
from stratus.services.compute.lifecycle import Lifecycle, instance_spec, spec_payload
from stratus.services.compute.models import Instance, InstanceAction
from stratus.services.compute.server import ServerService, new_action

log = logging.getLogger(__name__)

# Where createImage/createBackup hand the snapshot over (nova's snapshot_instance and
# backup_instance casts to the compute manager).
SNAPSHOT_TOPIC = "compute-snapshots"

# The capability a host reports when it can rescue volume-backed servers (os-traits).
RESCUE_BFV_TRAIT = "COMPUTE_RESCUE_BFV"

# nova's [DEFAULT] shelved_offload_time: 0 offloads at once, -1 never.
SHELVED_OFFLOAD_TIME = 0

# The external event names nova accepts, and from which microversion.
EVENT_NAMES = {
    "network-changed": "2.1",
    "network-vif-plugged": "2.1",
    "network-vif-unplugged": "2.1",
    "network-vif-deleted": "2.1",
    "volume-extended": "2.51",
    "power-update": "2.76",
    "accelerator-request-bound": "2.82",
}


class _ServerGone(Exception):
    """The server was deleted while its snapshot was being taken."""


class _ImageGone(Exception):
    """The image was deleted while it was being saved."""


def _fault(err: BaseException) -> dict[str, Any]:
    return {
        "code": 500,
        "message": str(err)[:255] or type(err).__name__,
        "details": str(err),
        "created": utcnow().isoformat(),
    }


def _password() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(12))


@dataclass
class ExternalEvent:
    name: str
    server_uuid: str
    status: str = "completed"
    tag: str | None = None
    code: int = 200

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "server_uuid": self.server_uuid,
            "status": self.status,
            "code": self.code,
        }
        if self.tag is not None:
            out["tag"] = self.tag
        return out


@dataclass
class InterfaceRequest:
    net_id: str | None = None
    port_id: str | None = None
    fixed_ips: list[dict[str, str]] = field(default_factory=list)
    tag: str | None = None


class ActionService:
    def __init__(self, servers: ServerService, images: Any) -> None:
        self.servers = servers
        self.life = Lifecycle(servers)
        self.db = servers.db
        self.bus = servers.bus
        self.images = images
        self.shelved_offload_time = SHELVED_OFFLOAD_TIME

    # -- snapshots ---------------------------------------------------------------------
    #
    # nova's createImage/createBackup: the API checks the server, marks it (task_state
    # image_snapshot / image_backup), creates the image record (queued) and answers with it;
    # the snapshot itself runs behind the bus: image_snapshot_pending → image_pending_upload
    # → image_uploading → done, the image queued → saving → active. Until then a second snapshot (or any other action
    # that needs no task) is 409. A failure clears the task_state, deletes the image and
    # leaves the error on the instance action's event and as the instance's fault.

    async def _new_image(
        self, ctx: RequestContext, inst: Instance, *, name: str, properties: Mapping[str, str]
    ) -> str:
        """The queued image a snapshot of ``inst`` will be uploaded into."""
        base = await self.images.get_image(inst.image_ref, project_id=None, is_admin=True)
        props = {
            "instance_uuid": inst.uuid,
            "base_image_ref": inst.image_ref,
            "user_id": ctx.user_id,
            "owner_user_name": ctx.auth.user_name if ctx.auth else "",
            **dict(properties),
        }
        image_id: str = await self.images.create_snapshot(
            project_id=inst.project_id,
            user_id=ctx.user_id,
            name=name,
            properties={k: str(v) for k, v in props.items() if v is not None},
            disk_format=base.disk_format if base else None,
            container_format=base.container_format if base else None,
            min_disk=int(inst.flavor.get("root_gb", 0)),
            min_ram=base.min_ram if base else 0,
        )
        return image_id

    async def _capture(self, inst: Instance, image_id: str, *, shelving: bool = False) -> None:
        """Snapshot the guest's disk on its host and upload it into ``image_id``, through
        nova's task states (image_snapshot_pending → image_pending_upload → image_uploading,
        shelving_image_* for shelve). _ServerGone when the server is being deleted meanwhile,
        _ImageGone when the image is."""
        prefix = "shelving_" if shelving else ""
        steps = [] if shelving else ["image_snapshot_pending"]
        for step in [*steps, f"{prefix}image_pending_upload"]:
            if await self.life.update(inst.uuid, task_state=step) is None:
                raise _ServerGone
        try:
            encoded = await self.life.call(str(inst.host), "snapshot", {"uuid": inst.uuid})
        except Exception:
            if await self._being_deleted(inst.uuid):
                raise _ServerGone from None
            raise
        if await self.life.update(inst.uuid, task_state=f"{prefix}image_uploading") is None:
            raise _ServerGone
        try:
            await self.images.upload(
                project_id=inst.project_id, image_id=image_id, data=base64.b64decode(encoded)
            )
        except (NotFound, Gone) as err:
            raise _ImageGone(str(err)) from None

    async def _being_deleted(self, uuid: str) -> bool:
        async with self.db.reader() as s:
            inst = await repo.get_instance(s, uuid)
        return inst is None or inst.task_state == "deleting"

    async def _start_snapshot(
        self,
        ctx: RequestContext,
        uuid: str,
        *,
        action: str,
        task_state: str,
        name: str,
        properties: Mapping[str, str],
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        inst = await self.life.begin(
            ctx,
            uuid,
            action,
            vm_states=("active", "stopped", "paused", "suspended"),
            task_state=task_state,
            record=action,
        )
        try:
            image_id = await self._new_image(ctx, inst, name=name, properties=properties)
            await self.bus.cast(
                Message(
                    SNAPSHOT_TOPIC,
                    "snapshot_instance",
                    {"uuid": uuid, "image_id": image_id, "action": action, **dict(extra or {})},
                )
            )
        except BaseException:
            # No image (quota, say), or nobody to take the snapshot: the server is as it was.
            await self.life.update(uuid, task_state=None)
            raise
        return image_id

    async def create_image(
        self, ctx: RequestContext, uuid: str, name: str, metadata: Mapping[str, str]
    ) -> str:
        """The id of the image the snapshot goes into (queued; active once uploaded)."""
        return await self._start_snapshot(
            ctx,
            uuid,
            action="createImage",
            task_state="image_snapshot",
            name=name,
            # the caller's metadata wins over nova's own keys (image_type included)
            properties={"image_type": "snapshot", **metadata},
        )

    async def create_backup(
        self,
        ctx: RequestContext,
        uuid: str,
        *,
        name: str,
        backup_type: str,
        rotation: int,
        metadata: Mapping[str, str],
    ) -> str:
        """Snapshot, then (once uploaded) keep only the newest ``rotation`` backups of this
        type (none when rotation is 0: the new image goes too). Volume-backed servers have
        no disk of their own to back up (400, as nova)."""
        if await self._volume_backed(ctx, uuid):
            raise BadRequest("It's not supported to backup volume backed instance.")
        return await self._start_snapshot(
            ctx,
            uuid,
            action="createBackup",
            task_state="image_backup",
            name=name,
            # rotation finds backups by these two keys: they win over the metadata
            properties={**metadata, "image_type": "backup", "backup_type": backup_type},
            extra={"backup_type": backup_type, "rotation": rotation},
        )

    async def _volume_backed(self, ctx: RequestContext, uuid: str) -> bool:
        """nova's is_volume_backed_instance: no image, or a volume as the root disk."""
        inst = await self.servers.get(ctx, uuid)
        if not inst.image_ref:
            return True
        async with self.db.reader() as s:
            return any(m.boot_index == 0 for m in await bdm_repo.of_server(s, uuid))

    async def handle(self, msg: Message) -> None:
        """The compute side of createImage/createBackup (cast by the API)."""
        if msg.method != "snapshot_instance":
            return
        p = msg.payload
        rotation = p.get("rotation")
        try:
            await self.snapshot_instance(
                str(p["uuid"]),
                str(p["image_id"]),
                action=str(p["action"]),
                backup_type=p.get("backup_type"),
                rotation=None if rotation is None else int(rotation),
            )
        except Exception:
            # Never leave the server stuck in its snapshot task.
            log.exception("snapshot of %s failed", p["uuid"])
            await self.life.update(str(p["uuid"]), task_state=None)

    async def snapshot_instance(
        self,
        uuid: str,
        image_id: str,
        *,
        action: str,
        backup_type: str | None = None,
        rotation: int | None = None,
    ) -> None:
        event = (
            "compute_backup_instance" if action == "createBackup" else "compute_snapshot_instance"
        )
        start = utcnow()
        async with self.db.reader() as s:
            inst = await repo.get_instance(s, uuid)
        if inst is None or inst.task_state == "deleting":
            await self._drop_image(uuid, image_id)
            return
        try:
            await self._capture(inst, image_id)
        except _ServerGone:
            # nova: the instance disappeared during the snapshot; its image goes too.
            log.info("server %s went away during its snapshot", uuid)
            await self._drop_image(uuid, image_id, project_id=inst.project_id)
            return
        except _ImageGone as err:
            # nova: the image was deleted while it was being saved; not a fault.
            log.info("image %s went away during the snapshot of %s: %s", image_id, uuid, err)
            await self.life.update(uuid, task_state=None)
            await self.life.event(uuid, action, event, start, host=inst.host)
            return
        except Exception as err:
            log.warning("snapshot of %s into %s failed: %s", uuid, image_id, err)
            await self._drop_image(uuid, image_id, project_id=inst.project_id)
            await self.life.event(uuid, action, event, start, err, host=inst.host)
            await self.life.update(uuid, task_state=None, fault=_fault(err))
            return
        await self.life.update(uuid, task_state=None)
        await self.life.event(uuid, action, event, start, host=inst.host)
        if backup_type is not None and rotation is not None:
            await self._rotate(inst.project_id, uuid, backup_type, rotation)

    async def _drop_image(self, uuid: str, image_id: str, *, project_id: str | None = None) -> None:
        if project_id is None:
            async with self.db.reader() as s:
                inst = await repo.get_instance(s, uuid, read_deleted=True)
            if inst is None:
                return
            project_id = inst.project_id
        with contextlib.suppress(Exception):
            await self.images.delete(project_id=project_id, image_id=image_id)

    async def _rotate(self, project_id: str, uuid: str, backup_type: str, rotation: int) -> None:
        """Keep the newest ``rotation`` backups of ``backup_type`` of the server."""
        backups = await self.images.snapshots_of(
            project_id=project_id,
            properties={"instance_uuid": uuid, "image_type": "backup", "backup_type": backup_type},
        )
        excess = len(backups) - rotation
        for old in backups[: max(0, excess)]:
            with contextlib.suppress(NotFound):
                await self.images.delete(project_id=project_id, image_id=old)

    # -- shelve ------------------------------------------------------------------------

    async def shelve(self, ctx: RequestContext, uuid: str) -> None:
        inst = await self.life.begin(
            ctx,
            uuid,
            "shelve",
            vm_states=("active", "stopped", "paused", "suspended"),
            task_state="shelving",
            record="shelve",
        )
        start = utcnow()
        image_id: str | None = None
        try:
            image_id = await self._new_image(
                ctx,
                inst,
                name=f"{inst.display_name}-shelved",
                properties={"image_type": "snapshot"},
            )
            await self._capture(inst, image_id, shelving=True)
            if inst.vm_state != "stopped" and inst.host:
                await self.life.call(inst.host, "power", {"uuid": uuid, "action": "stop"})
        except Exception as err:
            if image_id is not None:
                with contextlib.suppress(Exception):
                    await self.images.delete(project_id=inst.project_id, image_id=image_id)
            if isinstance(err, _ServerGone):
                return
            await self.life.event(uuid, "shelve", "compute_shelve_instance", start, err)
            await self.life.update(uuid, task_state=None)
            return
        await self.life.set_system_metadata(
            uuid,
            shelved_image_id=image_id,
            shelved_at=utcnow().isoformat(),
            shelved_host=inst.host,
        )
        await self.life.update(
            uuid, vm_state="shelved", task_state=None, power_state=int(PowerState.SHUTDOWN)
        )
        await self.life.event(uuid, "shelve", "compute_shelve_instance", start, host=inst.host)
        if self.shelved_offload_time == 0:
            await self._offload(uuid, ctx, record=False)

    async def shelve_offload(self, ctx: RequestContext, uuid: str) -> None:
        await self._offload(uuid, ctx, record=True)

    async def _offload(self, uuid: str, ctx: RequestContext, *, record: bool) -> None:
        inst = await self.life.begin(
            ctx,
            uuid,
            "shelveOffload",
            vm_states=("shelved",),
            task_state="shelving_offloading",
            record="shelveOffload" if record else None,
            check_lock=record,
        )
        start = utcnow()
        if inst.host:
            await self.life.call(inst.host, "destroy", {"uuid": uuid})
        network = self.servers.network
        if network is not None:
            zone = inst.availability_zone or self.servers.config.default_availability_zone
            for vif in inst.network_info:
                with contextlib.suppress(NotFound):
                    await network.bind_port(
                        vif["port_id"], host="", device_id=uuid, device_owner=f"compute:{zone}"
                    )
        if self.servers.scheduler is not None:
            await self.servers.scheduler.release(uuid)
        await self.life.update(
            uuid,
            host=None,
            node=None,
            vm_state="shelved_offloaded",
            task_state=None,
            power_state=int(PowerState.NOSTATE),
        )
        await self.life.event(
            uuid,
            "shelveOffload" if record else "shelve",
            "compute_shelve_offload_instance",
            start,
            host=inst.host,
        )

    async def unshelve(
        self,
        ctx: RequestContext,
        uuid: str,
        *,
        zone: str | None = None,
        zone_given: bool = False,
        host: str | None = None,
    ) -> None:
        inst = await self.servers.get(ctx, uuid)
        if (zone_given or host) and inst.vm_state == "shelved":
            raise Conflict(
                "Specifying an availability zone or a host when unshelving server "
                f'"{uuid}" with status "{inst.vm_state}" is not supported. The server status '
                "must be SHELVED_OFFLOADED."
            )
        if zone is not None and zone not in await self.servers.hosts.compute_zones():
            raise BadRequest("The requested availability zone is not available")
        if host is not None:
            states = await self.servers.hosts.host_states()
            found = [h for h in states.values() if h.host == host]
            if not found:
                raise BadRequest(f"Compute host {host} could not be found.")
            # the zone the server will be pinned to must hold the host (nova: 409)
            expected = zone if zone_given else inst.availability_zone
            if expected is not None and found[0].availability_zone != expected:
                raise Conflict(f'Host "{host}" is not in the availability zone "{expected}".')
        values: dict[str, Any] = {}
        if zone_given:
            values["availability_zone"] = zone
        inst = await self.life.begin(
            ctx,
            uuid,
            "unshelve",
            vm_states=("shelved", "shelved_offloaded"),
            task_state="unshelving",
            record="unshelve",
            values=values,
        )
        start = utcnow()
        image_id = str(inst.system_metadata.get("shelved_image_id") or inst.image_ref)
        if inst.vm_state == "shelved" and inst.host:
            power = await self.life.call(inst.host, "power", {"uuid": uuid, "action": "start"})
            await self._unshelved(inst, int(power), image_id, start)
            return
        scheduler = self.servers.scheduler
        try:
            if scheduler is None:
                raise NoValidHost("The placement service is not enabled.")
            clone = Instance(**{c.key: getattr(inst, c.key) for c in Instance.__table__.columns})
            clone.requested_host = host
            spec = await self.servers._request_spec(clone)
            spec.force_node = None
            selection = await scheduler.select(spec, await self.servers.hosts.host_states())
        except NoValidHost as err:
            await self.life.event(uuid, "unshelve", "schedule_instances", start, err)
            await self.life.update(uuid, task_state=None)
            return
        try:
            await self.life.update(
                uuid,
                host=selection.host,
                node=selection.nodename,
                task_state="spawning",
                availability_zone=inst.availability_zone or selection.availability_zone,
            )
            network = self.servers.network
            if network is not None:
                zone_name = inst.availability_zone or self.servers.config.default_availability_zone
                for vif in inst.network_info:
                    await network.bind_port(
                        vif["port_id"],
                        host=selection.host,
                        device_id=uuid,
                        device_owner=f"compute:{zone_name}",
                    )
            power = await self.life.call(
                selection.host,
                "spawn",
                {"spec": spec_payload(instance_spec(inst, image_id=image_id))},
            )
        except Exception as err:
            await self.life.event(uuid, "unshelve", "compute_unshelve_instance", start, err)
            await scheduler.release(uuid)
            await self.life.update(uuid, host=None, node=None, task_state=None)
            return
        await self._unshelved(inst, int(power), image_id, start, host=selection.host)

    async def _unshelved(
        self, inst: Instance, power: int, image_id: str, start: Any, *, host: str | None = None
    ) -> None:
        uuid = inst.uuid
        await self.life.update(
            uuid,
            vm_state="active",
            task_state=None,
            power_state=power,
            network_info=await self.servers._network_info(uuid),
        )
        await self.life.set_system_metadata(
            uuid, shelved_image_id=None, shelved_at=None, shelved_host=None
        )
        if image_id != inst.image_ref:
            # The shelve snapshot has served its purpose (nova deletes it too).
            with contextlib.suppress(Exception):
                await self.images.delete(project_id=inst.project_id, image_id=image_id)
        await self.life.event(
            uuid, "unshelve", "compute_unshelve_instance", start, host=host or inst.host
        )

    # -- rescue ------------------------------------------------------------------------

    async def rescue(
        self,
        ctx: RequestContext,
        uuid: str,
        *,
        image_ref: str | None,
        password: str | None,
        allow_bfv: bool = False,
    ) -> str:
        """nova's rescue; a volume-backed server only from 2.87 (``allow_bfv``) and on a
        host that reports COMPUTE_RESCUE_BFV (stable device rescue), else 400."""
        inst = await self.servers.get(ctx, uuid)
        image_id = inst.image_ref
        if image_ref is not None:
            image_id = image_ref.rstrip("/").rsplit("/", 1)[-1]
            image = await self.images.get_image(
                image_id, project_id=ctx.project_id, is_admin=ctx.is_admin
            )
            if image is None:
                raise BadRequest(f"Image {image_id} could not be found.")
        if await self._volume_backed(ctx, uuid):
            why = None
            if not allow_bfv:
                why = "Cannot rescue a volume-backed instance"
            elif RESCUE_BFV_TRAIT not in self._host_traits(inst.host):
                why = "Host unable to rescue a volume-backed instance"
            if why is not None:
                raise BadRequest(f"Instance {uuid} cannot be rescued: {why}")
        inst = await self.life.begin(
            ctx,
            uuid,
            "rescue",
            vm_states=("active", "stopped", "error"),
            task_state="rescuing",
            record="rescue",
        )
        start = utcnow()
        try:
            power = await self.life.call(
                str(inst.host), "rescue", {"uuid": uuid, "image_id": image_id}
            )
        except Exception as err:
            await self.life.event(uuid, "rescue", "compute_rescue_instance", start, err)
            await self.life.update(uuid, task_state=None)
            return password or _password()
        await self.life.set_system_metadata(uuid, old_vm_state=inst.vm_state, rescue_image=image_id)
        await self.life.update(uuid, vm_state="rescued", task_state=None, power_state=int(power))
        await self.life.event(uuid, "rescue", "compute_rescue_instance", start, host=inst.host)
        return password or _password()

    def _host_traits(self, host: str | None) -> tuple[str, ...]:
        for res in self.servers.driver.hosts():
            if res.hostname == host:
                return tuple(res.traits)
        return ()

    async def unrescue(self, ctx: RequestContext, uuid: str) -> None:
        inst = await self.life.begin(
            ctx,
            uuid,
            "unrescue",
            vm_states=("rescued",),
            task_state="unrescuing",
            record="unrescue",
        )
        start = utcnow()
        power = await self.life.call(str(inst.host), "unrescue", {"uuid": uuid})
        await self.life.set_system_metadata(uuid, old_vm_state=None, rescue_image=None)
        await self.life.update(uuid, vm_state="active", task_state=None, power_state=int(power))
        await self.life.event(uuid, "unrescue", "compute_unrescue_instance", start, host=inst.host)

    # -- small actions -------------------------------------------------------------------

    async def trigger_crash_dump(self, ctx: RequestContext, uuid: str) -> None:
        current = await self.servers.get(ctx, uuid)
        if (
            current.vm_state in ("active", "paused", "rescued", "resized", "error")
            and current.task_state is None
            and (current.power_state != int(PowerState.RUNNING) or not current.host)
        ):
            raise Conflict(f"Instance {uuid} is not running.")
        inst = await self.life.begin(
            ctx,
            uuid,
            "trigger_crash_dump",
            vm_states=("active", "paused", "rescued", "resized", "error"),
            task_state=None,
            record="trigger_crash_dump",
        )
        start = utcnow()
        await self.life.call(str(inst.host), "trigger_crash_dump", {"uuid": uuid})
        await self.life.event(
            uuid, "trigger_crash_dump", "compute_trigger_crash_dump", start, host=inst.host
        )

    async def change_password(self, ctx: RequestContext, uuid: str, password: str) -> None:
        inst = await self.life.begin(
            ctx,
            uuid,
            "changePassword",
            vm_states=("active",),
            task_state="updating_password",
            record="changePassword",
        )
        start = utcnow()
        try:
            await self.life.call(
                str(inst.host), "set_admin_password", {"uuid": uuid, "password": password}
            )
        except Exception as err:
            await self.life.event(uuid, "changePassword", "compute_set_admin_password", start, err)
            raise
        finally:
            await self.life.update(uuid, task_state=None)
        await self.life.event(
            uuid, "changePassword", "compute_set_admin_password", start, host=inst.host
        )

    async def security_group(self, ctx: RequestContext, uuid: str, name: str, *, add: bool) -> None:
        inst = await self.servers.get(ctx, uuid)
        network = self.servers.network
        if network is None:
            raise BadRequest("The network service is not enabled.")
        visible = await network.security_groups_for_project(inst.project_id)
        match = [g for g in visible if g["id"] == name] or [g for g in visible if g["name"] == name]
        if not match:
            raise NotFound(f"Security group {name} not found for project {inst.project_id}.")
        group = match[0]
        ports = [v["port_id"] for v in inst.network_info]
        changed = False
        for port_id in ports:
            port = await network.get_port(port_id)
            current = list(port.get("security_groups") or [])
            if add and group["id"] not in current:
                await network.set_security_groups(port_id, [*current, group["id"]])
                changed = True
            elif not add and group["id"] in current:
                await network.set_security_groups(port_id, [g for g in current if g != group["id"]])
                changed = True
        names = list(inst.security_groups)
        if add:
            if not changed and group["name"] in names:
                raise BadRequest(
                    f"Security group {group['name']} is already associated with the instance {uuid}"
                )
            names = list(dict.fromkeys([*names, str(group["name"])]))
        else:
            if not changed and group["name"] not in names:
                raise BadRequest(
                    f"Security group {group['name']} not associated with the instance {uuid}"
                )
            names = [n for n in names if n not in (group["name"], group["id"])]
        await self.life.update(uuid, security_groups=names)

    async def security_groups_of(self, ctx: RequestContext, uuid: str) -> list[dict[str, Any]]:
        """The security groups on the server's ports (os-security-groups of a server)."""
        inst = await self.servers.get(ctx, uuid)
        network = self.servers.network
        if network is None:
            return []
        ids: list[str] = []
        for vif in inst.network_info:
            with contextlib.suppress(NotFound):
                port = await network.get_port(vif["port_id"])
                ids.extend(port.get("security_groups") or [])
        visible = {g["id"]: g for g in await network.security_groups_for_project(inst.project_id)}
        return [visible[i] for i in dict.fromkeys(ids) if i in visible]

    # -- interfaces --------------------------------------------------------------------

    async def attach_interface(
        self, ctx: RequestContext, uuid: str, req: InterfaceRequest
    ) -> dict[str, Any]:
        inst = await self.servers.get(ctx, uuid)
        network = self.servers.network
        if network is None:
            raise BadRequest("The network service is not enabled.")
        if req.port_id:
            try:
                port = await network.get_port(req.port_id)
            except NotFound:
                raise NotFound(f"Port {req.port_id} could not be found.") from None
            if port.get("device_id"):
                raise Conflict(f"Port {req.port_id} is still in use.")
            if port.get("project_id") != inst.project_id and not ctx.is_admin:
                raise NotFound(f"Port {req.port_id} could not be found.")
        elif req.net_id:
            try:
                net = await network.get_network(req.net_id)
            except NotFound:
                raise NotFound(f"Network {req.net_id} could not be found.") from None
            if not (ctx.is_admin or net.get("shared") or net.get("project_id") == inst.project_id):
                raise NotFound(f"Network {req.net_id} could not be found.")
        inst = await self.life.begin(
            ctx,
            uuid,
            "interface_attach",
            vm_states=("active", "paused", "stopped"),
            task_state=None,
            record="attach_interface",
        )
        start = utcnow()
        zone = inst.availability_zone or self.servers.config.default_availability_zone
        created = False
        if req.port_id:
            port_id = req.port_id
            await network.bind_port(
                port_id, host=inst.host or "", device_id=uuid, device_owner=f"compute:{zone}"
            )
        else:
            net_id = req.net_id
            if net_id is None:
                requested = await self.servers._networks(ctx, "auto")
                if not requested or requested[0].network_id is None:
                    raise BadRequest("No network is available to attach an interface to.")
                net_id = requested[0].network_id
            try:
                port = await network.create_port(
                    project_id=inst.project_id,
                    network_id=net_id,
                    device_id=uuid,
                    device_owner=f"compute:{zone}",
                    host=inst.host or "",
                    fixed_ips=req.fixed_ips or None,
                )
            except Conflict as err:
                raise Conflict(str(err)) from None
            except BadRequest as err:
                raise BadRequest(str(err)) from None
            port_id = str(port["id"])
            created = True
        try:
            if inst.host:
                await self.life.call(
                    inst.host, "attach_interface", {"uuid": uuid, "port_id": port_id}
                )
        except Exception as err:
            await self.life.event(uuid, "attach_interface", "compute_attach_interface", start, err)
            with contextlib.suppress(NotFound):
                if created:
                    await network.delete_port(port_id)
                else:
                    await network.unbind_port(port_id)
            raise Conflict(f"Failed to attach network adapter device to {uuid}") from None
        info = await self.servers._network_info(uuid)
        async with self.db.session() as s:
            row = await repo.get_instance(s, uuid)
            if row is not None:
                row.network_info = info
                tags = dict(row.system_metadata or {}).get("created_ports", [])
                meta = dict(row.system_metadata or {})
                if created:
                    meta["created_ports"] = [*tags, port_id]
                if req.tag:
                    meta.setdefault("interface_tags", {})[port_id] = req.tag
                row.system_metadata = meta
                row.updated_at = utcnow()
        await self.life.event(
            uuid, "attach_interface", "compute_attach_interface", start, host=inst.host
        )
        for vif in info:
            if vif["port_id"] == port_id:
                return vif
        raise NotFound(f"Port {port_id} is not attached")

    async def detach_interface(self, ctx: RequestContext, uuid: str, port_id: str) -> None:
        inst = await self.servers.get(ctx, uuid)
        if not any(v["port_id"] == port_id for v in inst.network_info):
            raise NotFound(f"Port {port_id} is not attached")
        inst = await self.life.begin(
            ctx,
            uuid,
            "interface_detach",
            vm_states=("active", "paused", "stopped"),
            task_state=None,
            record="detach_interface",
        )
        start = utcnow()
        if inst.host:
            await self.life.call(inst.host, "detach_interface", {"uuid": uuid, "port_id": port_id})
        network = self.servers.network
        user_ports = {r.get("port_id") for r in inst.requested_networks if r.get("port_id")}
        if network is not None:
            with contextlib.suppress(NotFound):
                if port_id in user_ports:
                    await network.unbind_port(port_id)
                else:
                    await network.delete_port(port_id)
        info = await self.servers._network_info(uuid)
        await self.life.update(uuid, network_info=info)
        await self.life.event(
            uuid, "detach_interface", "compute_detach_interface", start, host=inst.host
        )

    # -- external events ---------------------------------------------------------------

    async def external_events(
        self, events: Sequence[ExternalEvent], requested_by: RequestContext | None = None
    ) -> list[ExternalEvent]:
        """Apply events from the network / block storage services; each gets its code."""
        for event in events:
            async with self.db.reader() as s:
                inst = await repo.get_instance(s, event.server_uuid)
            if inst is None:
                event.code = 404
                continue
            if not inst.host:
                # Not on a host yet (or offloaded): nothing to deliver to.
                event.code = 422
                continue
            event.code = 200
            if event.name.startswith("network-"):
                await self.life.update(
                    inst.uuid, network_info=await self.servers._network_info(inst.uuid)
                )
            elif event.name == "volume-extended":
                await self._volume_extended(inst, requested_by)
            elif event.name == "power-update" and event.tag in ("POWER_ON", "POWER_OFF"):
                on = event.tag == "POWER_ON"
                if inst.task_state is None and inst.vm_state in ("active", "stopped"):
                    await self.life.update(
                        inst.uuid,
                        vm_state="active" if on else "stopped",
                        power_state=int(PowerState.RUNNING if on else PowerState.SHUTDOWN),
                    )
        return list(events)

    async def _volume_extended(self, inst: Instance, requested_by: RequestContext | None) -> None:
        """As nova: the API records an ``extend_volume`` action (the requester's, else the
        server owner's) and the host rescans the guest's disk under a
        ``compute_extend_volume`` event (a simulated guest has nothing to rescan)."""
        now = utcnow()
        async with self.db.session() as s:
            if requested_by is not None and requested_by.auth is not None:
                s.add(new_action(inst.uuid, "extend_volume", requested_by, now))
            else:
                s.add(
                    InstanceAction(
                        instance_uuid=inst.uuid,
                        action="extend_volume",
                        request_id=f"req-{uuid_str()}",
                        user_id=inst.user_id,
                        project_id=inst.project_id,
                        message=None,
                        events=[],
                        start_time=now,
                        updated_at=now,
                    )
                )
        await self.life.event(
            inst.uuid, "extend_volume", "compute_extend_volume", utcnow(), host=inst.host
        )

    async def get_any(self, uuid: str) -> Instance:
        async with self.db.reader() as s:
            inst = await repo.get_instance(s, uuid)
        if inst is None:
            raise ServerNotFound(uuid)
        return inst


__all__ = ["ActionService", "ExternalEvent", "InstanceInvalidState", "InterfaceRequest"]
