"""The identity service object: composes the parts, owns transactions, and does the work that
spans parts (cascading deletes, effective role-assignment listings, bootstrap)."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.auth import CachingValidator
from stratus.conf import Settings
from stratus.db import Database
from stratus.services.identity import repository as repo
from stratus.services.identity.auth import Authenticator
from stratus.services.identity.catalog import Catalog
from stratus.services.identity.delegation import Delegation
from stratus.services.identity.keys import KeyRepository
from stratus.services.identity.limit import Limits
from stratus.services.identity.models import (
    ROOT_DOMAIN,
    Assignment,
    Group,
    Membership,
    Project,
    Role,
    User,
)
from stratus.services.identity.oauth1 import OAuth1
from stratus.services.identity.resource import Resources
from stratus.services.identity.revoke import Revoker
from stratus.services.identity.role import SYSTEM_TARGET, Grant, Roles
from stratus.services.identity.user import Users


class TokenValidatorAdapter:
    """What other services use to validate tokens (wrapped in a short cache)."""

    def __init__(self, auth: Authenticator) -> None:
        self.auth = auth

    async def validate(self, token: str) -> Any:
        data = await self.auth.validate(token, nocatalog=True)
        return data.auth_info()


@dataclass
class AssignmentFilter:
    user_id: str | None = None
    group_id: str | None = None
    role_id: str | None = None
    project_id: str | None = None
    domain_id: str | None = None
    system: bool = False
    inherited: bool | None = None
    effective: bool = False
    include_subtree: bool = False


class IdentityService:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        conf = settings.identity
        self.keys = KeyRepository(settings.keys_dir / "fernet")
        self.keys.setup()
        self.revoker = Revoker(
            db, window=dt.timedelta(seconds=conf.token_expiration + conf.allow_expired_window)
        )
        self.resources = Resources(self.revoker)
        self.users = Users(conf, self.revoker)
        self.roles = Roles(self.resources, self.revoker)
        self.catalog = Catalog()
        self.delegation = Delegation(conf, self.users, self.roles, self.revoker)
        self.limits = Limits()
        self.oauth1 = OAuth1(conf, self.resources, self.roles, self.revoker)
        self.auth = Authenticator(
            db,
            conf,
            self.keys.fernet(),
            resources=self.resources,
            users=self.users,
            roles=self.roles,
            catalog=self.catalog,
            revoker=self.revoker,
            oauth1=self.oauth1,
        )
        self.validator = CachingValidator(TokenValidatorAdapter(self.auth), conf.token_cache_ttl)
        self.revoker.on_revoke.append(self.validator.clear)
        self.revoker.on_revoke.append(self.auth.clear_cache)
        self.catalog.on_change.append(self.auth.clear_cache)

    def reload_keys(self) -> None:
        self.auth.fernet = self.keys.fernet()

    # -- cascading deletes -----------------------------------------------------------------

    async def delete_user(self, s: AsyncSession, user_id: str) -> None:
        user = await self.users.get(s, user_id)
        await repo.delete_assignments(s, actor_id=user_id)
        await self.revoker.revoke(s, user_id=user_id)
        await repo.remove(s, user)

    async def delete_group(self, s: AsyncSession, group_id: str) -> None:
        group = await self.users.get_group(s, group_id)
        members = await repo.users_in_group(s, group_id)
        await repo.delete_assignments(s, actor_id=group_id)
        for member in members:
            await self.revoker.revoke(s, user_id=member.id)
        await repo.remove(s, group)

    async def delete_project(self, s: AsyncSession, project_id: str) -> None:
        row = await self.resources.delete_project(s, project_id)
        if row.is_domain:
            await self._delete_domain_contents(s, row)
        await repo.delete_assignments(s, target_id=project_id)
        await repo.remove(s, row)

    async def _delete_domain_contents(self, s: AsyncSession, domain: Project) -> None:
        projects = await repo.find(s, Project, domain_id=domain.id, is_domain=False)
        # leaves first
        projects.sort(key=lambda p: 0 if p.parent_id == domain.id else 1, reverse=True)
        for project in projects:
            await repo.delete_assignments(s, target_id=project.id)
            await repo.remove(s, project)
        for user in await repo.find(s, User, domain_id=domain.id):
            await repo.delete_assignments(s, actor_id=user.id)
            await repo.remove(s, user)
        for group in await repo.find(s, Group, domain_id=domain.id):
            await repo.delete_assignments(s, actor_id=group.id)
            await repo.remove(s, group)
        for role in await repo.find(s, Role, domain_id=domain.id):
            await repo.delete_assignments(s, role_id=role.id)
            await repo.remove(s, role)

    # -- role assignments listing ----------------------------------------------------------

    async def list_assignments(self, s: AsyncSession, f: AssignmentFilter) -> list[Grant]:
        rows = await repo.assignments(s)
        grants = [Grant.from_row(r) for r in rows]
        if not f.effective:
            out = [g for g in grants if self._matches(g, f, check_actor=True)]
            if f.include_subtree and f.project_id:
                subtree = {p.id for p in await self.resources.subtree(s, f.project_id)}
                extra_f = AssignmentFilter(**{**f.__dict__, "project_id": None})
                out += [
                    g
                    for g in grants
                    if g.project_id in subtree and self._matches(g, extra_f, check_actor=True)
                ]
            return out
        expanded: list[Grant] = []
        # groups -> users
        for g in grants:
            if g.group_id:
                for member in await repo.users_in_group(s, g.group_id):
                    expanded.append(
                        Grant(
                            role_id=g.role_id,
                            user_id=member.id,
                            project_id=g.project_id,
                            domain_id=g.domain_id,
                            system=g.system,
                            inherited=g.inherited,
                            via_group_id=g.group_id,
                        )
                    )
            else:
                expanded.append(g)
        # inherited -> projects below
        concrete: list[Grant] = []
        for g in expanded:
            if not g.inherited:
                concrete.append(g)
                continue
            if g.domain_id:
                targets = await repo.find(s, Project, domain_id=g.domain_id, is_domain=False)
            else:
                targets = await self.resources.subtree(s, g.project_id or "")
            for project in targets:
                concrete.append(
                    Grant(
                        role_id=g.role_id,
                        user_id=g.user_id,
                        project_id=project.id,
                        via_group_id=g.via_group_id,
                        via_project_id=g.project_id or g.domain_id,
                        inherited=True,
                    )
                )
        # implied roles
        implied = await self.roles.implied_map(s)
        final: list[Grant] = []
        for g in concrete:
            final.append(g)
            stack = [(g.role_id, r) for r in implied.get(g.role_id, ())]
            seen = {g.role_id}
            while stack:
                prior, rid = stack.pop()
                if rid in seen:
                    continue
                seen.add(rid)
                final.append(
                    Grant(
                        role_id=rid,
                        user_id=g.user_id,
                        project_id=g.project_id,
                        domain_id=g.domain_id,
                        system=g.system,
                        inherited=g.inherited,
                        via_group_id=g.via_group_id,
                        via_project_id=g.via_project_id,
                        via_role_id=prior,
                    )
                )
                stack.extend((rid, r) for r in implied.get(rid, ()))
        global_roles = {r.id for r in await repo.find(s, Role, domain_id=ROOT_DOMAIN)}
        final = [g for g in final if g.role_id in global_roles]
        subtree_ids: set[str] = set()
        if f.include_subtree and f.project_id:
            subtree_ids = {p.id for p in await self.resources.subtree(s, f.project_id)}
        out = []
        for g in final:
            if f.user_id and g.user_id != f.user_id:
                continue
            if f.role_id and g.role_id != f.role_id:
                continue
            if f.project_id and g.project_id != f.project_id and g.project_id not in subtree_ids:
                continue
            if f.domain_id and g.domain_id != f.domain_id:
                continue
            if f.system and not g.system:
                continue
            out.append(g)
        return out

    @staticmethod
    def _matches(g: Grant, f: AssignmentFilter, *, check_actor: bool) -> bool:
        if f.user_id and g.user_id != f.user_id:
            return False
        if f.group_id and g.group_id != f.group_id:
            return False
        if f.role_id and g.role_id != f.role_id:
            return False
        if f.project_id and g.project_id != f.project_id:
            return False
        if f.domain_id and g.domain_id != f.domain_id:
            return False
        if f.system and not g.system:
            return False
        return not (f.inherited is not None and g.inherited != f.inherited)

    async def user_projects(self, s: AsyncSession, user_id: str) -> list[Project]:
        """Projects on which the user has any effective role (for /auth/projects)."""
        grants = await self.list_assignments(s, AssignmentFilter(user_id=user_id, effective=True))
        ids = {g.project_id for g in grants if g.project_id}
        projects = await repo.find(s, Project, id=list(ids)) if ids else []
        return [p for p in projects if p.enabled]

    async def user_domains(self, s: AsyncSession, user_id: str) -> list[Project]:
        grants = await self.list_assignments(s, AssignmentFilter(user_id=user_id, effective=True))
        ids = {g.domain_id for g in grants if g.domain_id}
        domains = await repo.find(s, Project, id=list(ids)) if ids else []
        return [d for d in domains if d.enabled]

    async def has_system_role(self, s: AsyncSession, user_id: str) -> bool:
        groups = await repo.group_ids_of(s, user_id)
        rows = await repo.assignments(s, actor_ids=[user_id, *groups], target_ids=[SYSTEM_TARGET])
        return bool(rows)

    async def groups_of_user(self, s: AsyncSession, user_id: str) -> list[Group]:
        ids = await repo.group_ids_of(s, user_id)
        return await repo.find(s, Group, id=ids) if ids else []

    async def membership_exists(self, s: AsyncSession, user_id: str, group_id: str) -> bool:
        return await repo.get(s, Membership, (user_id, group_id)) is not None

    async def assignment_exists(self, s: AsyncSession, **kw: Any) -> bool:
        return bool(await repo.find(s, Assignment, **kw))
