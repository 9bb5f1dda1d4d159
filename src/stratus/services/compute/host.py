"""Compute hosts: nova services (with heartbeats), compute nodes registered in placement as
resource providers, and the host states the scheduler reads."""

import dataclasses
import datetime as dt
import uuid as uuidlib
from typing import Any

from stratus.db import Database
from stratus.kit.errors import BadRequest
from stratus.kit.timeutil import utcnow
from stratus.scheduler import HostState
from stratus.services.compute import repository as repo
from stratus.services.compute.config import ComputeConfig
from stratus.services.compute.drivers.base import ComputeDriver, HostResources
from stratus.services.compute.errors import ServiceNotFound
from stratus.services.compute.models import ComputeNode, ComputeService
from stratus.services.placement.client import PlacementClient

_NS = uuidlib.UUID("6d7a3f0e-5b0f-4d38-9c3c-2f0d3f7c1a11")


def _pick(override: float | int | None, default: Any) -> Any:
    return default if override is None else override


def node_uuid(hostname: str) -> str:
    """Stable per hypervisor name, so a restart finds its provider again."""
    return str(uuidlib.uuid5(_NS, f"node:{hostname}"))


@dataclasses.dataclass(frozen=True)
class _Snapshot:
    """The scheduler's host states and the marks they are good for (see host_states)."""

    rows: tuple[Any, ...]
    beats: tuple[Any, ...]
    # When the stalest host that is up turns down without a heartbeat (None: none is up),
    # and when the flags were computed (a clock stepped back recomputes them too).
    until: dt.datetime | None
    at: dt.datetime
    states: dict[str, HostState]


@dataclasses.dataclass(frozen=True)
class ServiceView:
    row: ComputeService
    zone: str
    up: bool


