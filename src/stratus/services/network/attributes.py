"""Resource attribute maps, as neutron-lib defines them: which attributes a resource has,
which may be set on POST / PUT, their defaults and validators, which filter and sort.
Validators raise ``ValueError(reason)``; ``prepare_*`` turn that into neutron's 400."""

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from stratus.kit.ids import is_uuid_like
from stratus.services.network.errors import HTTPBadRequest

Validator = Callable[[Any], Any]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
NAME_MAX = 255
DESCRIPTION_MAX = 255


@dataclass(frozen=True, slots=True)
class Attr:
    name: str
    validate: Validator | None = None
    post: bool = True
    put: bool = True
    default: Any = MISSING  # MISSING with post=True means required
    filter: bool = True
    sort: bool = True
    # policy-guarded on create/update: "<action>_<resource>:<name>" is checked when given
    enforce_policy: bool = False


# --- validators -------------------------------------------------------------------------


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "0"):
        return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError(f"'{value}' cannot be converted to boolean")


def string(max_len: int | None = NAME_MAX, *, nullable: bool = False) -> Validator:
    def check(value: Any) -> Any:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            raise ValueError(f"'{value}' is not a valid string")
        if max_len is not None and len(value) > max_len:
            raise ValueError(f"'{value}' exceeds maximum length of {max_len}")
        return value

    return check


def uuid(value: Any) -> str:
    if not isinstance(value, str) or not is_uuid_like(value):
        raise ValueError(f"'{value}' is not a valid UUID")
    return value


def uuid_or_none(value: Any) -> str | None:
    return None if value is None else uuid(value)


def uuid_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError(f"'{value}' is not a list")
    out = [uuid(v) for v in value]
    if len(set(out)) != len(out):
        raise ValueError(f"Duplicate items in the list: '{', '.join(out)}'")
    return out


def integer(minimum: int | None = None, maximum: int | None = None) -> Validator:
    def check(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError(f"'{value}' is not an integer")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError(f"'{value}' is not an integer") from None
        if isinstance(value, float) and value != number:
            raise ValueError(f"'{value}' is not an integer")
        if minimum is not None and number < minimum:
            raise ValueError(f"'{number}' is too small - must be at least '{minimum}'")
        if maximum is not None and number > maximum:
            raise ValueError(f"'{number}' is too large - must be no larger than '{maximum}'")
        return number

    return check


def one_of(*choices: Any, nullable: bool = False) -> Validator:
    def check(value: Any) -> Any:
        if value is None and nullable:
            return None
        if value not in choices:
            shown = ", ".join(str(c) for c in choices)
            raise ValueError(
                f"'{value}' is not in [{shown}]"
                if len(choices) < 8
                else f"'{value}' is not in {list(choices)}"
            )
        return value

    return check


_MAC_RE = re.compile(r"^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$")


def mac_address(value: Any) -> str:
    if not isinstance(value, str) or not _MAC_RE.match(value):
        raise ValueError(f"'{value}' is not a valid MAC address")
    mac = value.lower().replace("-", ":")
    if mac == "00:00:00:00:00:00" or int(mac.split(":")[0], 16) & 1:
        raise ValueError(f"'{value}' is not a valid MAC address")
    return mac


def mac_address_or_none(value: Any) -> str | None:
    return None if value is None else mac_address(value)


def ip_address(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"'{value}' is not a valid IP address")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(f"'{value}' is not a valid IP address") from None


def ip_or_none(value: Any) -> str | None:
    return None if value is None else ip_address(value)


def cidr(value: Any) -> str:
    if not isinstance(value, str) or "/" not in value:
        try:
            if isinstance(value, str):
                ipaddress.ip_address(value)
                raise ValueError(
                    f"'{value}' isn't a recognized IP subnet cidr, "
                    f"'{ipaddress.ip_network(value)}' is recommended"
                )
        except ValueError as err:
            if "recommended" in str(err):
                raise
        raise ValueError(f"'{value}' is not a valid IP subnet")
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"'{value}' is not a valid IP subnet") from None
    return str(net)


def cidr_as_given(value: Any) -> str | None:
    """A valid CIDR kept as the caller wrote it (security group rules echo it; the
    normalised form is ``normalized_cidr``)."""
    if value is None:
        return None
    cidr(value)
    return str(value)


