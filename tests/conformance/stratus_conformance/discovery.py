"""What the cloud under test really offers, read from the cloud itself.

Catalog → which services Tempest may test; version documents → microversion ranges; probes →
feature flags. A flag is switched on only on evidence (a route answering, a behaviour observed):
a wrong "on" turns into failures, a wrong "off" into silent skips, and both would be lies.
Every decision is recorded in ``Facts.notes`` and printed with the run.
"""

import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import compute_action_probes, compute_probes, volume_probes
from .cloud import Credentials
from .openstack_http import Response, Session, request

# Tempest's [service_available] option → the catalog service type(s) that satisfy it.
SERVICE_AVAILABLE = {
    "nova": ("compute",),
    "neutron": ("network",),
    "cinder": ("block-storage", "volumev3"),
    "glance": ("image",),
    "swift": ("object-store",),
    "heat": ("orchestration",),
    "barbican": ("key-manager",),
    "placement": ("placement",),
}


@dataclass
class Facts:
    creds: Credentials
    endpoints: dict[str, str] = field(default_factory=dict)
    available: dict[str, bool] = field(default_factory=dict)
    # section -> option -> value, each backed by a note saying why.
    options: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def set(self, section: str, option: str, value: str, why: str) -> None:
        self.options.setdefault(section, {})[option] = value
        self.notes.append(f"[{section}] {option} = {value}  ({why})")

    def flag(self, section: str, option: str, on: bool, why: str) -> None:
        self.set(section, option, "true" if on else "false", why)


def _implemented(resp: Response) -> bool:
    return resp.ok


def _describe(resp: Response) -> str:
    return f"HTTP {resp.status}"


def _version_range(doc: Any) -> tuple[str, str] | None:
    """(min, max) from a version document: {"version": {...}} or {"versions": [...]}."""
    if not isinstance(doc, dict):
        return None
    entries: list[Any] = []
    if isinstance(doc.get("version"), dict):
        entries = [doc["version"]]
    elif isinstance(doc.get("versions"), list):
        entries = doc["versions"]
    elif isinstance(doc.get("versions"), dict):
        entries = list(doc["versions"].get("values") or [])
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("status", "CURRENT") not in (
            "CURRENT",
            "current",
            "SUPPORTED",
            "stable",
        ):
            continue
        lo = entry.get("min_version") or ""
        hi = entry.get("max_version") or entry.get("version") or ""
        if lo and hi:
            return str(lo), str(hi)
    return None


def _version_root(url: str) -> str:
    """The service's versioned root: strip a trailing project id (cinder's /v3/{project})."""
    parts = url.rstrip("/").split("/")
    if len(parts[-1]) == 32 and all(c in "0123456789abcdef" for c in parts[-1]):
        parts = parts[:-1]
    return "/".join(parts)


def probe_identity(s: Session, facts: Facts) -> None:
    v3 = facts.creds.auth_url
    facts.flag("identity-feature-enabled", "api_v2", False, "Stratus serves Keystone v3 only")
    facts.flag("identity-feature-enabled", "api_v2_admin", False, "Keystone v3 only")
    facts.flag("identity-feature-enabled", "api_v3", True, "GET /v3 answered 200")
    facts.flag("identity-feature-enabled", "domain_specific_drivers", False, "not offered")
    facts.flag("identity-feature-enabled", "immutable_user_source", False, "users are writable")
    facts.flag("identity-feature-enabled", "federation", False, "no federation")
    facts.flag("identity-feature-enabled", "external_idp", False, "no external IdP")

    trusts = s.call("GET", v3 + "/OS-TRUST/trusts")
    facts.flag(
        "identity-feature-enabled",
        "trust",
        _implemented(trusts),
        f"GET /v3/OS-TRUST/trusts → {_describe(trusts)}",
    )
    rules = s.call("GET", f"{v3}/users/{s.user_id}/access_rules")
    facts.flag(
        "identity-feature-enabled",
        "access_rules",
        _implemented(rules),
        f"GET /v3/users/{{id}}/access_rules → {_describe(rules)}",
    )
    locked, why = _probe_lockout(s, v3)
    facts.flag("identity-feature-enabled", "security_compliance", locked, why)
    # Tempest's defaults equal the values `StratusProcess` configures; keep them explicit.
    facts.set("identity", "user_lockout_failure_attempts", "2", "Stratus started with 2")
    facts.set("identity", "user_lockout_duration", "5", "Stratus started with 5 s")
    facts.set("identity", "user_unique_last_password_count", "2", "Stratus started with 2")