class HostService:
    def __init__(
        self,
        db: Database,
        config: ComputeConfig,
        driver: ComputeDriver,
        placement: PlacementClient | None,
    ) -> None:
        self.db = db
        self.config = config
        self.driver = driver
        self.placement = placement
        self._described = {h.hostname: h for h in driver.hosts()}
        self._snapshot: _Snapshot | None = None

    async def register(self) -> None:
        """Create (or refresh) the service and node rows and the placement providers."""
        now = utcnow()
        control = self.config.control_host
        hosts = self.driver.hosts()
        async with self.db.session() as s:
            # Two reads and bulk inserts, not two queries per host: thousands of simulated
            # hosts register in seconds.
            services = {(r.host, r.binary): r for r in await repo.list_services(s)}
            nodes = {n.hypervisor_hostname: n for n in await repo.list_nodes(s)}
            new_services: list[dict[str, Any]] = []
            for binary, host in (
                ("nova-scheduler", control),
                ("nova-conductor", control),
                *(("nova-compute", h.hostname) for h in hosts),
            ):
                row = services.get((host, binary))
                if row is None:
                    new_services.append(
                        {
                            "uuid": str(uuidlib.uuid4()),
                            "host": host,
                            "binary": binary,
                            "topic": "compute" if binary == "nova-compute" else binary[5:],
                            "disabled": False,
                            "forced_down": False,
                            "last_seen_up": now,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                else:
                    row.last_seen_up = now
                    row.updated_at = now
            new_nodes: list[dict[str, Any]] = []
            for res in hosts:
                node = nodes.get(res.hostname)
                if node is None:
                    new_nodes.append(self._node_row(res, now))
                else:
                    node.vcpus = res.vcpus
                    node.memory_mb = res.memory_mb
                    node.local_gb = res.disk_gb
                    node.updated_at = now
            # New rows in a few multi-row INSERTs (ORM objects cost seconds at 10,000).
            await repo.insert_rows(s, ComputeService, new_services)
            await repo.insert_rows(s, ComputeNode, new_nodes)
        if self.placement is not None:
            # One bulk report (a few statements per few hundred hosts), not six placement
            # transactions per host: 10,000 simulated hosts took minutes that way.
            await self.placement.report_providers(
                [
                    (
                        node_uuid(res.hostname),
                        res.hostname,
                        self.inventories(res),
                        sorted(res.traits),
                    )
                    for res in hosts
                ]
            )
        # Registering thousands of hosts can outlast service_down_time: they are up now.
        await self.heartbeat()

    def _node_row(self, res: HostResources, now: dt.datetime) -> dict[str, Any]:
        return {
            "uuid": node_uuid(res.hostname),
            "host": res.hostname,
            "hypervisor_hostname": res.hostname,
            "hypervisor_type": res.hypervisor_type,
            "hypervisor_version": res.hypervisor_version,
            "host_ip": res.host_ip,
            "vcpus": res.vcpus,
            "memory_mb": res.memory_mb,
            "local_gb": res.disk_gb,
            "cpu_info": {
                "arch": "x86_64",
                "model": "Skylake-Server-IBRS",
                "vendor": "Intel",
                "features": ["pge", "clflush", "sse2", "avx512f"],
                "topology": {"cores": res.cores, "threads": res.threads, "sockets": res.sockets},
            },
            "created_at": now,
            "updated_at": now,
        }

    def inventories(self, res: HostResources) -> dict[str, dict[str, Any]]:
        """What the host reports to placement: shared CPUs as VCPU (overcommitted by
        cpu_allocation_ratio, RA1 Basic 4.0), dedicated CPUs as PCPU (always 1.0, RA1
        High-Performance), memory, disk."""
        cfg = self.config
        if res.topology is not None:
            dedicated, shared = len(res.topology.pcpus), len(res.topology.shared)
        else:
            dedicated = max(0, min(cfg.cpu_dedicated_count, res.vcpus - 1))
            shared = res.vcpus - dedicated
        reserved_cpus = _pick(res.reserved_host_cpus, cfg.reserved_host_cpus)
        reserved_mb = _pick(res.reserved_host_memory_mb, cfg.reserved_host_memory_mb)
        inventories: dict[str, dict[str, Any]] = {}
        if shared:
            inventories["VCPU"] = {
                "total": shared,
                "reserved": min(reserved_cpus, shared),
                "max_unit": shared,
                "allocation_ratio": _pick(res.cpu_allocation_ratio, cfg.cpu_allocation_ratio),
            }
        if dedicated:
            inventories["PCPU"] = {
                "total": dedicated,
                "reserved": 0,
                "max_unit": dedicated,
                "allocation_ratio": 1.0,
            }
        inventories["MEMORY_MB"] = {
            "total": res.memory_mb,
            "reserved": reserved_mb,
            "max_unit": res.memory_mb,
            "allocation_ratio": _pick(res.ram_allocation_ratio, cfg.ram_allocation_ratio),
        }
        inventories["DISK_GB"] = {
            "total": res.disk_gb,
            "reserved": (cfg.reserved_host_disk_mb + 1023) // 1024,
            "max_unit": res.disk_gb,
            "allocation_ratio": cfg.disk_allocation_ratio,
        }
        return inventories

    async def heartbeat(self) -> None:
        now = utcnow()
        # A simulated host whose agent was stopped sends no heartbeat (it goes down after
        # service_down_time, as a real host whose nova-compute died).
        silent = {
            h.hostname for h in self.driver.hosts() if not self.driver.agent_running(h.hostname)
        }
        async with self.db.session() as s:
            if silent:
                await repo.touch_services_except(s, now, silent)
            else:
                await repo.touch_services(s, now)

    def _up(self, row: ComputeService, now: dt.datetime) -> bool:
        return self._alive(row.forced_down, row.last_seen_up, now)

    def zone_of(self, row: ComputeService, zones: dict[str, str] | None = None) -> str:
        if row.binary == "nova-compute":
            return (zones or {}).get(row.host, self.config.default_availability_zone)
        return self.config.internal_service_availability_zone

    async def _aggregates(self, s: Any) -> tuple[dict[str, str], dict[str, dict[str, set[str]]]]:
        """host -> availability zone (from aggregate metadata), host -> merged metadata."""
        zones: dict[str, str] = {}
        meta: dict[str, dict[str, set[str]]] = {}
        for agg in await repo.list_aggregates(s):
            for host in agg.hosts:
                merged = meta.setdefault(host, {})
                for key, value in agg.meta.items():
                    merged.setdefault(key, set()).add(value)
                if agg.meta.get("availability_zone"):
                    zones[host] = agg.meta["availability_zone"]
        return zones, meta

    async def services(self) -> list[ServiceView]:
        now = utcnow()
        async with self.db.reader() as s:
            rows = await repo.list_services(s)
            zones, _meta = await self._aggregates(s)
        return [ServiceView(r, self.zone_of(r, zones), self._up(r, now)) for r in rows]

    async def compute_zones(self) -> set[str]:
        """The availability zones compute hosts are in."""
        return {v.zone for v in await self.services() if v.row.binary == "nova-compute"}

    async def update_service(
        self,
        *,
        ident: str | None = None,
        host: str | None = None,
        binary: str | None = None,
        disabled: bool | None = None,
        disabled_reason: str | None = None,
        forced_down: bool | None = None,
    ) -> ServiceView:
        async with self.db.session() as s:
            rows = await repo.list_services(s)
            if ident is not None:
                match = [r for r in rows if r.uuid == ident]
            else:
                match = [r for r in rows if r.host == host and r.binary == binary]
            if not match:
                raise ServiceNotFound(ident or f"{binary} on host {host}")
            row = match[0]
            if (disabled is not None or forced_down is not None) and row.binary != "nova-compute":
                raise BadRequest(
                    f"Updating a {row.binary} service is not supported. Only nova-compute "
                    "services can be updated."
                )
            if disabled is not None:
                row.disabled = disabled
                row.disabled_reason = disabled_reason if disabled else None
            if forced_down is not None:
                row.forced_down = forced_down
            row.updated_at = utcnow()
            zones, _meta = await self._aggregates(s)
            return ServiceView(row, self.zone_of(row, zones), self._up(row, utcnow()))

    async def host_states(self) -> dict[str, HostState]:
        """Provider uuid -> state, for the scheduler (callers must not change the states:
        the scheduler copies the candidates it works on).

        One snapshot serves every decision until a node, service or aggregate changes (one
        small fingerprint query per call instead of reading every host). Heartbeats, and
        the moment the stalest up host would turn down, only recompute who is up."""
        async with self.db.reader() as s:
            rows, beats = await repo.host_marks(s)
            snap = self._snapshot
            now = utcnow()
            if snap is not None and snap.rows == rows:
                expired = snap.until is not None and now >= snap.until
                if snap.beats != beats or expired or now < snap.at:
                    snap = self._relive(snap, beats, await repo.compute_liveness(s), now)
                    self._snapshot = snap
                return dict(snap.states)
            nodes = await repo.node_columns(s)
            services = await repo.compute_liveness(s)
            zones, meta = await self._aggregates(s)
        out = {}
        default_zone = self.config.default_availability_zone
        for uuid, host, nodename, version in nodes:
            svc = services.get(host)
            res = self._described.get(nodename)
            out[uuid] = HostState(
                host=host,
                nodename=nodename,
                uuid=uuid,
                availability_zone=zones.get(host, default_zone),
                aggregate_metadata=meta.get(host, {}),
                enabled=bool(svc and not svc[0]),
                up=bool(svc and self._alive(svc[1], svc[2], now)),
                topology=res.topology if res else None,
                ram_allocation_ratio=_pick(
                    res.ram_allocation_ratio if res else None, self.config.ram_allocation_ratio
                ),
                hypervisor_version=version,
            )
        self._snapshot = _Snapshot(rows, beats, self._until(services, now), now, out)
        return dict(out)

    def _alive(self, forced_down: bool, seen: dt.datetime | None, now: dt.datetime) -> bool:
        if forced_down or seen is None:
            return False
        return (now - seen).total_seconds() <= self.config.service_down_time

    def _until(
        self, services: dict[str, tuple[bool, bool, dt.datetime | None]], now: dt.datetime
    ) -> dt.datetime | None:
        """When the first host that is up now turns down unless it heartbeats."""
        seen = [
            last
            for _d, forced, last in services.values()
            if last is not None and self._alive(forced, last, now)
        ]
        if not seen:
            return None
        return min(seen) + dt.timedelta(seconds=self.config.service_down_time, microseconds=1)

    def _relive(
        self,
        snap: _Snapshot,
        beats: tuple[Any, ...],
        services: dict[str, tuple[bool, bool, dt.datetime | None]],
        now: dt.datetime,
    ) -> _Snapshot:
        """The same snapshot with ``up`` recomputed (changed hosts get new states)."""
        states = dict(snap.states)
        for uuid, state in snap.states.items():
            svc = services.get(state.host)
            up = bool(svc and self._alive(svc[1], svc[2], now))
            if up != state.up:
                states[uuid] = dataclasses.replace(state, up=up)
        return _Snapshot(snap.rows, beats, self._until(services, now), now, states)

    async def nodes(self) -> tuple[list[ComputeNode], dict[str, ServiceView], dict[str, int]]:
        views = {v.row.host: v for v in await self.services() if v.row.binary == "nova-compute"}
        async with self.db.reader() as s:
            nodes = await repo.list_nodes(s)
            counts = await repo.instance_counts_by_node(s)
        return nodes, views, counts

    async def usage(self, node_uuid_: str) -> dict[str, int]:
        """What placement says the node's instances use."""
        if self.placement is None:
            return {}
        _gen, usages = await self.placement.service.usages_for_provider(node_uuid_)
        return usages
