"""Regions, services, endpoints, and the catalog as a token carries it."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.kit.ids import hex_id
from stratus.services.identity import repository as repo
from stratus.services.identity.errors import BadRequest, Forbidden, conflict, not_found
from stratus.services.identity.models import Endpoint, Region, Service

INTERFACES = ("public", "internal", "admin")


def substitute(url: str, project_id: str | None, user_id: str | None) -> str | None:
    """Keystone's templated URLs: ``$(project_id)s``/``%(tenant_id)s``. A URL that needs a
    project is left out of an unscoped catalog, as upstream does."""
    values = {"project_id": project_id, "tenant_id": project_id, "user_id": user_id}
    out = url
    for key, value in values.items():
        for pattern in (f"$({key})s", f"%({key})s"):
            if pattern in out:
                if value is None:
                    return None
                out = out.replace(pattern, value)
    return out


class Catalog:
    def __init__(self) -> None:
        self.on_change: list[Any] = []

    def changed(self) -> None:
        for callback in self.on_change:
            callback()

    async def get_region(self, s: AsyncSession, region_id: str) -> Region:
        row = await repo.get(s, Region, region_id)
        if row is None:
            raise not_found("region", region_id)
        return row

    async def create_region(self, s: AsyncSession, fields: dict[str, Any]) -> Region:
        region_id = fields.get("id") or hex_id()
        if await repo.get(s, Region, region_id):
            raise conflict("region", f"Duplicate ID, {region_id}")
        parent = fields.get("parent_region_id")
        if parent and await repo.get(s, Region, parent) is None:
            raise BadRequest(f"The parent region {parent} does not exist.")
        row = Region(
            id=region_id,
            description=fields.get("description") or "",
            parent_region_id=parent,
            extra=fields.get("extra", {}),
        )
        await repo.add(s, row)
        self.changed()
        return row

    async def update_region(
        self, s: AsyncSession, region_id: str, fields: dict[str, Any]
    ) -> Region:
        row = await self.get_region(s, region_id)
        if "parent_region_id" in fields:
            parent = fields["parent_region_id"]
            cur = parent
            while cur:
                if cur == region_id:
                    raise BadRequest("The specified parent region creates a circular hierarchy.")
                nxt = await repo.get(s, Region, cur)
                if nxt is None:
                    raise BadRequest(f"The parent region {parent} does not exist.")
                cur = nxt.parent_region_id
            row.parent_region_id = parent
        if "description" in fields:
            row.description = fields["description"] or ""
        row.extra = {**(row.extra or {}), **fields.get("extra", {})}
        await s.flush()
        self.changed()
        return row

    async def delete_region(self, s: AsyncSession, region_id: str) -> None:
        row = await self.get_region(s, region_id)
        if await repo.find(s, Region, parent_region_id=region_id):
            raise Forbidden("Unable to delete region because it has child regions.")
        if await repo.find(s, Endpoint, region_id=region_id):
            raise Forbidden("Unable to delete region because it has endpoints.")
        await repo.remove(s, row)
        self.changed()

    async def get_service(self, s: AsyncSession, service_id: str) -> Service:
        row = await repo.get(s, Service, service_id)
        if row is None:
            raise not_found("service", service_id)
        return row

    async def create_service(self, s: AsyncSession, fields: dict[str, Any]) -> Service:
        extra = dict(fields.get("extra", {}))
        for key in ("name", "description"):
            if key in fields:
                extra[key] = fields[key]
        row = Service(
            id=fields.get("id") or hex_id(),
            type=fields["type"],
            enabled=fields.get("enabled", True),
            extra=extra,
        )
        await repo.add(s, row)
        self.changed()
        return row

    async def update_service(
        self, s: AsyncSession, service_id: str, fields: dict[str, Any]
    ) -> Service:
        row = await self.get_service(s, service_id)
        if "type" in fields:
            row.type = fields["type"]
        if "enabled" in fields:
            row.enabled = fields["enabled"]
        extra = dict(row.extra or {})
        extra.update(fields.get("extra", {}))
        for key in ("name", "description"):
            if key in fields:
                extra[key] = fields[key]
        row.extra = extra
        await s.flush()
        self.changed()
        return row

    async def delete_service(self, s: AsyncSession, service_id: str) -> None:
        row = await self.get_service(s, service_id)
        for endpoint in await repo.find(s, Endpoint, service_id=service_id):
            await s.delete(endpoint)
        await repo.remove(s, row)
        self.changed()

    async def get_endpoint(self, s: AsyncSession, endpoint_id: str) -> Endpoint:
        row = await repo.get(s, Endpoint, endpoint_id)
        if row is None:
            raise not_found("endpoint", endpoint_id)
        return row

    async def create_endpoint(self, s: AsyncSession, fields: dict[str, Any]) -> Endpoint:
        if fields["interface"] not in INTERFACES:
            raise BadRequest(
                f"Invalid input for field 'interface': {fields['interface']!r} is "
                "not one of ['admin', 'internal', 'public']."
            )
        await self.get_service(s, fields["service_id"])
        region_id = fields.get("region_id") or fields.get("region")
        if region_id and await repo.get(s, Region, region_id) is None:
            # Keystone creates a region an endpoint names but nobody made yet.
            await repo.add(s, Region(id=region_id, description="", extra={}))
        row = Endpoint(
            id=fields.get("id") or hex_id(),
            service_id=fields["service_id"],
            interface=fields["interface"],
            region_id=region_id,
            url=fields["url"],
            enabled=fields.get("enabled", True),
            extra=fields.get("extra", {}),
        )
        await repo.add(s, row)
        self.changed()
        return row

    async def update_endpoint(
        self, s: AsyncSession, endpoint_id: str, fields: dict[str, Any]
    ) -> Endpoint:
        row = await self.get_endpoint(s, endpoint_id)
        if "interface" in fields:
            if fields["interface"] not in INTERFACES:
                raise BadRequest("Invalid input for field 'interface'.")
            row.interface = fields["interface"]
        if "service_id" in fields:
            await self.get_service(s, fields["service_id"])
            row.service_id = fields["service_id"]
        region_id = fields.get("region_id", fields.get("region"))
        if "region_id" in fields or "region" in fields:
            if region_id and await repo.get(s, Region, region_id) is None:
                await repo.add(s, Region(id=region_id, description="", extra={}))
            row.region_id = region_id
        for attr in ("url", "enabled"):
            if attr in fields:
                setattr(row, attr, fields[attr])
        row.extra = {**(row.extra or {}), **fields.get("extra", {})}
        await s.flush()
        self.changed()
        return row

    async def delete_endpoint(self, s: AsyncSession, endpoint_id: str) -> None:
        await repo.remove(s, await self.get_endpoint(s, endpoint_id))
        self.changed()

    async def for_token(
        self, s: AsyncSession, project_id: str | None, user_id: str | None
    ) -> list[dict[str, Any]]:
        services: dict[str, dict[str, Any]] = {}
        for service, endpoint in await repo.catalog_rows(s):
            url = substitute(endpoint.url, project_id, user_id)
            if url is None:
                continue
            entry = services.setdefault(
                service.id,
                {
                    "id": service.id,
                    "type": service.type,
                    "name": (service.extra or {}).get("name", ""),
                    "endpoints": [],
                },
            )
            entry["endpoints"].append(
                {
                    "id": endpoint.id,
                    "interface": endpoint.interface,
                    "region_id": endpoint.region_id,
                    "region": endpoint.region_id,
                    "url": url,
                }
            )
        return list(services.values())
