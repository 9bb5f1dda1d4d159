"""Security groups and their rules: the per-project ``default`` group created on first use
with upstream's default rules, rule validation and normalisation, duplicate detection."""

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.kit.errors import BadRequest, Conflict
from stratus.kit.ids import uuid_str
from stratus.kit.timeutil import utcnow
from stratus.services.network import attributes as attrs
from stratus.services.network import models as m
from stratus.services.network import repository as repo
from stratus.services.network.core import Core
from stratus.services.network.drivers.base import SecurityGroupRuleSpec, SecurityGroupSpec
from stratus.services.network.errors import (
    SecurityGroupCannotRemoveDefault,
    SecurityGroupInUse,
    SecurityGroupNotFound,
    SecurityGroupRuleExists,
    SecurityGroupRuleNotFound,
)
from stratus.services.network.query import Query

DEFAULT_NAME = "default"
# A rule template's remote_group_id that stands for the group being created.
PARENT = "PARENT"

# IANA numbers of the protocol names neutron accepts.
PROTOCOLS = {
    "ah": 51,
    "dccp": 33,
    "egp": 8,
    "esp": 50,
    "gre": 47,
    "hopopt": 0,
    "icmp": 1,
    "icmpv6": 58,
    "igmp": 2,
    "ipip": 4,
    "ipv6-encap": 41,
    "ipv6-frag": 44,
    "ipv6-icmp": 58,
    "ipv6-nonxt": 59,
    "ipv6-opts": 60,
    "ipv6-route": 43,
    "ospf": 89,
    "pgm": 113,
    "rsvp": 46,
    "sctp": 132,
    "tcp": 6,
    "udp": 17,
    "udplite": 136,
    "vrrp": 112,
}
PORT_PROTOCOLS = {"tcp", "udp", "dccp", "sctp", "udplite", "6", "17", "33", "132", "136"}
ICMP_PROTOCOLS = {"icmp", "icmpv6", "ipv6-icmp", "1", "58"}
IPV6_ONLY_PROTOCOLS = {
    "icmpv6",
    "ipv6-icmp",
    "ipv6-encap",
    "ipv6-frag",
    "ipv6-nonxt",
    "ipv6-opts",
    "ipv6-route",
    "41",
    "43",
    "44",
    "58",
    "59",
    "60",
}


class SecurityGroupDefaultAlreadyExists(Conflict):
    def __init__(self) -> None:
        super().__init__("Default security group already exists.")


class SecurityGroupCannotUpdateDefault(Conflict):
    def __init__(self) -> None:
        super().__init__("Updating default security group not allowed.")


def _now_row(model: type[Any], **values: Any) -> Any:
    now = utcnow()
    values.setdefault("description", "")
    return model(id=uuid_str(), revision_number=0, created_at=now, updated_at=now, **values)


async def add_template_rules(
    session: AsyncSession, group: m.SecurityGroup, *, default: bool
) -> int:
    """Copy the default rule templates for this kind of group into ``group``."""
    templates = await repo.default_sg_rules(session, default=default)
    for t in templates:
        session.add(
            _now_row(
                m.SecurityGroupRule,
                security_group_id=group.id,
                project_id=group.project_id,
                direction=t.direction,
                ethertype=t.ethertype,
                protocol=t.protocol,
                port_range_min=t.port_range_min,
                port_range_max=t.port_range_max,
                remote_ip_prefix=t.remote_ip_prefix,
                remote_group_id=group.id if t.remote_group_id == PARENT else t.remote_group_id,
                remote_address_group_id=t.remote_address_group_id,
            )
        )
    return len(templates)


async def ensure_default_group(session: AsyncSession, project_id: str) -> str:
    """The project's ``default`` group, created on first use with the rule templates marked
    ``used_in_default_sg`` (neutron's four legacy rules unless an admin changed them). The
    one-row-per-project table settles concurrent first uses."""
    existing = await repo.default_group(session, project_id)
    if existing is not None:
        return existing
    group = _now_row(
        m.SecurityGroup,
        project_id=project_id,
        name=DEFAULT_NAME,
        stateful=True,
        description="Default security group",
    )
    async with session.begin_nested():
        session.add(group)
        await session.flush()
    if not await repo.flush_unique(
        session, m.DefaultSecurityGroup(project_id=project_id, security_group_id=group.id)
    ):
        await session.delete(group)
        winner = await repo.default_group(session, project_id)
        assert winner is not None
        return winner
    await add_template_rules(session, group, default=True)
    await session.flush()
    return str(group.id)


