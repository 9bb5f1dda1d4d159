"""Roles, domain-specific roles, implied roles, assignments and effective-role computation."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.kit.ids import hex_id
from stratus.services.identity import repository as repo
from stratus.services.identity.errors import BadRequest, Forbidden, conflict, not_found
from stratus.services.identity.models import ROOT_DOMAIN, Assignment, ImpliedRole, Project, Role
from stratus.services.identity.resource import Resources
from stratus.services.identity.revoke import Revoker

SYSTEM_TARGET = "system"


@dataclass(frozen=True, slots=True)
class Grant:
    """An assignment as the API speaks of it."""

    role_id: str
    user_id: str | None = None
    group_id: str | None = None
    project_id: str | None = None
    domain_id: str | None = None
    system: str | None = None
    inherited: bool = False
    via_group_id: str | None = None
    via_project_id: str | None = None  # set when inherited from a parent
    via_role_id: str | None = None  # set when implied by a prior role

    @classmethod
    def from_row(cls, row: Assignment) -> "Grant":
        kw: dict[str, Any] = {"role_id": row.role_id, "inherited": row.inherited}
        kw["user_id" if row.type.startswith("User") else "group_id"] = row.actor_id
        if row.type.endswith("Project"):
            kw["project_id"] = row.target_id
        elif row.type.endswith("Domain"):
            kw["domain_id"] = row.target_id
        else:
            kw["system"] = "all"
        return cls(**kw)


def assignment_type(*, user: bool, target: str) -> str:
    return ("User" if user else "Group") + target


def _pk(
    *,
    role_id: str,
    actor_id: str,
    user: bool,
    target_kind: str,
    target_id: str,
    inherited: bool = False,
) -> tuple[str, str, str, str, bool]:
    """The assignment table's primary key for one grant."""
    return (assignment_type(user=user, target=target_kind), actor_id, target_id, role_id, inherited)


