"""select_destinations: ask placement for candidates, filter, weigh, claim the best."""

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from stratus.kit.errors import Conflict, NotFound
from stratus.scheduler.filters import DEFAULT_FILTERS, Filter
from stratus.scheduler.request import HostState, NoValidHost, RequestSpec, Selection
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
    ) -> None:
        self.placement = placement
        self.filters = list(filters)
        self.weighers = list(weighers)
        self.max_candidates = max_candidates

    async def select(self, spec: RequestSpec, hosts: Mapping[str, HostState]) -> Selection:
        """Place one instance and claim its resources (Reserve); NoValidHost when nothing fits.
        ``hosts`` maps a compute node's provider uuid to its state."""
        query = CandidateQuery(
            resources={rc: n for rc, n in spec.resources.items() if n > 0},
            required=[{t} for t in sorted(spec.required_traits)],
            forbidden=set(spec.forbidden_traits),
            limit=self.max_candidates,
        )
        found = await self.placement.allocation_candidates(query)
        by_host: dict[str, tuple[HostState, dict[str, dict[str, int]]]] = {}
        for allocations, _mappings in found.requests:
            root = _root(allocations, found.summaries)
            state = hosts.get(root) if root else None
            if state is None or state.uuid in by_host:
                continue
            _apply_summary(state, found.summaries.get(root or "", {}))
            by_host[state.uuid] = (state, allocations)
        if not by_host:
            raise NoValidHost("There are not enough hosts available.")
        passing = [
            state
            for state, _ in by_host.values()
            if all(f.passes(state, spec) for f in self.filters)
        ]
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
            return Selection(
                state.host, state.nodename, state.uuid, allocations, state.availability_zone
            )
        raise NoValidHost("There are not enough hosts available.")

    async def release(self, instance_uuid: str) -> None:
        """Unreserve: drop every allocation the instance holds (none held is fine)."""
        with contextlib.suppress(NotFound):
            await self.placement.delete_allocations(instance_uuid)


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
