"""The metadata trees of one instance, as nova-api-metadata serves them: the OpenStack tree
(``/openstack/<version>/meta_data.json``, ``network_data.json``, ``user_data``, ``password``,
``vendor_data.json``, ``vendor_data2.json``) and the EC2-compatible one
(``/<version>/meta-data/...``, ``/<version>/user-data``). Pure: the facts come in, bytes go out;
the HTTP handler and the config drive builder share it."""

import base64
import datetime as dt
import ipaddress
import json
import os
import posixpath
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# EC2 metadata versions, oldest first ("latest" is the last one).
EC2_VERSIONS = (
    "1.0",
    "2007-01-19",
    "2007-03-01",
    "2007-08-29",
    "2007-10-10",
    "2007-12-15",
    "2008-02-01",
    "2008-09-01",
    "2009-04-04",
)

# OpenStack metadata versions: dates named after the release that changed the tree.
FOLSOM = "2012-08-10"  # meta_data.json
GRIZZLY = "2013-04-04"  # random_seed, password
HAVANA = "2013-10-17"  # vendor_data.json
LIBERTY = "2015-10-15"  # project_id, network_data.json
NEWTON_ONE = "2016-06-30"  # devices (tagged interfaces and disks)
NEWTON_TWO = "2016-10-06"  # vendor_data2.json
OCATA = "2017-02-22"  # vlan of tagged interfaces
ROCKY = "2018-08-27"  # vf_trusted of tagged interfaces
VICTORIA = "2020-10-14"  # dedicated_cpus
EPOXY = "2025-04-04"  # shares in devices

OPENSTACK_VERSIONS = (
    FOLSOM,
    GRIZZLY,
    HAVANA,
    LIBERTY,
    NEWTON_ONE,
    NEWTON_TWO,
    OCATA,
    ROCKY,
    VICTORIA,
    EPOXY,
)

# The EC2 versions nova leaves out of a config drive (its config_drive_skip_versions default).
CONFIG_DRIVE_SKIP_VERSIONS = frozenset(EC2_VERSIONS[:-1])

JSON = "application/json"
TEXT = "text/plain"

# VIF types nova names as such in network_data.json links; any other is reported as "phy".
_EXPOSED_VIF_TYPES = frozenset(
    ("bridge", "dvs", "hw_veb", "hyperv", "ovs", "tap", "vhostuser", "vif")
)


class PathNotFound(Exception):
    """No such path in the trees (nova answers 404)."""


@dataclass(frozen=True)
class KeyPairFacts:
    name: str
    type: str
    public_key: str


@dataclass(frozen=True)
class InstanceFacts:
    """Everything the trees say about one instance, collected once per request."""

    uuid: str
    name: str
    hostname: str
    project_id: str
    launch_index: int
    reservation_id: str
    availability_zone: str | None
    image_ref: str
    flavor: Mapping[str, Any]
    key_name: str | None
    key_data: str | None
    keypair: KeyPairFacts | None
    user_data: bytes | None
    meta: Mapping[str, str]
    security_groups: Sequence[str]
    # nova's info cache: the interfaces as the network service reported them
    network_info: Sequence[Mapping[str, Any]]
    password: str | None
    dedicated_cpus: Sequence[int] = ()
    vendor_data: Mapping[str, Any] = field(default_factory=dict)
    dhcp_domain: str = ""
    # Files injected at boot (personality): (guest path, content).
    files: Sequence[tuple[str, bytes]] = ()


@dataclass(frozen=True)
class Leaf:
    """What a path resolves to: a body and its content type; ``password`` marks the one
    path that also takes POST."""

    body: bytes
    content_type: str = TEXT
    password: bool = False


def ec2_id(prefix: str, uuid: str) -> str:
    """EC2-style ids (``i-0000001a``) come from nova's integer ids; Stratus has none, so the
    first 32 bits of the uuid stand in: stable per resource, unique in practice."""
    digits = uuid.replace("-", "")[:8] or "0"
    return f"{prefix}-{int(digits, 16):08x}"


def _render(data: Any) -> bytes:
    """nova's ``ec2_md_print``: a dict lists its keys (``key/`` for a subtree, a subtree's
    ``_name`` when it has one), a list its items one a line, anything else as text."""
    if isinstance(data, dict):
        lines = []
        for key in sorted(data):
            if key == "_name":
                continue
            value = data[key]
            if isinstance(value, dict):
                lines.append(str(value["_name"]) if "_name" in value else f"{key}/")
            else:
                lines.append(key)
        return "\n".join(lines).encode()
    if isinstance(data, list | tuple):
        return "\n".join(str(item) for item in data).encode()
    if isinstance(data, bytes):
        return data
    return str(data).encode()


