"""OS-EP-FILTER: endpoint groups and project-to-endpoint associations."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.kit.ids import hex_id
from stratus.services.identity import repository as repo
from stratus.services.identity.errors import BadRequest, not_found
from stratus.services.identity.models import (
    Endpoint,
    EndpointGroup,
    Project,
    ProjectEndpoint,
    ProjectEndpointGroup,
)

FILTER_KEYS = {"interface", "service_id", "region_id"}


def _check_filters(filters: Any) -> dict[str, Any]:
    if not isinstance(filters, dict) or not filters:
        raise BadRequest("Invalid input for field 'filters': a non-empty object is required.")
    unknown = set(filters) - FILTER_KEYS
    if unknown:
        raise BadRequest(f"Invalid input for field 'filters': unsupported keys {sorted(unknown)}.")
    return filters


class CatalogFilter:
    async def get_group(self, s: AsyncSession, group_id: str) -> EndpointGroup:
        row = await repo.get(s, EndpointGroup, group_id)
        if row is None:
            raise not_found("endpoint group", group_id)
        return row

    async def create_group(self, s: AsyncSession, body: dict[str, Any]) -> EndpointGroup:
        if not isinstance(body.get("name"), str):
            raise BadRequest("Invalid input for field 'name': 'name' is a required property.")
        row = EndpointGroup(
            id=hex_id(),
            name=body["name"],
            description=body.get("description"),
            filters=_check_filters(body.get("filters")),
        )
        await repo.add(s, row)
        return row

    async def update_group(
        self, s: AsyncSession, group_id: str, body: dict[str, Any]
    ) -> EndpointGroup:
        row = await self.get_group(s, group_id)
        if "name" in body:
            row.name = body["name"]
        if "description" in body:
            row.description = body["description"]
        if "filters" in body:
            row.filters = _check_filters(body["filters"])
        await s.flush()
        return row

    async def delete_group(self, s: AsyncSession, group_id: str) -> None:
        row = await self.get_group(s, group_id)
        for link in await repo.find(s, ProjectEndpointGroup, endpoint_group_id=group_id):
            await s.delete(link)
        await repo.remove(s, row)

    async def endpoints_in_group(self, s: AsyncSession, group: EndpointGroup) -> list[Endpoint]:
        return await repo.find(s, Endpoint, **group.filters)

    async def _project(self, s: AsyncSession, project_id: str) -> Project:
        row = await repo.get(s, Project, project_id)
        if row is None or row.is_domain:
            raise not_found("project", project_id)
        return row

    async def link_group(self, s: AsyncSession, group_id: str, project_id: str) -> None:
        await self.get_group(s, group_id)
        await self._project(s, project_id)
        if await repo.get(s, ProjectEndpointGroup, (group_id, project_id)) is None:
            await repo.add(
                s, ProjectEndpointGroup(endpoint_group_id=group_id, project_id=project_id)
            )

    async def check_group_link(self, s: AsyncSession, group_id: str, project_id: str) -> None:
        await self.get_group(s, group_id)
        await self._project(s, project_id)
        if await repo.get(s, ProjectEndpointGroup, (group_id, project_id)) is None:
            raise not_found("endpoint group association", f"{group_id} / {project_id}")

    async def unlink_group(self, s: AsyncSession, group_id: str, project_id: str) -> None:
        await self.check_group_link(s, group_id, project_id)
        link = await repo.get(s, ProjectEndpointGroup, (group_id, project_id))
        assert link is not None
        await repo.remove(s, link)

    async def link_endpoint(self, s: AsyncSession, project_id: str, endpoint_id: str) -> None:
        await self._project(s, project_id)
        if await repo.get(s, Endpoint, endpoint_id) is None:
            raise not_found("endpoint", endpoint_id)
        if await repo.get(s, ProjectEndpoint, (endpoint_id, project_id)) is None:
            await repo.add(s, ProjectEndpoint(endpoint_id=endpoint_id, project_id=project_id))

    async def unlink_endpoint(self, s: AsyncSession, project_id: str, endpoint_id: str) -> None:
        link = await repo.get(s, ProjectEndpoint, (endpoint_id, project_id))
        if link is None:
            raise not_found("endpoint association", f"{endpoint_id} / {project_id}")
        await repo.remove(s, link)

    async def check_endpoint_link(self, s: AsyncSession, project_id: str, endpoint_id: str) -> None:
        await self._project(s, project_id)
        if await repo.get(s, ProjectEndpoint, (endpoint_id, project_id)) is None:
            raise not_found("endpoint association", f"{endpoint_id} / {project_id}")
