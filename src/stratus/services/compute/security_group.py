"""nova's security group proxy (os-security-groups, os-security-group-rules, deprecated at
2.36): security groups and their ingress rules in nova's shape, kept in the network service
and reached through its client with the caller's own context."""

import ipaddress
from collections.abc import Mapping
from typing import Any

from stratus.api.context import RequestContext
from stratus.kit.errors import BadRequest, Conflict, Forbidden, NotFound, StratusError
from stratus.kit.ids import is_uuid_like


def _valid_id(group_id: str) -> str:
    if not is_uuid_like(group_id):
        raise BadRequest("Security group id should be uuid")
    return group_id


def _cidr(value: Any) -> str:
    """nova's parse_cidr: none means everywhere; anything else must be a network."""
    if not value:
        return "0.0.0.0/0"
    try:
        ipaddress.ip_network(str(value), strict=False)
        if "/" not in str(value):
            raise ValueError(value)
    except ValueError:
        raise BadRequest(f"{value} is not a valid IP network.") from None
    return str(value)


def rule_view(rule: Mapping[str, Any], groups: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A neutron rule as nova shows it (``groups`` names the remote groups)."""
    protocol = rule.get("protocol")
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    if protocol and low is None and high is None:
        low, high = (1, 65535) if str(protocol).upper() in ("TCP", "UDP") else (-1, -1)
    view: dict[str, Any] = {
        "id": rule["id"],
        "parent_group_id": rule["security_group_id"],
        "ip_protocol": protocol,
        "from_port": low,
        "to_port": high,
        "group": {},
        "ip_range": {},
    }
    remote = rule.get("remote_group_id")
    if remote:
        source = groups.get(remote)
        if source is not None:
            view["group"] = {"name": source.get("name"), "tenant_id": source.get("project_id")}
    else:
        view["ip_range"] = {"cidr": rule.get("remote_ip_prefix") or "0.0.0.0/0"}
    return view


def group_view(
    group: Mapping[str, Any], groups: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    known = {group["id"]: group, **(groups or {})}
    return {
        "id": group["id"],
        "description": group.get("description") or "",
        "name": group["name"],
        "tenant_id": group.get("project_id") or group.get("tenant_id"),
        "rules": [
            rule_view(r, known)
            for r in group.get("security_group_rules", [])
            if r.get("direction") == "ingress"
            and (not r.get("remote_group_id") or r["remote_group_id"] in known)
        ],
    }


def _sorted(views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(views, key=lambda g: (g["tenant_id"] or "", g["name"]))


def _ingress(
    ip_protocol: Any, from_port: Any, to_port: Any, *, group_id: str | None, cidr: str | None
) -> dict[str, Any] | None:
    """nova's _new_ingress_rule: the rule's values, or None when a CIDR rule lacks its
    protocol and ports."""
    values: dict[str, Any] = {}
    upper = str(ip_protocol).upper() if ip_protocol else ""
    if group_id:
        values["group_id"] = group_id
        if upper == "ICMP" and from_port is None and to_port is None:
            from_port, to_port = -1, -1
        elif upper in ("TCP", "UDP") and from_port is None and to_port is None:
            from_port, to_port = 1, 65535
    elif cidr:
        values["cidr"] = cidr
    if ip_protocol and from_port is not None and to_port is not None:
        try:
            low, high = int(from_port), int(to_port)
        except (TypeError, ValueError):
            if upper == "ICMP":
                raise BadRequest(
                    "Invalid input received: Type and Code must be integers for ICMP protocol type"
                ) from None
            raise BadRequest("Invalid input received: To and From ports must be integers") from None
        if upper not in ("TCP", "UDP", "ICMP"):
            raise BadRequest(f"Invalid IP protocol {ip_protocol}.")
        if upper in ("TCP", "UDP") and low > high:
            raise BadRequest(
                f"Invalid port range {low}:{high}. Former value cannot be greater than the later"
            )
        if upper in ("TCP", "UDP") and (low < 1 or high > 65535):
            raise BadRequest(
                f"Invalid port range {low}:{high}. Valid {upper} ports should be between 1-65535"
            )
        if upper == "ICMP" and not (-1 <= low <= 255 and -1 <= high <= 255):
            raise BadRequest(
                f"Invalid port range {low}:{high}. For ICMP, the type:code must be valid"
            )
        values.update(protocol=str(ip_protocol), from_port=low, to_port=high)
    elif cidr:
        return None
    return values


class SecurityGroupProxy:
    def __init__(self, network: Any) -> None:
        self.network = network

    def _client(self) -> Any:
        if self.network is None:
            raise NotFound("The network service is not enabled.")
        return self.network

    async def list_groups(self, ctx: RequestContext, *, all_tenants: bool) -> list[dict[str, Any]]:
        project = None if (all_tenants and ctx.is_admin) else ctx.project_id
        groups = await self._client().list_security_groups(ctx, project_id=project)
        by_id = {g["id"]: g for g in groups}
        return _sorted([group_view(g, by_id) for g in groups])

    async def _get(self, ctx: RequestContext, group_id: str) -> dict[str, Any]:
        try:
            group: dict[str, Any] = await self._client().get_security_group(ctx, group_id)
        except NotFound:
            raise NotFound(f"Security group {group_id} not found.") from None
        return group

    async def _remotes(
        self, ctx: RequestContext, group: Mapping[str, Any]
    ) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for rule in group.get("security_group_rules", []):
            remote = rule.get("remote_group_id")
            if remote and remote not in out and remote != group["id"]:
                try:
                    out[remote] = await self._client().get_security_group(ctx, remote)
                except NotFound:
                    continue
        return out

    async def show(self, ctx: RequestContext, group_id: str) -> dict[str, Any]:
        group = await self._get(ctx, _valid_id(group_id))
        return group_view(group, await self._remotes(ctx, group))

    async def create(self, ctx: RequestContext, name: str, description: str) -> dict[str, Any]:
        try:
            group = await self._client().create_security_group(
                ctx, name=name, description=description
            )
        except Conflict as err:  # neutron's quota and "default" conflicts
            raise Forbidden(err.message) from None
        return group_view(group)

    async def update(
        self, ctx: RequestContext, group_id: str, name: str, description: str
    ) -> dict[str, Any]:
        await self._get(ctx, _valid_id(group_id))
        try:
            group = await self._client().update_security_group(
                ctx, group_id, name=name, description=description
            )
        except (Conflict, Forbidden) as err:
            raise BadRequest(err.message) from None
        return group_view(group)

    async def delete(self, ctx: RequestContext, group_id: str) -> None:
        await self._get(ctx, _valid_id(group_id))
        try:
            await self._client().delete_security_group(ctx, group_id)
        except NotFound:
            raise NotFound(f"Security group {group_id} not found.") from None
        except (Conflict, Forbidden) as err:  # in use, or the default group
            raise BadRequest(err.message) from None

    async def create_rule(self, ctx: RequestContext, body: Mapping[str, Any]) -> dict[str, Any]:
        parent_id = body.get("parent_group_id")
        group_id = body.get("group_id")
        if not isinstance(parent_id, str) or not is_uuid_like(parent_id):
            raise BadRequest(
                "Invalid input for field/attribute parent_group_id. "
                f"Value: {parent_id}. '{parent_id}' is not a 'uuid'"
            )
        if group_id is not None and (not isinstance(group_id, str) or not is_uuid_like(group_id)):
            raise BadRequest(
                "Invalid input for field/attribute group_id. "
                f"Value: {group_id}. '{group_id}' is not a 'uuid'"
            )
        parent = await self._get(ctx, parent_id)
        source = await self._get(ctx, group_id) if group_id else None
        cidr = None if group_id else _cidr(body.get("cidr"))
        values = _ingress(
            body.get("ip_protocol"),
            body.get("from_port"),
            body.get("to_port"),
            group_id=group_id,
            cidr=cidr,
        )
        if values is None:
            raise BadRequest("Not enough parameters to build a valid rule.")
        if cidr:
            net = ipaddress.ip_network(cidr, strict=False)
            if net.prefixlen == 0 and str(net.network_address) not in ("0.0.0.0", "::"):
                raise BadRequest(f"Bad prefix for network in cidr {cidr}")
        neutron: dict[str, Any] = {
            "security_group_id": parent_id,
            "direction": "ingress",
            "ethertype": "IPv6" if cidr and ":" in cidr else "IPv4",
            "protocol": values.get("protocol"),
            "port_range_min": values.get("from_port"),
            "port_range_max": values.get("to_port"),
        }
        if group_id:
            neutron["remote_group_id"] = group_id
        else:
            neutron["remote_ip_prefix"] = cidr
        if neutron["protocol"] and str(neutron["protocol"]).upper() == "ICMP":
            # nova's -1 (any type/code) is neutron's absent value
            for key in ("port_range_min", "port_range_max"):
                if neutron[key] == -1:
                    neutron[key] = None
        for existing in parent.get("security_group_rules", []):
            if (
                existing.get("direction") == "ingress"
                and all(
                    existing.get(k) == neutron.get(k)
                    for k in ("remote_group_id", "remote_ip_prefix", "protocol")
                )
                and rule_view(existing, {})["from_port"] == values.get("from_port")
                and (rule_view(existing, {})["to_port"] == values.get("to_port"))
            ):
                raise BadRequest(f"This rule already exists in group {parent_id}")
        try:
            made = await self._client().create_security_group_rule(ctx, neutron)
        except Conflict as err:
            raise BadRequest(err.message) from None
        except StratusError as err:
            if err.status == 400:
                raise BadRequest(err.message) from None
            raise
        known = {parent_id: parent}
        if source is not None:
            known[source["id"]] = source
        return rule_view(made, known)

    async def delete_rule(self, ctx: RequestContext, rule_id: str) -> None:
        _valid_id(rule_id)
        try:
            await self._client().get_security_group_rule(ctx, rule_id)
        except NotFound:
            raise NotFound(f"Security group rule {rule_id} not found.") from None
        await self._client().delete_security_group_rule(ctx, rule_id)
