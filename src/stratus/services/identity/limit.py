"""Unified limits: registered (default) limits per service/region/resource, and project or
domain limits overriding them; the ``flat`` enforcement model."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.kit.ids import hex_id
from stratus.services.identity import repository as repo
from stratus.services.identity.errors import BadRequest, Forbidden, conflict, not_found
from stratus.services.identity.models import Limit, Project, Region, RegisteredLimit, Service

MODELS = {
    "flat": "Limit enforcement and validation does not take project hierarchy into consideration.",
    "strict_two_level": "Limits are enforced in a two level hierarchy of projects.",
}


def _int_limit(value: Any, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < -1:
        raise BadRequest(f"Invalid input for field '{field}': must be an integer >= -1.")
    return value


class Limits:
    async def _check_refs(self, s: AsyncSession, body: dict[str, Any]) -> None:
        if await repo.get(s, Service, body.get("service_id")) is None:
            raise BadRequest(
                f"Invalid input for field 'service_id': service "
                f"{body.get('service_id')} does not exist."
            )
        region = body.get("region_id")
        if region and await repo.get(s, Region, region) is None:
            raise BadRequest(
                f"Invalid input for field 'region_id': region {region} does not exist."
            )

    async def get_registered(self, s: AsyncSession, limit_id: str) -> RegisteredLimit:
        row = await repo.get(s, RegisteredLimit, limit_id)
        if row is None:
            raise not_found("registered limit", limit_id)
        return row

    async def create_registered(
        self, s: AsyncSession, items: list[dict[str, Any]]
    ) -> list[RegisteredLimit]:
        out = []
        for body in items:
            if not isinstance(body, dict) or not isinstance(body.get("resource_name"), str):
                raise BadRequest("Invalid input for field 'resource_name'.")
            await self._check_refs(s, body)
            default = _int_limit(body.get("default_limit"), "default_limit")
            dup = await repo.find_one(
                s,
                RegisteredLimit,
                service_id=body["service_id"],
                region_id=body.get("region_id"),
                resource_name=body["resource_name"],
            )
            if dup is not None:
                raise conflict("registered_limit", "Duplicate entry")
            row = RegisteredLimit(
                id=hex_id(),
                service_id=body["service_id"],
                region_id=body.get("region_id"),
                resource_name=body["resource_name"],
                default_limit=default,
                description=body.get("description"),
            )
            await repo.add(s, row)
            out.append(row)
        return out

    async def update_registered(
        self, s: AsyncSession, limit_id: str, body: dict[str, Any]
    ) -> RegisteredLimit:
        row = await self.get_registered(s, limit_id)
        if "default_limit" in body:
            row.default_limit = _int_limit(body["default_limit"], "default_limit")
        if "description" in body:
            row.description = body["description"]
        for key in ("service_id", "region_id", "resource_name"):
            if key in body:
                if await repo.find_one(
                    s, Limit, service_id=row.service_id, resource_name=row.resource_name
                ):
                    raise Forbidden("Cannot change a registered limit that project limits use.")
                setattr(row, key, body[key])
        await s.flush()
        return row

    async def delete_registered(self, s: AsyncSession, limit_id: str) -> None:
        row = await self.get_registered(s, limit_id)
        if await repo.find_one(
            s,
            Limit,
            service_id=row.service_id,
            resource_name=row.resource_name,
            region_id=row.region_id,
        ):
            raise Forbidden("Cannot delete a registered limit that project limits reference.")
        await repo.remove(s, row)

    async def get(self, s: AsyncSession, limit_id: str) -> Limit:
        row = await repo.get(s, Limit, limit_id)
        if row is None:
            raise not_found("limit", limit_id)
        return row

    async def create(self, s: AsyncSession, items: list[dict[str, Any]]) -> list[Limit]:
        out = []
        for body in items:
            if not isinstance(body, dict) or not isinstance(body.get("resource_name"), str):
                raise BadRequest("Invalid input for field 'resource_name'.")
            await self._check_refs(s, body)
            value = _int_limit(body.get("resource_limit"), "resource_limit")
            project_id, domain_id = body.get("project_id"), body.get("domain_id")
            if bool(project_id) == bool(domain_id):
                raise BadRequest("A limit needs exactly one of project_id or domain_id.")
            target = await repo.get(s, Project, project_id or domain_id)
            if target is None:
                raise BadRequest(f"Project or domain {project_id or domain_id} does not exist.")
            registered = await repo.find_one(
                s,
                RegisteredLimit,
                service_id=body["service_id"],
                region_id=body.get("region_id"),
                resource_name=body["resource_name"],
            )
            if registered is None:
                raise Forbidden("No registered limit exists for this service, region and resource.")
            dup = await repo.find_one(
                s,
                Limit,
                service_id=body["service_id"],
                region_id=body.get("region_id"),
                resource_name=body["resource_name"],
                project_id=project_id,
                domain_id=domain_id,
            )
            if dup is not None:
                raise conflict("limit", "Duplicate entry")
            row = Limit(
                id=hex_id(),
                project_id=project_id,
                domain_id=domain_id,
                service_id=body["service_id"],
                region_id=body.get("region_id"),
                resource_name=body["resource_name"],
                resource_limit=value,
                description=body.get("description"),
            )
            await repo.add(s, row)
            out.append(row)
        return out

    async def update(self, s: AsyncSession, limit_id: str, body: dict[str, Any]) -> Limit:
        row = await self.get(s, limit_id)
        if "resource_limit" in body:
            row.resource_limit = _int_limit(body["resource_limit"], "resource_limit")
        if "description" in body:
            row.description = body["description"]
        await s.flush()
        return row

    async def delete(self, s: AsyncSession, limit_id: str) -> None:
        await repo.remove(s, await self.get(s, limit_id))

    async def effective(
        self, s: AsyncSession, project_id: str, service_id: str, resource_name: str
    ) -> int | None:
        """The limit a service should enforce for a project (None when nothing is registered)."""
        own = await repo.find_one(
            s, Limit, project_id=project_id, service_id=service_id, resource_name=resource_name
        )
        if own is not None:
            return own.resource_limit
        registered = await repo.find_one(
            s, RegisteredLimit, service_id=service_id, resource_name=resource_name
        )
        return registered.default_limit if registered else None
