"""Servers: the API side of boot (validation, quota, rows: 202 with BUILD) and the conductor
side (schedule, claim, ports, spawn on the host over the bus: ACTIVE, or ERROR with a fault),
delete (release allocations and ports), metadata, tags, actions."""

import asyncio
import base64
import binascii
import contextlib
import dataclasses
import functools
import hashlib
import logging
import re
import secrets
import string
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement

from stratus.api.context import RequestContext
from stratus.bus.base import Bus, Message
from stratus.db import Database
from stratus.kit.errors import BadRequest, Conflict, Forbidden, NotFound, StratusError
from stratus.kit.ids import is_uuid_like, uuid_str
from stratus.kit.timeutil import parse_isotime, utcnow
from stratus.quota import QuotaEngine
from stratus.quota.engine import OverQuota
from stratus.scheduler import NoValidHost, RequestSpec, Scheduler, Selection
from stratus.scheduler.numa import (
    InvalidGuestTopology,
    guest_request,
    port_binding_profile,
    port_pci_request,
)
from stratus.services.compute import hostops
from stratus.services.compute import repository as repo
from stratus.services.compute.config import ComputeConfig
from stratus.services.compute.drivers.base import ComputeDriver, InstanceSpec, PowerState
from stratus.services.compute.errors import (
    FlavorNotFound,
    InstanceInvalidState,
    KeyPairNotFound,
    ServerNotFound,
)
from stratus.services.compute.flavor import FlavorService
from stratus.services.compute.host import HostService
from stratus.services.compute.keypair import KeyPairService
from stratus.services.compute.metadata import personality
from stratus.services.compute.metadata.service import MetadataService
from stratus.services.compute.models import (
    Flavor,
    Instance,
    InstanceAction,
    ServerGroup,
    ServerGroupMember,
)

log = logging.getLogger(__name__)

CONDUCTOR_TOPIC = "compute-conductor"
# Scheduling attempts per build (nova's [scheduler] max_attempts).
MAX_ATTEMPTS = 3
COMPUTE_TOPIC = "compute"

# status -> vm_states it covers (nova's api/openstack/common.py state map, reversed).
STATUS_TO_VM_STATE = {
    "ACTIVE": ["active"],
    "BUILD": ["building"],
    "ERROR": ["error"],
    "DELETED": ["deleted"],
    "SHUTOFF": ["stopped"],
    "PAUSED": ["paused"],
    "SUSPENDED": ["suspended"],
    "SOFT_DELETED": ["soft-delete"],
    "SHELVED": ["shelved"],
    "SHELVED_OFFLOADED": ["shelved_offloaded"],
    "RESCUE": ["rescued"],
    "VERIFY_RESIZE": ["resized"],
    "MIGRATING": [],
    "RESIZE": [],
    "REBOOT": [],
    "HARD_REBOOT": [],
    "PASSWORD": [],
    "REBUILD": [],
    "UNKNOWN": [],
}
_VM_TO_STATUS = {vm: status for status, vms in STATUS_TO_VM_STATE.items() for vm in vms}


_RESIZE_TASKS = ("resize_prep", "resize_migrating", "resize_migrated", "resize_finish")
_REBUILD_TASKS = ("rebuilding", "rebuild_block_device_mapping", "rebuild_spawning")
# vm_state -> task_state -> status where a task shows (nova's api/openstack/common.py map).
_TASK_STATUS: dict[str, dict[str, str]] = {
    "active": {
        "rebooting": "REBOOT",
        "reboot_pending": "REBOOT",
        "reboot_started": "REBOOT",
        "rebooting_hard": "HARD_REBOOT",
        "reboot_pending_hard": "HARD_REBOOT",
        "reboot_started_hard": "HARD_REBOOT",
        "updating_password": "PASSWORD",
        "migrating": "MIGRATING",
        **dict.fromkeys(_REBUILD_TASKS, "REBUILD"),
        **dict.fromkeys(_RESIZE_TASKS, "RESIZE"),
    },
    "stopped": {
        **dict.fromkeys(_REBUILD_TASKS, "REBUILD"),
        **dict.fromkeys(_RESIZE_TASKS, "RESIZE"),
    },
    "resized": {"resize_reverting": "REVERT_RESIZE"},
    "paused": {"migrating": "MIGRATING"},
    "error": dict.fromkeys(_REBUILD_TASKS, "REBUILD"),
}


def status_of(vm_state: str, task_state: str | None) -> str:
    if task_state is not None:
        status = _TASK_STATUS.get(vm_state, {}).get(task_state)
        if status is not None:
            return status
    return _VM_TO_STATUS.get(vm_state, "UNKNOWN")


def host_id(project_id: str, host: str | None) -> str:
    """Nova's hostId: an opaque per-project digest of the host name."""
    if not host:
        return ""
    return _host_digest(project_id, host)


@functools.lru_cache(maxsize=4096)
def _host_digest(project_id: str, host: str) -> str:
    return hashlib.sha224((project_id + host).encode()).hexdigest()


def _hostname(name: str) -> str:
    text = re.sub(r"[^\w.\- ]", "", name.lower()).replace(" ", "-").replace("_", "-")
    text = text.strip(".-")[:63]
    return text or "server"


@dataclass
class NetworkRequest:
    network_id: str | None = None
    port_id: str | None = None
    fixed_ip: str | None = None
    tag: str | None = None


@dataclass
class BootRequest:
    """A validated POST /servers body."""

    name: str
    flavor_ref: str
    image_ref: str
    networks: str | list[NetworkRequest] | None = None
    key_name: str | None = None
    user_data: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    security_groups: list[str] = field(default_factory=list)
    availability_zone: str | None = None
    host: str | None = None
    hypervisor_hostname: str | None = None
    min_count: int = 1
    max_count: int = 1
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    access_ip_v4: str | None = None
    access_ip_v6: str | None = None
    config_drive: bool = False
    disk_config: str = "MANUAL"
    hostname: str | None = None  # 2.90: given by the user, else made from the name
    admin_pass: str | None = None
    hints: dict[str, Any] = field(default_factory=dict)
    # personality (up to 2.56): (path, contents) for the config drive
    personality: list[tuple[str, bytes]] = field(default_factory=list)
    # block storage (issue 8): the root disk is a volume (block_device_mapping_v2 boot_index 0)
    boot_from_volume: bool = False


@dataclass
class BootResult:
    instances: list[Instance]
    reservation_id: str
    admin_pass: str