def _login(v3: str, user_id: str, password: str) -> int:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"id": user_id, "password": password}},
            }
        }
    }
    return request("POST", v3 + "/auth/tokens", body=body).status


def _probe_lockout(s: Session, v3: str) -> tuple[bool, str]:
    """Security compliance really works when two bad passwords lock a user out."""
    name = "conformance-lockout-" + secrets.token_hex(4)
    password = "Pw-" + secrets.token_hex(8)
    created = s.call(
        "POST",
        v3 + "/users",
        body={"user": {"name": name, "password": password, "domain_id": "default"}},
    )
    if created.status != 201:
        return False, f"could not create a probe user: {_describe(created)}"
    user_id = created.body["user"]["id"]
    try:
        if _login(v3, user_id, password) != 201:
            return False, "probe user could not log in"
        bad = [_login(v3, user_id, "wrong-" + password) for _ in range(2)]
        after = _login(v3, user_id, password)
        if bad == [401, 401] and after == 401:
            return True, "2 bad passwords locked the probe user out"
        return False, f"no lockout observed (bad logins {bad}, then good login {after})"
    finally:
        with contextlib.suppress(Exception):
            s.call("DELETE", f"{v3}/users/{user_id}")


def probe_compute(s: Session, facts: Facts) -> None:
    url = facts.endpoints["compute"]
    doc = s.call("GET", url + "/")
    rng = _version_range(doc.body) if doc.ok else None
    if rng:
        facts.set("compute", "min_microversion", rng[0], "compute version document")
        facts.set("compute", "max_microversion", rng[1], "compute version document")
    else:
        facts.notes.append(f"compute version document unusable ({_describe(doc)}): 2.1 only")
    flavors = s.call("GET", url + "/flavors/detail")
    if flavors.ok:
        found = sorted(
            flavors.body.get("flavors", []), key=lambda f: (f.get("ram", 0), f.get("vcpus", 0))
        )
        for spec in (
            {"name": "conformance.tiny", "ram": 128},
            {"name": "conformance.small", "ram": 256},
        ):
            if len(found) >= 2:
                break
            made = s.call(
                "POST",
                url + "/flavors",
                body={"flavor": {**spec, "vcpus": 1, "disk": 1}},
            )
            if made.ok:
                found.append(made.body["flavor"])
            else:
                facts.notes.append(f"could not create flavor {spec['name']}: {_describe(made)}")
        if found:
            facts.set("compute", "flavor_ref", found[0]["id"], "smallest flavor")
            alt = found[1] if len(found) > 1 else found[0]
            facts.set("compute", "flavor_ref_alt", alt["id"], "second smallest flavor")
    # No compute feature has a cheap, honest probe yet: each stays off until a probe shows it.
    for opt in COMPUTE_FEATURES:
        # probed once an image exists (after the image probe)
        if opt not in compute_probes.PROBED + compute_action_probes.PROBED:
            facts.flag("compute-feature-enabled", opt, False, "no probe shows it works yet")


COMPUTE_FEATURES = (
    "disk_config",
    "change_password",
    "console_output",
    "resize",
    "pause",
    "shelve",
    "shelve_migrate",
    "suspend",
    "cold_migration",
    "live_migration",
    "metadata_service",
    "vnc_console",
    "spice_console",
    "serial_console",
    "rescue",
    "stable_rescue",
    "enable_instance_password",
    "interface_attach",
    "snapshot",
    "personality",
    "attach_encrypted_volume",
    "config_drive",
    "swap_volume",
    "volume_multiattach",
    "unified_limits",
)


