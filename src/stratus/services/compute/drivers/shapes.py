"""Simulated host descriptions: the ``compute`` config's host shapes turned into what each
host reports (CPU topology with NUMA cells, dedicated/shared CPUs, memory and huge pages per
cell, PCI devices incl. SR-IOV VFs, disk, traits). One topology object per shape is shared
by every host of that shape, so thousands of hosts cost little memory."""

from stratus.scheduler.topology import (
    HostTopology,
    PciDevice,
    build_topology,
    parse_cpu_set,
)
from stratus.services.compute.config import ComputeConfig, FakeHost
from stratus.services.compute.drivers.base import HostResources

# What every simulated host can do (os-traits): attach interfaces, tag devices, rescue a
# volume-backed server (stable device rescue keeps its disks and adds the rescue disk).
BASE_TRAITS = ("COMPUTE_NET_ATTACH_INTERFACE", "COMPUTE_DEVICE_TAGGING", "COMPUTE_RESCUE_BFV")


def cpu_sets(shape: FakeHost, default_dedicated: int) -> tuple[frozenset[int], frozenset[int]]:
    """(dedicated, shared) CPU ids of a shape. Without explicit sets the top
    ``cpu_dedicated_count`` CPUs, taken as whole cores from the last core down, are dedicated
    and the rest shared."""
    total = shape.sockets * shape.cores * shape.threads
    every = frozenset(range(total))
    dedicated = parse_cpu_set(shape.cpu_dedicated_set) & every
    shared = parse_cpu_set(shape.cpu_shared_set) & every
    if shape.cpu_dedicated_set is not None or shape.cpu_shared_set is not None:
        if shape.cpu_shared_set is None:
            shared = every - dedicated
        return dedicated, shared - dedicated
    count = shape.cpu_dedicated_count
    count = default_dedicated if count is None else count
    count = max(0, min(count, total - 1))
    physical = shape.sockets * shape.cores
    picked: list[int] = []
    for core in range(physical - 1, -1, -1):
        for thread in range(shape.threads):
            if len(picked) < count:
                picked.append(core + thread * physical)
    return frozenset(picked), every - frozenset(picked)


def pci_devices(shape: FakeHost) -> tuple[PciDevice, ...]:
    """Deterministic addresses: one PCI bus per physical function, its VFs on that bus."""
    out: list[PciDevice] = []
    bus = 0x10
    for group in shape.pci_devices:
        for _ in range(group.count):
            pf = f"0000:{bus:02x}:00.0"
            out.append(
                PciDevice(
                    address=pf,
                    vendor_id=group.vendor_id,
                    product_id=group.product_id,
                    dev_type=group.device_type if not group.vfs else "type-PF",
                    numa_node=group.numa_node,
                    physical_network=group.physical_network,
                )
            )
            for vf in range(group.vfs):
                out.append(
                    PciDevice(
                        address=f"0000:{bus:02x}:{vf // 8 + 1:02x}.{vf % 8}",
                        vendor_id=group.vendor_id,
                        product_id=group.vf_product_id,
                        dev_type="type-VF",
                        numa_node=group.numa_node,
                        physical_network=group.physical_network,
                        parent=pf,
                    )
                )
            bus += 1
    return tuple(out)


def topology_of(shape: FakeHost, config: ComputeConfig) -> HostTopology:
    dedicated, shared = cpu_sets(shape, config.cpu_dedicated_count)
    return build_topology(
        sockets=shape.sockets,
        cores=shape.cores,
        threads=shape.threads,
        numa_cells=shape.numa_cells,
        memory_mb=shape.memory_mb,
        hugepages=shape.hugepages,
        dedicated=dedicated,
        shared=shared,
        pci=pci_devices(shape),
    )


def describe_hosts(config: ComputeConfig) -> list[HostResources]:
    topologies: dict[int, HostTopology] = {}
    traits: dict[int, tuple[str, ...]] = {}
    out = []
    for i, (name, shape) in enumerate(config.host_shapes()):
        key = id(shape)
        if key not in topologies:
            topologies[key] = topology_of(shape, config)
            smt = ("HW_CPU_HYPERTHREADING",) if shape.threads > 1 else ()
            traits[key] = tuple(dict.fromkeys((*BASE_TRAITS, *smt, *shape.traits)))
        out.append(
            HostResources(
                hostname=name,
                sockets=shape.sockets,
                cores=shape.cores,
                threads=shape.threads,
                memory_mb=shape.memory_mb,
                disk_gb=shape.disk_gb,
                hypervisor_type="fake",
                hypervisor_version=1000,
                host_ip=f"192.168.{(i // 250) % 250}.{i % 250 + 1}",
                traits=traits[key],
                topology=topologies[key],
                cpu_allocation_ratio=shape.cpu_allocation_ratio,
                ram_allocation_ratio=shape.ram_allocation_ratio,
                reserved_host_cpus=shape.reserved_host_cpus,
                reserved_host_memory_mb=shape.reserved_host_memory_mb,
            )
        )
    return out
