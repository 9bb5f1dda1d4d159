"""QoS policies and their rules: bandwidth limits (per direction), DSCP marking, minimum
bandwidth and minimum packet rate; the per-project default policy; rule type details."""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.kit.errors import BadRequest, Conflict, NotFound
from stratus.kit.ids import uuid_str
from stratus.services.network import attributes as attrs
from stratus.services.network import models as m
from stratus.services.network import repository as repo
from stratus.services.network.core import Core
from stratus.services.network.errors import HTTPBadRequest
from stratus.services.network.query import Query

VALID_DSCP_MARKS = (
    0,
    8,
    10,
    12,
    14,
    16,
    18,
    20,
    22,
    24,
    26,
    28,
    30,
    32,
    34,
    36,
    38,
    40,
    46,
    48,
    56,
)
MAX_INT = 2**31 - 1

# rule type -> {parameter: (validator, default or attrs.MISSING)}
RULE_PARAMS: dict[str, dict[str, tuple[Any, Any]]] = {
    "bandwidth_limit": {
        "max_kbps": (attrs.integer(0, MAX_INT), attrs.MISSING),
        "max_burst_kbps": (attrs.integer(0, MAX_INT), 0),
        "direction": (attrs.one_of("egress", "ingress"), "egress"),
    },
    "dscp_marking": {"dscp_mark": (attrs.one_of(*VALID_DSCP_MARKS), attrs.MISSING)},
    "minimum_bandwidth": {
        "min_kbps": (attrs.integer(0, MAX_INT), attrs.MISSING),
        "direction": (attrs.one_of("egress", "ingress"), "egress"),
    },
    "minimum_packet_rate": {
        "min_kpps": (attrs.integer(0, MAX_INT), attrs.MISSING),
        "direction": (attrs.one_of("any", "egress", "ingress"), "egress"),
    },
}

QOS_POLICY = {
    **attrs.standard(),
    "name": attrs.Attr("name", attrs.string(255), default=""),
    "description": attrs.Attr("description", attrs.string(255), default=""),
    "shared": attrs.Attr("shared", attrs.to_bool, default=False, sort=False),
    "is_default": attrs.Attr("is_default", attrs.to_bool, default=False),
    "rules": attrs.Attr("rules", None, post=False, put=False, filter=False, sort=False),
}


class QosPolicyNotFound(NotFound):
    def __init__(self, policy_id: str) -> None:
        super().__init__(f"QoS policy {policy_id} could not be found.")


class QosRuleNotFound(NotFound):
    def __init__(self, policy_id: str, rule_id: str) -> None:
        super().__init__(f"QoS rule {rule_id} for policy {policy_id} could not be found.")


class QosPolicyInUse(Conflict):
    def __init__(self, policy_id: str) -> None:
        super().__init__(
            f"QoS Policy {policy_id} is used by one or more ports, networks or floating IPs."
        )


class QoSPolicyDefaultAlreadyExists(Conflict):
    def __init__(self, policy_id: str, project_id: str) -> None:
        super().__init__(f"A default QoS policy exists for project {project_id}.")


class QoSRulesConflict(Conflict):
    def __init__(self, rule_type: str, policy_id: str) -> None:
        super().__init__(
            f"Rule {rule_type} already exists in QoS policy {policy_id} for this direction."
        )


def rule_view(rule: m.QosRule) -> dict[str, Any]:
    view: dict[str, Any] = {"id": rule.id, "qos_policy_id": rule.qos_policy_id}
    for name in RULE_PARAMS[rule.rule_type]:
        view[name] = getattr(rule, name)
    return view


def rule_type_details(rule_type: str, driver: str) -> dict[str, Any]:
    params = []
    for name, (_validator, _default) in RULE_PARAMS[rule_type].items():
        if name == "direction":
            values: Any = (
                ["any", "egress", "ingress"]
                if rule_type == "minimum_packet_rate"
                else ["egress", "ingress"]
            )
            params.append(
                {"parameter_name": name, "parameter_type": "choices", "parameter_values": values}
            )
        elif name == "dscp_mark":
            params.append(
                {
                    "parameter_name": name,
                    "parameter_type": "choices",
                    "parameter_values": list(VALID_DSCP_MARKS),
                }
            )
        else:
            params.append(
                {
                    "parameter_name": name,
                    "parameter_type": "range",
                    "parameter_values": {"start": 0, "end": MAX_INT},
                }
            )
    return {"type": rule_type, "drivers": [{"name": driver, "supported_parameters": params}]}