def probe_network(s: Session, facts: Facts) -> None:
    url = facts.endpoints["network"]
    base = url if url.endswith("/v2.0") else url + "/v2.0"
    exts = s.call("GET", base + "/extensions")
    aliases = sorted(e["alias"] for e in (exts.body or {}).get("extensions", [])) if exts.ok else []
    facts.set(
        "network-feature-enabled",
        "api_extensions",
        ",".join(aliases) if aliases else "None",
        f"GET /v2.0/extensions → {len(aliases)} aliases",
    )
    _probe_ipv6(s, base, facts)
    facts.flag(
        "network-feature-enabled",
        "floating_ips",
        "router" in aliases,
        "router (L3) extension present" if "router" in aliases else "no router extension",
    )
    facts.flag(
        "network-feature-enabled", "port_security", "port-security" in aliases, "extension list"
    )
    nets = s.call("GET", base + "/networks?router:external=true")
    public = [n for n in (nets.body or {}).get("networks", [])] if nets.ok else []
    if not public and "external-net" in aliases:
        made = s.call(
            "POST",
            base + "/networks",
            # DevStack marks its public network the default external one (auto-allocation).
            body={
                "network": {
                    "name": "conformance-public",
                    "router:external": True,
                    "is_default": True,
                }
            },
        )
        if made.ok:
            net = made.body["network"]
            s.call(
                "POST",
                base + "/subnets",
                body={
                    "subnet": {
                        "network_id": net["id"],
                        "cidr": "172.24.4.0/24",
                        "ip_version": 4,
                        "name": "conformance-public-subnet",
                    }
                },
            )
            public = [net]
        else:
            facts.notes.append(f"could not create the external network: {_describe(made)}")
    if public:
        facts.set("network", "public_network_id", public[0]["id"], "external network")
        facts.set("network", "floating_network_name", public[0]["name"], "external network")
    _probe_neutron_plugin_options(s, base, aliases, facts)
    if "default-subnetpools" in aliases:
        _ensure_default_subnetpool(s, base, facts)


# Network types a probe tries; neutron-tempest-plugin reads the list from available_type_drivers.
_TYPE_PROBES = ("flat", "vlan", "vxlan", "geneve", "gre", "local")


def _probe_neutron_plugin_options(s: Session, base: str, aliases: list[str], facts: Facts) -> None:
    """[neutron_plugin_options]: type drivers that really make a network, the VLAN physical
    networks and their first id (segment ranges), and the agents' single availability zone."""
    if "provider" not in aliases:
        return
    vlan_physnets: list[str] = []
    first_vlan: int | None = None
    if "network-segment-range" in aliases:
        ranges = s.call("GET", base + "/network_segment_ranges?network_type=vlan")
        for entry in (ranges.body or {}).get("network_segment_ranges", []) if ranges.ok else []:
            physnet = entry.get("physical_network")
            if physnet and physnet not in vlan_physnets:
                vlan_physnets.append(physnet)
                if first_vlan is None:
                    first_vlan = int(entry["minimum"])
    working: list[str] = []
    for kind in _TYPE_PROBES:
        provider: dict[str, Any] = {"provider:network_type": kind}
        if kind == "flat":
            provider["provider:physical_network"] = "conformance-probe-flat"
        elif kind == "vlan":
            if not vlan_physnets:
                continue
            provider["provider:physical_network"] = vlan_physnets[0]
        made = s.call(
            "POST",
            base + "/networks",
            body={"network": {"name": f"conformance-{kind}-probe", **provider}},
        )
        if made.ok:
            working.append(kind)
            s.call("DELETE", f"{base}/networks/{made.body['network']['id']}")
    if working:
        facts.set(
            "neutron_plugin_options",
            "available_type_drivers",
            ",".join(working),
            "an admin network of each type → HTTP 201 (others refused)",
        )
    if vlan_physnets and "vlan" in working:
        facts.set(
            "neutron_plugin_options",
            "provider_vlans",
            ",".join(vlan_physnets),
            "VLAN segment ranges' physical networks",
        )
        facts.set(
            "neutron_plugin_options",
            "provider_net_base_segm_id",
            str(first_vlan),
            "first VLAN id of the first range",
        )
    agents = s.call("GET", base + "/agents")
    zones = {
        a["availability_zone"]
        for a in (agents.body or {}).get("agents", [])
        if agents.ok and a.get("availability_zone")
    }
    if len(zones) == 1:
        facts.set(
            "neutron_plugin_options",
            "agent_availability_zone",
            zones.pop(),
            "every agent with a zone reports this one",
        )