class ServerService:
    def __init__(
        self,
        *,
        db: Database,
        bus: Bus,
        config: ComputeConfig,
        driver: ComputeDriver,
        hosts: HostService,
        flavors: FlavorService,
        keypairs: KeyPairService,
        quota: QuotaEngine,
        scheduler: Scheduler | None,
        network: Any,
        images: Any,
    ) -> None:
        self.db = db
        self.bus = bus
        self.config = config
        self.driver = driver
        self.hosts = hosts
        self.flavors = flavors
        self.keypairs = keypairs
        self.quota = quota
        self.scheduler = scheduler
        self.network = network
        self.images = images
        # Writes config drives on the host before spawn (set by the compute spec).
        self.config_drives: MetadataService | None = None
        self._group_locks: dict[str, asyncio.Lock] = {}
        # uuid -> (create action id, its events) while this process builds the instance:
        # only the build appends to them, so each step writes them without reading first.
        self._build_logs: dict[str, tuple[int, list[dict[str, Any]]]] = {}

    # -- reads -------------------------------------------------------------------------

    async def get(
        self,
        ctx: RequestContext,
        uuid: str,
        *,
        read_deleted: bool = False,
        also: Callable[[Any, list[Instance]], Awaitable[None]] | None = None,
    ) -> Instance:
        """The caller's server; ``also`` runs with the same session once it is found (what
        its view adds from other tables)."""
        async with self.db.reader() as s:
            inst = await repo.get_instance(s, uuid, read_deleted=read_deleted)
            if inst is None or not (ctx.is_admin or inst.project_id == ctx.project_id):
                raise ServerNotFound(uuid)
            if also is not None:
                await also(s, [inst])
        return inst

    async def list_servers(
        self,
        ctx: RequestContext,
        *,
        all_tenants: bool,
        filters: Mapping[str, str],
        tags: Mapping[str, list[str]],
        sort: Sequence[tuple[str, str]],
        limit: int | None,
        marker: str | None,
        also: Callable[[Any, list[Instance]], Awaitable[None]] | None = None,
    ) -> list[Instance]:
        """The servers a list shows; ``also`` runs with the list's session and rows (what the
        view adds from other tables, read in the same transaction)."""
        clauses: list[ColumnElement[bool]] = []
        project = filters.get("project_id") or filters.get("tenant_id")
        if all_tenants:
            if project:
                clauses.append(Instance.project_id == project)
        else:
            clauses.append(Instance.project_id == (ctx.project_id or ""))
        deleted = filters.get("deleted", "").lower() in ("true", "1", "yes")
        changes_since = filters.get("changes-since")
        if changes_since:
            try:
                since = parse_isotime(changes_since)
            except ValueError:
                raise BadRequest(
                    f"Invalid input for query parameters changes-since. Value: {changes_since}."
                ) from None
            clauses.append(Instance.updated_at >= since)
        elif not deleted:
            clauses.append(Instance.deleted.is_(False))
        if deleted:
            clauses.append(Instance.deleted.is_(True))
        if "status" in filters:
            vm_states: list[str] = []
            for status in filters["status"].split(","):
                states = STATUS_TO_VM_STATE.get(status.strip().upper())
                if states is None:
                    raise BadRequest(f"Invalid status value: {status}")
                vm_states.extend(states)
            clauses.append(Instance.vm_state.in_(vm_states))
            if "deleted" not in vm_states and not changes_since:
                clauses.append(Instance.deleted.is_(False))
        if "image" in filters:
            clauses.append(Instance.image_ref == filters["image"].rsplit("/", 1)[-1])
        for key, column in (
            ("reservation_id", Instance.reservation_id),
            ("host", Instance.host),
            ("node", Instance.node),
            ("availability_zone", Instance.availability_zone),
            ("user_id", Instance.user_id),
            ("key_name", Instance.key_name),
        ):
            if key in filters:
                clauses.append(column == filters[key])
        if "locked" in filters:
            clauses.append(Instance.locked.is_(filters["locked"].lower() in ("true", "1")))
        async with self.db.reader() as s:
            marker_row = None
            if marker is not None:
                marker_row = await repo.get_instance(s, marker, read_deleted=True)
                if marker_row is None:
                    raise BadRequest(f"marker [{marker}] not found")
            rows = await repo.list_instances(s, clauses, sort=sort, limit=None, marker=marker_row)
            rows = _filtered(rows, filters, tags)
            rows = rows[:limit] if limit is not None else rows
            if also is not None:
                await also(s, rows)
        return rows

    # -- boot --------------------------------------------------------------------------

    async def boot(self, ctx: RequestContext, req: BootRequest) -> BootResult:
        project_id = ctx.project_id
        if project_id is None:
            raise Forbidden("Servers are created in a project; the token is not project-scoped.")
        # One read for the flavor and the limits: the early quota answers (metadata items,
        # how many of min..max fit) come from them, before the write transaction; the claim
        # below counts under the project's lock row, so no concurrent boot slips between.
        async with self.db.reader() as s:
            flavor = await self._flavor_for_boot(ctx, req.flavor_ref, s)
            limits = await self.quota.limits(
                s,
                project_id,
                names=[
                    f"compute.{n}"
                    for n in ("instances", "cores", "ram", "metadata_items", "server_group_members")
                ],
            )
        image_props: dict[str, str] = {}
        if req.image_ref:
            image_props = await self._check_image(ctx, req.image_ref, flavor)
            try:  # the NUMA/pinning/huge page/PCI request must make sense before any row
                guest_request(
                    flavor.vcpus,
                    flavor.memory_mb,
                    flavor.extra_specs or {},
                    image_props,
                    self.config.pci_aliases,
                )
            except InvalidGuestTopology as err:
                raise BadRequest(str(err)) from None
        elif not req.boot_from_volume:  # block storage (issue 8): root volume, no image
            raise BadRequest(
                "Block device mapping is invalid: booting without an image "
                "(from a volume) needs the block storage service."
            )
        key_data = None
        if req.key_name is not None:
            try:
                key_data = (await self.keypairs.get(ctx.user_id, req.key_name)).public_key
            except KeyPairNotFound:
                raise BadRequest("Invalid key_name provided.") from None
        zone = req.availability_zone
        forced_host = req.host
        forced_node = req.hypervisor_hostname
        if zone and ":" in zone:
            zone, _, rest = zone.partition(":")
            host_part, _, node_part = rest.partition(":")
            forced_host = host_part or forced_host
            forced_node = node_part or forced_node
            zone = zone or None
        if zone and zone not in await self.hosts.compute_zones():
            raise BadRequest("The requested availability zone is not available")
        if forced_host or forced_node:
            states = await self.hosts.host_states()
            if forced_host and not any(h.host == forced_host for h in states.values()):
                raise BadRequest(f"Compute host {forced_host} could not be found.")
            if forced_node and not any(h.nodename == forced_node for h in states.values()):
                raise BadRequest(f"Compute host {forced_node} could not be found.")
        requested = await self._networks(ctx, req.networks)
        group_ids = await self._security_groups(ctx, req.security_groups or ["default"])
        if req.min_count > req.max_count:
            raise BadRequest("min_count must be <= max_count")
        admin_pass = req.admin_pass or "".join(
            secrets.choice(string.ascii_letters + string.digits) for _ in range(12)
        )
        reservation_id = "r-" + "".join(
            secrets.choice(string.ascii_lowercase + string.digits) for _ in range(8)
        )
        now = utcnow()
        snapshot = _flavor_snapshot(flavor)
        rows: list[Instance] = []
        usage = (0, 0, 0)
        finite = any(limits.get(f"compute.{n}", -1) >= 0 for n in ("instances", "cores", "ram"))
        counted = req.max_count > req.min_count and finite  # else every count fits or none
        if req.personality or counted:
            async with self.db.reader() as s:
                await personality.check_quota(self.quota, s, project_id, req.personality)
                if counted:
                    usage = await repo.instance_usage(s, project_id)
        meta_limit = limits.get("compute.metadata_items", -1)
        if 0 <= meta_limit < len(req.metadata):
            raise Forbidden("Quota exceeded for metadata_items: the metadata has too many items.")
        count = _fit(req, flavor, limits, usage)
        async with self.db.session() as s:
            await self._claim(s, project_id, flavor, count, limits)
            group = await self._group_for_boot(s, ctx, req.hints.get("group"), count, limits)
            for index in range(count):
                uuid = uuid_str()
                name = req.name if count == 1 else f"{req.name}-{index + 1}"
                row = Instance(
                    uuid=uuid,
                    display_name=name,
                    display_description=req.description,
                    project_id=project_id,
                    user_id=ctx.user_id,
                    hostname=req.hostname or _hostname(name),
                    vm_state="building",
                    task_state="scheduling",
                    power_state=int(PowerState.NOSTATE),
                    flavor=snapshot,
                    vcpus=flavor.vcpus,
                    memory_mb=flavor.memory_mb,
                    image_ref=req.image_ref,
                    key_name=req.key_name,
                    key_data=key_data,
                    user_data=req.user_data,
                    meta=dict(req.metadata),
                    tags=list(dict.fromkeys(req.tags)),
                    security_groups=req.security_groups or ["default"],
                    requested_networks=[
                        {**dataclasses.asdict(n), "security_groups": group_ids} for n in requested
                    ],
                    network_info=[],
                    availability_zone=zone,
                    requested_host=forced_host,
                    scheduler_hints={
                        **req.hints,
                        "_forced_node": forced_node,
                        "_image_properties": image_props,
                    },
                    config_drive="True" if req.config_drive else "",
                    reservation_id=reservation_id,
                    launch_index=index,
                    access_ip_v4=req.access_ip_v4,
                    access_ip_v6=req.access_ip_v6,
                    disk_config=req.disk_config,
                    locked=False,
                    progress=0,
                    created_at=now,
                    updated_at=now,
                    deleted=False,
                )
                s.add(row)
                personality.store(s, uuid, req.personality)
                if group is not None:
                    s.add(ServerGroupMember(group_id=group.id, instance_uuid=uuid))
                s.add(new_action(row.uuid, "create", ctx, now))
                rows.append(row)
        for row in rows:
            await self.bus.cast(Message(CONDUCTOR_TOPIC, "build_instance", {"uuid": row.uuid}))
        return BootResult(rows, reservation_id, admin_pass)

    async def _group_for_boot(
        self,
        s: Any,
        ctx: RequestContext,
        ident: Any,
        count: int,
        limits: Mapping[str, int],
    ) -> ServerGroup | None:
        if ident is None:
            return None
        if not isinstance(ident, str) or not is_uuid_like(ident):
            raise BadRequest(f"Invalid input for field/attribute group. Value: {ident}.")
        group = await repo.get_group(s, ident)
        if group is None or not (ctx.is_admin or group.project_id == ctx.project_id):
            raise NotFound(f"Instance group {ident} could not be found.")
        limit = limits.get("compute.server_group_members", -1)
        if limit >= 0 and len(await repo.group_members(s, group)) + count > limit:
            raise Forbidden("Quota exceeded, too many servers in group")
        return group

    async def _flavor_for_boot(self, ctx: RequestContext, ref: str, session: Any) -> Flavor:
        flavorid = ref.rstrip("/").rsplit("/", 1)[-1]
        try:
            flavor = await self.flavors.get(
                flavorid, project_id=ctx.project_id, is_admin=False, session=session
            )
        except FlavorNotFound:
            raise BadRequest(f"Flavor {flavorid} could not be found.") from None
        if flavor.disabled:
            raise BadRequest("Flavor is disabled.")
        return flavor

    async def _check_image(self, ctx: RequestContext, ref: str, flavor: Flavor) -> dict[str, str]:
        image_id = ref.rstrip("/").rsplit("/", 1)[-1]
        if not is_uuid_like(image_id):
            raise BadRequest("Invalid imageRef provided.")
        image = await self.images.get_image(
            image_id, project_id=ctx.project_id, is_admin=ctx.is_admin
        )
        if image is None:
            raise BadRequest(f"Image {image_id} could not be found.")
        if image.status != "active":
            raise BadRequest(f"Image {image_id} is not active.")
        if flavor.root_gb:
            if image.size and image.size > flavor.root_gb * 1024**3:
                raise BadRequest("Flavor's disk is too small for requested image.")
            if image.min_disk > flavor.root_gb:
                raise BadRequest(
                    f"Flavor's disk is too small for requested image. Flavor disk is "
                    f"{flavor.root_gb * 1024**3} bytes, minimum requested disk is "
                    f"{image.min_disk * 1024**3} bytes."
                )
        if image.min_ram > flavor.memory_mb:
            raise BadRequest("Flavor's memory is too small for requested image.")
        return dict(image.properties)

    async def _networks(
        self, ctx: RequestContext, networks: str | list[NetworkRequest] | None
    ) -> list[NetworkRequest]:
        if networks == "none":
            return []
        if self.network is None:
            if isinstance(networks, list) and networks:
                raise BadRequest("Networks were requested but the network service is not enabled.")
            return []
        project_id = ctx.project_id or ""
        if networks is None or networks == "auto":
            visible = [
                n
                for n in await self.network.networks_for_project(project_id)
                if not n.get("router:external") or n.get("shared")
            ]
            if len(visible) > 1:
                own = [n for n in visible if n.get("project_id") == project_id]
                if len(own) == 1:
                    visible = own
                else:
                    raise Conflict(
                        "Multiple possible networks found, use a Network ID to be more specific."
                    )
            if not visible:
                if networks == "auto":
                    # nova asks neutron's auto-allocated-topology for the project's network
                    try:
                        return [
                            NetworkRequest(
                                network_id=await self.network.auto_allocated_network(project_id)
                            )
                        ]
                    except StratusError:
                        raise BadRequest(
                            f"Unable to automatically allocate a network for project {project_id}"
                        ) from None
                return []
            return [NetworkRequest(network_id=str(visible[0]["id"]))]
        assert isinstance(networks, list)
        out = []
        for req in networks:
            if req.port_id:
                try:
                    port = await self.network.get_port(req.port_id)
                except NotFound:
                    raise BadRequest(f"Port id {req.port_id} could not be found.") from None
                if port.get("project_id") != project_id and not ctx.is_admin:
                    raise BadRequest(f"Port id {req.port_id} could not be found.")
                if port.get("device_id"):
                    raise Conflict(f"Port {req.port_id} is still in use.")
                req.network_id = str(port["network_id"])
            elif req.network_id:
                try:
                    net = await self.network.get_network(req.network_id)
                except NotFound:
                    raise BadRequest(f"Network {req.network_id} could not be found.") from None
                if not (ctx.is_admin or net.get("shared") or net.get("project_id") == project_id):
                    raise BadRequest(f"Network {req.network_id} could not be found.")
            out.append(req)
        return out

    async def _security_groups(self, ctx: RequestContext, names: Sequence[str]) -> list[str] | None:
        """Resolve security group names (or ids) to ids; 400 for one that does not exist."""
        if self.network is None:
            return None
        if list(names) == ["default"] and ctx.project_id:
            # The common case: the project owns exactly one group named default (network
            # refuses a second), which is what the name resolves to below. One lookup.
            return [str(await self.network.default_security_group_id(ctx.project_id))]
        visible = await self.network.security_groups_for_project(ctx.project_id or "")
        ids: list[str] = []
        for name in names:
            by_id = [g for g in visible if g["id"] == name]
            by_name = [g for g in visible if g["name"] == name]
            own = [g for g in by_name if g.get("project_id") == ctx.project_id]
            match = by_id or own or by_name
            if not match:
                raise BadRequest(f"Security group {name} not found for project {ctx.project_id}.")
            if len(match) > 1:
                raise Conflict(
                    f"Multiple security_group matches found for name '{name}', use an ID to be "
                    "more specific."
                )
            ids.append(str(match[0]["id"]))
        return list(dict.fromkeys(ids))

    async def _claim(
        self,
        s: Any,
        project_id: str,
        flavor: Flavor,
        count: int,
        limits: Mapping[str, int] | None = None,
    ) -> None:
        try:
            await self.quota.claim(
                s,
                project_id,
                {
                    "compute.instances": count,
                    "compute.cores": count * flavor.vcpus,
                    "compute.ram": count * flavor.memory_mb,
                },
                limits=limits,
            )
        except OverQuota as err:
            name = err.resource.removeprefix("compute.")
            raise Forbidden(
                f"Quota exceeded for {name}: Requested {err.requested}, but already used "
                f"{err.in_use} of {err.limit} {name}"
            ) from None

    # -- the conductor and the compute host ----------------------------------------------

    async def handle_conductor(self, msg: Message) -> None:
        if msg.method == "build_instance":
            await self.build(str(msg.payload["uuid"]))

    async def handle_compute(self, msg: Message) -> Any:
        host = str(msg.server or msg.payload["host"])
        if msg.method == "spawn":
            spec = InstanceSpec(**msg.payload["spec"])
            # An older conductor does not say: then the metadata service looks it up.
            if self.config_drives is not None and msg.payload.get("config_drive", True):
                await self.config_drives.build_config_drive(spec.uuid)
            return int(await self.driver.spawn(host, spec))
        if msg.method == "destroy":
            await self.driver.destroy(host, str(msg.payload["uuid"]))
            return None
        if msg.method == "power":
            uuid, action = str(msg.payload["uuid"]), str(msg.payload["action"])
            return int(await self.driver.set_power(host, uuid, action))
        if msg.method == "console":
            return self.driver.console_output(host, str(msg.payload["uuid"]))
        return await hostops.run(self.driver, self.bus, host, msg)

    async def build(self, uuid: str) -> None:
        """Schedule, claim, wire ports and spawn; any failure releases what was taken."""
        try:
            await self._build(uuid)
        except Exception as err:  # the build must end in ACTIVE or ERROR, never hang
            log.exception("build of %s failed", uuid)
            await self._fail(uuid, err, code=500)
        finally:
            self._build_logs.pop(uuid, None)

    async def _build(self, uuid: str) -> None:
        async with self.db.reader() as s:
            inst = await repo.get_instance(s, uuid)
            action = await repo.latest_action(s, uuid, "create")
        if inst is None or inst.task_state == "deleting":
            return
        if action is not None:
            self._build_logs[uuid] = (action.id, list(action.events))
        start = utcnow()
        if self.scheduler is None:
            raise NoValidHost("The placement service is not enabled.")
        group_ids: list[str] = []
        if inst.scheduler_hints.get("group"):
            async with self.db.reader() as s:
                group_ids = sorted(g.uuid for g in await repo.groups_of_instance(s, uuid))
        async with contextlib.AsyncExitStack() as stack:
            # Members of one group are placed one at a time in this process, so they see
            # each other's hosts; the late check below covers other processes.
            for group_id in group_ids:
                await stack.enter_async_context(
                    self._group_locks.setdefault(group_id, asyncio.Lock())
                )
            placed = await self._place(inst, start)
        if placed is None:
            return
        selection = placed
        start = utcnow()
        created_ports: list[str] = []
        bound_ports: list[str] = []
        try:
            zone = inst.availability_zone or self.config.default_availability_zone
            for req in inst.requested_networks:
                if req.get("port_id"):
                    await self.network.bind_port(
                        req["port_id"],
                        host=selection.host,
                        device_id=uuid,
                        device_owner=f"compute:{zone}",
                        # an SR-IOV port names the VF its host claim took
                        profile=port_binding_profile(selection.numa_topology, req["port_id"]),
                    )
                    bound_ports.append(req["port_id"])
                else:
                    port = await self.network.create_port(
                        project_id=inst.project_id,
                        network_id=req["network_id"],
                        device_id=uuid,
                        device_owner=f"compute:{zone}",
                        host=selection.host,
                        security_groups=req.get("security_groups"),
                        fixed_ips=[{"ip_address": req["fixed_ip"]}]
                        if req.get("fixed_ip")
                        else None,
                    )
                    created_ports.append(str(port["id"]))
            if inst.requested_networks and not await self._update(uuid, task_state="spawning"):
                raise _Deleted()
            spec_payload = dataclasses.asdict(
                InstanceSpec(
                    uuid=uuid,
                    name=f"instance-{uuid[:8]}",
                    vcpus=inst.vcpus,
                    memory_mb=inst.memory_mb,
                    root_gb=int(inst.flavor.get("root_gb", 0)),
                    image_id=inst.image_ref,
                    port_ids=tuple(created_ports + bound_ports),
                    user_data=inst.user_data,
                    metadata=dict(inst.meta),
                )
            )
            power = await self.bus.call(
                Message(
                    COMPUTE_TOPIC,
                    "spawn",
                    {"spec": spec_payload, "config_drive": bool(inst.config_drive)},
                    server=selection.host,
                )
            )
            # No port of ours: nothing for the info cache (no lookup).
            info = await self._network_info(uuid) if created_ports or bound_ports else []
            done = await self._update(
                uuid,
                event=("compute_build_and_run_instance", start, selection.host),
                vm_state="active",
                task_state=None,
                power_state=int(power),
                launched_at=utcnow(),
                network_info=info,
                progress=0,
            )
            self.scheduler.build_succeeded(selection.host)
            if not done:
                await self.bus.call(
                    Message(COMPUTE_TOPIC, "destroy", {"uuid": uuid}, server=selection.host)
                )
                raise _Deleted()
        except _Deleted:
            await self._release(uuid, created_ports, bound_ports)
        except Exception as err:
            self.scheduler.build_failed(selection.host)
            await self._release(uuid, created_ports, bound_ports)
            await self._event(uuid, "compute_build_and_run_instance", start, err, selection.host)
            await self._fail(uuid, err, code=500)

    async def _place(self, inst: Instance, start: Any) -> Selection | None:
        """Schedule and claim (with the late group check); None when the build is over."""
        assert self.scheduler is not None
        uuid = inst.uuid
        spec = await self._request_spec(inst)
        for _attempt in range(MAX_ATTEMPTS):
            try:
                selection = await self.scheduler.select(spec, await self.hosts.host_states())
            except NoValidHost as err:
                await self._event(uuid, "conductor_schedule_and_build_instances", start, err)
                await self._fail(uuid, err, code=500)
                return None
            # One write for the placement and, outside server groups, the scheduling event;
            # a server without ports goes straight to spawning.
            grouped = bool(inst.scheduler_hints.get("group"))
            if not await self._update(
                uuid,
                event=None if grouped else ("conductor_schedule_and_build_instances", start, None),
                host=selection.host,
                node=selection.nodename,
                task_state="networking" if inst.requested_networks else "spawning",
                availability_zone=inst.availability_zone or selection.availability_zone,
            ):
                await self.scheduler.release(uuid)
                return None
            if not grouped:
                break
            if await self._group_ok(uuid, selection.host):
                await self._event(uuid, "conductor_schedule_and_build_instances", start, None)
                break
            # A concurrent boot of the same anti-affinity group took this host first (nova's
            # late check on the compute host): give the claim back and try another host.
            await self.scheduler.release(uuid)
            spec.ignore_hosts.add(selection.host)
            await self._update(uuid, host=None, node=None, task_state="scheduling")
        else:
            retries = NoValidHost("Exceeded maximum number of retries.")
            await self._event(uuid, "conductor_schedule_and_build_instances", start, retries)
            await self._fail(uuid, retries, code=500)
            return None
        return selection

    async def _request_spec(self, inst: Instance) -> RequestSpec:
        flavor = inst.flavor
        specs: dict[str, str] = dict(flavor.get("extra_specs") or {})
        cpu_class = "PCPU" if specs.get("hw:cpu_policy") == "dedicated" else "VCPU"
        disk = int(flavor.get("root_gb", 0)) + int(flavor.get("ephemeral_gb", 0))
        disk += (int(flavor.get("swap", 0)) + 1023) // 1024
        resources = {cpu_class: inst.vcpus, "MEMORY_MB": inst.memory_mb, "DISK_GB": disk}
        required: set[str] = set()
        forbidden: set[str] = set()
        hints = dict(inst.scheduler_hints)
        image_props: dict[str, str] = hints.pop("_image_properties", {}) or {}
        for key, value in [*image_props.items(), *specs.items()]:
            if key.startswith("resources:"):
                resources[key.split(":", 1)[1]] = int(value)
            elif key.startswith("trait:"):
                trait = key.split(":", 1)[1]
                (required if value == "required" else forbidden).add(trait)
        same = _as_list(hints.get("same_host"))
        different = _as_list(hints.get("different_host"))
        same_hosts: set[str] = set()
        different_hosts: set[str] = set()
        if same or different:
            async with self.db.reader() as s:
                same_hosts = await repo.hosts_of(s, same)
                different_hosts = await repo.hosts_of(s, different)
        spec = RequestSpec(
            instance_uuid=inst.uuid,
            project_id=inst.project_id,
            user_id=inst.user_id,
            resources={k: v for k, v in resources.items() if v},
            required_traits=required,
            forbidden_traits=forbidden,
            availability_zone=inst.availability_zone,
            force_host=inst.requested_host,
            force_node=hints.get("_forced_node"),
            different_host=different_hosts,
            extra_specs=specs,
            image_properties=image_props,
        )
        for req in inst.requested_networks:
            if req.get("port_id") and self.network is not None:
                # An SR-IOV port (vnic_type direct, ...) needs a VF on its physical network.
                port = await self.network.get_port(req["port_id"])
                vnic = str(port.get("binding:vnic_type") or "normal")
                if vnic != "normal":
                    net = await self.network.get_network(port["network_id"])
                    wanted = port_pci_request(
                        req["port_id"], vnic, net.get("provider:physical_network")
                    )
                    spec.pci_requests += [wanted] if wanted else []
        if same:
            # No live instance named by same_host: no host can satisfy it.
            spec.same_host = same_hosts or {"\0none"}
        if not hints.get("group"):
            return spec
        async with self.db.reader() as s:
            for group in await repo.groups_of_instance(s, inst.uuid):
                spec.group_policy = group.policy
                spec.max_server_per_host = int(group.rules.get("max_server_per_host", 1))
                members = [m for m in await repo.group_members(s, group) if m != inst.uuid]
                for host in await repo.host_list_of(s, members):
                    spec.group_hosts[host] = spec.group_hosts.get(host, 0) + 1
        return spec

    async def _group_ok(self, uuid: str, host: str) -> bool:
        """The late check: does placing ``uuid`` on ``host`` still honour its group?"""
        async with self.db.reader() as s:
            for group in await repo.groups_of_instance(s, uuid):
                if group.policy not in ("affinity", "anti-affinity"):
                    continue
                members = [m for m in await repo.group_members(s, group) if m != uuid]
                hosts = await repo.host_list_of(s, members)
                if group.policy == "anti-affinity":
                    limit = int(group.rules.get("max_server_per_host", 1))
                    if hosts.count(host) >= limit:
                        return False
                elif hosts and host not in hosts:
                    return False
        return True

    async def _network_info(self, uuid: str) -> list[dict[str, Any]]:
        if self.network is None:
            return []
        vifs = await self.network.network_info(uuid)
        return [dataclasses.asdict(v) for v in vifs]

    async def _update(
        self, uuid: str, *, event: tuple[str, Any, str | None] | None = None, **values: Any
    ) -> bool:
        """Apply ``values`` unless the instance is gone or being deleted; ``event`` (name,
        start, host) is recorded as a successful step in the same transaction."""
        async with self.db.session() as s:
            if not await repo.update_live_instance(s, uuid, {**values, "updated_at": utcnow()}):
                return False
            if event is not None:
                await self._record(s, uuid, event[0], event[1], None, event[2])
            return True

    async def _release(self, uuid: str, created: Sequence[str], bound: Sequence[str]) -> None:
        for port_id in created:
            with contextlib.suppress(NotFound):
                await self.network.delete_port(port_id)
        for port_id in bound:
            with contextlib.suppress(NotFound):
                await self.network.unbind_port(port_id)
        if self.scheduler is not None:
            await self.scheduler.release(uuid)

    async def _fail(self, uuid: str, err: BaseException, *, code: int) -> None:
        message = str(err) if isinstance(err, NoValidHost | StratusError) else repr(err)
        details = (
            "".join(traceback.format_exception(err)) if not isinstance(err, NoValidHost) else ""
        )
        async with self.db.session() as s:
            inst = await repo.get_instance(s, uuid)
            if inst is None:
                return
            inst.vm_state = "error"
            inst.task_state = None
            inst.fault = {
                "code": code,
                "message": message[:255],
                "details": details or message,
                "created": utcnow().isoformat(),
            }
            inst.updated_at = utcnow()
            action = await repo.latest_action(s, uuid, "create")
            if action is not None:
                action.message = "Error"

    async def _event(
        self,
        uuid: str,
        name: str,
        start: Any,
        err: BaseException | None,
        host: str | None = None,
    ) -> None:
        async with self.db.session() as s:
            await self._record(s, uuid, name, start, err, host)

    async def _record(
        self,
        s: Any,
        uuid: str,
        name: str,
        start: Any,
        err: BaseException | None,
        host: str | None = None,
    ) -> None:
        """Append an event to the instance's create action, in the caller's transaction."""
        entry = {
            "event": name,
            "start_time": start.isoformat(),
            "finish_time": utcnow().isoformat(),
            "result": "Success" if err is None else "Error",
            "traceback": None if err is None else "".join(traceback.format_exception(err)),
            "details": None if err is None else str(err),
            "host": host or self.config.control_host,
        }
        known = self._build_logs.get(uuid)
        if known is not None:  # a build in progress here: one UPDATE, no read
            action_id, events = known
            events.append(entry)
            await repo.set_action_events(s, action_id, events, utcnow())
            return
        action = await repo.latest_action(s, uuid, "create")
        if action is None:
            return
        action.events = [*action.events, entry]
        action.updated_at = utcnow()

    # -- delete ------------------------------------------------------------------------

    async def delete(self, ctx: RequestContext, uuid: str, *, policy: str | None = None) -> None:
        """Delete ``uuid``; ``policy`` (when given) is checked against the server's owner
        before anything changes."""
        now = utcnow()
        async with self.db.session() as s:
            inst = await repo.get_instance(s, uuid)
            if inst is None or not (ctx.is_admin or inst.project_id == ctx.project_id):
                raise ServerNotFound(uuid)
            if policy is not None:
                ctx.can(policy, {"project_id": inst.project_id, "user_id": inst.user_id})
            if inst.locked and not ctx.is_admin:
                raise Conflict(f"Instance {uuid} is locked")
            if inst.task_state == "deleting":
                return
            inst.task_state = "deleting"
            inst.updated_at = now
            s.add(new_action(uuid, "delete", ctx, now))
            host = inst.host
            bound = [r["port_id"] for r in inst.requested_networks if r.get("port_id")]
            grouped = bool(inst.scheduler_hints.get("group"))
        if host:
            await self.bus.call(Message(COMPUTE_TOPIC, "destroy", {"uuid": uuid}, server=host))
        if self.network is not None:
            # the ports the user passed are unbound, not deleted (nova)
            await self.network.delete_ports_for_device(uuid, keep=bound)
            for port_id in bound:
                with contextlib.suppress(NotFound):
                    await self.network.unbind_port(port_id)
        if self.scheduler is not None:
            await self.scheduler.release(uuid)
        # Looked up before the last write (SQLite has one writer): most servers never moved
        # and keep no password or injected files, so that write is one UPDATE. Nothing adds
        # either now: the guest is gone, its ports too, and a deleting server takes no move.
        async with self.db.reader() as s:
            moved = bool(await repo.instance_migrations(s, uuid, statuses=MOVE_HOLDS_SOURCE))
            kept = self.config_drives is not None and await self.config_drives.kept(s, uuid)
        if moved:
            await self._drop_moves(uuid)
        async with self.db.session() as s:
            now = utcnow()
            gone = await repo.mark_deleted(
                s,
                uuid,
                {
                    "vm_state": "deleted",
                    "task_state": None,
                    "power_state": int(PowerState.NOSTATE),
                    "deleted": True,
                    "deleted_at": now,
                    "terminated_at": now,
                    "updated_at": now,
                },
            )
            if not gone:
                return
            if kept and self.config_drives is not None:
                await self.config_drives.forget_rows(s, uuid)
            if grouped:  # members join a group only on boot, through the group hint
                await repo.remove_member(s, uuid)
        if self.config_drives is not None:
            await self.config_drives.forget_files(uuid)

    async def _drop_moves(self, uuid: str) -> None:
        """A server deleted mid-move (VERIFY_RESIZE, say): nova confirms the move, so the
        migration's claim on the source and the copy left there go too."""
        async with self.db.session() as s:
            moving = await repo.instance_migrations(s, uuid, statuses=MOVE_HOLDS_SOURCE)
            for row in moving:
                row.status = "confirmed" if row.status == "finished" else "error"
                row.updated_at = utcnow()
            held = [(row.uuid, row.source_compute) for row in moving]
        for consumer, source in held:
            if source:
                with contextlib.suppress(Exception):
                    await self.bus.call(
                        Message(COMPUTE_TOPIC, "destroy", {"uuid": uuid}, server=source)
                    )
            if self.scheduler is not None:
                await self.scheduler.release(consumer)

    # -- update, metadata, tags ------------------------------------------------------------

    async def update(self, ctx: RequestContext, uuid: str, changes: Mapping[str, Any]) -> Instance:
        async with self.db.session() as s:
            inst = await self._owned(s, ctx, uuid)
            if "name" in changes:
                inst.display_name = changes["name"]
                inst.hostname = _hostname(changes["name"])
            if "hostname" in changes:
                inst.hostname = changes["hostname"]
            if "description" in changes:
                inst.display_description = changes["description"]
            if "accessIPv4" in changes:
                inst.access_ip_v4 = changes["accessIPv4"]
            if "accessIPv6" in changes:
                inst.access_ip_v6 = changes["accessIPv6"]
            if "OS-DCF:diskConfig" in changes:
                inst.disk_config = changes["OS-DCF:diskConfig"]
            inst.updated_at = utcnow()
            return inst

    async def _owned(self, s: Any, ctx: RequestContext, uuid: str) -> Instance:
        inst = await repo.get_instance(s, uuid)
        if inst is None or not (ctx.is_admin or inst.project_id == ctx.project_id):
            raise ServerNotFound(uuid)
        return inst

    async def set_metadata(
        self, ctx: RequestContext, uuid: str, items: Mapping[str, str], *, replace: bool
    ) -> dict[str, str]:
        async with self.db.session() as s:
            inst = await self._owned(s, ctx, uuid)
            merged = dict(items) if replace else {**inst.meta, **items}
            limits = await self.quota.limits(s, inst.project_id, "compute.metadata_items")
            limit = limits.get("compute.metadata_items", -1)
            if 0 <= limit < len(merged):
                raise Forbidden("Quota exceeded for metadata_items: too many metadata items.")
            inst.meta = merged
            inst.updated_at = utcnow()
            return dict(merged)

    async def delete_metadata(self, ctx: RequestContext, uuid: str, key: str) -> None:
        async with self.db.session() as s:
            inst = await self._owned(s, ctx, uuid)
            if key not in inst.meta:
                raise NotFound("Metadata item was not found")
            meta = dict(inst.meta)
            del meta[key]
            inst.meta = meta
            inst.updated_at = utcnow()

    async def set_tags(
        self, ctx: RequestContext, uuid: str, tags: Sequence[str], *, replace: bool
    ) -> list[str]:
        for tag in tags:
            if not isinstance(tag, str) or not 1 <= len(tag) <= 60 or "/" in tag or "," in tag:
                raise BadRequest(f"Invalid input for field/attribute tags. Value: {tag}.")
        async with self.db.session() as s:
            inst = await self._owned(s, ctx, uuid)
            merged = list(dict.fromkeys(tags if replace else [*inst.tags, *tags]))
            if len(merged) > 50:
                raise BadRequest("The number of tags exceeded the per-server limit 50")
            inst.tags = merged
            inst.updated_at = utcnow()
            return merged

    async def delete_tag(self, ctx: RequestContext, uuid: str, tag: str | None) -> None:
        async with self.db.session() as s:
            inst = await self._owned(s, ctx, uuid)
            if tag is None:
                inst.tags = []
            else:
                if tag not in inst.tags:
                    raise NotFound(f"Tag {tag} could not be found.")
                inst.tags = [t for t in inst.tags if t != tag]
            inst.updated_at = utcnow()

    async def actions(self, ctx: RequestContext, uuid: str) -> list[InstanceAction]:
        await self.get(ctx, uuid, read_deleted=True)
        async with self.db.reader() as s:
            return await repo.list_actions(s, uuid)

    async def action(self, ctx: RequestContext, uuid: str, request_id: str) -> InstanceAction:
        await self.get(ctx, uuid, read_deleted=True)
        async with self.db.reader() as s:
            row = await repo.get_action(s, uuid, request_id)
        if row is None:
            raise NotFound(f"Action {request_id} not found")
        return row

    async def power_action(
        self, ctx: RequestContext, uuid: str, action: str, *, hard: bool = False
    ) -> None:
        """stop/start/reboot/pause/unpause/suspend/resume, with nova's state checks (409)."""
        allowed, during, after = POWER_ACTIONS[action]
        if action == "reboot" and not hard:
            allowed = ("active",)
        now = utcnow()
        async with self.db.session() as s:
            inst = await self._owned(s, ctx, uuid)
            if inst.locked and not ctx.is_admin:
                raise Conflict(f"Instance {uuid} is locked")
            if inst.vm_state not in allowed:
                raise InstanceInvalidState(action, uuid, "vm_state", inst.vm_state)
            if inst.task_state is not None:
                raise InstanceInvalidState(action, uuid, "task_state", inst.task_state)
            inst.task_state = "rebooting_hard" if action == "reboot" and hard else during
            inst.updated_at = now
            s.add(new_action(uuid, action, ctx, now))
            host = inst.host
        power: int | None = None
        if host:
            power = int(
                await self.bus.call(
                    Message(COMPUTE_TOPIC, "power", {"uuid": uuid, "action": action}, server=host)
                )
            )
        async with self.db.session() as s:
            done = await repo.get_instance(s, uuid)
            if done is None:
                return
            done.vm_state = after
            done.task_state = None
            if power is not None:
                done.power_state = power
            done.updated_at = utcnow()

    async def rebuild(
        self, ctx: RequestContext, uuid: str, image_ref: str, changes: Mapping[str, Any]
    ) -> tuple[Instance, str]:
        """Re-create the guest from ``image_ref`` on the same host, keeping its ports and
        allocations; a stopped server stays stopped (nova's rule)."""
        inst = await self.get(ctx, uuid)
        flavor = await self._flavor_row(inst)
        await self._check_image(ctx, image_ref, flavor)
        image_id = image_ref.rstrip("/").rsplit("/", 1)[-1]
        now = utcnow()
        async with self.db.session() as s:
            row = await self._owned(s, ctx, uuid)
            if row.locked and not ctx.is_admin:
                raise Conflict(f"Instance {uuid} is locked")
            if row.vm_state not in ("active", "stopped", "error"):
                raise InstanceInvalidState("rebuild", uuid, "vm_state", row.vm_state)
            if row.task_state is not None:
                raise InstanceInvalidState("rebuild", uuid, "task_state", row.task_state)
            was = row.vm_state
            row.task_state = "rebuilding"
            row.updated_at = now
            s.add(new_action(uuid, "rebuild", ctx, now))
            host = row.host
        power = int(PowerState.NOSTATE)
        if host:
            await self.bus.call(Message(COMPUTE_TOPIC, "destroy", {"uuid": uuid}, server=host))
            spec = InstanceSpec(
                uuid=uuid,
                name=f"instance-{uuid[:8]}",
                vcpus=inst.vcpus,
                memory_mb=inst.memory_mb,
                root_gb=int(inst.flavor.get("root_gb", 0)),
                image_id=image_id,
                port_ids=tuple(v["port_id"] for v in inst.network_info),
                user_data=changes.get("user_data", inst.user_data),
                metadata=dict(changes.get("metadata", inst.meta)),
            )
            power = int(
                await self.bus.call(
                    Message(COMPUTE_TOPIC, "spawn", {"spec": dataclasses.asdict(spec)}, server=host)
                )
            )
            if was == "stopped":
                power = int(
                    await self.bus.call(
                        Message(
                            COMPUTE_TOPIC, "power", {"uuid": uuid, "action": "stop"}, server=host
                        )
                    )
                )
        async with self.db.session() as s:
            row = await self._owned(s, ctx, uuid)
            if row.image_ref:  # a volume-backed server keeps no image (nova)
                row.image_ref = image_id
            row.vm_state = "stopped" if was == "stopped" else "active"
            row.task_state = None
            row.power_state = power
            row.fault = None
            row.launched_at = utcnow()
            for key, column in (
                ("name", "display_name"),
                ("description", "display_description"),
                ("accessIPv4", "access_ip_v4"),
                ("accessIPv6", "access_ip_v6"),
                ("OS-DCF:diskConfig", "disk_config"),
                ("user_data", "user_data"),
                ("key_name", "key_name"),
                ("hostname", "hostname"),
            ):
                if key in changes:
                    setattr(row, column, changes[key])
            if "metadata" in changes:
                row.meta = dict(changes["metadata"])
            if "key_data" in changes:
                row.key_data = changes["key_data"]
            row.updated_at = utcnow()
        password = changes.get("adminPass") or "".join(
            secrets.choice(string.ascii_letters + string.digits) for _ in range(12)
        )
        return await self.get(ctx, uuid), password

    async def _flavor_row(self, inst: Instance) -> Flavor:
        snap = inst.flavor
        return Flavor(
            flavorid=snap["flavorid"],
            name=snap["name"],
            vcpus=snap["vcpus"],
            memory_mb=snap["memory_mb"],
            root_gb=snap["root_gb"],
            ephemeral_gb=snap["ephemeral_gb"],
            swap=snap["swap"],
            extra_specs=dict(snap.get("extra_specs") or {}),
        )

    async def refresh_network_info(self, ctx: RequestContext, uuid: str) -> None:
        """injectNetworkInfo: re-read the interfaces from the network service into the
        instance's cache (the fake hypervisor has nothing further to be told)."""
        inst = await self.get(ctx, uuid)
        info = await self._network_info(inst.uuid)
        now = utcnow()
        async with self.db.session() as s:
            row = await self._owned(s, ctx, uuid)
            row.network_info = info
            row.updated_at = now
            s.add(new_action(uuid, "injectNetworkInfo", ctx, now))

    async def sync_network_info(self, uuid: str) -> None:
        """Re-read an instance's interfaces into its cache after the network service changed
        them on the user's behalf (a floating IP associated through compute's proxy)."""
        info = await self._network_info(uuid)
        async with self.db.session() as s:
            row = await repo.get_instance(s, uuid)
            if row is not None:
                row.network_info = info
                row.updated_at = utcnow()

    async def restore(self, ctx: RequestContext, uuid: str) -> None:
        """Restore a soft-deleted server. Deletes here are never soft (reclaim_instance_interval
        is 0, as nova's default), so every server answers nova's 409."""
        inst = await self.get(ctx, uuid)
        raise InstanceInvalidState("restore", uuid, "vm_state", inst.vm_state)

    async def reset_state(self, ctx: RequestContext, uuid: str, state: str) -> None:
        """os-resetState: an admin forces vm_state to active or error."""
        now = utcnow()
        async with self.db.session() as s:
            inst = await self._owned(s, ctx, uuid)
            inst.vm_state = state
            inst.task_state = None
            inst.updated_at = now
            s.add(new_action(uuid, "resetState", ctx, now))

    async def lock(
        self, ctx: RequestContext, uuid: str, *, locked: bool, reason: str | None = None
    ) -> None:
        now = utcnow()
        async with self.db.session() as s:
            inst = await self._owned(s, ctx, uuid)
            if not locked and inst.locked and inst.locked_by == "admin" and not ctx.is_admin:
                raise Forbidden("Only an admin can unlock a server an admin locked.")
            inst.locked = locked
            inst.locked_by = ("admin" if ctx.is_admin else "owner") if locked else None
            inst.locked_reason = reason if locked else None
            inst.updated_at = now
            s.add(new_action(uuid, "lock" if locked else "unlock", ctx, now))

    async def console_output(self, ctx: RequestContext, uuid: str, length: int | None) -> str:
        inst = await self.get(ctx, uuid)
        if inst.vm_state not in ("active", "stopped", "paused", "suspended") or not inst.host:
            raise InstanceInvalidState("get_console_output", uuid, "vm_state", inst.vm_state)
        text: str = await self.bus.call(
            Message(COMPUTE_TOPIC, "console", {"uuid": uuid}, server=inst.host)
        )
        if length is not None:
            lines = text.splitlines(keepends=True)
            text = "".join(lines[-length:]) if length else ""
        return text

    async def group_ids(self, uuid: str) -> list[str]:
        async with self.db.reader() as s:
            return [g.uuid for g in await repo.groups_of_instance(s, uuid)]

    async def instances_on(self, node: str) -> list[Instance]:
        async with self.db.reader() as s:
            return await repo.instances_on_node(s, node)

    async def wait_idle(self) -> None:
        """Tests: let in-flight builds finish."""
        drain = getattr(self.bus, "drain", None)
        if drain is not None:
            await drain()
        else:
            await asyncio.sleep(0)


