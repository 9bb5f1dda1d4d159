"""What every network service object shares: database, config, driver, quota engine, policy
helpers, generic listing (filters, tags, sorting, keyset paging) and revision handling."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.db import Database
from stratus.kit.errors import BadRequest
from stratus.kit.timeutil import isotime_z, utcnow
from stratus.quota.engine import OverQuota as EngineOverQuota
from stratus.quota.engine import QuotaEngine
from stratus.services.network import attributes as attrs
from stratus.services.network import models as m
from stratus.services.network import repository as repo
from stratus.services.network.config import NetworkConfig
from stratus.services.network.drivers.base import MechanismDriver
from stratus.services.network.errors import (
    OverQuota,
    PolicyNotAuthorized,
    RevisionNumberConstraintFailed,
)
from stratus.services.network.gate import GatedDatabase
from stratus.services.network.query import Query

SpecialFilter = Callable[[list[Any]], ColumnElement[bool]]

QUOTA_DEFAULTS = {
    "network": 100,
    "subnet": 100,
    "subnetpool": -1,
    "port": 500,
    "router": 10,
    "floatingip": 50,
    "security_group": 10,
    "security_group_rule": 100,
    "rbac_policy": 10,
}

WIRE_TO_COLUMN = {
    "tenant_id": "project_id",
    "router:external": "external",
    "binding:host_id": "binding_host_id",
    "binding:vnic_type": "binding_vnic_type",
    "binding:vif_type": "binding_vif_type",
    "target_tenant": "target_project",
}


class Core:
    def __init__(
        self,
        *,
        db: Database | GatedDatabase,
        config: NetworkConfig,
        driver: MechanismDriver,
        quota: QuotaEngine,
    ) -> None:
        self.db = db
        self.config = config
        self.driver = driver
        self.quota = quota

    # --- policy ---------------------------------------------------------------------------

    @staticmethod
    def is_admin(ctx: RequestContext) -> bool:
        return ctx.allows("context_is_admin")

    @staticmethod
    def enforce(ctx: RequestContext, rule: str, target: Mapping[str, Any]) -> None:
        if not ctx.allows(rule, target):
            raise PolicyNotAuthorized(rule)

    def enforce_attrs(
        self,
        ctx: RequestContext,
        action: str,
        resource: str,
        amap: Mapping[str, attrs.Attr],
        given: Mapping[str, Any],
        target: Mapping[str, Any],
    ) -> None:
        """``<action>_<resource>:<attr>`` for each policy-guarded attribute the caller set to
        something other than its default, as neutron's attribute-level enforcement does."""
        for name, value in given.items():
            attr = amap.get(name)
            if attr is None or not attr.enforce_policy:
                continue
            if action == "create" and attr.default is not attrs.MISSING and value == attr.default:
                continue
            self.enforce(ctx, f"{action}_{resource}:{name}", target)

    @staticmethod
    def owner_of(ctx: RequestContext, data: Mapping[str, Any]) -> str:
        project = data.get("project_id")
        tenant = data.get("tenant_id")
        if project is not None and tenant is not None and project != tenant:
            raise BadRequest("'project_id' and 'tenant_id' do not match")
        owner = project or tenant or ctx.project_id
        if owner != ctx.project_id and not ctx.allows("context_is_admin"):
            # neutron-lib's populate_project_id: checked before any policy rule, hence 400.
            raise BadRequest(
                "Specifying 'project_id' or 'tenant_id' other than the authenticated project "
                "in request requires admin privileges"
            )
        if not owner:
            raise BadRequest("'project_id' is required when the token is not project scoped")
        return str(owner)

    # --- quotas ---------------------------------------------------------------------------

    async def claim(
        self, session: AsyncSession, project_id: str, resource: str, n: int = 1
    ) -> None:
        try:
            await self.quota.claim(session, project_id, {f"network.{resource}": n})
        except EngineOverQuota:
            raise OverQuota(resource) from None

    # --- listing --------------------------------------------------------------------------

    async def list_rows(
        self,
        session: AsyncSession,
        model: type[Any],
        amap: Mapping[str, attrs.Attr],
        query: Query,
        *,
        scope: ColumnElement[bool] | None,
        special: Mapping[str, SpecialFilter] | None = None,
    ) -> list[Any]:
        where: list[ColumnElement[bool]] = [] if scope is None else [scope]
        special = special or {}
        for name, raw_values in query.filters.items():
            if name in special:
                values = [attrs.convert_filter(amap, name, v) for v in raw_values]
                where.append(special[name](values))
                continue
            attr = amap.get(name)
            if attr is None or not attr.filter:
                continue  # unknown filters are ignored, as without filter-validation
            col = WIRE_TO_COLUMN.get(name, name)
            if not hasattr(model, col):
                continue
            if name.endswith("_substr"):
                continue
            values = [attrs.convert_filter(amap, name, v) for v in raw_values]
            values = [
                None if v == "" and col.endswith("_id") and col != "device_id" else v
                for v in values
            ]
            where.append(repo.equals_any(model, col, values))
        for name, raw_values in query.filters.items():
            if name.endswith("__substr") or name.endswith("_substr"):
                base = name.removesuffix("__substr").removesuffix("_substr")
                col = WIRE_TO_COLUMN.get(base, base)
                if hasattr(model, col) and base != "ip_address":
                    where.extend(repo.substring(model, col, v) for v in raw_values)
        where.extend(
            repo.tag_filters(
                model,
                all_of=query.tags,
                any_of=query.tags_any,
                none_of=query.not_tags,
                not_any_of=query.not_tags_any,
            )
        )
        sort = []
        for key, direction in query.sort:
            attr = amap.get(key)
            col = WIRE_TO_COLUMN.get(key, key)
            if attr is None or not attr.sort or not hasattr(model, col):
                raise BadRequest(f"{key} is invalid attribute for sort_key")
            sort.append((col, direction))
        return await repo.list_rows(
            session,
            model,
            where=where,
            sort=sort,
            limit=query.limit,
            marker=query.marker,
            page_reverse=query.page_reverse,
        )

    # --- standard attributes --------------------------------------------------------------

    @staticmethod
    def check_revision(row: Any, if_match: int | None) -> None:
        if if_match is not None and row.revision_number != if_match:
            raise RevisionNumberConstraintFailed(if_match, row.revision_number)

    @staticmethod
    def bump(row: Any) -> None:
        row.revision_number = (row.revision_number or 0) + 1
        row.updated_at = utcnow()

    @staticmethod
    def std_view(row: Any, tags: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        return {
            "id": row.id,
            "project_id": row.project_id,
            "tenant_id": row.project_id,
            "description": row.description,
            "revision_number": row.revision_number,
            "created_at": isotime_z(row.created_at),
            "updated_at": isotime_z(row.updated_at),
            "tags": list(tags.get(row.id, [])),
        }

    @staticmethod
    def new_std(model: type[Any], ident: str, **values: Any) -> Any:
        now = utcnow()
        values.setdefault("description", "")
        return model(id=ident, revision_number=0, created_at=now, updated_at=now, **values)

    async def tags_of(self, session: AsyncSession, rows: Sequence[Any]) -> dict[str, list[str]]:
        return await repo.tags_for(session, [r.id for r in rows])


def network_target(network: m.Network | None) -> dict[str, Any]:
    if network is None:
        return {}
    return {"network:tenant_id": network.project_id, "network:project_id": network.project_id}
