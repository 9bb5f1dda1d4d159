"""Host and guest topology as the scheduler sees it: NUMA cells with their CPUs (split into
dedicated and shared, grouped by SMT core), memory and page pools, and PCI device pools.

A host's topology is immutable and shared by every host of one shape; what is taken on a
host (pinned CPUs, memory and pages per cell, PCI devices in use) is a separate, small
``HostUsage``. Both are plain data, built once from the simulated-host description."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SMALL_PAGE_KB = 4


def parse_cpu_set(text: str | None) -> frozenset[int]:
    """nova's CPU set syntax: ``"0-3,8,^2"`` (ranges, single ids, ``^`` exclusions)."""
    if not text:
        return frozenset()
    include: set[int] = set()
    exclude: set[int] = set()
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        target = include
        if item.startswith("^"):
            target, item = exclude, item[1:].strip()
        low, sep, high = item.partition("-")
        try:
            first, last = int(low), int(high) if sep else int(low)
        except ValueError:
            raise ValueError(f"invalid CPU set item {raw!r} in {text!r}") from None
        if first > last or first < 0:
            raise ValueError(f"invalid CPU range {raw!r} in {text!r}")
        target.update(range(first, last + 1))
    return frozenset(include - exclude)


def format_cpu_set(cpus: Iterable[int]) -> str:
    ordered = sorted(set(cpus))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)


@dataclass(frozen=True, slots=True)
class HostCell:
    id: int
    cpus: frozenset[int]
    pcpus: frozenset[int]  # dedicated to pinned guests
    shared: frozenset[int]  # for floating (shared-policy) guests
    cores: tuple[frozenset[int], ...]  # SMT sibling sets of the cell
    memory_mb: int  # small-page memory left after the huge pages
    pages: Mapping[int, int]  # huge page size KiB -> pages

    def core_of(self, cpu: int) -> frozenset[int]:
        for core in self.cores:
            if cpu in core:
                return core
        return frozenset((cpu,))


@dataclass(frozen=True, slots=True)
class PciDevice:
    address: str
    vendor_id: str
    product_id: str
    dev_type: str  # type-PCI | type-PF | type-VF
    numa_node: int
    physical_network: str | None = None
    parent: str | None = None  # a VF's PF address


@dataclass(frozen=True, slots=True)
class HostTopology:
    cells: tuple[HostCell, ...]
    threads_per_core: int
    pci: tuple[PciDevice, ...] = ()

    @property
    def pcpus(self) -> frozenset[int]:
        return frozenset().union(*(c.pcpus for c in self.cells))

    @property
    def shared(self) -> frozenset[int]:
        return frozenset().union(*(c.shared for c in self.cells))

    def children(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for dev in self.pci:
            if dev.parent:
                out.setdefault(dev.parent, []).append(dev.address)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "cells": [
                {
                    "id": c.id,
                    "cpuset": format_cpu_set(c.cpus),
                    "pcpuset": format_cpu_set(c.pcpus),
                    "shared_cpuset": format_cpu_set(c.shared),
                    "siblings": [sorted(core) for core in c.cores if len(core) > 1],
                    "memory_mb": c.memory_mb,
                    "mempages": {str(k): v for k, v in sorted(c.pages.items())},
                }
                for c in self.cells
            ],
            "pci_devices": len(self.pci),
        }


@dataclass(slots=True)
class CellUsage:
    pinned: set[int] = field(default_factory=set)
    memory_mb: int = 0
    pages: dict[int, int] = field(default_factory=dict)


@dataclass(slots=True)
class HostUsage:
    """What NUMA-placed guests take on one host."""

    cells: dict[int, CellUsage] = field(default_factory=dict)
    pci: set[str] = field(default_factory=set)

    def cell(self, cell_id: int) -> CellUsage:
        found = self.cells.get(cell_id)
        if found is None:
            found = self.cells[cell_id] = CellUsage()
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "cells": {
                str(cid): {
                    "pinned": sorted(u.pinned),
                    "memory_mb": u.memory_mb,
                    "pages": {str(k): v for k, v in u.pages.items() if v},
                }
                for cid, u in sorted(self.cells.items())
                if u.pinned or u.memory_mb or any(u.pages.values())
            },
            "pci": sorted(self.pci),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "HostUsage":
        usage = cls()
        if not data:
            return usage
        for cid, raw in (data.get("cells") or {}).items():
            usage.cells[int(cid)] = CellUsage(
                pinned={int(c) for c in raw.get("pinned", ())},
                memory_mb=int(raw.get("memory_mb", 0)),
                pages={int(k): int(v) for k, v in (raw.get("pages") or {}).items()},
            )
        usage.pci = set(data.get("pci") or ())
        return usage

    def add(self, placed: "Mapping[str, Any]", sign: int = 1) -> None:
        """Take (sign=1) or give back (sign=-1) what an instance topology holds."""
        for cell in placed.get("cells", ()):
            use = self.cell(int(cell["host_cell"]))
            held = {int(c) for c in cell.get("cpu_pinning", {}).values()}
            held |= {int(c) for c in cell.get("cpuset_reserved", ())}
            if sign > 0:
                use.pinned |= held
            else:
                use.pinned -= held
            page = cell.get("pagesize_kb")
            if page and int(page) != SMALL_PAGE_KB:
                count = int(cell["memory_mb"]) * 1024 // int(page)
                use.pages[int(page)] = max(0, use.pages.get(int(page), 0) + sign * count)
            else:
                use.memory_mb = max(0, use.memory_mb + sign * int(cell["memory_mb"]))
        for cpu_cell, cpus in (placed.get("emulator_threads") or {}).items():
            use = self.cell(int(cpu_cell))
            if sign > 0:
                use.pinned |= set(cpus)
            else:
                use.pinned -= set(cpus)
        addresses = {d["address"] for d in placed.get("pci_devices", ())}
        if sign > 0:
            self.pci |= addresses
        else:
            self.pci -= addresses


def build_topology(
    *,
    sockets: int,
    cores: int,
    threads: int,
    numa_cells: int | None,
    memory_mb: int,
    hugepages: Mapping[int, int],
    dedicated: frozenset[int],
    shared: frozenset[int],
    pci: Iterable[PciDevice] = (),
) -> HostTopology:
    """Cells from a socket/core/thread shape. CPU ``t * sockets * cores + s * cores + c`` is
    thread ``t`` of core ``c`` on socket ``s``; sockets are spread evenly over the cells."""
    n_cells = max(1, numa_cells or sockets)
    physical = sockets * cores
    cores_per_cell = max(1, physical // n_cells)
    cell_cores: dict[int, list[frozenset[int]]] = {i: [] for i in range(n_cells)}
    for core_index in range(physical):
        cell = min(n_cells - 1, core_index // cores_per_cell)
        cell_cores[cell].append(frozenset(core_index + t * physical for t in range(threads)))
    cell_mem = memory_mb // n_cells
    cells = []
    for cid in range(n_cells):
        cpus = frozenset().union(*cell_cores[cid]) if cell_cores[cid] else frozenset()
        huge_mb = sum(size * count for size, count in hugepages.items()) // 1024
        cells.append(
            HostCell(
                id=cid,
                cpus=cpus,
                pcpus=cpus & dedicated,
                shared=cpus & shared,
                cores=tuple(cell_cores[cid]),
                memory_mb=max(0, cell_mem - huge_mb),
                pages=dict(hugepages),
            )
        )
    return HostTopology(tuple(cells), threads, tuple(pci))
