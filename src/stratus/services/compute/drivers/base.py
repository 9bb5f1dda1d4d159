"""The compute driver protocol: what a host reports and how instances start and stop on it.
Drivers take typed specs, never ORM rows."""

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