def _ensure_default_subnetpool(s: Session, base: str, facts: Facts) -> None:
    """A shared default IPv4 subnet pool, as DevStack makes one (auto-allocated topology needs
    it): reused when the cloud has one."""
    found = s.call("GET", base + "/subnetpools?is_default=true&ip_version=4")
    pools = (found.body or {}).get("subnetpools", []) if found.ok else []
    if pools:
        facts.notes.append(f"default subnet pool: {pools[0]['name']} (already there)")
        return
    made = s.call(
        "POST",
        base + "/subnetpools",
        body={
            "subnetpool": {
                "name": "conformance-default-subnetpool-v4",
                "prefixes": ["10.128.0.0/16"],
                "default_prefixlen": 26,
                "shared": True,
                "is_default": True,
            }
        },
    )
    if made.ok:
        facts.notes.append(
            "default subnet pool: conformance-default-subnetpool-v4 made (10.128.0.0/16)"
        )
    else:
        facts.notes.append(f"could not create a default subnet pool: {_describe(made)}")


def _probe_ipv6(s: Session, base: str, facts: Facts) -> None:
    """IPv6 is on when an IPv6 subnet (and, for the attributes, a SLAAC one) can be made."""
    net = s.call("POST", base + "/networks", body={"network": {"name": "conformance-ipv6-probe"}})
    if not net.ok:
        facts.flag("network-feature-enabled", "ipv6", False, f"probe network: {_describe(net)}")
        return
    net_id = net.body["network"]["id"]
    try:
        plain = s.call(
            "POST",
            base + "/subnets",
            body={"subnet": {"network_id": net_id, "ip_version": 6, "cidr": "2001:db8:1::/64"}},
        )
        facts.flag("network-feature-enabled", "ipv6", plain.ok, f"IPv6 subnet → {_describe(plain)}")
        slaac = s.call(
            "POST",
            base + "/subnets",
            body={
                "subnet": {
                    "network_id": net_id,
                    "ip_version": 6,
                    "cidr": "2001:db8:2::/64",
                    "ipv6_ra_mode": "slaac",
                    "ipv6_address_mode": "slaac",
                }
            },
        )
        facts.flag(
            "network-feature-enabled",
            "ipv6_subnet_attributes",
            plain.ok and slaac.ok,
            f"SLAAC subnet → {_describe(slaac)}",
        )
    finally:
        for sub in (s.call("GET", f"{base}/subnets?network_id={net_id}").body or {}).get(
            "subnets", []
        ):
            s.call("DELETE", f"{base}/subnets/{sub['id']}")
        s.call("DELETE", f"{base}/networks/{net_id}")


def probe_volume(s: Session, facts: Facts) -> None:
    stype = "block-storage" if "block-storage" in facts.endpoints else "volumev3"
    url = facts.endpoints[stype]
    facts.set("volume", "catalog_type", stype, "catalog")
    doc = s.call("GET", _version_root(url) + "/")
    rng = _version_range(doc.body) if doc.ok else None
    if rng:
        facts.set("volume", "min_microversion", rng[0], "volume version document")
        facts.set("volume", "max_microversion", rng[1], "volume version document")
    exts = s.call("GET", url + "/extensions")
    aliases = sorted(e["alias"] for e in (exts.body or {}).get("extensions", [])) if exts.ok else []
    facts.set(
        "volume-feature-enabled",
        "api_extensions",
        ",".join(aliases) if aliases else "None",
        f"GET /extensions → {len(aliases)} aliases",
    )
    pools = s.call("GET", url + "/scheduler-stats/get_pools?detail=true")
    caps = ((pools.body or {}).get("pools") or [{}])[0].get("capabilities", {}) if pools.ok else {}
    for key in ("vendor_name", "storage_protocol"):
        if caps.get(key):
            facts.set("volume", key, str(caps[key]), f"get_pools → {caps[key]}")
    _probe_volume_features(s, url, facts)
    # needs a server: probed (and switched on when it works) after the compute probes
    facts.flag("volume-feature-enabled", "extend_attached_volume", False, "needs compute")
    _probe_consistency_groups(s, url, facts)


