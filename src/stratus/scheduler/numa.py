"""The NUMA fitter: guest cells onto host cells, vCPUs pinned to host CPUs honouring SMT
siblings (``prefer``/``require``/``isolate``), memory or huge pages per cell, the emulator
thread and PCI devices. Pure: it reads a host topology and its usage and answers the exact
placement (an instance topology, as recorded on the instance) or None."""

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stratus.scheduler.topology import (
    SMALL_PAGE_KB,
    HostCell,
    HostTopology,
    HostUsage,
    PciDevice,
    parse_cpu_set,
)


class InvalidGuestTopology(ValueError):
    """The flavor and image ask for a topology no host could ever give (nova's 400s)."""


@dataclass(frozen=True)
class PciRequest:
    """``count`` devices; None matches any vendor/product/type/physnet. ``alias`` names the
    request (a flavor alias, or ``port:<id>`` for an SR-IOV port's VF)."""

    count: int
    vendor_id: str | None
    product_id: str | None
    dev_type: str | None = None
    physical_network: str | None = None
    numa_policy: str = "legacy"
    alias: str = ""


@dataclass
class GuestRequest:
    vcpus: int
    memory_mb: int
    cpu_policy: str = "shared"  # shared | dedicated
    thread_policy: str | None = None  # prefer | require | isolate
    numa_nodes: int | None = None
    cell_cpus: list[frozenset[int]] | None = None
    cell_memory: list[int] | None = None
    page_size: str | None = None  # small | large | any | a size in KiB
    emulator_threads: str = "share"  # share | isolate
    pci: list[PciRequest] = field(default_factory=list)

    @property
    def needs_numa(self) -> bool:
        return (
            self.cpu_policy == "dedicated"
            or self.numa_nodes is not None
            or self.page_size is not None
        )

    @property
    def needs_host_claim(self) -> bool:
        return self.needs_numa or bool(self.pci)


def _prop(specs: Mapping[str, str], image: Mapping[str, Any], flavor_key: str) -> str | None:
    """A flavor extra spec, else the matching image property (hw:x -> hw_x)."""
    if flavor_key in specs:
        return str(specs[flavor_key])
    value = image.get(flavor_key.replace(":", "_"))
    return None if value is None else str(value)