# Migration states in which the migration still holds the source host's allocations.
MOVE_HOLDS_SOURCE = (
    "pre-migrating",
    "migrating",
    "post-migrating",
    "finished",
    "confirming",
    "reverting",
    "accepted",
    "queued",
    "preparing",
    "running",
)

# action -> (vm_states it is allowed in, task_state while it runs, vm_state afterwards)
POWER_ACTIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "stop": (("active", "error"), "powering-off", "stopped"),
    "start": (("stopped",), "powering-on", "active"),
    "reboot": (("active", "stopped", "paused", "suspended", "error"), "rebooting", "active"),
    "pause": (("active",), "pausing", "paused"),
    "unpause": (("paused",), "unpausing", "active"),
    "suspend": (("active",), "suspending", "suspended"),
    "resume": (("suspended",), "resuming", "active"),
}


class _Deleted(Exception):
    """The instance was deleted while it was being built."""


def new_action(uuid: str, name: str, ctx: RequestContext, now: Any) -> InstanceAction:
    """An instance action record as the API starts it (events are added as work runs)."""
    return InstanceAction(
        instance_uuid=uuid,
        action=name,
        request_id=ctx.request_id or f"req-{uuid_str()}",
        user_id=ctx.user_id,
        project_id=ctx.project_id,
        message=None,
        events=[],
        start_time=now,
        updated_at=now,
    )