def _probe_consistency_groups(s: Session, url: str, facts: Facts) -> None:
    """cinder's older consistency-group API: on when one can be created and deleted."""
    types = s.call("GET", url + "/types")
    first = ((types.body or {}).get("volume_types") or [{}])[0].get("id") if types.ok else None
    made = None
    if first:
        body = {"consistencygroup": {"name": "conformance-probe", "volume_types": first}}
        made = s.call("POST", url + "/consistencygroups", body=body)
    ok = False
    if made is not None and made.ok:
        cg_id = (made.body or {}).get("consistencygroup", {}).get("id")
        cg_url = f"{url}/consistencygroups/{cg_id}"
        state = _volume_wait(s, cg_url, "available")
        gone = s.call("POST", cg_url + "/delete", body={"consistencygroup": {"force": True}})
        ok = state.get("status") == "available" and gone.ok
    why = "create + delete a consistency group" if made is not None else "no volume type"
    facts.flag("volume-feature-enabled", "consistency_group", ok, f"{why} → {ok}")


def _volume_wait(s: Session, url: str, want: str) -> dict[str, Any]:
    """Poll a volume/snapshot/backup URL until its status is ``want`` (or an error)."""
    import time

    key = url.rstrip("/").rsplit("/", 2)[-2].rstrip("s")
    for _ in range(300):
        got = s.call("GET", url)
        if got.status == 404:
            return {"status": "deleted"}
        item = (got.body or {}).get(key, {})
        if item.get("status") in (want, "error", "error_managing"):
            return dict(item)
        time.sleep(0.1)
    return {}