class InstanceMetadata:
    """The trees of one instance."""

    def __init__(self, facts: InstanceFacts, *, address: str | None = None) -> None:
        self.facts = facts
        self.address = address
        self.content: dict[str, bytes] = {}
        self.files: list[dict[str, str]] = []
        for path, data in facts.files:
            key = f"{len(self.content):04d}"
            self.content[key] = data
            self.files.append({"path": path, "content_path": f"/content/{key}"})

    # -- the host name and addresses -----------------------------------------------------

    def hostname(self) -> str:
        domain = self.facts.dhcp_domain
        return f"{self.facts.hostname}.{domain}" if domain else self.facts.hostname

    def _ips(self, version: int) -> list[str]:
        out = []
        for vif in self.facts.network_info:
            for subnet in vif.get("subnets", ()):
                if subnet.get("ip_version", 4) == version:
                    out.extend(subnet.get("ips", ()))
        return out

    def _floating_ips(self) -> list[str]:
        return [f for vif in self.facts.network_info for f in vif.get("floating_ips", ())]

    # -- EC2 -------------------------------------------------------------------------------

    def _block_device_mapping(self) -> dict[str, str]:
        mapping = {"ami": "vda", "root": "/dev/vda"}
        letter = ord("b")
        if int(self.facts.flavor.get("ephemeral_gb") or 0) > 0:
            mapping["ephemeral0"] = f"vd{chr(letter)}"
            letter += 1
        if int(self.facts.flavor.get("swap") or 0) > 0:
            mapping["swap"] = f"vd{chr(letter)}"
        return mapping

    def ec2_metadata(self, version: str) -> dict[str, Any]:
        if version == "latest":
            version = EC2_VERSIONS[-1]
        if version not in EC2_VERSIONS:
            raise PathNotFound(version)
        since = EC2_VERSIONS.index(version)
        hostname = self.hostname()
        fixed = self._ips(4)
        floating = self._floating_ips()
        meta: dict[str, Any] = {
            "ami-id": ec2_id("ami", self.facts.image_ref) if self.facts.image_ref else "",
            "ami-launch-index": self.facts.launch_index,
            "ami-manifest-path": "FIXME",
            "instance-id": ec2_id("i", self.facts.uuid),
            "hostname": hostname,
            "local-ipv4": fixed[0] if fixed else (self.address or ""),
            "reservation-id": self.facts.reservation_id,
            "security-groups": list(self.facts.security_groups),
        }
        if self.facts.key_name:
            meta["public-keys"] = {
                "0": {"_name": f"0={self.facts.key_name}", "openssh-key": self.facts.key_data or ""}
            }
        if since >= EC2_VERSIONS.index("2007-01-19"):
            meta["local-hostname"] = hostname
            meta["public-hostname"] = hostname
            meta["public-ipv4"] = floating[0] if floating else ""
        if since >= EC2_VERSIONS.index("2007-08-29"):
            meta["instance-type"] = str(self.facts.flavor.get("name", ""))
        if since >= EC2_VERSIONS.index("2007-12-15"):
            meta["block-device-mapping"] = self._block_device_mapping()
        if since >= EC2_VERSIONS.index("2008-02-01"):
            meta["placement"] = {"availability-zone": self.facts.availability_zone}
        if since >= EC2_VERSIONS.index("2008-09-01"):
            meta["instance-action"] = "none"
        data: dict[str, Any] = {"meta-data": meta}
        if self.facts.user_data is not None:
            data["user-data"] = self.facts.user_data
        return data

    # -- OpenStack -------------------------------------------------------------------------

    @staticmethod
    def _os_version(token: str) -> str:
        version = OPENSTACK_VERSIONS[-1] if token == "latest" else token
        if version not in OPENSTACK_VERSIONS:
            raise PathNotFound(token)
        return version

    @staticmethod
    def _since(required: str, version: str) -> bool:
        return OPENSTACK_VERSIONS.index(version) >= OPENSTACK_VERSIONS.index(required)

    def listing(self, version: str) -> list[str]:
        names = ["meta_data.json"]
        if self.facts.user_data is not None:
            names.append("user_data")
        if self._since(GRIZZLY, version):
            names.append("password")
        if self._since(HAVANA, version):
            names.append("vendor_data.json")
        if self._since(LIBERTY, version):
            names.append("network_data.json")
        if self._since(NEWTON_TWO, version):
            names.append("vendor_data2.json")
        return names

    def meta_data(self, version: str) -> dict[str, Any]:
        facts = self.facts
        doc: dict[str, Any] = {"uuid": facts.uuid}
        if facts.meta:
            doc["meta"] = dict(facts.meta)
        if self.files:
            doc["files"] = list(self.files)
        if facts.key_name and facts.keypair is not None:
            doc["public_keys"] = {facts.keypair.name: facts.keypair.public_key}
            doc["keys"] = [
                {
                    "name": facts.keypair.name,
                    "type": facts.keypair.type,
                    "data": facts.keypair.public_key,
                }
            ]
        doc["hostname"] = self.hostname()
        doc["name"] = facts.name
        doc["launch_index"] = facts.launch_index
        doc["availability_zone"] = facts.availability_zone
        if self._since(GRIZZLY, version):
            doc["random_seed"] = base64.b64encode(os.urandom(512)).decode()
        if self._since(LIBERTY, version):
            doc["project_id"] = facts.project_id
        if self._since(NEWTON_ONE, version):
            doc["devices"] = self._devices(version)
        if self._since(VICTORIA, version):
            doc["dedicated_cpus"] = sorted(facts.dedicated_cpus)
        return doc

    def _devices(self, version: str) -> list[dict[str, Any]]:
        """Tagged devices. Interfaces carry the tag they were requested with; without a tag
        nova leaves a NIC out (a vlan or vf_trusted would also show it: not modelled yet)."""
        out: list[dict[str, Any]] = []
        for vif in self.facts.network_info:
            tag = vif.get("tag")
            if not tag:
                continue
            device: dict[str, Any] = {}
            if self._since(ROCKY, version):
                device["vf_trusted"] = False
            device.update(
                {
                    "type": "nic",
                    "mac": vif.get("mac_address"),
                    "bus": "none",
                    "address": "none",
                    "tags": [tag],
                }
            )
            out.append(device)
        return out

    def network_data(self) -> dict[str, Any]:
        """nova's ``get_network_metadata``: one link per interface with a subnet, one
        network per first IPv4/IPv6 subnet of each, the DNS servers as services."""
        links: list[dict[str, Any]] = []
        networks: list[dict[str, Any]] = []
        services: list[dict[str, str]] = []
        if not self.facts.network_info:
            return {}
        ifc = -1
        for vif in self.facts.network_info:
            subnets = list(vif.get("subnets") or ())
            if not subnets:
                continue
            ifc += 1
            v4 = next((s for s in subnets if s.get("ip_version", 4) == 4), None)
            v6 = next((s for s in subnets if s.get("ip_version") == 6), None)
            if v4 is None and v6 is None:
                continue
            dhcp = any(s.get("enable_dhcp") for s in subnets)
            vif_type = str(vif.get("vif_type") or "")
            link_id = f"tap{str(vif.get('port_id', ''))[:11]}"
            link = {
                "id": link_id,
                "vif_id": vif.get("port_id"),
                "type": vif_type if vif_type in _EXPOSED_VIF_TYPES else "phy",
                # A DHCP server tells the guest its MTU; nova leaves it out then.
                "mtu": None if dhcp else vif.get("mtu"),
                "ethernet_mac_address": vif.get("mac_address"),
            }
            links.append(link)
            for subnet, version in ((v4, 4), (v6, 6)):
                if subnet is None or not subnet.get("ips"):
                    continue
                networks.append(self._network(vif, subnet, version, len(networks), link_id))
                for dns in self._dns(subnet):
                    if dns not in services:
                        services.append(dns)
        return {"links": links, "networks": networks, "services": services}

    @staticmethod
    def _dns(subnet: Mapping[str, Any]) -> list[dict[str, str]]:
        return [{"type": "dns", "address": a} for a in subnet.get("dns_nameservers") or ()]

    def _network(
        self, vif: Mapping[str, Any], subnet: Mapping[str, Any], version: int, num: int, link: str
    ) -> dict[str, Any]:
        mode = subnet.get("ipv6_address_mode")
        suffix = f"_{mode}" if version == 6 and mode else ""
        if not suffix and subnet.get("enable_dhcp"):
            return {
                "id": f"network{num}",
                "type": f"ipv{version}_dhcp",
                "link": link,
                "network_id": vif.get("network_id"),
            }
        cidr = ipaddress.ip_network(str(subnet["cidr"]), strict=False)
        gateway = subnet.get("gateway_ip")
        routes: list[dict[str, str]] = []
        if gateway:
            any_net = "0.0.0.0" if version == 4 else "::"
            routes.append({"network": any_net, "netmask": any_net, "gateway": gateway})
        for route in subnet.get("host_routes") or ():
            dest = ipaddress.ip_network(str(route["destination"]), strict=False)
            routes.append(
                {
                    "network": str(dest.network_address),
                    "netmask": str(dest.netmask),
                    "gateway": str(route["nexthop"]),
                }
            )
        return {
            "id": f"network{num}",
            "type": f"ipv{version}{suffix}",
            "link": link,
            "ip_address": subnet["ips"][0],
            "netmask": str(cidr.netmask),
            "routes": routes,
            "network_id": vif.get("network_id"),
            "services": self._dns(subnet),
        }

    def _openstack(self, tokens: list[str]) -> Leaf:
        if tokens[0] == "content":
            if len(tokens) != 2 or tokens[1] not in self.content:
                raise PathNotFound("/".join(tokens))
            return Leaf(self.content[tokens[1]])
        version = self._os_version(tokens[0])
        name = "/".join(tokens[1:])
        if not name:
            return Leaf(_render(self.listing(version)))
        if name == "meta_data.json":
            return Leaf(_json(self.meta_data(version)), JSON)
        if name == "user_data" and self.facts.user_data is not None:
            return Leaf(self.facts.user_data)
        if name == "password" and self._since(GRIZZLY, version):
            return Leaf((self.facts.password or "").encode(), password=True)
        if name == "vendor_data.json" and self._since(HAVANA, version):
            return Leaf(_json(dict(self.facts.vendor_data)), JSON)
        if name == "network_data.json" and self._since(LIBERTY, version):
            return Leaf(_json(self.network_data()))
        if name == "vendor_data2.json" and self._since(NEWTON_TWO, version):
            return Leaf(_json({"static": dict(self.facts.vendor_data)}), JSON)
        raise PathNotFound(name)

    def lookup(self, path: str, *, today: dt.date | None = None) -> Leaf:
        """Resolve a request path as nova does: anything not under ``/openstack`` is EC2."""
        path = posixpath.normpath("/" + path.lstrip("/"))
        tokens = path.split("/")[1:]
        if tokens == [""]:
            return Leaf(_render([*EC2_VERSIONS, "latest"]))
        if tokens[0] not in ("ec2", "openstack"):
            tokens = ["ec2", *tokens]
        if len(tokens) == 1:
            if tokens[0] == "openstack":
                # versions dated in the future stay hidden from the listing
                now = (today or dt.datetime.now(dt.UTC).date()).isoformat()
                return Leaf(_render([*(v for v in OPENSTACK_VERSIONS if v <= now), "latest"]))
            return Leaf(_render([*EC2_VERSIONS, "latest"]))
        if tokens[0] == "openstack":
            return self._openstack(tokens[1:])
        data: Any = self.ec2_metadata(tokens[1])
        for i, token in enumerate(tokens[2:]):
            if isinstance(data, dict) and token in data:
                data = data[token]
            else:
                raise PathNotFound("/".join(tokens[: i + 2]))
        return Leaf(_render(data))

    def config_drive_files(self) -> Iterator[tuple[str, bytes]]:
        """(path, content) of every file of a config drive, as nova writes them."""
        for version in (*EC2_VERSIONS, "latest"):
            if version in CONFIG_DRIVE_SKIP_VERSIONS:
                continue
            data = self.ec2_metadata(version)
            if "user-data" in data:
                yield f"ec2/{version}/user-data", data.pop("user-data")
            keys = data["meta-data"].get("public-keys")
            if keys:
                keys["0"].pop("_name", None)
            yield f"ec2/{version}/meta-data.json", _json(data["meta-data"])
        for version in (*OPENSTACK_VERSIONS, "latest"):
            real = self._os_version(version)
            base = f"openstack/{version}"
            yield f"{base}/meta_data.json", _json(self.meta_data(real))
            if self.facts.user_data is not None:
                yield f"{base}/user_data", self.facts.user_data
            if self._since(HAVANA, real):
                yield f"{base}/vendor_data.json", _json(dict(self.facts.vendor_data))
            if self._since(LIBERTY, real):
                yield f"{base}/network_data.json", _json(self.network_data())
            if self._since(NEWTON_TWO, real):
                yield f"{base}/vendor_data2.json", _json({"static": dict(self.facts.vendor_data)})
        for key, content in self.content.items():
            yield f"openstack/content/{key}", content


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()
