"""Compute settings: the simulated hosts and their capacity, overcommit ratios, the default
availability zone and quota defaults. Read from the ``compute`` section of the shared
Settings when it carries one (``stratus.yaml``), else these defaults."""

from typing import Any

from pydantic import BaseModel, Field


class FakePciDevice(BaseModel):
    """PCI devices of one kind on a simulated host: ``count`` physical functions (type-PF,
    each with ``vfs`` virtual functions when it is an SR-IOV NIC) or plain devices
    (type-PCI), attached to one NUMA cell and, for NICs, one physical network."""

    vendor_id: str = "8086"
    product_id: str = "154d"
    device_type: str = "type-PF"  # type-PCI | type-PF (then vfs > 0 makes them SR-IOV)
    count: int = 1
    vfs: int = 0
    vf_product_id: str = "10ed"
    physical_network: str | None = None
    numa_node: int = 0


class FakeHost(BaseModel):
    """One simulated host shape: CPU topology, NUMA cells, memory and huge pages per cell,
    PCI devices, disk, traits and how the CPUs are split between shared and pinned guests.

    CPU ids are numbered as Linux does on a two-socket machine: the first thread of every
    core first (socket 0 then socket 1), then the second threads, so CPU ``c`` and
    ``c + sockets * cores`` are SMT siblings. Sockets are spread evenly over the NUMA cells."""

    sockets: int = 2
    cores: int = 4
    threads: int = 2
    numa_cells: int | None = None  # default: one cell per socket
    memory_mb: int = 65536  # whole host, split evenly over the cells
    # Huge pages per cell, page size in KiB -> number of pages (taken out of the cell's memory);
    # by default 8 GiB of 2 MiB pages per cell, so RA1 High-Performance flavors can boot.
    hugepages: dict[int, int] = Field(default_factory=lambda: {2048: 4096})
    disk_gb: int = 1000
    pci_devices: list[FakePciDevice] = Field(default_factory=list)
    traits: list[str] = Field(default_factory=list)
    # nova's [compute] cpu_dedicated_set / cpu_shared_set ("0-3,8,^2"); when neither is set,
    # the top ``cpu_dedicated_count`` CPU ids are dedicated and the rest shared.
    cpu_dedicated_set: str | None = None
    cpu_shared_set: str | None = None
    cpu_dedicated_count: int | None = None
    # Per-shape overrides of the cloud-wide ratios and reservations.
    cpu_allocation_ratio: float | None = None
    ram_allocation_ratio: float | None = None
    reserved_host_cpus: int | None = None
    reserved_host_memory_mb: int | None = None


class FakeHostGroup(FakeHost):
    """``count`` simulated hosts of one shape named ``{prefix}{i}``."""

    count: int = 1
    prefix: str = "compute-"


class PciAlias(BaseModel):
    """nova's [pci] alias: the name flavors use in ``pci_passthrough:alias=NAME:COUNT``."""

    name: str
    vendor_id: str
    product_id: str
    device_type: str | None = None  # type-PCI | type-PF | type-VF
    numa_policy: str = "legacy"  # required | legacy | preferred


class ComputeConfig(BaseModel):
    fake_hosts: int = 2
    host_prefix: str = "compute-"
    host: FakeHost = Field(default_factory=FakeHost)
    # RA1 Basic profile overbooking (4:1 CPU, 1:1 RAM); nova's own default ratios are 16/1.5.
    cpu_allocation_ratio: float = 4.0
    ram_allocation_ratio: float = 1.0
    disk_allocation_ratio: float = 1.0
    reserved_host_memory_mb: int = 512
    reserved_host_disk_mb: int = 0
    reserved_host_cpus: int = 0
    # Host CPUs set aside for pinned guests (nova's [compute] cpu_dedicated_set, as a count
    # taken from the top of each host): reported to placement as PCPU at ratio 1.0, the rest
    # as VCPU. hw:cpu_policy=dedicated flavors (RA1 High-Performance) claim PCPU.
    cpu_dedicated_count: int = 4
    # Host groups of other shapes (each with its own count and name prefix), after the
    # ``fake_hosts`` hosts of shape ``host``.
    host_groups: list[FakeHostGroup] = Field(default_factory=list)
    pci_alias: list[PciAlias] = Field(default_factory=list)
    default_availability_zone: str = "nova"
    internal_service_availability_zone: str = "internal"
    control_host: str = "stratus"
    # How many candidates the scheduler asks placement for, as nova's max_placement_results.
    max_placement_results: int = 1000
    default_quotas: dict[str, int] = Field(default_factory=dict)
    # Seconds since the last heartbeat after which a service is reported "down".
    service_down_time: int = 60
    # How long a simulated host takes to snapshot a guest's disk (createImage, shelve):
    # instant by default; the conformance harness gives it a second, as a real disk takes
    # at least that, so tests that act while a snapshot is in progress see it in progress.
    fake_snapshot_seconds: float = 0.0

    @property
    def host_names(self) -> list[str]:
        return [name for name, _shape in self.host_shapes()]

    @property
    def pci_aliases(self) -> dict[str, dict[str, Any]]:
        return {a.name: a.model_dump() for a in self.pci_alias}

    def host_shapes(self) -> list[tuple[str, FakeHost]]:
        """Every simulated host's name with its shape (shapes are shared, not copied)."""
        out: list[tuple[str, FakeHost]] = [
            (f"{self.host_prefix}{i}", self.host) for i in range(self.fake_hosts)
        ]
        for group in self.host_groups:
            out += [(f"{group.prefix}{i}", group) for i in range(group.count)]
        return out


def load(settings: Any) -> ComputeConfig:
    raw = getattr(settings, "compute", None)
    if raw is None:
        return ComputeConfig()
    if isinstance(raw, ComputeConfig):
        return raw
    if isinstance(raw, BaseModel):
        return ComputeConfig.model_validate(raw.model_dump())
    return ComputeConfig.model_validate(raw)