def cidr_or_none(value: Any) -> str | None:
    return None if value is None else cidr(value)


def ip_or_cidr(value: Any) -> str:
    if isinstance(value, str) and "/" in value:
        return cidr(value)
    return ip_address(value)


def list_of(item: Validator, *, what: str = "list") -> Validator:
    def check(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise ValueError(f"'{value}' is not a {what}")
        return [item(v) for v in value]

    return check


def nullable_list_of(item: Validator) -> Validator:
    inner = list_of(item)

    def check(value: Any) -> list[Any]:
        return [] if value is None else inner(value)

    return check


def dict_or_empty(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"'{value}' is not a dictionary")
    return value


def allocation_pools(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise ValueError(f"Invalid data format for IP pool: '{value}'")
    out = []
    for pool in value:
        if not isinstance(pool, dict) or set(pool) != {"start", "end"}:
            raise ValueError(f"Invalid data format for IP pool: '{pool}'")
        out.append({"start": ip_address(pool["start"]), "end": ip_address(pool["end"])})
    return out


def nameservers(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError(f"Invalid data format for nameserver: '{value}'")
    seen: list[str] = []
    for ns in value:
        try:
            addr = ip_address(ns)
        except ValueError:
            raise ValueError(
                f"'{ns}' is not a valid nameserver. '{ns}' is not a valid IP address"
            ) from None
        if addr in seen:
            raise ValueError(f"Duplicate nameserver '{addr}'")
        seen.append(addr)
    return seen


def host_routes(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise ValueError(f"Invalid data format for hostroute: '{value}'")
    out: list[dict[str, str]] = []
    for route in value:
        if not isinstance(route, dict) or set(route) != {"destination", "nexthop"}:
            raise ValueError(f"Invalid data format for hostroute: '{route}'")
        entry = {"destination": cidr(route["destination"]), "nexthop": ip_address(route["nexthop"])}
        if entry in out:
            raise ValueError(f"Duplicate hostroute '{route}'")
        out.append(entry)
    return out


def fixed_ips(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise ValueError(f"Invalid data format for fixed IP: '{value}'")
    out = []
    for item in value:
        if not isinstance(item, dict) or not set(item) <= {"subnet_id", "ip_address"} or not item:
            raise ValueError(f"Invalid data format for fixed IP: '{item}'")
        entry: dict[str, str] = {}
        if "ip_address" in item:
            entry["ip_address"] = ip_address(item["ip_address"])
        if "subnet_id" in item:
            entry["subnet_id"] = uuid(item["subnet_id"])
        out.append(entry)
    return out


def address_pairs(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError("Allowed address pairs must be a list.")
    out: list[dict[str, str]] = []
    for pair in value:
        if not isinstance(pair, dict) or "ip_address" not in pair:
            raise ValueError("AllowedAddressPair must contain ip_address")
        extra = set(pair) - {"ip_address", "mac_address"}
        if extra:
            raise ValueError(f"Unrecognized attribute(s) '{', '.join(sorted(extra))}'")
        entry = {"ip_address": ip_or_cidr(pair["ip_address"])}
        if pair.get("mac_address") is not None:
            entry["mac_address"] = mac_address(pair["mac_address"])
        if entry in out:
            raise ValueError("Duplicate address detected")
        out.append(entry)
    return out


def extra_dhcp_opts(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"'{value}' is not a list")
    out = []
    for opt in value:
        if not isinstance(opt, dict) or "opt_name" not in opt:
            raise ValueError(f"Invalid data format for extra-dhcp-opt: {opt}")
        version = int(opt.get("ip_version", 4))
        if version not in (4, 6):
            raise ValueError(f"'{version}' is not in [4, 6]")
        out.append(
            {
                "opt_name": str(opt["opt_name"]),
                "opt_value": opt.get("opt_value"),
                "ip_version": version,
            }
        )
    return out


def route_list(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    return host_routes(value)


def project(value: Any) -> str:
    return string(255)(value)  # type: ignore[no-any-return]


def tags(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError(f"'{value}' is not a list")
    out: list[str] = []
    for tag in value:
        if not isinstance(tag, str) or not tag or len(tag) > 255 or "," in tag:
            raise ValueError(f"'{tag}' is not a valid tag")
        if tag not in out:
            out.append(tag)
    return out


# --- the maps ----------------------------------------------------------------------------

_NAME = Attr("name", string(NAME_MAX), default="")
_DESCRIPTION = Attr("description", string(DESCRIPTION_MAX), default="")
_PROJECT = Attr("project_id", project, put=False, default=MISSING)
_TENANT = Attr("tenant_id", project, put=False, default=MISSING)
_RO = {"post": False, "put": False}


def standard(*attrs: Attr) -> dict[str, Attr]:
    base = [
        Attr("id", uuid, **_RO),
        _PROJECT,
        _TENANT,
        Attr("revision_number", None, **_RO),
        Attr("created_at", None, **_RO),
        Attr("updated_at", None, **_RO),
        Attr("tags", tags, put=False, default=[], filter=False, sort=False),
    ]
    return {a.name: a for a in (*base, *attrs)}


NETWORK_TYPES = ("flat", "vlan", "vxlan", "geneve", "local")

NETWORK = standard(
    _NAME,
    _DESCRIPTION,
    Attr("admin_state_up", to_bool, default=True),
    Attr("status", None, **_RO),
    Attr("subnets", None, **_RO, filter=False, sort=False),
    Attr("shared", to_bool, default=False, enforce_policy=True, sort=False),
    Attr("router:external", to_bool, default=False, enforce_policy=True, sort=False),
    Attr("mtu", integer(0, 65535), default=MISSING),
    Attr("port_security_enabled", to_bool, default=True, enforce_policy=True),
    Attr("provider:network_type", string(32), default=MISSING, enforce_policy=True, sort=False),
    Attr(
        "provider:physical_network",
        string(64, nullable=True),
        default=MISSING,
        enforce_policy=True,
        sort=False,
    ),
    Attr(
        "provider:segmentation_id",
        integer(0, 16777215),
        default=MISSING,
        enforce_policy=True,
        sort=False,
    ),
    Attr(
        "segments",
        list_of(dict_or_empty),
        default=MISSING,
        enforce_policy=True,
        filter=False,
        sort=False,
    ),
    Attr(
        "availability_zone_hints",
        list_of(string(255)),
        put=False,
        default=[],
        filter=False,
        sort=False,
    ),
    Attr("availability_zones", None, **_RO, filter=False, sort=False),
    Attr("is_default", to_bool, default=False, enforce_policy=True),
    Attr("dns_domain", string(255), default=""),
    Attr("qos_policy_id", uuid_or_none, default=None),
    Attr("ipv4_address_scope", None, **_RO),
    Attr("ipv6_address_scope", None, **_RO),
    Attr("l2_adjacency", None, **_RO, filter=False),
)

SEGMENT = standard(
    Attr("network_id", uuid, put=False),
    Attr("name", string(NAME_MAX, nullable=True), default=None),
    _DESCRIPTION,
    Attr("network_type", one_of(*NETWORK_TYPES), put=False),
    Attr("physical_network", string(64, nullable=True), put=False, default=None),
    Attr("segmentation_id", integer(0, 16777215), put=False, default=None),
)

IPV6_MODES = ("slaac", "dhcpv6-stateful", "dhcpv6-stateless")

SUBNET = standard(
    _NAME,
    _DESCRIPTION,
    Attr("network_id", uuid, put=False),
    Attr("ip_version", integer(), put=False),
    Attr("cidr", cidr, put=False, default=MISSING),
    Attr("gateway_ip", ip_or_none, default=MISSING),
    Attr("allocation_pools", allocation_pools, default=MISSING, filter=False, sort=False),
    Attr("dns_nameservers", nameservers, default=[], filter=False, sort=False),
    Attr("host_routes", host_routes, default=[], filter=False, sort=False),
    Attr("enable_dhcp", to_bool, default=True),
    Attr("ipv6_ra_mode", one_of(*IPV6_MODES, nullable=True), put=False, default=None),
    Attr("ipv6_address_mode", one_of(*IPV6_MODES, nullable=True), put=False, default=None),
    Attr("subnetpool_id", uuid_or_none, put=False, default=None),
    Attr("prefixlen", integer(0, 128), put=False, default=MISSING, filter=False, sort=False),
    Attr("use_default_subnetpool", to_bool, put=False, default=False, filter=False, sort=False),
    Attr("segment_id", uuid_or_none, default=None),
    Attr("service_types", list_of(string(255)), default=[], filter=False, sort=False),
    Attr("dns_publish_fixed_ip", to_bool, default=False),
)

VNIC_TYPES = (
    "normal",
    "direct",
    "macvtap",
    "direct-physical",
    "baremetal",
    "virtio-forwarder",
    "smart-nic",
    "vdpa",
    "accelerator-direct",
    "accelerator-direct-physical",
    "remote-managed",
)

PORT = standard(
    _NAME,
    _DESCRIPTION,
    Attr("network_id", uuid, put=False),
    Attr("admin_state_up", to_bool, default=True),
    Attr("mac_address", mac_address_or_none, default=MISSING, enforce_policy=True),
    Attr("fixed_ips", fixed_ips, default=MISSING, enforce_policy=True, sort=False),
    Attr("device_id", string(255), default=""),
    Attr("device_owner", string(255), default="", enforce_policy=True),
    Attr("status", None, **_RO),
    Attr("security_groups", uuid_list, default=MISSING, sort=False),
    Attr("port_security_enabled", to_bool, default=MISSING, enforce_policy=True),
    Attr(
        "allowed_address_pairs",
        address_pairs,
        default=[],
        enforce_policy=True,
        filter=False,
        sort=False,
    ),
    Attr("extra_dhcp_opts", extra_dhcp_opts, default=[], filter=False, sort=False),
    Attr("binding:host_id", string(255), default="", enforce_policy=True, sort=False),
    Attr(
        "binding:vnic_type", one_of(*VNIC_TYPES), default="normal", enforce_policy=True, sort=False
    ),
    Attr(
        "binding:profile", dict_or_empty, default={}, enforce_policy=True, filter=False, sort=False
    ),
    # port-trusted-vif: kept in binding:profile as neutron shows it there too.
    Attr("trusted", to_bool, default=MISSING, enforce_policy=True, filter=False, sort=False),
    Attr("binding:vif_type", None, **_RO, sort=False),
    Attr("binding:vif_details", None, **_RO, filter=False, sort=False),
    Attr("dns_name", string(255), default=""),
    Attr("dns_domain", string(255), default=""),
    Attr("dns_assignment", None, **_RO, filter=False, sort=False),
    Attr("qos_policy_id", uuid_or_none, default=None),
    Attr("qos_network_policy_id", None, **_RO),
    Attr("resource_request", None, **_RO, filter=False, sort=False),
    Attr("propagate_uplink_status", to_bool, default=False),
    Attr("trunk_details", None, **_RO, filter=False, sort=False),
    Attr("ip_allocation", None, **_RO),
)

DIRECTIONS = ("ingress", "egress")
ETHERTYPES = ("IPv4", "IPv6")

SECURITY_GROUP = standard(
    _NAME,
    _DESCRIPTION,
    Attr("stateful", to_bool, default=True),
    Attr("shared", None, **_RO),
    Attr("security_group_rules", None, **_RO, filter=False, sort=False),
)


def _protocol(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= 255:
            raise ValueError(f"'{value}' is not a valid protocol number")
        return str(value)
    if isinstance(value, str):
        if value.isdigit():
            if not 0 <= int(value) <= 255:
                raise ValueError(f"'{value}' is not a valid protocol number")
            return value
        return value.lower()
    raise ValueError(f"'{value}' is not a valid protocol")


def _port_value(value: Any) -> int | None:
    if value is None:
        return None
    # range checks happen with the protocol known (neutron: "Invalid value for port N")
    return integer()(value)  # type: ignore[no-any-return]


SECURITY_GROUP_RULE = standard(
    _DESCRIPTION,
    Attr("security_group_id", uuid, put=False),
    Attr("direction", one_of(*DIRECTIONS), put=False),
    Attr("ethertype", string(16), put=False, default="IPv4"),
    Attr("protocol", _protocol, put=False, default=None),
    Attr("port_range_min", _port_value, put=False, default=None),
    Attr("port_range_max", _port_value, put=False, default=None),
    Attr("remote_ip_prefix", cidr_as_given, put=False, default=None),
    # not UUID-validated: an unknown id answers 404 SecurityGroupNotFound, as upstream
    Attr("remote_group_id", string(255, nullable=True), put=False, default=None),
    Attr("remote_address_group_id", uuid_or_none, put=False, default=None),
    Attr("normalized_cidr", None, **_RO),
    Attr("belongs_to_default_sg", None, **_RO),
)


# security-groups-default-rules: rule templates; nothing is updatable, both flags required.
DEFAULT_SG_RULE = {
    a.name: a
    for a in (
        Attr("id", uuid, **_RO),
        Attr("tenant_id", string(255), put=False, default=None, filter=False, sort=False),
        Attr("project_id", string(255), put=False, default=None, filter=False, sort=False),
        Attr("description", string(255), put=False, default="", sort=False),
        Attr("direction", one_of(*DIRECTIONS), put=False),
        Attr("ethertype", string(16), put=False, default="IPv4"),
        Attr("protocol", _protocol, put=False, default=None),
        Attr("port_range_min", _port_value, put=False, default=None),
        Attr("port_range_max", _port_value, put=False, default=None),
        Attr("remote_ip_prefix", cidr_as_given, put=False, default=None),
        Attr("remote_group_id", string(255, nullable=True), put=False, default=None),
        Attr("remote_address_group_id", uuid_or_none, put=False, default=None),
        Attr("used_in_default_sg", to_bool, put=False),
        Attr("used_in_non_default_sg", to_bool, put=False),
    )
}


def _gateway_info(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"'{value}' is not a dictionary")
    extra = set(value) - {"network_id", "enable_snat", "external_fixed_ips", "qos_policy_id"}
    if extra:
        raise ValueError(
            f"Validation of dictionary's keys failed. Expected keys: {{'network_id'}} Provided keys: {set(value)}"
        )
    if not value:
        return None
    if "network_id" not in value:
        raise ValueError("Validation of dictionary's keys failed. Expected keys: {'network_id'}")
    out: dict[str, Any] = {"network_id": uuid(value["network_id"])}
    if "enable_snat" in value:
        out["enable_snat"] = to_bool(value["enable_snat"])
    if "external_fixed_ips" in value:
        out["external_fixed_ips"] = fixed_ips(value["external_fixed_ips"])
    if "qos_policy_id" in value:
        out["qos_policy_id"] = uuid_or_none(value["qos_policy_id"])
    return out


ROUTER = standard(
    _NAME,
    _DESCRIPTION,
    Attr("admin_state_up", to_bool, default=True),
    Attr("status", None, **_RO),
    Attr(
        "external_gateway_info",
        _gateway_info,
        default=None,
        enforce_policy=True,
        filter=False,
        sort=False,
    ),
    Attr("routes", route_list, post=False, default=[], filter=False, sort=False),
    Attr("distributed", to_bool, default=False, enforce_policy=True),
    Attr("ha", to_bool, default=False, enforce_policy=True),
    Attr(
        "availability_zone_hints",
        list_of(string(255)),
        put=False,
        default=[],
        filter=False,
        sort=False,
    ),
    Attr("availability_zones", None, **_RO, filter=False, sort=False),
    Attr("flavor_id", uuid_or_none, put=False, default=None),
)

FLOATINGIP = standard(
    _DESCRIPTION,
    Attr("floating_network_id", uuid, put=False),
    Attr("floating_ip_address", ip_address, put=False, default=MISSING, enforce_policy=True),
    Attr("subnet_id", uuid_or_none, put=False, default=None, filter=False, sort=False),
    Attr("port_id", uuid_or_none, default=None),
    Attr("fixed_ip_address", ip_or_none, default=None),
    Attr("router_id", None, **_RO),
    Attr("status", None, **_RO),
    Attr("dns_name", string(255), put=False, default=""),
    Attr("dns_domain", string(255), put=False, default=""),
    Attr("qos_policy_id", uuid_or_none, default=None),
    Attr("port_details", None, **_RO, filter=False, sort=False),
    Attr("port_forwardings", None, **_RO, filter=False, sort=False),
)

RBAC_OBJECT_TYPES = (
    "network",
    "qos_policy",
    "security_group",
    "address_scope",
    "subnetpool",
    "address_group",
)
RBAC_ACTIONS = ("access_as_shared", "access_as_external")

RBAC_POLICY = {
    a.name: a
    for a in (
        Attr("id", uuid, **_RO),
        _PROJECT,
        _TENANT,
        Attr("object_type", one_of(*RBAC_OBJECT_TYPES), put=False),
        Attr("object_id", uuid, put=False),
        Attr("action", one_of(*RBAC_ACTIONS), put=False),
        Attr("target_tenant", string(255), default=MISSING),
        Attr("target_project", string(255), default=MISSING),
    )
}

AGENT = {
    a.name: a
    for a in (
        Attr("id", uuid, **_RO),
        Attr("agent_type", None, **_RO),
        Attr("binary", None, **_RO),
        Attr("topic", None, **_RO),
        Attr("host", None, **_RO),
        Attr("availability_zone", None, **_RO),
        Attr("admin_state_up", to_bool, post=False, default=True),
        Attr("description", string(255, nullable=True), post=False, default=None),
        Attr("alive", None, **_RO),
        Attr("configurations", None, **_RO, filter=False),
        Attr("created_at", None, **_RO),
        Attr("started_at", None, **_RO),
        Attr("heartbeat_timestamp", None, **_RO),
        Attr("resources_synced", None, **_RO),
    )
}


def _reason(attr: str, err: ValueError) -> HTTPBadRequest:
    return HTTPBadRequest(f"Invalid input for {attr}. Reason: {err}.")


def prepare_create(amap: Mapping[str, Attr], body: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a POST body: unknown or read-only attributes are 400, required ones must be
    given, defaults filled in (MISSING stays absent so the service can compute it)."""
    unknown = [k for k in body if k not in amap]
    if unknown:
        raise HTTPBadRequest(f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    out: dict[str, Any] = {}
    for name, attr in amap.items():
        if name in body:
            if not attr.post:
                raise HTTPBadRequest(f"Attribute '{name}' not allowed in POST")
            value = body[name]
            if attr.validate is not None:
                try:
                    value = attr.validate(value)
                except ValueError as err:
                    raise _reason(name, err) from None
            out[name] = value
        elif attr.post and attr.default is MISSING and name not in _OPTIONAL_WITHOUT_DEFAULT:
            raise HTTPBadRequest(
                f"Failed to parse request. Required attribute '{name}' not specified"
            )
        elif attr.post and attr.default is not MISSING:
            default = attr.default
            out[name] = (
                list(default)
                if isinstance(default, list)
                else (dict(default) if isinstance(default, dict) else default)
            )
    return out


# Attributes whose absence means "let the server decide" rather than "required".
_OPTIONAL_WITHOUT_DEFAULT = {
    "project_id",
    "tenant_id",
    "mtu",
    "provider:network_type",
    "provider:physical_network",
    "provider:segmentation_id",
    "segments",
    "cidr",
    "gateway_ip",
    "allocation_pools",
    "prefixlen",
    "mac_address",
    "fixed_ips",
    "security_groups",
    "port_security_enabled",
    "trusted",
    "floating_ip_address",
    "target_tenant",
    "target_project",
    "default_prefixlen",
    "min_prefixlen",
    "max_prefixlen",
    "prefixes",
}


def prepare_update(amap: Mapping[str, Attr], body: Mapping[str, Any]) -> dict[str, Any]:
    unknown = [k for k in body if k not in amap]
    if unknown:
        raise HTTPBadRequest(f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    out: dict[str, Any] = {}
    for name, value in body.items():
        attr = amap[name]
        if not attr.put:
            raise HTTPBadRequest(f"Cannot update read-only attribute {name}")
        if attr.validate is not None:
            try:
                value = attr.validate(value)
            except ValueError as err:
                raise _reason(name, err) from None
        out[name] = value
    return out


def convert_filter(amap: Mapping[str, Attr], name: str, raw: str) -> Any:
    """Query-string values arrive as strings: convert through the attribute's validator where
    that is meaningful (booleans, integers); anything else filters as text."""
    attr = amap.get(name)
    if attr is None or attr.validate is None:
        return raw
    if attr.validate is to_bool:
        try:
            return to_bool(raw)
        except ValueError as err:
            raise _reason(name, err) from None
    if name in (
        "mtu",
        "ip_version",
        "port_range_min",
        "port_range_max",
        "provider:segmentation_id",
        "segmentation_id",
    ):
        try:
            return int(raw)
        except ValueError:
            raise _reason(name, ValueError(f"'{raw}' is not an integer")) from None
    return raw