def _fit(
    req: BootRequest, flavor: Flavor, limits: Mapping[str, int], usage: tuple[int, int, int]
) -> int:
    """Boot as many as max_count allows within quota, at least min_count (nova's rule)."""
    room = req.max_count
    used = dict(zip(("instances", "cores", "ram"), usage, strict=True))
    for name, per in (("instances", 1), ("cores", flavor.vcpus), ("ram", flavor.memory_mb)):
        limit = limits.get(f"compute.{name}", -1)
        if limit >= 0 and per:
            room = min(room, max(0, (limit - used[name]) // per))
    return max(room, req.min_count)


def _flavor_snapshot(flavor: Flavor) -> dict[str, Any]:
    return {
        "flavorid": flavor.flavorid,
        "name": flavor.name,
        "vcpus": flavor.vcpus,
        "memory_mb": flavor.memory_mb,
        "root_gb": flavor.root_gb,
        "ephemeral_gb": flavor.ephemeral_gb,
        "swap": flavor.swap,
        "rxtx_factor": flavor.rxtx_factor,
        "extra_specs": dict(flavor.extra_specs),
    }


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _filtered(
    rows: list[Instance], filters: Mapping[str, str], tags: Mapping[str, list[str]]
) -> list[Instance]:
    """The list filters applied in Python: name (a regular expression), ip, flavor, tags."""
    name = filters.get("name")
    if name:
        try:
            pattern = re.compile(name)
        except re.error:
            raise BadRequest(f"Invalid regular expression: {name}") from None
        rows = [r for r in rows if pattern.search(r.display_name)]
    ip = filters.get("ip")
    if ip:
        ip_pattern = re.compile(re.escape(ip))
        rows = [r for r in rows if any(ip_pattern.match(a) for a in _ips(r))]
    flavor = filters.get("flavor")
    if flavor:
        flavor = flavor.rstrip("/").rsplit("/", 1)[-1]
        rows = [r for r in rows if r.flavor.get("flavorid") == flavor]
    return [r for r in rows if _tags_match(r.tags, tags)]


def _ips(inst: Instance) -> list[str]:
    out = []
    for vif in inst.network_info:
        for subnet in vif.get("subnets", []):
            out.extend(subnet.get("ips", []))
        out.extend(vif.get("floating_ips", []))
    return out


def _tags_match(have: Sequence[str], wanted: Mapping[str, list[str]]) -> bool:
    tags = set(have)
    if wanted.get("tags") and not set(wanted["tags"]) <= tags:
        return False
    if wanted.get("tags-any") and not set(wanted["tags-any"]) & tags:
        return False
    if wanted.get("not-tags") and set(wanted["not-tags"]) <= tags:
        return False
    return not (wanted.get("not-tags-any") and set(wanted["not-tags-any"]) & tags)


def decode_user_data(value: str) -> str:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(
            "Invalid input for field/attribute user_data. Value: ... is not a base64 string"
        ) from None
    if len(value) > 65535:
        raise BadRequest("User data too large. User data must be no larger than 65535 bytes")
    return value