def guest_request(
    vcpus: int,
    memory_mb: int,
    specs: Mapping[str, str],
    image: Mapping[str, Any],
    aliases: Mapping[str, Mapping[str, Any]] | None = None,
) -> GuestRequest:
    """Read hw:* extra specs (and hw_* image properties) into a guest request."""
    policy = (_prop(specs, image, "hw:cpu_policy") or "shared").lower()
    if policy not in ("shared", "dedicated", "mixed"):
        raise InvalidGuestTopology(f"Invalid hw:cpu_policy {policy!r}")
    if policy == "mixed":
        raise InvalidGuestTopology("hw:cpu_policy=mixed is not supported by this cloud")
    thread = _prop(specs, image, "hw:cpu_thread_policy")
    if thread is not None:
        thread = thread.lower()
        if thread not in ("prefer", "require", "isolate"):
            raise InvalidGuestTopology(f"Invalid hw:cpu_thread_policy {thread!r}")
    nodes_raw = _prop(specs, image, "hw:numa_nodes")
    numa_nodes = None
    if nodes_raw is not None:
        try:
            numa_nodes = int(nodes_raw)
        except ValueError:
            raise InvalidGuestTopology(f"Invalid hw:numa_nodes {nodes_raw!r}") from None
        if numa_nodes < 1:
            raise InvalidGuestTopology("hw:numa_nodes must be at least 1")
    cell_cpus: list[frozenset[int]] | None = None
    cell_memory: list[int] | None = None
    if numa_nodes is not None:
        cpus_given = [_prop(specs, image, f"hw:numa_cpus.{i}") for i in range(numa_nodes)]
        mem_given = [_prop(specs, image, f"hw:numa_mem.{i}") for i in range(numa_nodes)]
        if any(c is not None for c in cpus_given):
            if any(c is None for c in cpus_given):
                raise InvalidGuestTopology("hw:numa_cpus.N must be given for every node")
            try:
                cell_cpus = [parse_cpu_set(c) for c in cpus_given]
            except ValueError as err:
                raise InvalidGuestTopology(str(err)) from None
            flat = [cpu for cell in cell_cpus for cpu in cell]
            if sorted(flat) != list(range(vcpus)):
                raise InvalidGuestTopology(
                    "hw:numa_cpus.N must assign every vCPU of the flavor to exactly one node"
                )
        elif vcpus % numa_nodes:
            raise InvalidGuestTopology(
                f"The flavor's {vcpus} vCPUs cannot be split evenly over {numa_nodes} nodes"
            )
        if any(m is not None for m in mem_given):
            if any(m is None for m in mem_given):
                raise InvalidGuestTopology("hw:numa_mem.N must be given for every node")
            cell_memory = [int(str(m)) for m in mem_given]
            if sum(cell_memory) != memory_mb:
                raise InvalidGuestTopology("hw:numa_mem.N must add up to the flavor's memory")
        elif memory_mb % numa_nodes:
            raise InvalidGuestTopology(
                f"The flavor's {memory_mb} MB cannot be split evenly over {numa_nodes} nodes"
            )
    page = _prop(specs, image, "hw:mem_page_size")
    if page is not None:
        page = _page_size(page)
    emulator = (specs.get("hw:emulator_threads_policy") or "share").lower()
    if emulator == "isolate" and policy != "dedicated":
        raise InvalidGuestTopology("hw:emulator_threads_policy=isolate needs dedicated CPUs")
    pci: list[PciRequest] = []
    alias_spec = specs.get("pci_passthrough:alias")
    if alias_spec:
        for item in alias_spec.split(","):
            name, _, count = item.strip().partition(":")
            alias = (aliases or {}).get(name)
            if alias is None:
                raise InvalidGuestTopology(f"PCI alias {name} is not defined")
            pci.append(
                PciRequest(
                    count=int(count or 1),
                    vendor_id=str(alias["vendor_id"]),
                    product_id=str(alias["product_id"]),
                    dev_type=alias.get("device_type"),
                    numa_policy=str(alias.get("numa_policy") or "legacy"),
                    alias=name,
                )
            )
    return GuestRequest(
        vcpus=vcpus,
        memory_mb=memory_mb,
        cpu_policy=policy,
        thread_policy=thread,
        numa_nodes=numa_nodes,
        cell_cpus=cell_cpus,
        cell_memory=cell_memory,
        page_size=page,
        emulator_threads=emulator,
        pci=pci,
    )


def _page_size(value: str) -> str:
    text = value.strip().lower()
    if text in ("small", "large", "any"):
        return text
    units = {"kb": 1, "k": 1, "mb": 1024, "m": 1024, "gb": 1024 * 1024, "g": 1024 * 1024}
    number, factor = text, 1
    for suffix in sorted(units, key=len, reverse=True):
        if text.endswith(suffix):
            number, factor = text[: -len(suffix)], units[suffix]
            break
    try:
        return str(int(number) * factor)
    except ValueError:
        raise InvalidGuestTopology(f"Invalid hw:mem_page_size {value!r}") from None


# vnic types that take a PCI device (nova's VNIC_TYPES_SRIOV / direct-physical).
VF_VNIC_TYPES = ("direct", "macvtap", "direct-physical", "virtio-forwarder", "remote-managed")


def port_pci_request(port_id: str, vnic_type: str, physnet: str | None) -> PciRequest | None:
    """The device an SR-IOV port needs: a VF (a whole PF for direct-physical) on the port's
    physical network; None for a normal port."""
    if vnic_type not in VF_VNIC_TYPES:
        return None
    dev_type = "type-PF" if vnic_type == "direct-physical" else "type-VF"
    return PciRequest(
        count=1,
        vendor_id=None,
        product_id=None,
        dev_type=dev_type,
        physical_network=physnet or "",
        alias=f"port:{port_id}",
    )


def port_binding_profile(placed: Mapping[str, Any] | None, port_id: str) -> dict[str, Any] | None:
    """``binding:profile`` for an SR-IOV port from the device its host claim took."""
    for dev in (placed or {}).get("pci_devices", ()):
        if dev.get("alias") == f"port:{port_id}":
            return {
                "pci_slot": dev["address"],
                "pci_vendor_info": f"{dev['vendor_id']}:{dev['product_id']}",
                "physical_network": dev.get("physical_network"),
            }
    return None


# -- fitting ---------------------------------------------------------------------------------


