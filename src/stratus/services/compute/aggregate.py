"""Host aggregates: named host sets with metadata; ``availability_zone`` metadata makes an
availability zone. Membership is mirrored into placement as provider aggregates, as nova does."""

from collections.abc import Mapping
from typing import Any

from stratus.db import Database
from stratus.kit.errors import BadRequest, Conflict, NotFound
from stratus.kit.ids import uuid_str
from stratus.kit.timeutil import utcnow
from stratus.services.compute import repository as repo
from stratus.services.compute.config import ComputeConfig
from stratus.services.compute.host import node_uuid
from stratus.services.compute.models import Aggregate
from stratus.services.placement.client import PlacementClient

AZ_KEY = "availability_zone"


class AggregateNotFound(NotFound):
    def __init__(self, ident: object) -> None:
        super().__init__(f"Aggregate {ident} could not be found.")


class AggregateService:
    def __init__(
        self, db: Database, config: ComputeConfig, placement: PlacementClient | None
    ) -> None:
        self.db = db
        self.config = config
        self.placement = placement

    async def list_aggregates(self) -> list[Aggregate]:
        async with self.db.reader() as s:
            return await repo.list_aggregates(s)

    async def get(self, ident: str) -> Aggregate:
        try:
            number = int(ident)
        except ValueError:
            raise AggregateNotFound(ident) from None
        async with self.db.reader() as s:
            row = await repo.get_aggregate(s, number)
        if row is None:
            raise AggregateNotFound(ident)
        return row

    def _check_zone(self, zone: Any) -> None:
        if zone is not None and (not isinstance(zone, str) or not 1 <= len(zone) <= 255):
            raise BadRequest(f"Invalid input for field/attribute availability_zone. Value: {zone}.")
        if zone == self.config.internal_service_availability_zone:
            raise BadRequest(
                "Aggregate action is not allowed: the internal availability zone cannot be "
                "used for an aggregate."
            )

    async def create(self, name: str, zone: str | None) -> Aggregate:
        self._check_zone(zone)
        now = utcnow()
        row = Aggregate(
            uuid=uuid_str(),
            name=name,
            meta={AZ_KEY: zone} if zone else {},
            hosts=[],
            created_at=now,
        )
        async with self.db.session() as s:
            if await repo.aggregate_by_name(s, name):
                raise Conflict(f"Aggregate {name} already exists.")
            s.add(row)
        return row

    async def update(self, ident: str, name: str | None, zone: Any, set_zone: bool) -> Aggregate:
        if set_zone:
            self._check_zone(zone)
        async with self.db.session() as s:
            row = await repo.get_aggregate(s, (await self.get(ident)).id)
            assert row is not None
            if name is not None and name != row.name:
                if await repo.aggregate_by_name(s, name):
                    raise Conflict(f"Aggregate {name} already exists.")
                row.name = name
            if set_zone:
                await self._zone_conflicts(s, row, row.hosts, zone)
                meta = dict(row.meta)
                if zone:
                    meta[AZ_KEY] = zone
                else:
                    meta.pop(AZ_KEY, None)
                row.meta = meta
            row.updated_at = utcnow()
            return row

    async def delete(self, ident: str) -> None:
        async with self.db.session() as s:
            row = await repo.get_aggregate(s, (await self.get(ident)).id)
            assert row is not None
            if row.hosts:
                raise BadRequest(f"Cannot remove aggregate {row.id}: it still has hosts.")
            await s.delete(row)

    async def _zone_conflicts(
        self, s: Any, row: Aggregate, hosts: list[str], zone: str | None
    ) -> None:
        """A host lives in one availability zone: refuse a change that would give it two."""
        zone = zone or None
        for other in await repo.list_aggregates(s):
            if other.id == row.id:
                continue
            other_zone = other.meta.get(AZ_KEY)
            shared = set(other.hosts) & set(hosts)
            if shared and other_zone and zone and other_zone != zone:
                raise BadRequest(
                    f"Cannot update aggregate {row.id}. Reason: One or more hosts already in "
                    f"availability zone(s) ['{other_zone}']."
                )

    async def add_host(self, ident: str, host: str) -> Aggregate:
        async with self.db.session() as s:
            row = await repo.get_aggregate(s, (await self.get(ident)).id)
            assert row is not None
            if await repo.get_service(s, host, "nova-compute") is None:
                raise NotFound(f"Compute host {host} could not be found.")
            if host in row.hosts:
                raise Conflict(f"Aggregate {row.id} already has host {host}.")
            zone = row.meta.get(AZ_KEY)
            for other in await repo.list_aggregates(s):
                other_zone = other.meta.get(AZ_KEY)
                if (
                    other.id != row.id
                    and host in other.hosts
                    and zone
                    and other_zone
                    and other_zone != zone
                ):
                    raise BadRequest(
                        f"Cannot add host to aggregate {row.id}. Reason: One or more hosts "
                        f"already in availability zone(s) ['{other_zone}']."
                    )
            row.hosts = [*row.hosts, host]
            row.updated_at = utcnow()
        await self._sync_placement(host)
        return row

    async def remove_host(self, ident: str, host: str) -> Aggregate:
        async with self.db.session() as s:
            row = await repo.get_aggregate(s, (await self.get(ident)).id)
            assert row is not None
            if host not in row.hosts:
                raise NotFound(f"Cannot remove host {host} in aggregate {row.id}")
            row.hosts = [h for h in row.hosts if h != host]
            row.updated_at = utcnow()
        await self._sync_placement(host)
        return row

    async def set_metadata(self, ident: str, items: Mapping[str, Any]) -> Aggregate:
        for key, value in items.items():
            if not 1 <= len(key) <= 255 or (value is not None and not isinstance(value, str)):
                raise BadRequest(f"Invalid input for field/attribute metadata. Value: {key}.")
        async with self.db.session() as s:
            row = await repo.get_aggregate(s, (await self.get(ident)).id)
            assert row is not None
            meta = dict(row.meta)
            for key, value in items.items():
                if value is None:
                    meta.pop(key, None)
                else:
                    meta[key] = value
            if AZ_KEY in items:
                self._check_zone(items[AZ_KEY])
                await self._zone_conflicts(s, row, row.hosts, items[AZ_KEY])
            row.meta = meta
            row.updated_at = utcnow()
            return row

    async def _sync_placement(self, host: str) -> None:
        if self.placement is None:
            return
        async with self.db.reader() as s:
            uuids = [a.uuid for a in await repo.list_aggregates(s) if host in a.hosts]
            nodes = [n for n in await repo.list_nodes(s) if n.host == host]
        for node in nodes:
            await self.placement.set_aggregates(node_uuid(node.hypervisor_hostname), uuids)