class Roles:
    def __init__(self, resources: Resources, revoker: Revoker) -> None:
        self.resources = resources
        self.revoker = revoker

    async def get(self, s: AsyncSession, role_id: str) -> Role:
        row = await repo.get(s, Role, role_id)
        if row is None:
            raise not_found("role", role_id)
        return row

    async def by_name(self, s: AsyncSession, name: str, domain_id: str | None = None) -> Role:
        row = await repo.find_one(s, Role, name=name, domain_id=domain_id or ROOT_DOMAIN)
        if row is None:
            raise not_found("role", name)
        return row

    async def create(
        self, s: AsyncSession, fields: dict[str, Any], *, role_id: str | None = None
    ) -> Role:
        domain_id = fields.get("domain_id") or ROOT_DOMAIN
        if domain_id != ROOT_DOMAIN:
            await self.resources.get_domain(s, domain_id)
        for other in await repo.find(s, Role, domain_id=domain_id):
            if other.name.lower() == fields["name"].lower():
                raise conflict("role", f"Duplicate entry found with name {fields['name']}")
        row = Role(
            id=role_id or hex_id(),
            name=fields["name"],
            domain_id=domain_id,
            description=fields.get("description"),
            options=fields.get("options") or {},
            extra=fields.get("extra", {}),
        )
        await repo.add(s, row)
        return row

    async def update(self, s: AsyncSession, role_id: str, fields: dict[str, Any]) -> Role:
        row = await self.get(s, role_id)
        if (row.options or {}).get("immutable") and not (
            set(fields) == {"options"} and "immutable" in (fields["options"] or {})
        ):
            raise Forbidden(f"Role {role_id} is immutable and cannot be modified.")
        if "domain_id" in fields and (fields["domain_id"] or ROOT_DOMAIN) != row.domain_id:
            raise BadRequest("Update of `domain_id` is not allowed.")
        if "name" in fields and fields["name"] != row.name:
            if await repo.find_one(s, Role, name=fields["name"], domain_id=row.domain_id):
                raise conflict("role", f"Duplicate entry found with name {fields['name']}")
            row.name = fields["name"]
        if "description" in fields:
            row.description = fields["description"]
        if "options" in fields:
            merged = {**(row.options or {}), **(fields["options"] or {})}
            row.options = {k: v for k, v in merged.items() if v is not None}
        await s.flush()
        return row

    async def delete(self, s: AsyncSession, role_id: str) -> None:
        row = await self.get(s, role_id)
        if (row.options or {}).get("immutable"):
            raise Forbidden(f"Role {role_id} is immutable and cannot be deleted.")
        await repo.delete_assignments(s, role_id=role_id)
        await self.revoker.revoke(s, role_id=role_id)
        await repo.remove(s, row)

    # -- implied roles ---------------------------------------------------------------------

    async def add_implied(self, s: AsyncSession, prior_id: str, implied_id: str) -> ImpliedRole:
        prior = await self.get(s, prior_id)
        implied = await self.get(s, implied_id)
        if prior.domain_id == ROOT_DOMAIN and implied.domain_id != ROOT_DOMAIN:
            raise Forbidden("A global role cannot imply a domain-specific role.")
        if implied.name == "admin":
            raise Forbidden(f"{implied.name} cannot be an implied role.")
        graph = await self._implication_graph(s)
        if prior_id in self._closure(graph, [implied_id]) or prior_id == implied_id:
            raise Forbidden("Implied role would create a cycle.")
        row = await repo.get(s, ImpliedRole, (prior_id, implied_id))
        if row is None:
            row = ImpliedRole(prior_role_id=prior_id, implied_role_id=implied_id)
            await repo.add(s, row)
        return row

    async def get_implied(self, s: AsyncSession, prior_id: str, implied_id: str) -> ImpliedRole:
        await self.get(s, prior_id)
        await self.get(s, implied_id)
        row = await repo.get(s, ImpliedRole, (prior_id, implied_id))
        if row is None:
            raise not_found("implied role", f"{prior_id} implies {implied_id}")
        return row

    async def delete_implied(self, s: AsyncSession, prior_id: str, implied_id: str) -> None:
        row = await self.get_implied(s, prior_id, implied_id)
        await repo.remove(s, row)
        self.revoker.notify()

    async def _implication_graph(self, s: AsyncSession) -> dict[str, list[str]]:
        graph: dict[str, list[str]] = {}
        for prior, implied in await repo.implied_pairs(s):
            graph.setdefault(prior, []).append(implied)
        return graph

    @staticmethod
    def _closure(graph: dict[str, list[str]], start: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(start)
        while stack:
            rid = stack.pop()
            if rid in seen:
                continue
            seen.add(rid)
            stack.extend(graph.get(rid, ()))
        return seen

    async def expand_implied(self, s: AsyncSession, role_ids: Iterable[str]) -> set[str]:
        return self._closure(await self._implication_graph(s), role_ids)

    async def implied_map(self, s: AsyncSession) -> dict[str, list[str]]:
        return await self._implication_graph(s)

    # -- assignments -----------------------------------------------------------------------

    async def grant(self, s: AsyncSession, **grant: Any) -> None:
        """Grant ``role_id`` to ``actor_id`` (a user when ``user``) on ``target_kind``
        (Project, Domain, System) ``target_id``, optionally ``inherited`` to projects below."""
        role = await self.get(s, grant["role_id"])
        target_kind, target_id = grant["target_kind"], grant["target_id"]
        if role.domain_id != ROOT_DOMAIN:
            target_domain = target_id
            if target_kind == "Project":
                target_domain = (await self.resources.get_project(s, target_id)).domain_id
            if target_kind == "System" or target_domain != role.domain_id:
                raise Forbidden(
                    f"Domain specific roles are not supported in the V8 role assignment. "
                    f"The role {role.id} belongs to domain {role.domain_id}."
                )
        if await repo.get(s, Assignment, _pk(**grant)) is None:
            kind, actor_id, target_id, role_id, inherited = _pk(**grant)
            await repo.add(
                s,
                Assignment(
                    type=kind,
                    actor_id=actor_id,
                    target_id=target_id,
                    role_id=role_id,
                    inherited=inherited,
                ),
            )
        self.revoker.notify()

    async def _existing(self, s: AsyncSession, **grant: Any) -> Assignment:
        await self.get(s, grant["role_id"])
        row = await repo.get(s, Assignment, _pk(**grant))
        if row is None:
            raise not_found(
                "role assignment",
                f"{grant['role_id']} for {grant['actor_id']} on {grant['target_id']}",
            )
        return row

    async def check(self, s: AsyncSession, **grant: Any) -> None:
        await self._existing(s, **grant)

    async def revoke_grant(self, s: AsyncSession, **grant: Any) -> None:
        await repo.remove(s, await self._existing(s, **grant))
        if grant["user"]:
            fields: dict[str, Any] = {"user_id": grant["actor_id"], "role_id": grant["role_id"]}
            if grant["target_kind"] == "Project":
                fields["project_id"] = grant["target_id"]
            await self.revoker.revoke(s, **fields)
        else:
            await self.revoker.revoke(s, role_id=grant["role_id"])

    async def effective_role_ids(
        self,
        s: AsyncSession,
        *,
        user_id: str,
        group_ids: list[str],
        project: Project | None = None,
        domain_id: str | None = None,
        system: bool = False,
    ) -> set[str]:
        actors = [user_id, *group_ids]
        direct: set[str] = set()
        if system:
            rows = await repo.assignments(
                s, actor_ids=actors, target_ids=[SYSTEM_TARGET], types=("UserSystem", "GroupSystem")
            )
            direct = {r.role_id for r in rows}
        elif project is not None:
            rows = await repo.assignments(
                s,
                actor_ids=actors,
                target_ids=[project.id],
                types=("UserProject", "GroupProject"),
                inherited=False,
            )
            direct = {r.role_id for r in rows}
            parents = [p.id for p in await self.resources.ancestors(s, project)]
            inherited_rows = await repo.assignments(
                s, actor_ids=actors, target_ids=[*parents, project.domain_id], inherited=True
            )
            direct |= {r.role_id for r in inherited_rows}
        elif domain_id is not None:
            rows = await repo.assignments(
                s,
                actor_ids=actors,
                target_ids=[domain_id],
                types=("UserDomain", "GroupDomain"),
                inherited=False,
            )
            direct = {r.role_id for r in rows}
        if not direct:
            return set()
        expanded = await self.expand_implied(s, direct)
        # Domain-specific roles only ever stand for the global roles they imply.
        roles = await repo.roles_by_ids(s, expanded)
        return {rid for rid, role in roles.items() if role.domain_id == ROOT_DOMAIN}
