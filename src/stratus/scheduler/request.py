"""What the scheduler is asked (a request spec) and what it knows of each host."""

from dataclasses import dataclass, field
from typing import Any

from stratus.scheduler.numa import GuestRequest, PciRequest
from stratus.scheduler.topology import HostTopology, HostUsage

# What the simulated hypervisor runs: (architecture, hypervisor type, vm mode).
SUPPORTED_INSTANCES: tuple[tuple[str, str, str], ...] = tuple(
    (arch, hv, "hvm") for arch in ("x86_64", "i686") for hv in ("fake", "qemu", "kvm")
)


class NoValidHost(Exception):
    """No host passed; the message is nova's, recorded as the instance fault."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(f"No valid host was found. {reason}".rstrip())
        self.reason = reason


@dataclass
class RequestSpec:
    """One instance to place: resources and traits from flavor and image, where it may go."""

    instance_uuid: str
    project_id: str
    user_id: str
    resources: dict[str, int]
    required_traits: set[str] = field(default_factory=set)
    forbidden_traits: set[str] = field(default_factory=set)
    availability_zone: str | None = None
    force_host: str | None = None
    force_node: str | None = None
    same_host: set[str] = field(default_factory=set)
    different_host: set[str] = field(default_factory=set)
    ignore_hosts: set[str] = field(default_factory=set)
    # Server group: its policy, how many members each host already runs, and the
    # anti-affinity rule max_server_per_host.
    group_policy: str | None = None
    group_hosts: dict[str, int] = field(default_factory=dict)
    max_server_per_host: int = 1
    # Flavor extra specs (aggregate_instance_extra_specs:* and friends).
    extra_specs: dict[str, str] = field(default_factory=dict)
    # Image properties (ImagePropertiesFilter: hw_architecture, img_hv_type, hw_vm_mode).
    image_properties: dict[str, Any] = field(default_factory=dict)
    # NUMA/pinning/huge pages/PCI: what the NUMATopology and PciPassthrough filters fit.
    guest: GuestRequest | None = None
    # Devices the instance's SR-IOV ports need (numa.port_pci_request), added to the guest's.
    pci_requests: list[PciRequest] = field(default_factory=list)
    # Host fits computed while filtering (provider uuid -> instance topology).
    fits: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class HostState:
    """A compute node as the scheduler sees it; free figures come from placement's summary."""

    host: str
    nodename: str
    uuid: str
    availability_zone: str
    enabled: bool = True
    up: bool = True
    free_ram_mb: float = 0.0
    free_vcpus: float = 0.0
    free_disk_gb: float = 0.0
    # Merged metadata of the host aggregates the host belongs to: key -> values.
    aggregate_metadata: dict[str, set[str]] = field(default_factory=dict)
    # The host's NUMA cells, CPUs and PCI devices (shared by every host of one shape) and
    # what NUMA-placed guests hold there (filled by the scheduler when a request needs it).
    topology: HostTopology | None = None
    usage: HostUsage | None = None
    ram_allocation_ratio: float = 1.0
    # What the hypervisor runs: (architecture, hypervisor type, vm mode) triples.
    supported_instances: tuple[tuple[str, str, str], ...] = SUPPORTED_INSTANCES
    hypervisor_version: int = 0
    # Builds that failed on this host lately (the BuildFailureWeigher steers away from it).
    failed_builds: int = 0


@dataclass(frozen=True)
class Selection:
    host: str
    nodename: str
    uuid: str
    allocations: dict[str, dict[str, int]]
    availability_zone: str = ""
    # The exact NUMA/pinning/PCI placement claimed on the host (None for floating guests).
    numa_topology: dict[str, Any] | None = None
