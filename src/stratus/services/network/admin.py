"""RBAC policies, quotas, agents, availability zones and network IP availability."""

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.kit.errors import BadRequest, Conflict, NotFound
from stratus.kit.ids import uuid_str
from stratus.kit.timeutil import utcnow
from stratus.services.network import attributes as attrs
from stratus.services.network import ipam
from stratus.services.network import models as m
from stratus.services.network import repository as repo
from stratus.services.network.core import QUOTA_DEFAULTS, Core
from stratus.services.network.errors import (
    AgentNotFound,
    HTTPBadRequest,
    NetworkNotFound,
    RbacPolicyInUse,
    RbacPolicyNotFound,
    SecurityGroupNotFound,
)
from stratus.services.network.query import Query

AGENT_DOWN_TIME = dt.timedelta(seconds=75)


class AdminService(Core):
    # ================================================================= RBAC policies

    def _rbac_view(self, row: m.RBACPolicy) -> dict[str, Any]:
        return {
            "id": row.id,
            "project_id": row.project_id,
            "tenant_id": row.project_id,
            "object_type": row.object_type,
            "object_id": row.object_id,
            "action": row.action,
            "target_tenant": row.target_project,
        }

    async def _rbac(
        self, session: AsyncSession, ctx: RequestContext, policy_id: str
    ) -> m.RBACPolicy:
        row = await repo.get(session, m.RBACPolicy, policy_id)
        if row is None or (not self.is_admin(ctx) and row.project_id != ctx.project_id):
            raise RbacPolicyNotFound(policy_id, row.object_type if row else "")
        return row

    async def list_rbac(self, ctx: RequestContext, query: Query) -> list[dict[str, Any]]:
        admin = self.is_admin(ctx)
        async with self.db.reader() as session:
            rows = await self.list_rows(
                session,
                m.RBACPolicy,
                attrs.RBAC_POLICY,
                query,
                scope=None if admin else repo.owned(m.RBACPolicy, ctx.project_id or ""),
            )
            return [self._rbac_view(r) for r in rows]

    async def get_rbac(self, ctx: RequestContext, policy_id: str) -> dict[str, Any]:
        async with self.db.reader() as session:
            return self._rbac_view(await self._rbac(session, ctx, policy_id))

    async def create_rbac(self, ctx: RequestContext, body: Mapping[str, Any]) -> dict[str, Any]:
        data = attrs.prepare_create(attrs.RBAC_POLICY, body)
        owner = self.owner_of(ctx, data)
        target_project = data.get("target_project") or data.get("target_tenant")
        if target_project is None:
            raise BadRequest(
                "Failed to parse request. Required attribute 'target_tenant' not specified"
            )
        self.enforce(
            ctx,
            "create_rbac_policy",
            {
                "project_id": owner,
                "tenant_id": owner,
                "target_tenant": target_project,
                "target_project": target_project,
            },
        )
        if target_project == "*":
            self.enforce(
                ctx,
                "create_rbac_policy:target_tenant",
                {"project_id": owner, "target_tenant": "*", "target_project": "*"},
            )
        if data["object_type"] != "network" and data["action"] != "access_as_shared":
            raise BadRequest(
                f"Invalid input for operation: Action {data['action']} is not supported for object type {data['object_type']}."
            )
        async with self.db.session() as session:
            obj = await self._rbac_object(session, ctx, data["object_type"], data["object_id"])
            existing = await repo.rbac_entries(session, data["object_type"], [obj.id])
            if any(
                e.action == data["action"] and e.target_project == target_project for e in existing
            ):
                raise Conflict("An RBAC policy already exists with those values.")
            if data["object_type"] == "subnetpool" and obj.address_scope_id:
                scope = await repo.get(session, m.AddressScope, obj.address_scope_id)
                grants = await repo.rbac_entries(session, "address_scope", [obj.address_scope_id])
                reachable = scope is not None and (
                    scope.project_id == target_project
                    or any(e.target_project in ("*", target_project) for e in grants)
                )
                if not reachable:
                    raise BadRequest(
                        f"Unable to share subnet pool {obj.id}: the target project has no "
                        f"access to its address scope {obj.address_scope_id}."
                    )
            await self.claim(session, owner, "rbac_policy")
            row = m.RBACPolicy(
                id=uuid_str(),
                project_id=owner,
                object_type=data["object_type"],
                object_id=obj.id,
                action=data["action"],
                target_project=target_project,
            )
            session.add(row)
            if data["action"] == "access_as_external" and isinstance(obj, m.Network):
                obj.external = True
            self.bump(obj)
            await session.flush()
            return self._rbac_view(row)

    async def _rbac_object(
        self, session: AsyncSession, ctx: RequestContext, object_type: str, object_id: str
    ) -> Any:
        model: Any = {
            "network": m.Network,
            "security_group": m.SecurityGroup,
            "qos_policy": m.QosPolicy,
            "subnetpool": m.SubnetPool,
            "address_scope": m.AddressScope,
        }[object_type]
        obj = await repo.get(session, model, object_id)
        if obj is not None and not self.is_admin(ctx) and obj.project_id != ctx.project_id:
            entries = await repo.rbac_entries(session, object_type, [obj.id])
            if any(e.target_project in ("*", ctx.project_id) for e in entries):
                raise BadRequest(
                    f"Unable to share {object_type} {obj.id}: it is not owned by the project."
                )
        if obj is None or (not self.is_admin(ctx) and obj.project_id != ctx.project_id):
            if model is m.QosPolicy:
                from stratus.services.network.qos import QosPolicyNotFound

                raise QosPolicyNotFound(object_id)
            if model in (m.SubnetPool, m.AddressScope):
                from stratus.services.network.pools import AddressScopeNotFound, SubnetPoolNotFound

                raise (
                    SubnetPoolNotFound(object_id)
                    if model is m.SubnetPool
                    else AddressScopeNotFound(object_id)
                )
            if model is m.Network:
                raise NetworkNotFound(object_id)
            raise SecurityGroupNotFound(object_id)
        return obj

    async def update_rbac(
        self, ctx: RequestContext, policy_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        data = attrs.prepare_update(attrs.RBAC_POLICY, body)
        async with self.db.session() as session:
            row = await self._rbac(session, ctx, policy_id)
            self.enforce(
                ctx,
                "update_rbac_policy",
                {"project_id": row.project_id, "tenant_id": row.project_id},
            )
            new_target = data.get("target_project") or data.get("target_tenant")
            if new_target is not None and new_target != row.target_project:
                if new_target == "*":
                    self.enforce(
                        ctx,
                        "update_rbac_policy:target_tenant",
                        {"project_id": row.project_id, "target_tenant": "*"},
                    )
                # As neutron: widening to "*" strands nobody; an external network's grant
                # counts its new target as covering (external_net_db); every other retarget
                # is checked as deleting the old grant (rbac_db's BEFORE_UPDATE).
                if new_target != "*":
                    external = row.object_type == "network" and row.action == "access_as_external"
                    await self._check_release(session, row, new_target if external else None)
                row.target_project = new_target
            await session.flush()
            return self._rbac_view(row)

    async def delete_rbac(self, ctx: RequestContext, policy_id: str) -> None:
        async with self.db.session() as session:
            row = await self._rbac(session, ctx, policy_id)
            self.enforce(
                ctx,
                "delete_rbac_policy",
                {"project_id": row.project_id, "tenant_id": row.project_id},
            )
            await self._check_release(session, row)
            if row.action == "access_as_external" and row.object_type == "network":
                others = [
                    e
                    for e in await repo.rbac_entries(session, "network", [row.object_id])
                    if e.action == "access_as_external" and e.id != row.id
                ]
                if not others:
                    net = await repo.get(session, m.Network, row.object_id)
                    if net is not None:
                        net.external = False
            await session.delete(row)

    async def _check_release(
        self, session: AsyncSession, row: m.RBACPolicy, new_target: str | None = None
    ) -> None:
        """Removing (or retargeting) a grant must not strand a project that depends on it,
        unless another grant (or ``new_target``) still covers that project."""
        if (
            row.object_type == "network"
            and row.action == "access_as_external"
            and row.target_project == "*"
        ):
            net = await repo.get(session, m.Network, row.object_id)
            if net is not None and net.is_default:
                raise Conflict("Default external networks must be shared to everyone.")
        users = await self._dependants(session, row)
        users.discard(row.project_id)
        if row.target_project != "*":
            users &= {row.target_project}
        covered = {
            e.target_project
            for e in await repo.rbac_entries(session, row.object_type, [row.object_id])
            if e.action == row.action and e.id != row.id
        }
        if new_target is not None:
            covered.add(new_target)
        if "*" in covered:
            return
        users -= covered
        if users:
            raise RbacPolicyInUse(
                row.object_id, f"{len(users)} other project(s) depend on this {row.object_type}"
            )

    async def _dependants(self, session: AsyncSession, row: m.RBACPolicy) -> set[str]:
        from sqlalchemy import select

        if row.object_type in ("address_scope", "qos_policy", "subnetpool"):
            return await self._users_of(session, row.object_type, row.object_id)
        if row.object_type == "security_group":
            rows = await session.execute(
                select(m.Port.project_id)
                .join(m.PortSecurityGroup, m.PortSecurityGroup.port_id == m.Port.id)
                .where(m.PortSecurityGroup.security_group_id == row.object_id)
            )
            return set(rows.scalars())
        net = await repo.get(session, m.Network, row.object_id)
        if net is None:
            return set()
        if row.action == "access_as_external":
            users = {
                fip.project_id
                for fip in await repo.floating_ips_where(
                    session, m.FloatingIP.floating_network_id == net.id
                )
            }
            users |= {r.project_id for r in await repo.routers_with_gateway_on(session, net.id)}
        else:
            users = {
                p.project_id
                for p in await repo.ports_on_network(session, net.id)
                if p.project_id and not p.device_owner.startswith("network:")
            }
        users.discard(net.project_id)
        return users

    async def _users_of(self, session: AsyncSession, object_type: str, object_id: str) -> set[str]:
        from sqlalchemy import select

        queries: list[Any] = []
        if object_type == "address_scope":
            queries.append(
                select(m.SubnetPool.project_id).where(m.SubnetPool.address_scope_id == object_id)
            )
        elif object_type == "subnetpool":
            queries.append(select(m.Subnet.project_id).where(m.Subnet.subnetpool_id == object_id))
        else:
            for model in (m.Network, m.Port, m.FloatingIP):
                queries.append(select(model.project_id).where(model.qos_policy_id == object_id))
        users: set[str] = set()
        for query in queries:
            users |= set((await session.execute(query)).scalars())
        return users

    # ================================================================= quotas

    async def _limits(self, session: AsyncSession, project_id: str) -> dict[str, int]:
        limits = await self.quota.limits(session, project_id, "network.")
        return {k.removeprefix("network."): v for k, v in limits.items()}

    async def get_quota(self, ctx: RequestContext, project_id: str) -> dict[str, int]:
        self.enforce(ctx, "get_quota", {"project_id": project_id, "tenant_id": project_id})
        async with self.db.reader() as session:
            return await self._limits(session, project_id)

    async def default_quota(self, ctx: RequestContext, project_id: str) -> dict[str, int]:
        self.enforce(ctx, "get_quota", {"project_id": project_id, "tenant_id": project_id})
        return {name: self.quota.resource(f"network.{name}").default for name in QUOTA_DEFAULTS}

    async def quota_details(
        self, ctx: RequestContext, project_id: str
    ) -> dict[str, dict[str, int]]:
        self.enforce(ctx, "get_quota", {"project_id": project_id, "tenant_id": project_id})
        async with self.db.reader() as session:
            limits = await self._limits(session, project_id)
            usage = await self.quota.usage(session, project_id, "network.")
        return {
            name: {"limit": limit, "used": usage.get(f"network.{name}", 0), "reserved": 0}
            for name, limit in limits.items()
        }

    async def list_quotas(self, ctx: RequestContext) -> list[dict[str, Any]]:
        self.enforce(ctx, "get_quota", {"project_id": ctx.project_id})
        from sqlalchemy import select

        from stratus.quota.models import QuotaLimit

        async with self.db.reader() as session:
            rows = await session.execute(
                select(QuotaLimit.project_id)
                .where(QuotaLimit.resource.startswith("network."))
                .distinct()
            )
            projects = sorted(set(rows.scalars()))
            if not self.is_admin(ctx):
                projects = [p for p in projects if p == ctx.project_id]
            out = []
            for project in projects:
                limits = await self._limits(session, project)
                out.append({**limits, "project_id": project, "tenant_id": project})
            return out

    async def update_quota(self, ctx: RequestContext, project_id: str, body: Any) -> dict[str, int]:
        self.enforce(ctx, "update_quota", {"project_id": project_id, "tenant_id": project_id})
        if not isinstance(body, dict) or not isinstance(body.get("quota"), dict):
            raise BadRequest("Resource body required: 'quota'")
        values = dict(body["quota"])
        # quota-check-limit-default: usage is checked unless the caller forces the limit
        check_limit = attrs.to_bool(values.pop("check_limit", True))
        force = attrs.to_bool(values.pop("force", False))
        for name, raw in values.items():
            if name not in QUOTA_DEFAULTS:
                raise BadRequest(f"Unrecognized attribute(s) '{name}'")
            try:
                limit = attrs.integer(-1, 2**31 - 1)(raw)
            except ValueError as err:
                raise HTTPBadRequest(f"Invalid input for {name}. Reason: {err}.") from None
            values[name] = limit
        async with self.db.session() as session:
            if check_limit and not force:
                usage = await self.quota.usage(session, project_id, "network.")
                for name, limit in values.items():
                    used = usage.get(f"network.{name}", 0)
                    if 0 <= limit < used:
                        raise BadRequest(
                            f"Quota limit {limit} for {name} must be greater than or equal to already used {used}"
                        )
            for name, limit in values.items():
                await self.quota.set_limit(session, project_id, f"network.{name}", limit)
            await session.flush()
            return await self._limits(session, project_id)

    async def reset_quota(self, ctx: RequestContext, project_id: str) -> None:
        self.enforce(ctx, "delete_quota", {"project_id": project_id, "tenant_id": project_id})
        async with self.db.session() as session:
            await self.quota.reset(session, project_id, "network.")

    # ================================================================= agents & zones

    def _agent_view(self, row: m.Agent) -> dict[str, Any]:
        from stratus.kit.timeutil import isotime_plain

        def fmt(value: dt.datetime) -> str:
            # neutron's agent time format: "2024-01-01 10:00:00"
            return isotime_plain(value).replace("T", " ").split(".")[0]

        return {
            "id": row.id,
            "agent_type": row.agent_type,
            "binary": row.binary,
            "topic": row.topic,
            "host": row.host,
            "availability_zone": row.availability_zone,
            "admin_state_up": row.admin_state_up,
            "description": row.description,
            "alive": utcnow() - row.heartbeat_timestamp < AGENT_DOWN_TIME,
            "configurations": dict(row.configurations),
            "created_at": fmt(row.created_at),
            "started_at": fmt(row.started_at),
            "heartbeat_timestamp": fmt(row.heartbeat_timestamp),
            "resources_synced": None,
        }

    async def list_agents(self, ctx: RequestContext, query: Query) -> list[dict[str, Any]]:
        if not ctx.allows("get_agent", {"project_id": ctx.project_id}):
            return []  # lists are filtered by policy: a non-admin sees no agents
        alive = query.filters.pop("alive", None)
        async with self.db.reader() as session:
            rows = await self.list_rows(session, m.Agent, attrs.AGENT, query, scope=None)
        views = [self._agent_view(r) for r in rows]
        if alive:
            wanted = attrs.to_bool(alive[0])
            views = [v for v in views if v["alive"] is wanted]
        return views

    async def get_agent(self, ctx: RequestContext, agent_id: str) -> dict[str, Any]:
        self.enforce(ctx, "get_agent", {"project_id": ctx.project_id})
        async with self.db.reader() as session:
            row = await repo.get(session, m.Agent, agent_id)
            if row is None:
                raise AgentNotFound(agent_id)
            return self._agent_view(row)

    async def update_agent(
        self, ctx: RequestContext, agent_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        self.enforce(ctx, "update_agent", {"project_id": ctx.project_id})
        data = attrs.prepare_update(attrs.AGENT, body)
        async with self.db.session() as session:
            row = await repo.get(session, m.Agent, agent_id)
            if row is None:
                raise AgentNotFound(agent_id)
            for key in ("admin_state_up", "description"):
                if key in data:
                    setattr(row, key, data[key])
            await session.flush()
            return self._agent_view(row)

    async def delete_agent(self, ctx: RequestContext, agent_id: str) -> None:
        self.enforce(ctx, "delete_agent", {"project_id": ctx.project_id})
        async with self.db.session() as session:
            row = await repo.get(session, m.Agent, agent_id)
            if row is None:
                raise AgentNotFound(agent_id)
            await session.delete(row)

    async def heartbeat(self, agents: list[dict[str, Any]]) -> None:
        """Agents report in (the fake driver for itself; real agents over the bus)."""
        now = utcnow()
        async with self.db.session() as session:
            for info in agents:
                await repo.upsert_agent(
                    session,
                    m.Agent(
                        id=uuid_str(),
                        agent_type=info["agent_type"],
                        binary=info["binary"],
                        topic=info["topic"],
                        host=info["host"],
                        availability_zone=info.get("availability_zone"),
                        admin_state_up=True,
                        configurations=info.get("configurations", {}),
                        created_at=now,
                        started_at=now,
                        heartbeat_timestamp=now,
                    ),
                )

    def availability_zones(self, ctx: RequestContext, query: Query) -> list[dict[str, Any]]:
        self.enforce(ctx, "get_availability_zone", {"project_id": ctx.project_id})
        zones = [
            {"name": zone, "resource": resource, "state": "available"}
            for zone in self.config.availability_zones
            for resource in ("network", "router")
        ]
        for key in ("name", "resource", "state"):
            if key in query.filters:
                zones = [z for z in zones if z[key] in query.filters[key]]
        return zones

    # ================================================================= IP availability

    async def ip_availabilities(
        self, ctx: RequestContext, query: Query, network_id: str | None = None
    ) -> list[dict[str, Any]]:
        self.enforce(ctx, "get_network_ip_availability", {"project_id": ctx.project_id})
        filters = dict(query.filters)
        if network_id is not None:
            filters["id"] = [network_id]
        net_query = Query(
            filters={k: v for k, v in filters.items() if k in ("id", "tenant_id", "project_id")}
        )
        if "network_id" in filters:
            net_query.filters["id"] = filters["network_id"]
        if "network_name" in filters:
            net_query.filters["name"] = filters["network_name"]
        async with self.db.reader() as session:
            nets = await self.list_rows(session, m.Network, attrs.NETWORK, net_query, scope=None)
            if network_id is not None and not nets:
                raise NetworkNotFound(network_id)
            subnets = await repo.subnets_for(session, [n.id for n in nets])
            out = []
            wanted_version = filters.get("ip_version")
            for net in nets:
                entries: list[dict[str, Any]] = []
                for subnet in subnets.get(net.id, []):
                    if wanted_version and str(subnet.ip_version) not in wanted_version:
                        continue
                    used = await repo.allocation_count(session, subnet.id)
                    entries.append(
                        {
                            "subnet_id": subnet.id,
                            "subnet_name": subnet.name,
                            "cidr": subnet.cidr,
                            "ip_version": subnet.ip_version,
                            "total_ips": ipam.pool_size(subnet.allocation_pools),
                            "used_ips": used,
                        }
                    )
                out.append(
                    {
                        "network_id": net.id,
                        "network_name": net.name,
                        "project_id": net.project_id,
                        "tenant_id": net.project_id,
                        "total_ips": sum(e["total_ips"] for e in entries),
                        "used_ips": sum(e["used_ips"] for e in entries),
                        "subnet_ip_availability": entries,
                    }
                )
            return out


__all__ = ["AdminService", "NotFound"]