def fit(
    topology: HostTopology,
    usage: HostUsage,
    guest: GuestRequest,
    *,
    ram_ratio: float = 1.0,
) -> dict[str, Any] | None:
    """The instance topology for ``guest`` on this host, or None when it does not fit."""
    placed: dict[str, Any] = {"cells": [], "pci_devices": []}
    if guest.needs_numa:
        cells = _fit_cells(topology, usage, guest, ram_ratio)
        if cells is None:
            return None
        placed = cells
    if guest.pci:
        host_cells = {int(c["host_cell"]) for c in placed["cells"]} if guest.needs_numa else None
        devices = _fit_pci(topology, usage, guest.pci, host_cells)
        if devices is None:
            return None
        placed["pci_devices"] = devices
    return placed


def _guest_cells(guest: GuestRequest) -> list[tuple[frozenset[int], int]]:
    n = guest.numa_nodes or 1
    if guest.cell_cpus is not None:
        cpus = guest.cell_cpus
    else:
        per = guest.vcpus // n
        cpus = [frozenset(range(i * per, (i + 1) * per)) for i in range(n)]
    memory = guest.cell_memory or [guest.memory_mb // n] * n
    return list(zip(cpus, memory, strict=True))


def _fit_cells(
    topology: HostTopology,
    usage: HostUsage,
    guest: GuestRequest,
    ram_ratio: float,
) -> dict[str, Any] | None:
    wanted = _guest_cells(guest)
    if len(wanted) > len(topology.cells):
        return None
    for chosen in itertools.permutations(topology.cells, len(wanted)):
        cells: list[dict[str, Any]] = []
        for index, ((cpus, memory), host_cell) in enumerate(zip(wanted, chosen, strict=True)):
            cell = _fit_cell(host_cell, usage, guest, cpus, memory, ram_ratio)
            if cell is None:
                break
            cell["id"] = index
            cells.append(cell)
        else:
            placed: dict[str, Any] = {
                "cells": cells,
                "cpu_policy": guest.cpu_policy,
                "cpu_thread_policy": guest.thread_policy,
                "emulator_threads_policy": guest.emulator_threads,
                "pci_devices": [],
            }
            if guest.cpu_policy == "dedicated" and guest.emulator_threads == "isolate":
                extra = _emulator_cpu(chosen, usage, cells, guest)
                if extra is None:
                    continue
                placed["emulator_threads"] = extra
            return placed
    return None


def _fit_cell(
    cell: HostCell,
    usage: HostUsage,
    guest: GuestRequest,
    cpus: frozenset[int],
    memory_mb: int,
    ram_ratio: float,
) -> dict[str, Any] | None:
    used = usage.cells.get(cell.id)
    pinned = used.pinned if used else set()
    page = _pick_page(cell, used.pages if used else {}, memory_mb, guest.page_size)
    if page is None:
        return None
    if page == SMALL_PAGE_KB and guest.page_size is None:
        free_mb = cell.memory_mb * ram_ratio - (used.memory_mb if used else 0)
        if memory_mb > free_mb:
            return None
    elif page == SMALL_PAGE_KB and memory_mb > cell.memory_mb - (used.memory_mb if used else 0):
        # Explicit small pages are never overcommitted.
        return None
    out: dict[str, Any] = {
        "host_cell": cell.id,
        "cpus": sorted(cpus),
        "memory_mb": memory_mb,
        "pagesize_kb": page if guest.page_size is not None else None,
    }
    if guest.cpu_policy != "dedicated":
        # Floating vCPUs over the cell's shared CPUs: a guest cell is never wider than that.
        if len(cpus) > len(cell.shared):
            return None
        out["cpu_pinning"] = {}
        return out
    pins = _pin(cell, pinned, sorted(cpus), guest.thread_policy)
    if pins is None:
        return None
    pinning, reserved = pins
    out["cpu_pinning"] = {str(v): p for v, p in pinning.items()}
    out["cpuset_reserved"] = sorted(reserved)
    return out


def _pick_page(
    cell: HostCell, used_pages: Mapping[int, int], memory_mb: int, wanted: str | None
) -> int | None:
    if wanted is None or wanted == "small":
        return SMALL_PAGE_KB

    def fits(size: int) -> bool:
        if size == SMALL_PAGE_KB:
            return True  # small-page memory is checked by the caller
        total = cell.pages.get(size, 0)
        need = memory_mb * 1024
        if need % size:
            return False
        return need // size <= total - used_pages.get(size, 0)

    if wanted == "large":
        sizes = sorted(cell.pages, reverse=True)
    elif wanted == "any":
        sizes = [*sorted(cell.pages, reverse=True), SMALL_PAGE_KB]
    else:
        sizes = [int(wanted)]
        if int(wanted) != SMALL_PAGE_KB and int(wanted) not in cell.pages:
            return None
    for size in sizes:
        if fits(size):
            return size
    return None


def _pin(
    cell: HostCell, pinned: set[int], vcpus: Sequence[int], policy: str | None
) -> tuple[dict[int, int], set[int]] | None:
    """vCPU -> host CPU for one guest cell, and the siblings reserved alongside."""
    cores = []
    for core in cell.cores:
        dedicated = sorted(core & cell.pcpus)
        if dedicated:
            cores.append((dedicated, [c for c in dedicated if c not in pinned]))
    need = len(vcpus)
    chosen: list[int] = []
    reserved: set[int] = set()
    if policy == "isolate":
        # One thread per core, every other thread of that core kept idle.
        whole = [d for d, free in cores if len(free) == len(d)]
        if len(whole) < need:
            return None
        for dedicated in whole[:need]:
            chosen.append(dedicated[0])
            reserved.update(dedicated[1:])
    elif policy == "require":
        # Siblings only: whole free cores with more than one thread, filled thread by thread.
        whole = [d for d, free in cores if len(free) == len(d) and len(d) > 1]
        for dedicated in whole:
            take = dedicated[: need - len(chosen)]
            chosen.extend(take)
            if len(chosen) == need:
                break
        if len(chosen) < need:
            return None
    else:
        # prefer (the default): fill cores with the most free threads first, so a guest's
        # vCPUs share cores with each other rather than with other guests.
        ordered = sorted(cores, key=lambda c: (-len(c[1]), c[0][0]))
        for _dedicated, free in ordered:
            take = free[: need - len(chosen)]
            chosen.extend(take)
            if len(chosen) == need:
                break
        if len(chosen) < need:
            return None
    return dict(zip(vcpus, chosen, strict=True)), reserved


def _emulator_cpu(
    chosen: Sequence[HostCell],
    usage: HostUsage,
    cells: Sequence[Mapping[str, Any]],
    guest: GuestRequest,
) -> dict[str, list[int]] | None:
    """One more dedicated CPU for the emulator threads, in one of the guest's host cells."""
    for host_cell, placed in zip(chosen, cells, strict=True):
        used = usage.cells.get(host_cell.id)
        taken = set(used.pinned if used else ())
        taken |= {int(c) for c in placed["cpu_pinning"].values()}
        taken |= set(placed.get("cpuset_reserved", ()))
        pins = _pin(host_cell, taken, [0], guest.thread_policy)
        if pins is not None:
            return {str(host_cell.id): sorted({*pins[0].values(), *pins[1]})}
    return None


def _fit_pci(
    topology: HostTopology,
    usage: HostUsage,
    requests: Sequence[PciRequest],
    host_cells: set[int] | None,
) -> list[dict[str, Any]] | None:
    children = topology.children()
    by_address = {d.address: d for d in topology.pci}
    taken = set(usage.pci)
    out: list[dict[str, Any]] = []

    def available(dev: PciDevice) -> bool:
        if dev.address in taken:
            return False
        if dev.parent and dev.parent in taken:
            return False  # the PF itself is passed through
        # A PF with any of its VFs in use cannot be passed through whole.
        return not any(child in taken for child in children.get(dev.address, ()))

    for req in requests:
        matching = [
            d
            for d in topology.pci
            if req.vendor_id in (None, d.vendor_id)
            and req.product_id in (None, d.product_id)
            and (req.dev_type is None or d.dev_type == req.dev_type)
            and (req.physical_network is None or d.physical_network == req.physical_network)
        ]
        if host_cells is not None and req.numa_policy != "preferred":
            local = [d for d in matching if d.numa_node in host_cells]
            if req.numa_policy == "required":
                matching = local
            else:
                matching = local + [d for d in matching if d.numa_node not in host_cells]
        picked = 0
        for dev in matching:
            if picked == req.count:
                break
            if not available(dev):
                continue
            taken.add(dev.address)
            picked += 1
            out.append(
                {
                    "address": dev.address,
                    "vendor_id": dev.vendor_id,
                    "product_id": dev.product_id,
                    "dev_type": dev.dev_type,
                    "numa_node": dev.numa_node,
                    "physical_network": dev.physical_network,
                    "parent": by_address[dev.address].parent,
                    "alias": req.alias,
                }
            )
        if picked < req.count:
            return None
    return out