async def visible_group(
    session: AsyncSession, ctx: RequestContext, group_id: str, admin: bool
) -> bool:
    group = await repo.get(session, m.SecurityGroup, group_id)
    if group is None:
        return False
    if admin or group.project_id == ctx.project_id:
        return True
    entries = await repo.rbac_entries(session, "security_group", [group_id])
    return any(e.target_project in ("*", ctx.project_id) for e in entries)


def normalized_cidr(prefix: str | None) -> str | None:
    if prefix is None:
        return None
    return str(ipaddress.ip_network(prefix, strict=False))


class SecurityGroupService(Core):
    async def _ensure_default(self, ctx: RequestContext) -> None:
        if ctx.project_id:
            await self.default_group_id(ctx.project_id)

    async def default_group_id(self, project_id: str) -> str:
        """The project's default group, created on first use. Almost always there already:
        looked up first, so no write transaction is taken (SQLite has one writer)."""
        async with self.db.reader() as session:
            existing = await repo.default_group(session, project_id)
        if existing is not None:
            return existing
        async with self.db.session() as session:
            return await ensure_default_group(session, project_id)

    async def _group(
        self, session: AsyncSession, ctx: RequestContext, group_id: str
    ) -> m.SecurityGroup:
        group = await repo.get(session, m.SecurityGroup, group_id)
        if group is None or not await visible_group(session, ctx, group_id, self.is_admin(ctx)):
            raise SecurityGroupNotFound(group_id)
        return group

    async def group_views(
        self,
        session: AsyncSession,
        ctx: RequestContext,
        rows: Sequence[m.SecurityGroup],
        *,
        with_rules: bool = True,
    ) -> list[dict[str, Any]]:
        ids = [r.id for r in rows]
        tags = await repo.tags_for(session, ids)
        rules = await repo.rules_for(session, ids) if with_rules else {}
        defaults = await repo.default_group_ids(session, ids)
        rbac = await repo.rbac_entries(session, "security_group", ids)
        shared = {e.object_id for e in rbac if e.target_project in ("*", ctx.project_id)}
        rule_tags = await repo.tags_for(session, [r.id for rs in rules.values() for r in rs])
        out = []
        for row in rows:
            view = self.std_view(row, tags)
            view.update(name=row.name, stateful=row.stateful, shared=row.id in shared)
            if with_rules:
                view["security_group_rules"] = [
                    self.rule_view(r, rule_tags, defaults) for r in rules.get(row.id, [])
                ]
            out.append(view)
        return out

    def rule_view(
        self, rule: m.SecurityGroupRule, tags: Mapping[str, Sequence[str]], defaults: set[str]
    ) -> dict[str, Any]:
        view = self.std_view(rule, tags)
        view.pop("tags")
        view.update(
            security_group_id=rule.security_group_id,
            direction=rule.direction,
            ethertype=rule.ethertype,
            protocol=rule.protocol,
            port_range_min=rule.port_range_min,
            port_range_max=rule.port_range_max,
            remote_ip_prefix=rule.remote_ip_prefix,
            remote_group_id=rule.remote_group_id,
            remote_address_group_id=rule.remote_address_group_id,
            normalized_cidr=normalized_cidr(rule.remote_ip_prefix),
            belongs_to_default_sg=rule.security_group_id in defaults,
        )
        return view

    async def list_groups(self, ctx: RequestContext, query: Query) -> list[dict[str, Any]]:
        admin = self.is_admin(ctx)
        # As neutron: listing ensures the default group of the project filtered on (an
        # admin's "project_id=X"), else of the caller's project.
        named = query.filters.get("project_id") or query.filters.get("tenant_id") or []
        if admin and len(named) == 1 and named[0]:
            async with self.db.session() as session:
                await ensure_default_group(session, named[0])
        else:
            await self._ensure_default(ctx)
        async with self.db.reader() as session:
            rows = await self.list_rows(
                session,
                m.SecurityGroup,
                attrs.SECURITY_GROUP,
                query,
                scope=None if admin else repo.visible_security_groups(ctx.project_id or ""),
            )
            return await self.group_views(
                session,
                ctx,
                rows,
                with_rules="security_group_rules" in query.fields or not query.fields,
            )

    async def get_group(self, ctx: RequestContext, group_id: str) -> dict[str, Any]:
        async with self.db.reader() as session:
            group = await self._group(session, ctx, group_id)
            return (await self.group_views(session, ctx, [group]))[0]

    async def create_group(self, ctx: RequestContext, body: Mapping[str, Any]) -> dict[str, Any]:
        data = attrs.prepare_create(attrs.SECURITY_GROUP, body)
        owner = self.owner_of(ctx, data)
        self.enforce(ctx, "create_security_group", {"project_id": owner, "tenant_id": owner})
        async with self.db.session() as session:
            # Neutron reserves quota in its API layer before the plugin makes the project's
            # default group, so that group never counts against the first create.
            await self.claim(session, owner, "security_group")
            templates = await repo.default_sg_rules(session, default=False)
            await self.claim(session, owner, "security_group_rule", len(templates))
            await ensure_default_group(session, owner)
            if data["name"] == DEFAULT_NAME:
                raise SecurityGroupDefaultAlreadyExists()
            group = self.new_std(
                m.SecurityGroup,
                uuid_str(),
                project_id=owner,
                name=data["name"],
                description=data["description"],
                stateful=data["stateful"],
            )
            session.add(group)
            await session.flush()
            await add_template_rules(session, group, default=False)
            if data.get("tags"):
                await repo.set_tags(session, "security_group", group.id, data["tags"])
            await session.flush()
            view = (await self.group_views(session, ctx, [group]))[0]
            spec = await self._spec(session, group)
        await self.driver.security_group_updated(spec)
        return view

    async def _spec(self, session: AsyncSession, group: m.SecurityGroup) -> SecurityGroupSpec:
        rules = (await repo.rules_for(session, [group.id])).get(group.id, [])
        return SecurityGroupSpec(
            id=group.id,
            project_id=group.project_id,
            stateful=group.stateful,
            rules=tuple(
                SecurityGroupRuleSpec(
                    r.id,
                    r.direction,
                    r.ethertype,
                    r.protocol,
                    r.port_range_min,
                    r.port_range_max,
                    r.remote_ip_prefix,
                    r.remote_group_id,
                )
                for r in rules
            ),
        )

    async def update_group(
        self,
        ctx: RequestContext,
        group_id: str,
        body: Mapping[str, Any],
        if_match: int | None = None,
    ) -> dict[str, Any]:
        data = attrs.prepare_update(attrs.SECURITY_GROUP, body)
        async with self.db.session() as session:
            group = await self._group(session, ctx, group_id)
            self.enforce(
                ctx,
                "update_security_group",
                {"project_id": group.project_id, "tenant_id": group.project_id},
            )
            self.check_revision(group, if_match)
            is_default = group.id in await repo.default_group_ids(session, [group.id])
            if is_default and data.get("name", DEFAULT_NAME) != DEFAULT_NAME:
                raise SecurityGroupCannotUpdateDefault()
            if not is_default and data.get("name") == DEFAULT_NAME:
                raise SecurityGroupDefaultAlreadyExists()
            if (
                "stateful" in data
                and data["stateful"] != group.stateful
                and await repo.group_in_use(session, group.id)
            ):
                raise SecurityGroupInUse(group.id)
            for key in ("name", "description", "stateful"):
                if key in data:
                    setattr(group, key, data[key])
            self.bump(group)
            await session.flush()
            view = (await self.group_views(session, ctx, [group]))[0]
            spec = await self._spec(session, group)
        await self.driver.security_group_updated(spec)
        return view

    async def delete_group(
        self, ctx: RequestContext, group_id: str, if_match: int | None = None
    ) -> None:
        async with self.db.session() as session:
            group = await self._group(session, ctx, group_id)
            self.enforce(
                ctx,
                "delete_security_group",
                {"project_id": group.project_id, "tenant_id": group.project_id},
            )
            self.check_revision(group, if_match)
            if group.id in await repo.default_group_ids(session, [group.id]) and not self.is_admin(
                ctx
            ):
                raise SecurityGroupCannotRemoveDefault()
            if await repo.group_in_use(session, group.id):
                raise SecurityGroupInUse(group.id)
            await repo.drop_tags(session, group.id)
            await repo.delete_rbac(session, "security_group", group.id)
            await session.delete(group)
        await self.driver.security_group_deleted(group_id)

    # ------------------------------------------------------------------ rules

    async def list_rules(self, ctx: RequestContext, query: Query) -> list[dict[str, Any]]:
        await self._ensure_default(ctx)
        admin = self.is_admin(ctx)
        async with self.db.reader() as session:
            rows = await self.list_rows(
                session,
                m.SecurityGroupRule,
                attrs.SECURITY_GROUP_RULE,
                query,
                scope=None if admin else repo.visible_sg_rules(ctx.project_id or ""),
            )
            defaults = await repo.default_group_ids(
                session, list({r.security_group_id for r in rows})
            )
            return [self.rule_view(r, {}, defaults) for r in rows]

    async def _rule(
        self, session: AsyncSession, ctx: RequestContext, rule_id: str
    ) -> m.SecurityGroupRule:
        rule = await repo.get(session, m.SecurityGroupRule, rule_id)
        if rule is None:
            raise SecurityGroupRuleNotFound(rule_id)
        if (
            not self.is_admin(ctx)
            and rule.project_id != ctx.project_id
            and not await visible_group(session, ctx, rule.security_group_id, False)
        ):
            raise SecurityGroupRuleNotFound(rule_id)
        return rule

    async def get_rule(self, ctx: RequestContext, rule_id: str) -> dict[str, Any]:
        async with self.db.reader() as session:
            rule = await self._rule(session, ctx, rule_id)
            defaults = await repo.default_group_ids(session, [rule.security_group_id])
            return self.rule_view(rule, {}, defaults)

    async def create_rule(self, ctx: RequestContext, body: Mapping[str, Any]) -> dict[str, Any]:
        data = attrs.prepare_create(attrs.SECURITY_GROUP_RULE, body)
        owner = self.owner_of(ctx, data)
        validate_rule(data)
        async with self.db.session() as session:
            group = await self._group(session, ctx, data["security_group_id"])
            self.enforce(
                ctx,
                "create_security_group_rule",
                {
                    "project_id": owner,
                    "tenant_id": owner,
                    "ext_parent:tenant_id": group.project_id,
                    "ext_parent:project_id": group.project_id,
                    "ext_parent_owner:tenant_id": group.project_id,
                },
            )
            if not self.is_admin(ctx) and group.project_id != ctx.project_id:
                raise SecurityGroupNotFound(group.id)
            if data["remote_group_id"] is not None:
                await self._group(session, ctx, data["remote_group_id"])
            existing = (await repo.rules_for(session, [group.id])).get(group.id, [])
            for other in existing:
                if same_rule(other, data):
                    raise SecurityGroupRuleExists(other.id)
            await self.claim(session, owner, "security_group_rule")
            rule = self.new_std(
                m.SecurityGroupRule,
                uuid_str(),
                security_group_id=group.id,
                project_id=owner,
                description=data["description"],
                direction=data["direction"],
                ethertype=data["ethertype"],
                protocol=data["protocol"],
                port_range_min=data["port_range_min"],
                port_range_max=data["port_range_max"],
                remote_ip_prefix=data["remote_ip_prefix"],
                remote_group_id=data["remote_group_id"],
                remote_address_group_id=data["remote_address_group_id"],
            )
            session.add(rule)
            self.bump(group)
            await session.flush()
            defaults = await repo.default_group_ids(session, [group.id])
            view = self.rule_view(rule, {}, defaults)
            spec = await self._spec(session, group)
        await self.driver.security_group_updated(spec)
        return view

    async def delete_rule(
        self, ctx: RequestContext, rule_id: str, if_match: int | None = None
    ) -> None:
        async with self.db.session() as session:
            rule = await self._rule(session, ctx, rule_id)
            group = await repo.get(session, m.SecurityGroup, rule.security_group_id)
            assert group is not None
            self.enforce(
                ctx,
                "delete_security_group_rule",
                {
                    "project_id": rule.project_id,
                    "tenant_id": rule.project_id,
                    "ext_parent:tenant_id": group.project_id,
                    "ext_parent:project_id": group.project_id,
                },
            )
            self.check_revision(rule, if_match)
            await session.delete(rule)
            self.bump(group)
            await session.flush()
            spec = await self._spec(session, group)
        await self.driver.security_group_updated(spec)

    async def update_rule(
        self,
        ctx: RequestContext,
        rule_id: str,
        body: Mapping[str, Any],
        if_match: int | None = None,
    ) -> dict[str, Any]:
        data = attrs.prepare_update(attrs.SECURITY_GROUP_RULE, body)
        async with self.db.session() as session:
            rule = await self._rule(session, ctx, rule_id)
            self.enforce(
                ctx,
                "update_security_group_rule",
                {"project_id": rule.project_id, "tenant_id": rule.project_id},
            )
            self.check_revision(rule, if_match)
            if "description" in data:
                rule.description = data["description"]
            self.bump(rule)
            await session.flush()
            defaults = await repo.default_group_ids(session, [rule.security_group_id])
            return self.rule_view(rule, {}, defaults)


