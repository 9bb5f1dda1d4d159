"""Server groups: affinity, anti-affinity and their soft variants, with
``max_server_per_host`` (2.64) for anti-affinity."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stratus.api.context import RequestContext
from stratus.db import Database
from stratus.kit.errors import BadRequest, Forbidden, NotFound
from stratus.kit.ids import uuid_str
from stratus.kit.timeutil import utcnow
from stratus.quota import QuotaEngine
from stratus.quota.engine import OverQuota
from stratus.services.compute import repository as repo
from stratus.services.compute.models import ServerGroup

POLICIES = ("affinity", "anti-affinity")
SOFT_POLICIES = ("soft-affinity", "soft-anti-affinity")


class ServerGroupNotFound(NotFound):
    def __init__(self, ident: str) -> None:
        super().__init__(f"Instance group {ident} could not be found.")


@dataclass(frozen=True)
class GroupView:
    group: ServerGroup
    members: list[str]


class ServerGroupService:
    def __init__(self, db: Database, quota: QuotaEngine) -> None:
        self.db = db
        self.quota = quota

    async def create(
        self,
        ctx: RequestContext,
        *,
        name: str,
        policy: str,
        rules: Mapping[str, Any],
        allow_soft: bool,
    ) -> GroupView:
        allowed = POLICIES + (SOFT_POLICIES if allow_soft else ())
        if policy not in allowed:
            raise BadRequest(f"Invalid input for field/attribute policy. Value: {policy}.")
        clean: dict[str, Any] = {}
        for key, value in rules.items():
            if key != "max_server_per_host" or policy != "anti-affinity":
                raise BadRequest(f"Invalid input for field/attribute rules. Value: {dict(rules)}.")
            try:
                number = int(value)
            except (TypeError, ValueError):
                number = 0
            if isinstance(value, bool) or number < 1:
                raise BadRequest(
                    f"Invalid input for field/attribute max_server_per_host. Value: {value}."
                )
            clean[key] = number
        project_id = ctx.project_id or ""
        row = ServerGroup(
            uuid=uuid_str(),
            name=name,
            project_id=project_id,
            user_id=ctx.user_id,
            policy=policy,
            rules=clean,
            created_at=utcnow(),
        )
        async with self.db.session() as s:
            try:
                await self.quota.claim(s, project_id, {"compute.server_groups": 1})
            except OverQuota:
                raise Forbidden("Quota exceeded, too many server groups.") from None
            s.add(row)
        return GroupView(row, [])

    async def get(self, ctx: RequestContext, uuid: str) -> GroupView:
        async with self.db.reader() as s:
            row = await repo.get_group(s, uuid)
            if row is None or not (ctx.is_admin or row.project_id == ctx.project_id):
                raise ServerGroupNotFound(uuid)
            return GroupView(row, await repo.group_members(s, row))

    async def list_groups(
        self,
        ctx: RequestContext,
        *,
        all_projects: bool,
        limit: int | None,
        offset: int | None,
    ) -> list[GroupView]:
        async with self.db.reader() as s:
            rows = await repo.list_groups(
                s, None if all_projects else ctx.project_id or "", limit=limit, offset=offset
            )
            return [GroupView(r, await repo.group_members(s, r)) for r in rows]

    async def delete(self, ctx: RequestContext, uuid: str) -> None:
        async with self.db.session() as s:
            row = await repo.get_group(s, uuid)
            if row is None or not (ctx.is_admin or row.project_id == ctx.project_id):
                raise ServerGroupNotFound(uuid)
            await s.delete(row)
