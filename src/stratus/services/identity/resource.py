"""Domains and projects (one table: a domain is a project with ``is_domain``), hierarchy, tags."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.kit.ids import hex_id
from stratus.services.identity import repository as repo
from stratus.services.identity.errors import BadRequest, Forbidden, conflict, not_found
from stratus.services.identity.models import ROOT_DOMAIN, Project
from stratus.services.identity.revoke import Revoker

DEFAULT_DOMAIN_ID = "default"
MAX_HIERARCHY_DEPTH = 5
MAX_TAGS = 80


def check_tags(tags: Sequence[str]) -> None:
    if len(tags) > MAX_TAGS:
        raise BadRequest(
            f"Invalid input for field 'tags': a project may have at most {MAX_TAGS} tags."
        )
    for tag in tags:
        if not isinstance(tag, str) or not tag or len(tag) > 255 or "/" in tag or "," in tag:
            raise BadRequest(f"Invalid input for field 'tags': invalid tag {tag!r}.")


class Resources:
    def __init__(self, revoker: Revoker) -> None:
        self.revoker = revoker

    # -- lookups ---------------------------------------------------------------------------

    async def get_domain(self, s: AsyncSession, domain_id: str) -> Project:
        row = await repo.get(s, Project, domain_id)
        if row is None or not row.is_domain:
            raise not_found("domain", domain_id)
        return row

    async def domain_by_name(self, s: AsyncSession, name: str) -> Project:
        row = await repo.find_one(s, Project, name=name, is_domain=True)
        if row is None:
            raise not_found("domain", name)
        return row

    async def get_project(self, s: AsyncSession, project_id: str) -> Project:
        row = await repo.get(s, Project, project_id)
        if row is None or row.is_domain:
            raise not_found("project", project_id)
        return row

    async def project_by_name(self, s: AsyncSession, name: str, domain_id: str) -> Project:
        row = await repo.find_one(s, Project, name=name, domain_id=domain_id, is_domain=False)
        if row is None:
            raise not_found("project", name)
        return row

    async def ancestors(self, s: AsyncSession, project: Project) -> list[Project]:
        """Parents up to (excluding) the domain, nearest first."""
        out = []
        current = project
        while current.parent_id and current.parent_id != current.domain_id:
            parent = await repo.get(s, Project, current.parent_id)
            if parent is None or parent.is_domain:
                break
            out.append(parent)
            current = parent
        return out

    async def subtree(self, s: AsyncSession, project_id: str) -> list[Project]:
        out: list[Project] = []
        frontier = [project_id]
        while frontier:
            nxt = []
            for pid in frontier:
                for child in await repo.children(s, pid):
                    if not child.is_domain:
                        out.append(child)
                        nxt.append(child.id)
            frontier = nxt
        return out

    async def is_enabled_chain(self, s: AsyncSession, project: Project) -> bool:
        """A project is usable when it, and its domain, are enabled."""
        if not project.enabled:
            return False
        domain = await repo.get(s, Project, project.domain_id)
        return domain is None or domain.enabled

    # -- domains ---------------------------------------------------------------------------

    async def create_domain(
        self, s: AsyncSession, fields: dict[str, Any], *, domain_id: str | None = None
    ) -> Project:
        name = fields["name"]
        if await repo.find_one(s, Project, name=name, is_domain=True):
            raise conflict("domain", f"Duplicate entry found with name {name}")
        row = Project(
            id=domain_id or hex_id(),
            name=name,
            domain_id=ROOT_DOMAIN,
            parent_id=None,
            is_domain=True,
            enabled=fields.get("enabled", True),
            description=fields.get("description", ""),
            extra=fields.get("extra", {}),
            options=fields.get("options", {}),
        )
        await repo.add(s, row)
        if fields.get("tags"):
            check_tags(fields["tags"])
            await repo.set_project_tags(s, row.id, fields["tags"])
        return row

    async def update_domain(
        self, s: AsyncSession, domain_id: str, fields: dict[str, Any]
    ) -> Project:
        row = await self.get_domain(s, domain_id)
        if "name" in fields and fields["name"] != row.name:
            if await repo.find_one(s, Project, name=fields["name"], is_domain=True):
                raise conflict("domain", f"Duplicate entry found with name {fields['name']}")
            row.name = fields["name"]
        if "description" in fields:
            row.description = fields["description"]
        if "enabled" in fields:
            if domain_id == DEFAULT_DOMAIN_ID and not fields["enabled"]:
                pass  # Keystone allows disabling default; so do we.
            was = row.enabled
            row.enabled = fields["enabled"]
            if was and not row.enabled:
                await self.revoker.revoke(s, domain_id=domain_id)
        if "tags" in fields:
            check_tags(fields["tags"])
            await repo.set_project_tags(s, row.id, fields["tags"])
        row.extra = {**(row.extra or {}), **fields.get("extra", {})}
        await s.flush()
        return row

    async def delete_domain(self, s: AsyncSession, domain_id: str) -> Project:
        row = await self.get_domain(s, domain_id)
        if row.enabled:
            raise Forbidden("Cannot delete a domain that is enabled, please disable it first.")
        return row

    # -- projects --------------------------------------------------------------------------

    async def create_project(self, s: AsyncSession, fields: dict[str, Any]) -> Project:
        if fields.get("is_domain"):
            return await self.create_domain(s, fields)
        parent_id = fields.get("parent_id")
        domain_id = fields.get("domain_id")
        parent: Project | None = None
        if parent_id:
            parent = await repo.get(s, Project, parent_id)
            if parent is None:
                raise not_found("project", parent_id)
            if parent.is_domain:
                if domain_id and domain_id != parent.id:
                    raise BadRequest(
                        "Cannot create project, the parent (domain) differs from domain_id."
                    )
                domain_id = parent.id
            else:
                if domain_id and domain_id != parent.domain_id:
                    raise BadRequest(
                        "Cannot create project, since its parent is in a different domain."
                    )
                domain_id = parent.domain_id
                depth = len(await self.ancestors(s, parent)) + 2
                if depth > MAX_HIERARCHY_DEPTH:
                    raise Forbidden(f"Max hierarchy depth reached for {parent.id} branch.")
        domain_id = domain_id or DEFAULT_DOMAIN_ID
        await self.get_domain(s, domain_id)
        name = fields["name"]
        if await repo.find_one(s, Project, name=name, domain_id=domain_id):
            raise conflict(
                "project",
                f"it is not permitted to have two projects with the same "
                f"name in the same domain : {name}",
            )
        row = Project(
            id=fields.get("id") or hex_id(),
            name=name,
            domain_id=domain_id,
            parent_id=parent_id or domain_id,
            is_domain=False,
            enabled=fields.get("enabled", True),
            description=fields.get("description", ""),
            extra=fields.get("extra", {}),
            options=fields.get("options", {}),
        )
        await repo.add(s, row)
        tags = fields.get("tags") or []
        check_tags(tags)
        if tags:
            await repo.set_project_tags(s, row.id, tags)
        return row

    async def update_project(
        self, s: AsyncSession, project_id: str, fields: dict[str, Any]
    ) -> Project:
        row = await repo.get(s, Project, project_id)
        if row is None:
            raise not_found("project", project_id)
        if row.is_domain:
            return await self.update_domain(s, project_id, fields)
        if "domain_id" in fields and fields["domain_id"] != row.domain_id:
            raise BadRequest("Update of `domain_id` is not allowed.")
        if "parent_id" in fields and fields["parent_id"] != row.parent_id:
            raise Forbidden("Update of `parent_id` is not allowed.")
        if "is_domain" in fields and bool(fields["is_domain"]) != row.is_domain:
            raise BadRequest("Update of `is_domain` is not allowed.")
        if "name" in fields and fields["name"] != row.name:
            other = await repo.find_one(s, Project, name=fields["name"], domain_id=row.domain_id)
            if other is not None:
                raise conflict(
                    "project",
                    f"it is not permitted to have two projects with the "
                    f"same name in the same domain : {fields['name']}",
                )
            row.name = fields["name"]
        if "description" in fields:
            row.description = fields["description"]
        if "enabled" in fields:
            was = row.enabled
            if fields["enabled"] and not was:
                for parent in await self.ancestors(s, row):
                    if not parent.enabled:
                        raise Forbidden(
                            f"cannot enable project {row.id} since it has disabled parents"
                        )
            if was and not fields["enabled"]:
                for child in await self.subtree(s, row.id):
                    if child.enabled:
                        raise Forbidden(
                            f"cannot disable project {row.id} since its subtree contains "
                            "enabled projects."
                        )
                await self.revoker.revoke(s, project_id=project_id)
            row.enabled = fields["enabled"]
        if "tags" in fields:
            check_tags(fields["tags"])
            await repo.set_project_tags(s, row.id, fields["tags"])
        if "options" in fields:
            row.options = {**(row.options or {}), **fields["options"]}
        row.extra = {**(row.extra or {}), **fields.get("extra", {})}
        await s.flush()
        return row

    async def delete_project(self, s: AsyncSession, project_id: str) -> Project:
        row = await repo.get(s, Project, project_id)
        if row is None:
            raise not_found("project", project_id)
        if row.is_domain:
            return await self.delete_domain(s, project_id)
        if await repo.children(s, project_id):
            raise Forbidden(
                f"cannot delete the project {project_id} since it is not a leaf in the hierarchy."
            )
        await self.revoker.revoke(s, project_id=project_id)
        return row