def validate_rule(data: dict[str, Any]) -> None:
    ethertype = str(data["ethertype"])
    match = {"ipv4": "IPv4", "ipv6": "IPv6"}.get(ethertype.lower())
    if match is None:
        raise BadRequest(
            f"Invalid input for ethertype. Reason: '{ethertype}' is not in ['IPv4', 'IPv6']."
        )
    data["ethertype"] = match
    proto = data["protocol"]
    if proto in ("any", "", None):
        proto = None
    if proto is not None and not proto.isdigit() and proto not in PROTOCOLS:
        raise BadRequest(
            f"Security group rule protocol {proto} not supported. Only protocol values "
            f"{sorted([*PROTOCOLS, None], key=str)} and integer representations [0 to 255] are supported."
        )
    if match == "IPv4" and proto is not None and proto in IPV6_ONLY_PROTOCOLS:
        raise BadRequest(f"Invalid ethertype {match} for protocol {proto}.")
    data["protocol"] = proto
    low, high = data["port_range_min"], data["port_range_max"]
    if (low is not None or high is not None) and proto is None:
        raise BadRequest("Must also specify protocol if port range is given.")
    if proto in PORT_PROTOCOLS:
        for value in (low, high):
            if value is not None and not 1 <= value <= 65535:
                raise BadRequest(f"Invalid value for port {value}")
        if low is None and high is not None:
            raise BadRequest("For TCP/UDP protocols, port_range_min must be <= port_range_max")
        if high is None and low is not None:
            high = low
        if low is not None and high is not None and low > high:
            raise BadRequest("For TCP/UDP protocols, port_range_min must be <= port_range_max")
    elif proto in ICMP_PROTOCOLS:
        if low is not None and not 0 <= low <= 255:
            raise BadRequest(
                f"Invalid value for ICMP type (port_range_min): {low}. It must be 0 to 255."
            )
        if high is not None and not 0 <= high <= 255:
            raise BadRequest(
                f"Invalid value for ICMP code (port_range_max): {high}. It must be 0 to 255."
            )
        if low is None and high is not None:
            raise BadRequest(
                f"ICMP code (port-range-max) {high} is provided but ICMP type (port-range-min) is missing."
            )
    elif (low is not None or high is not None) and proto is not None:
        raise BadRequest(
            f"Invalid protocol {proto} for port range, only supported for TCP, UDP, UDPLITE, SCTP and DCCP."
        )
    data["port_range_min"], data["port_range_max"] = low, high
    if data["remote_ip_prefix"] is not None and data["remote_group_id"] is not None:
        raise BadRequest("Only remote_ip_prefix or remote_group_id may be provided.")
    if data["remote_ip_prefix"] is not None:
        net = ipaddress.ip_network(data["remote_ip_prefix"], strict=False)
        if (net.version == 4) != (match == "IPv4"):
            raise BadRequest(
                f"Conflicting value ethertype {match} for CIDR {data['remote_ip_prefix']}"
            )


def same_rule(rule: Any, data: Mapping[str, Any]) -> bool:
    """``rule`` is a group rule or a default rule template (the same columns)."""

    def proto(value: str | None) -> str | None:
        if value is None:
            return None
        if value.isdigit():
            return value
        return str(PROTOCOLS.get(value, value))

    return (
        rule.direction == data["direction"]
        and rule.ethertype == data["ethertype"]
        and proto(rule.protocol) == proto(data["protocol"])
        and rule.port_range_min == data["port_range_min"]
        and rule.port_range_max == data["port_range_max"]
        and normalized_cidr(rule.remote_ip_prefix) == normalized_cidr(data["remote_ip_prefix"])
        and rule.remote_group_id == data["remote_group_id"]
        and rule.remote_address_group_id == data["remote_address_group_id"]
    )
