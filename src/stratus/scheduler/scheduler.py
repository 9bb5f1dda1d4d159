"""select_destinations: ask placement for candidates, filter, weigh, claim the best."""

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from stratus.kit.errors import Conflict, NotFound
from stratus.scheduler.claims import HostClaims
from stratus.scheduler.filters import DEFAULT_FILTERS, Filter
from stratus.scheduler.numa import InvalidGuestTopology, fit, guest_request
from stratus.scheduler.request import HostState, NoValidHost, RequestSpec, Selection
from stratus.scheduler.topology import HostUsage
from stratus.scheduler.weighers import DEFAULT_WEIGHERS, Weigher, weigh
from stratus.services.placement.client import CandidateQuery, PlacementClient


class Scheduler:
    def __init__(
        self,
        placement: PlacementClient,
        *,
        filters: Sequence[Filter] = DEFAULT_FILTERS,
        weighers: Sequence[Weigher] = DEFAULT_WEIGHERS,
        max_candidates: int = 1000,
        claims: HostClaims | None = None,
        pci_aliases: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.placement = placement
        self.filters = list(filters)
        self.weighers = list(weighers)
        self.max_candidates = max_candidates
        self.claims = claims
        self.pci_aliases = dict(pci_aliases or {})
        # host -> builds that failed there since the last success (BuildFailureWeigher).
        self.failed_builds: dict[str, int] = {}

    def build_failed(self, host: str) -> None:
        self.failed_builds[host] = self.failed_builds.get(host, 0) + 1

    def build_succeeded(self, host: str) -> None:
        self.failed_builds.pop(host, None)

    async def select(self, spec: RequestSpec, hosts: Mapping[str, HostState]) -> Selection:
        """Place one instance and claim its resources (Reserve); NoValidHost when nothing fits.
        ``hosts`` maps a compute node's provider uuid to its state."""
        resources = dict(spec.resources)
        if spec.guest is None:
            try:
                spec.guest = guest_request(
                    int(resources.get("PCPU", resources.get("VCPU", 0))),
                    int(resources.get("MEMORY_MB", 0)),
                    spec.extra_specs,
                    spec.image_properties,
                    self.pci_aliases,
                )
            except InvalidGuestTopology as err:
                raise NoValidHost(str(err)) from None
            spec.guest.pci = [*spec.guest.pci, *spec.pci_requests]
        if spec.guest.cpu_policy == "dedicated" and spec.guest.emulator_threads == "isolate":
            # The emulator threads get a host CPU of their own (nova claims one more PCPU).
            resources["PCPU"] = resources.get("PCPU", 0) + 1
        query = CandidateQuery(
            resources={rc: n for rc, n in resources.items() if n > 0},
            required=[{t} for t in sorted(spec.required_traits)],
            forbidden=set(spec.forbidden_traits),
            limit=self.max_candidates,
        )
        found = await self.placement.allocation_candidates(query)
        offered: dict[str, tuple[HostState, dict[str, dict[str, int]]]] = {}
        for allocations, _mappings in found.requests:
            root = _root(allocations, found.summaries)
            state = hosts.get(root) if root else None
            if state is not None and state.uuid not in offered:
                offered[state.uuid] = (state, allocations)
        if not offered:
            raise NoValidHost("There are not enough hosts available.")
        guest = spec.guest
        needs_claim = guest is not None and guest.needs_host_claim
        usages: dict[str, HostUsage] = {}
        if needs_claim:
            if self.claims is None:
                raise NoValidHost("Pinned CPUs, NUMA and PCI need host claims.")
            usages = await self.claims.usages(list(offered))
        # Only the filters this request can fail run (most requests need two or three).
        filters = [f for f in self.filters if f.relevant(spec)]
        cheap = [f for f in filters if not getattr(f, "costly", False)]
        costly = [f for f in filters if getattr(f, "costly", False)]
        # The costly filters (NUMA and PCI fitting) depend only on the host's topology
        # (shared by every host of one shape), its RAM ratio and its usage: hosts alike in
        # those share one verdict. Key -> the host that decided it (None: failed).
        verdicts: dict[tuple[Any, ...], str | None] = {}
        empty = HostUsage()
        by_host: dict[str, tuple[HostState, dict[str, dict[str, int]]]] = {}
        passing: list[HostState] = []
        for uuid, (shared, allocations) in offered.items():
            # The host states are a snapshot shared by concurrent decisions: what this
            # decision learns about a host goes on a copy.
            state = shared
            usage_key: str | None = None
            if needs_claim:
                held = usages.get(uuid)
                state = _copy(shared)
                state.usage = held if held is not None else empty
                if held is not None and (held.cells or held.pci):
                    usage_key = repr(held.to_json())
            if not all(f.passes(state, spec) for f in cheap):
                continue
            if costly:
                key = (id(state.topology), state.ram_allocation_ratio, usage_key)
                if key in verdicts:
                    decided = verdicts[key]
                    if decided is None:
                        continue
                    if decided in spec.fits:
                        spec.fits[uuid] = spec.fits[decided]
                else:
                    ok = all(f.passes(state, spec) for f in costly)
                    verdicts[key] = uuid if ok else None
                    if not ok:
                        continue
            if state is shared:
                state = _copy(shared)
            _apply_summary(state, found.summaries.get(uuid, {}))
            state.failed_builds = self.failed_builds.get(state.host, 0)
            by_host[uuid] = (state, allocations)
            passing.append(state)
        if not passing:
            raise NoValidHost("There are not enough hosts available.")
        for _weight, state in weigh(passing, spec, self.weighers):
            allocations = by_host[state.uuid][1]
            try:
                await self.placement.claim(
                    spec.instance_uuid,
                    allocations,
                    project_id=spec.project_id,
                    user_id=spec.user_id,
                    consumer_generation=None,
                )
            except Conflict:
                # Another boot took the room since the candidates were read: next host.
                continue
            placed = None
            if needs_claim:
                placed = await self._claim_on_host(spec, state)
                if placed is None:
                    # A concurrent boot took the cores (or devices) first: next host.
                    await self.release(spec.instance_uuid)
                    continue
            return Selection(
                state.host,
                state.nodename,
                state.uuid,
                allocations,
                state.availability_zone,
                numa_topology=placed,
            )
        raise NoValidHost("There are not enough hosts available.")

    async def _claim_on_host(self, spec: RequestSpec, state: HostState) -> dict[str, Any] | None:
        assert self.claims is not None and spec.guest is not None and state.topology is not None
        guest, topology = spec.guest, state.topology
        return await self.claims.claim(
            state.uuid,
            spec.instance_uuid,
            lambda usage: fit(topology, usage, guest, ram_ratio=state.ram_allocation_ratio),
        )

    async def release(self, instance_uuid: str) -> None:
        """Unreserve: drop every allocation the instance holds and its pinned CPUs, pages
        and devices (none held is fine)."""
        with contextlib.suppress(NotFound):
            await self.placement.delete_allocations(instance_uuid)
        if self.claims is not None:
            await self.claims.release(instance_uuid)


def _copy(state: HostState) -> HostState:
    """A shallow copy (copy.copy's general path costs several times more, per host)."""
    new = object.__new__(HostState)
    new.__dict__.update(state.__dict__)
    return new


def _root(
    allocations: Mapping[str, Mapping[str, int]], summaries: Mapping[str, Mapping[str, Any]]
) -> str | None:
    for rp in allocations:
        summary = summaries.get(rp)
        root = summary.get("root_provider_uuid") if summary else rp
        if isinstance(root, str):
            return root
    return None


def _apply_summary(state: HostState, summary: Mapping[str, Any]) -> None:
    resources = summary.get("resources", {})

    def free(rc: str) -> float:
        entry = resources.get(rc)
        return float(entry["capacity"] - entry["used"]) if entry else 0.0

    state.free_vcpus = free("VCPU")
    state.free_ram_mb = free("MEMORY_MB")
    state.free_disk_gb = free("DISK_GB")