class QosService(Core):
    async def _policy(
        self, session: AsyncSession, ctx: RequestContext, policy_id: str
    ) -> m.QosPolicy:
        policy = await repo.get(session, m.QosPolicy, policy_id)
        if policy is None:
            raise QosPolicyNotFound(policy_id)
        if not self.is_admin(ctx) and policy.project_id != ctx.project_id:
            entries = await repo.rbac_entries(session, "qos_policy", [policy.id])
            if not any(e.target_project in ("*", ctx.project_id) for e in entries):
                raise QosPolicyNotFound(policy_id)
        return policy

    async def views(
        self, session: AsyncSession, ctx: RequestContext, rows: Sequence[m.QosPolicy]
    ) -> list[dict[str, Any]]:
        ids = [r.id for r in rows]
        tags = await repo.tags_for(session, ids)
        rules = await repo.qos_rules(session, ids)
        rbac = await repo.rbac_entries(session, "qos_policy", ids)
        shared = {e.object_id for e in rbac if e.target_project in ("*", ctx.project_id)}
        out = []
        for row in rows:
            view = self.std_view(row, tags)
            view.update(
                name=row.name,
                is_default=row.is_default,
                shared=row.id in shared,
                rules=[{**rule_view(r), "type": r.rule_type} for r in rules.get(row.id, [])],
            )
            out.append(view)
        return out

    async def list_policies(self, ctx: RequestContext, query: Query) -> list[dict[str, Any]]:
        admin = self.is_admin(ctx)
        project = ctx.project_id or ""
        scope = None
        if not admin:
            from sqlalchemy import or_, select

            scope = or_(
                m.QosPolicy.project_id == project,
                m.QosPolicy.id.in_(
                    select(m.RBACPolicy.object_id).where(
                        m.RBACPolicy.object_type == "qos_policy",
                        m.RBACPolicy.target_project.in_([project, "*"]),
                    )
                ),
            )
        shared_filter = query.filters.pop("shared", None)
        async with self.db.reader() as session:
            rows = await self.list_rows(session, m.QosPolicy, QOS_POLICY, query, scope=scope)
            views = await self.views(session, ctx, rows)
        if shared_filter:
            wanted = attrs.to_bool(shared_filter[0])
            views = [v for v in views if v["shared"] is wanted]
        return views

    async def get_policy(self, ctx: RequestContext, policy_id: str) -> dict[str, Any]:
        async with self.db.reader() as session:
            return (await self.views(session, ctx, [await self._policy(session, ctx, policy_id)]))[
                0
            ]

    async def create_policy(self, ctx: RequestContext, body: Mapping[str, Any]) -> dict[str, Any]:
        data = attrs.prepare_create(QOS_POLICY, body)
        owner = self.owner_of(ctx, data)
        self.enforce(ctx, "create_policy", {"project_id": owner, "tenant_id": owner})
        async with self.db.session() as session:
            if data["is_default"]:
                existing = await repo.default_qos_policy(session, owner)
                if existing is not None:
                    raise QoSPolicyDefaultAlreadyExists(existing.id, owner)
            policy = self.new_std(
                m.QosPolicy,
                uuid_str(),
                project_id=owner,
                name=data["name"],
                description=data["description"],
                is_default=data["is_default"],
            )
            session.add(policy)
            await session.flush()
            if data["shared"]:
                session.add(
                    m.RBACPolicy(
                        id=uuid_str(),
                        project_id=owner,
                        object_type="qos_policy",
                        object_id=policy.id,
                        action="access_as_shared",
                        target_project="*",
                    )
                )
            if data.get("tags"):
                await repo.set_tags(session, "policy", policy.id, data["tags"])
            await session.flush()
            return (await self.views(session, ctx, [policy]))[0]

    async def update_policy(
        self,
        ctx: RequestContext,
        policy_id: str,
        body: Mapping[str, Any],
        if_match: int | None = None,
    ) -> dict[str, Any]:
        data = attrs.prepare_update(QOS_POLICY, body)
        async with self.db.session() as session:
            policy = await self._policy(session, ctx, policy_id)
            self.enforce(
                ctx,
                "update_policy",
                {"project_id": policy.project_id, "tenant_id": policy.project_id},
            )
            self.check_revision(policy, if_match)
            if data.get("is_default") and not policy.is_default:
                existing = await repo.default_qos_policy(session, policy.project_id)
                if existing is not None:
                    raise QoSPolicyDefaultAlreadyExists(existing.id, policy.project_id)
            for key in ("name", "description", "is_default"):
                if key in data:
                    setattr(policy, key, data[key])
            if "shared" in data:
                entries = [
                    e
                    for e in await repo.rbac_entries(session, "qos_policy", [policy.id])
                    if e.target_project == "*"
                ]
                if data["shared"] and not entries:
                    session.add(
                        m.RBACPolicy(
                            id=uuid_str(),
                            project_id=policy.project_id,
                            object_type="qos_policy",
                            object_id=policy.id,
                            action="access_as_shared",
                            target_project="*",
                        )
                    )
                elif not data["shared"] and entries:
                    if await repo.qos_policy_users(session, policy.id):
                        # a network or port relies on the sharing: unsharing would strand it
                        raise QosPolicyInUse(policy.id)
                    await repo.delete_rbac(
                        session, "qos_policy", policy.id, "access_as_shared", "*"
                    )
            self.bump(policy)
            await session.flush()
            return (await self.views(session, ctx, [policy]))[0]

    async def delete_policy(
        self, ctx: RequestContext, policy_id: str, if_match: int | None = None
    ) -> None:
        async with self.db.session() as session:
            policy = await self._policy(session, ctx, policy_id)
            self.enforce(
                ctx,
                "delete_policy",
                {"project_id": policy.project_id, "tenant_id": policy.project_id},
            )
            self.check_revision(policy, if_match)
            if await repo.qos_policy_users(session, policy.id):
                raise QosPolicyInUse(policy.id)
            await repo.delete_rbac(session, "qos_policy", policy.id)
            await repo.drop_tags(session, policy.id)
            await session.delete(policy)

    # ------------------------------------------------------------------ rules

    async def _rule(
        self,
        session: AsyncSession,
        ctx: RequestContext,
        rule_type: str,
        rule_id: str,
        policy_id: str | None,
    ) -> m.QosRule:
        rule = await repo.get(session, m.QosRule, rule_id)
        if (
            rule is None
            or rule.rule_type != rule_type
            or (policy_id is not None and rule.qos_policy_id != policy_id)
        ):
            raise QosRuleNotFound(policy_id or "", rule_id)
        await self._policy(session, ctx, rule.qos_policy_id)
        return rule

    async def list_rules(
        self, ctx: RequestContext, rule_type: str, policy_id: str, query: Query
    ) -> list[dict[str, Any]]:
        async with self.db.reader() as session:
            await self._policy(session, ctx, policy_id)
            rules = (await repo.qos_rules(session, [policy_id])).get(policy_id, [])
        views = [rule_view(r) for r in rules if r.rule_type == rule_type]
        for key, values in query.filters.items():
            views = [v for v in views if key not in v or str(v[key]) in values]
        return views

    async def get_rule(
        self, ctx: RequestContext, rule_type: str, rule_id: str, policy_id: str | None = None
    ) -> dict[str, Any]:
        async with self.db.reader() as session:
            return rule_view(await self._rule(session, ctx, rule_type, rule_id, policy_id))

    def _params(self, rule_type: str, body: Mapping[str, Any], *, create: bool) -> dict[str, Any]:
        spec = RULE_PARAMS[rule_type]
        unknown = [k for k in body if k not in spec and k not in ("id", "qos_policy_id")]
        if unknown:
            raise HTTPBadRequest(f"Unrecognized attribute(s) '{', '.join(unknown)}'")
        out: dict[str, Any] = {}
        for name, (validator, default) in spec.items():
            if name in body:
                try:
                    out[name] = validator(body[name])
                except ValueError as err:
                    raise HTTPBadRequest(f"Invalid input for {name}. Reason: {err}.") from None
            elif create:
                if default is attrs.MISSING:
                    raise HTTPBadRequest(
                        f"Failed to parse request. Required attribute '{name}' not specified"
                    )
                out[name] = default
        return out

    async def _check_conflict(
        self,
        session: AsyncSession,
        policy_id: str,
        rule_type: str,
        direction: str | None,
        skip: str | None = None,
    ) -> None:
        for other in (await repo.qos_rules(session, [policy_id])).get(policy_id, []):
            if other.id != skip and other.rule_type == rule_type and other.direction == direction:
                raise QoSRulesConflict(rule_type, policy_id)

    async def create_rule(
        self, ctx: RequestContext, rule_type: str, policy_id: str, body: Any
    ) -> dict[str, Any]:
        key = f"{rule_type}_rule"
        if not isinstance(body, dict) or not isinstance(body.get(key), dict):
            raise BadRequest(f"Unable to find '{key}' in request body")
        params = self._params(rule_type, body[key], create=True)
        # the rule's policy first, as upstream: a member gets 403 whatever the policy id
        self.enforce(ctx, f"create_policy_{key}", {"project_id": ctx.project_id})
        async with self.db.session() as session:
            policy = await self._policy(session, ctx, policy_id)
            self.enforce(
                ctx,
                f"create_policy_{key}",
                {"project_id": policy.project_id, "tenant_id": policy.project_id},
            )
            await self._check_conflict(session, policy.id, rule_type, params.get("direction"))
            rule = m.QosRule(id=uuid_str(), qos_policy_id=policy.id, rule_type=rule_type, **params)
            session.add(rule)
            self.bump(policy)
            await session.flush()
            return rule_view(rule)

    async def update_rule(
        self,
        ctx: RequestContext,
        rule_type: str,
        rule_id: str,
        body: Any,
        policy_id: str | None = None,
    ) -> dict[str, Any]:
        key = f"{rule_type}_rule"
        if not isinstance(body, dict) or not isinstance(body.get(key), dict):
            raise BadRequest(f"Unable to find '{key}' in request body")
        params = self._params(rule_type, body[key], create=False)
        async with self.db.session() as session:
            rule = await self._rule(session, ctx, rule_type, rule_id, policy_id)
            policy = await repo.get(session, m.QosPolicy, rule.qos_policy_id)
            assert policy is not None
            self.enforce(
                ctx,
                f"update_policy_{key}",
                {"project_id": policy.project_id, "tenant_id": policy.project_id},
            )
            if "direction" in params:
                await self._check_conflict(
                    session, policy.id, rule_type, params["direction"], skip=rule.id
                )
            for name, value in params.items():
                setattr(rule, name, value)
            self.bump(policy)
            await session.flush()
            return rule_view(rule)

    async def delete_rule(
        self, ctx: RequestContext, rule_type: str, rule_id: str, policy_id: str | None = None
    ) -> None:
        async with self.db.session() as session:
            rule = await self._rule(session, ctx, rule_type, rule_id, policy_id)
            policy = await repo.get(session, m.QosPolicy, rule.qos_policy_id)
            assert policy is not None
            self.enforce(
                ctx,
                f"delete_policy_{rule_type}_rule",
                {"project_id": policy.project_id, "tenant_id": policy.project_id},
            )
            await session.delete(rule)
            self.bump(policy)

    async def check_usable(
        self, session: AsyncSession, ctx: RequestContext | None, policy_id: str | None
    ) -> None:
        """A port, network or floating IP may only reference a policy its caller can see."""
        if policy_id is None:
            return
        if ctx is None:
            if await repo.get(session, m.QosPolicy, policy_id) is None:
                raise QosPolicyNotFound(policy_id)
            return
        await self._policy(session, ctx, policy_id)