def _probe_volume_features(s: Session, url: str, facts: Facts) -> None:
    """Back up a volume, unmanage and manage it back, manage a snapshot: each flag is on only
    when the round trip really worked."""
    made = s.call("POST", url + "/volumes", body={"volume": {"size": 1, "name": "conformance"}})
    vol_id = (made.body or {}).get("volume", {}).get("id", "") if made.status == 202 else ""
    if (
        not vol_id
        or _volume_wait(s, f"{url}/volumes/{vol_id}", "available").get("status") != "available"
    ):
        for opt in ("backup", "manage_snapshot", "manage_volume"):
            facts.flag("volume-feature-enabled", opt, False, "could not create a volume")
        return
    try:
        b = s.call("POST", url + "/backups", body={"backup": {"volume_id": vol_id}})
        b_id = (b.body or {}).get("backup", {}).get("id", "")
        done = _volume_wait(s, f"{url}/backups/{b_id}", "available") if b_id else {}
        facts.flag(
            "volume-feature-enabled",
            "backup",
            done.get("status") == "available",
            f"backup of a volume → {done.get('status')}",
        )
        if b_id:
            s.call("DELETE", f"{url}/backups/{b_id}")
            _volume_wait(s, f"{url}/backups/{b_id}", "deleted")
        host = s.call("GET", f"{url}/volumes/{vol_id}").body["volume"].get("os-vol-host-attr:host")
        s.call("POST", f"{url}/volumes/{vol_id}/action", body={"os-unmanage": {}})
        _volume_wait(s, f"{url}/volumes/{vol_id}", "deleted")
        m = s.call(
            "POST",
            url + "/os-volume-manage",
            body={"volume": {"host": host, "ref": {"source-name": f"volume-{vol_id}"}}},
        )
        new_id = (m.body or {}).get("volume", {}).get("id", "")
        state = _volume_wait(s, f"{url}/volumes/{new_id}", "available") if new_id else {}
        facts.flag(
            "volume-feature-enabled",
            "manage_volume",
            state.get("status") == "available",
            f"unmanage + manage back → {state.get('status')}",
        )
        if new_id:
            vol_id = new_id
        snap = s.call("POST", url + "/snapshots", body={"snapshot": {"volume_id": vol_id}})
        snap_id = (snap.body or {}).get("snapshot", {}).get("id", "")
        ok = False
        if (
            snap_id
            and _volume_wait(s, f"{url}/snapshots/{snap_id}", "available").get("status")
            == "available"
        ):
            s.call("POST", f"{url}/snapshots/{snap_id}/action", body={"os-unmanage": {}})
            _volume_wait(s, f"{url}/snapshots/{snap_id}", "deleted")
            ms = s.call(
                "POST",
                url + "/os-snapshot-manage",
                body={
                    "snapshot": {"volume_id": vol_id, "ref": {"source-name": f"snapshot-{snap_id}"}}
                },
            )
            ms_id = (ms.body or {}).get("snapshot", {}).get("id", "")
            ok = (
                bool(ms_id)
                and _volume_wait(s, f"{url}/snapshots/{ms_id}", "available").get("status")
                == "available"
            )
            if ms_id:
                s.call("DELETE", f"{url}/snapshots/{ms_id}")
                _volume_wait(s, f"{url}/snapshots/{ms_id}", "deleted")
        facts.flag("volume-feature-enabled", "manage_snapshot", ok, "unmanage + manage a snapshot")
        rs = s.call("POST", url + "/snapshots", body={"snapshot": {"volume_id": vol_id}})
        rs_id = (rs.body or {}).get("snapshot", {}).get("id", "")
        reverted = False
        if (
            rs_id
            and _volume_wait(s, f"{url}/snapshots/{rs_id}", "available").get("status")
            == "available"
        ):
            rv = s.call(
                "POST",
                f"{url}/volumes/{vol_id}/action",
                body={"revert": {"snapshot_id": rs_id}},
                headers={"OpenStack-API-Version": "volume 3.40"},
            )
            reverted = rv.status == 202 and (
                _volume_wait(s, f"{url}/volumes/{vol_id}", "available").get("status") == "available"
            )
            s.call("DELETE", f"{url}/snapshots/{rs_id}")
            _volume_wait(s, f"{url}/snapshots/{rs_id}", "deleted")
        facts.flag(
            "volume-feature-enabled", "volume_revert", reverted, "revert to a snapshot (3.40)"
        )
        if ok:
            facts.set(
                "volume", "manage_snapshot_ref", "source-name,snapshot-%s", "file backend names"
            )
        facts.set("volume", "manage_volume_ref", "source-name,volume-%s", "file backend names")
    finally:
        s.call("DELETE", f"{url}/volumes/{vol_id}")


def probe_image(s: Session, facts: Facts) -> None:
    url = facts.endpoints["image"]
    base = url if url.endswith("/v2") else url + "/v2"
    listed = s.call("GET", base + "/images?status=active&visibility=public")
    ids = [i["id"] for i in (listed.body or {}).get("images", [])] if listed.ok else []
    for n in range(len(ids), 2):
        name = f"conformance-image-{n + 1}"
        made = s.call(
            "POST",
            base + "/images",
            # public: Tempest's and Rally's per-test projects boot from it
            body={
                "name": name,
                "disk_format": "raw",
                "container_format": "bare",
                "visibility": "public",
            },
        )
        if not made.ok:
            facts.notes.append(f"could not create image {name}: {_describe(made)}")
            break
        image_id = made.body["id"]
        put = s.call(
            "PUT",
            f"{base}/images/{image_id}/file",
            raw=b"\0" * 1024,
            headers={"Content-Type": "application/octet-stream"},
        )
        if not put.ok:
            facts.notes.append(f"could not upload image data: {_describe(put)}")
            break
        ids.append(image_id)
    if ids:
        facts.set("compute", "image_ref", ids[0], "active image")
        facts.set("compute", "image_ref_alt", ids[1] if len(ids) > 1 else ids[0], "active image")
    info = s.call("GET", base + "/info/import")
    methods = ((info.body or {}).get("import-methods") or {}).get("value", []) if info.ok else []
    facts.flag(
        "image-feature-enabled",
        "import_image",
        "glance-direct" in methods,
        f"GET /v2/info/import → {_describe(info)}, methods {methods}",
    )
    reserved = s.call(
        "POST",
        base + "/images",
        body={"name": "conformance-reserved-probe", "os_glance_probe": "x"},
    )
    if reserved.ok:
        s.call("DELETE", f"{base}/images/{reserved.body['id']}")
    facts.flag(
        "image-feature-enabled",
        "os_glance_reserved",
        reserved.status == 403,
        f"image with an os_glance_* property → {_describe(reserved)}",
    )
    facts.flag("image-feature-enabled", "manage_locations", False, "not offered")


