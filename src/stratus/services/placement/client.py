"""The in-process placement client other services (the compute scheduler first) use. The
same operations as the HTTP API, without HTTP, with the same checks and errors."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stratus.services.placement.errors import ConcurrentUpdate, ResourceProviderNotFound
from stratus.services.placement.service import (
    CandidateSet,
    ConsumerAllocations,
    ConsumerView,
    GroupSpec,
    InventoryRecord,
    PlacementService,
    ProviderReport,
    ProviderView,
    find_candidates,
)


@dataclass
class CandidateQuery:
    """A GET /allocation_candidates request, already parsed."""

    resources: dict[str, int] = field(default_factory=dict)
    required: list[set[str]] = field(default_factory=list)
    forbidden: set[str] = field(default_factory=set)
    member_of: list[set[str]] = field(default_factory=list)
    forbidden_aggs: set[str] = field(default_factory=set)
    in_tree: str | None = None
    groups: list[GroupSpec] = field(default_factory=list)
    group_policy: str | None = None
    same_subtrees: list[set[str]] = field(default_factory=list)
    root_required: set[str] = field(default_factory=set)
    root_forbidden: set[str] = field(default_factory=set)
    limit: int | None = None


class PlacementClient:
    def __init__(self, service: PlacementService) -> None:
        self.service = service

    async def allocation_candidates(self, query: CandidateQuery) -> CandidateSet:
        groups = list(query.groups)
        if query.resources:
            groups.insert(
                0,
                GroupSpec(
                    suffix="",
                    resources=dict(query.resources),
                    required=list(query.required),
                    forbidden=set(query.forbidden),
                    member_of=list(query.member_of),
                    forbidden_aggs=set(query.forbidden_aggs),
                    in_tree=query.in_tree,
                ),
            )
        return await find_candidates(
            self.service,
            groups,
            group_policy=query.group_policy,
            same_subtrees=query.same_subtrees,
            root_required=query.root_required,
            root_forbidden=query.root_forbidden,
            nested_aware=True,
            limit=query.limit,
        )

    async def claim(
        self,
        consumer_uuid: str,
        allocations: Mapping[str, Mapping[str, int]],
        *,
        project_id: str,
        user_id: str,
        consumer_generation: int | None,
        consumer_type: str = "INSTANCE",
    ) -> None:
        """Replace a consumer's allocations (409 ConcurrentUpdate/Conflict when it can't)."""
        await self.service.write_allocations(
            [
                ConsumerAllocations(
                    consumer_uuid=consumer_uuid,
                    allocations={rp: dict(res) for rp, res in allocations.items()},
                    project_id=project_id,
                    user_id=user_id,
                    consumer_generation=consumer_generation,
                    check_generation=True,
                    consumer_type=consumer_type,
                )
            ]
        )

    async def allocations(self, consumer_uuid: str) -> ConsumerView:
        return await self.service.consumer_allocations(consumer_uuid)

    async def delete_allocations(self, consumer_uuid: str) -> None:
        await self.service.delete_consumer_allocations(consumer_uuid)

    async def ensure_provider(
        self, uuid: str, name: str, *, parent_uuid: str | None = None
    ) -> ProviderView:
        try:
            return await self.service.get_provider(uuid)
        except ResourceProviderNotFound:
            return await self.service.create_provider(name=name, uuid=uuid, parent_uuid=parent_uuid)

    async def set_inventories(
        self, uuid: str, inventories: Mapping[str, Mapping[str, Any]], *, retries: int = 5
    ) -> int:
        """Make the provider's inventory exactly ``inventories`` (rc -> fields); returns the
        new generation. Retries on a concurrent generation change, as nova's report client."""
        records = [InventoryRecord.from_body(rc, v) for rc, v in inventories.items()]
        for attempt in range(retries):
            generation, _ = await self.service.get_inventories(uuid)
            try:
                gen, _ = await self.service.set_inventories(
                    uuid,
                    generation=generation,
                    records=records,
                    replace=True,
                    reserved_can_be_total=True,
                )
                return gen
            except ConcurrentUpdate:
                if attempt == retries - 1:
                    raise
        raise AssertionError("unreachable")

    async def report_providers(
        self,
        reports: Sequence[tuple[str, str, Mapping[str, Mapping[str, Any]], Sequence[str]]],
    ) -> None:
        """Many compute nodes at once: (uuid, name, inventories rc -> fields, traits) each;
        providers are created when missing, inventory and traits made exactly these."""
        await self.service.report_providers(
            [
                ProviderReport(
                    uuid=uuid,
                    name=name,
                    inventories=[InventoryRecord.from_body(rc, v) for rc, v in invs.items()],
                    traits=list(traits),
                )
                for uuid, name, invs, traits in reports
            ]
        )

    async def set_traits(self, uuid: str, traits: Sequence[str]) -> int:
        generation, _ = await self.service.provider_traits(uuid)
        for name in traits:
            if name.startswith("CUSTOM_"):
                await self.service.ensure_trait(name)
        gen, _ = await self.service.set_provider_traits(
            uuid, generation=generation, traits=list(traits)
        )
        return gen

    async def set_aggregates(self, uuid: str, aggregates: Sequence[str]) -> int:
        generation, _ = await self.service.provider_aggregates(uuid)
        gen, _ = await self.service.set_provider_aggregates(
            uuid, generation=generation, aggregates=list(aggregates)
        )
        return gen

    async def delete_provider(self, uuid: str) -> None:
        await self.service.delete_provider(uuid)
