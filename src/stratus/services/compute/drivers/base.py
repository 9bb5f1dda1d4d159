"""The compute driver protocol: what a host reports and how instances start and stop on it.
Drivers take typed specs, never ORM rows."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

from stratus.scheduler.topology import HostTopology


class PowerState(IntEnum):
    """Nova's power_state values, as OS-EXT-STS:power_state shows them."""

    NOSTATE = 0
    RUNNING = 1
    PAUSED = 3
    SHUTDOWN = 4
    CRASHED = 6
    SUSPENDED = 7


@dataclass(frozen=True, slots=True)
class HostResources:
    """What a host offers: CPU topology, memory, disk, the hypervisor's identity."""

    hostname: str
    sockets: int
    cores: int
    threads: int
    memory_mb: int
    disk_gb: int
    hypervisor_type: str
    hypervisor_version: int
    host_ip: str
    traits: tuple[str, ...] = ()
    # NUMA cells, dedicated/shared CPUs and PCI devices; one object per host shape.
    topology: HostTopology | None = None
    # Per-host overrides of the cloud-wide allocation ratios and reservations (None: config).
    cpu_allocation_ratio: float | None = None
    ram_allocation_ratio: float | None = None
    reserved_host_cpus: int | None = None
    reserved_host_memory_mb: int | None = None

    @property
    def vcpus(self) -> int:
        return self.sockets * self.cores * self.threads


@dataclass(frozen=True, slots=True)
class InstanceSpec:
    uuid: str
    name: str
    vcpus: int
    memory_mb: int
    root_gb: int
    image_id: str
    port_ids: tuple[str, ...] = ()
    user_data: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LiveMigrationProgress:
    """Bytes of guest memory and disk a live migration has to copy, and has copied."""

    memory_total: int
    memory_processed: int
    disk_total: int = 0
    disk_processed: int = 0


ProgressCallback = Callable[[LiveMigrationProgress], Awaitable[None]]


class DriverOperationFailed(Exception):
    """The hypervisor refused or failed an operation (a move rolls back on this)."""


class LiveMigrationAborted(Exception):
    """An operator aborted the live migration; the guest stays on the source."""


class ComputeDriver(Protocol):
    name: str

    def hosts(self) -> list[HostResources]:
        """The hosts this driver runs (one for a real hypervisor, N when simulated)."""
        ...

    async def spawn(self, host: str, spec: InstanceSpec) -> PowerState:
        """Start the instance on ``host``; its power state afterwards."""
        ...

    async def destroy(self, host: str, uuid: str) -> None:
        """Stop and remove the instance (no error when it is already gone)."""
        ...

    async def set_power(self, host: str, uuid: str, action: str) -> PowerState:
        """Power actions: stop, start, reboot, pause, unpause, suspend, resume; the power
        state afterwards."""
        ...

    def console_output(self, host: str, uuid: str) -> str: ...

    def power_state(self, host: str, uuid: str) -> PowerState: ...

    def instances_on(self, host: str) -> list[str]: ...

    def agent_running(self, host: str) -> bool:
        """Whether the host's compute agent runs (and so heartbeats); a stopped one goes
        down after service_down_time."""
        ...

    # -- lifecycle operations beyond power -----------------------------------------------

    async def snapshot(self, host: str, uuid: str) -> bytes:
        """The guest's root disk as image data (for createImage/createBackup/shelve)."""
        ...

    async def rescue(self, host: str, uuid: str, image_id: str) -> PowerState:
        """Boot the guest from ``image_id`` with its own disk attached second."""
        ...

    async def unrescue(self, host: str, uuid: str) -> PowerState: ...

    async def volume_snapshot_create(
        self, host: str, uuid: str, volume_id: str, new_file: str
    ) -> None:
        """An assisted volume snapshot (file-backed volumes, nova's libvirt driver): the
        guest's disk of ``volume_id`` continues in the new overlay ``new_file``."""
        ...

    async def volume_snapshot_delete(
        self, host: str, uuid: str, volume_id: str, delete_info: dict[str, object]
    ) -> None:
        """Merge a snapshot file (``delete_info['file_to_merge']``) out of the guest's
        chain of ``volume_id`` (into ``merge_target_file``, or its successor)."""
        ...

    async def trigger_crash_dump(self, host: str, uuid: str) -> None:
        """Inject an NMI (the guest kernel writes a crash dump)."""
        ...

    async def set_admin_password(self, host: str, uuid: str, password: str) -> None: ...

    async def attach_interface(self, host: str, uuid: str, port_id: str) -> None: ...

    async def detach_interface(self, host: str, uuid: str, port_id: str) -> None: ...

    # -- cold migration and resize ---------------------------------------------------------

    async def migrate_disk_and_power_off(
        self, host: str, uuid: str, dest: str, spec: InstanceSpec
    ) -> None:
        """Source side: stop the guest and copy (resized) disks towards ``dest``."""
        ...

    async def finish_migration(
        self, host: str, spec: InstanceSpec, *, power_on: bool
    ) -> PowerState:
        """Destination side: start the guest from the copied disks."""
        ...

    async def confirm_migration(self, host: str, uuid: str) -> None:
        """Source side: drop what the move left behind."""
        ...

    async def finish_revert_migration(
        self, host: str, spec: InstanceSpec, *, power_on: bool
    ) -> PowerState:
        """Source side: bring the guest back from its kept disks."""
        ...

    # -- live migration ----------------------------------------------------------------------

    async def pre_live_migration(self, host: str, spec: InstanceSpec) -> None:
        """Destination side: prepare (networking, disks) before memory is copied."""
        ...

    async def live_migration(
        self, host: str, uuid: str, dest: str, *, block_migration: bool, progress: ProgressCallback
    ) -> None:
        """Source side: copy the running guest to ``dest``; LiveMigrationAborted when aborted."""
        ...

    async def post_live_migration(self, host: str, spec: InstanceSpec) -> PowerState:
        """Destination side: the guest runs here now."""
        ...

    async def live_migration_force_complete(self, host: str, uuid: str) -> None:
        """Pause the guest so the copy converges."""
        ...

    async def live_migration_abort(self, host: str, uuid: str) -> None: ...