def probe_object_store(s: Session, facts: Facts) -> None:
    url = facts.endpoints["object-store"]
    root = url.split("/v1")[0]
    info = request("GET", root + "/info")
    if info.ok and isinstance(info.body, dict):
        apis = sorted(k for k in info.body if k != "swift")
        facts.flag("object-storage-feature-enabled", "discoverability", True, "GET /info → 200")
        facts.set(
            "object-storage-feature-enabled",
            "discoverable_apis",
            ",".join(apis) if apis else "None",
            "GET /info keys",
        )
    else:
        facts.flag(
            "object-storage-feature-enabled", "discoverability", False, f"GET /info → {info.status}"
        )
    facts.flag("object-storage-feature-enabled", "container_sync", False, "not offered")
    versioning = isinstance(info.body, dict) and "versioned_writes" in info.body
    facts.flag(
        "object-storage-feature-enabled",
        "object_versioning",
        versioning,
        "GET /info lists versioned_writes" if versioning else "no versioned_writes in GET /info",
    )


def probe_placement(s: Session, facts: Facts) -> None:
    doc = s.call("GET", facts.endpoints["placement"] + "/")
    rng = _version_range(doc.body) if doc.ok else None
    if rng:
        facts.set("placement", "min_microversion", rng[0], "placement version document")
        facts.set("placement", "max_microversion", rng[1], "placement version document")


PROBES: dict[str, Callable[[Session, Facts], None]] = {
    "compute": probe_compute,
    "network": probe_network,
    "block-storage": probe_volume,
    "image": probe_image,
    "object-store": probe_object_store,
    "placement": probe_placement,
}


def discover(creds: Credentials) -> Facts:
    """Log in as admin, read the catalog, probe each service; raises if the cloud is unusable."""
    session = Session(creds)
    session.authenticate()
    facts = Facts(creds=creds, endpoints=session.endpoints())
    if "admin" not in session.roles:
        facts.notes.append(f"WARNING: the admin account has roles {session.roles}, not admin")
    for option, types in SERVICE_AVAILABLE.items():
        present = any(t in facts.endpoints for t in types)
        facts.available[option] = present
        where = next((t for t in types if t in facts.endpoints), types[0])
        facts.notes.append(
            f"[service_available] {option} = {str(present).lower()}  "
            f"(catalog {'has' if present else 'lacks'} {where})"
        )
    if "volumev3" in facts.endpoints and "block-storage" not in facts.endpoints:
        facts.endpoints["block-storage"] = facts.endpoints["volumev3"]
    probe_identity(session, facts)
    if creds.image_url and "image" in facts.endpoints:
        for option in ("http_qcow2_image", "http_image"):
            facts.set("image", option, creds.image_url, "a qcow2 disk the harness serves")
    for stype, probe in PROBES.items():
        if stype in facts.endpoints:
            try:
                probe(session, facts)
            except Exception as exc:  # a broken probe must not hide the rest of the run
                facts.notes.append(f"probe {stype} failed: {exc!r}")
    if "compute" in facts.endpoints:
        try:
            compute_probes.probe_compute_servers(session, facts)
        except Exception as exc:
            facts.notes.append(f"probe compute servers failed: {exc!r}")
        try:
            compute_action_probes.probe_compute_actions(session, facts)
        except Exception as exc:
            facts.notes.append(f"probe compute actions failed: {exc!r}")
        if "block-storage" in facts.endpoints:
            try:
                volume_probes.probe_volume_multiattach(session, facts)
            except Exception as exc:
                facts.notes.append(f"probe volume multiattach failed: {exc!r}")
            try:
                volume_probes.probe_volume_extend_attached(session, facts)
            except Exception as exc:
                facts.notes.append(f"probe volume extend attached failed: {exc!r}")
    return facts
