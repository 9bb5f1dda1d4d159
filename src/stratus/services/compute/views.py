"""Wire views per microversion: what each compute resource looks like to a client."""

import datetime as dt
from collections.abc import Mapping
from typing import Any

from stratus.api.microversion import Version
from stratus.kit.timeutil import isotime_plain, isotime_z
from stratus.services.compute.host import ServiceView
from stratus.services.compute.models import ComputeNode, Flavor, Instance, InstanceAction, KeyPair
from stratus.services.compute.server import host_id, status_of


class Links:
    """Self and bookmark hrefs: ``<base>/v2.1/<path>`` and ``<base>/<path>``."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def pair(self, path: str) -> list[dict[str, str]]:
        return [
            {"rel": "self", "href": f"{self.base}/v2.1/{path}"},
            {"rel": "bookmark", "href": f"{self.base}/{path}"},
        ]

    def bookmark(self, path: str) -> list[dict[str, str]]:
        return [{"rel": "bookmark", "href": f"{self.base}/{path}"}]


def _z(value: dt.datetime | None) -> str | None:
    return isotime_z(value) if value else None


def _plain(value: dt.datetime | None) -> str | None:
    return isotime_plain(value) if value else None


# -- flavors -----------------------------------------------------------------------------


def flavor_brief(f: Flavor, version: Version, links: Links) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": f.flavorid,
        "name": f.name,
        "links": links.pair(f"flavors/{f.flavorid}"),
    }
    if version.at_least("2.55"):
        out["description"] = f.description
    return out


def flavor_detail(
    f: Flavor, version: Version, links: Links, *, show_specs: bool = True
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": f.flavorid,
        "name": f.name,
        "ram": f.memory_mb,
        "disk": f.root_gb,
        "vcpus": f.vcpus,
        "links": links.pair(f"flavors/{f.flavorid}"),
        "OS-FLV-EXT-DATA:ephemeral": f.ephemeral_gb,
        "OS-FLV-DISABLED:disabled": f.disabled,
        "os-flavor-access:is_public": f.is_public,
        "swap": f.swap if (f.swap or version.at_least("2.75")) else "",
        "rxtx_factor": f.rxtx_factor,
    }
    if version.at_least("2.55"):
        out["description"] = f.description
    if version.at_least("2.61") and show_specs:
        out["extra_specs"] = dict(f.extra_specs)
    return out


# -- key pairs ---------------------------------------------------------------------------


def keypair_view(
    k: KeyPair, version: Version, *, detail: bool, private_key: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": k.name,
        "public_key": k.public_key,
        "fingerprint": k.fingerprint,
    }
    if version.at_least("2.2"):
        out["type"] = k.type
    if detail:
        out.update(
            {
                "user_id": k.user_id,
                "created_at": isotime_plain(k.created_at),
                "deleted": False,
                "deleted_at": None,
                "updated_at": None,
                "id": k.id,
            }
        )
    if private_key is not None:
        out["private_key"] = private_key
        out["user_id"] = k.user_id
    return out


# -- servers -----------------------------------------------------------------------------


def addresses(inst: Instance) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for vif in inst.network_info:
        entries = out.setdefault(vif.get("network_name") or vif.get("network_id", ""), [])
        for subnet in vif.get("subnets", []):
            for ip in subnet.get("ips", []):
                entries.append(
                    {
                        "version": subnet.get("ip_version", 4),
                        "addr": ip,
                        "OS-EXT-IPS:type": "fixed",
                        "OS-EXT-IPS-MAC:mac_addr": vif.get("mac_address"),
                    }
                )
        for fip in vif.get("floating_ips", []):
            entries.append(
                {
                    "version": 6 if ":" in fip else 4,
                    "addr": fip,
                    "OS-EXT-IPS:type": "floating",
                    "OS-EXT-IPS-MAC:mac_addr": vif.get("mac_address"),
                }
            )
    return out


def server_brief(inst: Instance, links: Links) -> dict[str, Any]:
    return {"id": inst.uuid, "name": inst.display_name, "links": links.pair(f"servers/{inst.uuid}")}


def server_detail(
    inst: Instance,
    version: Version,
    links: Links,
    *,
    admin_attrs: bool,
    show_extra_specs: bool,
    show_host_status: bool = False,
    host_status: str = "",
    server_groups: list[str] | None = None,
    fault_details: bool = False,
) -> dict[str, Any]:
    fl = inst.flavor
    flavor: dict[str, Any]
    if version.at_least("2.47"):
        flavor = {
            "vcpus": fl["vcpus"],
            "ram": fl["memory_mb"],
            "disk": fl["root_gb"],
            "ephemeral": fl["ephemeral_gb"],
            "swap": fl["swap"],
            "original_name": fl["name"],
        }
        if show_extra_specs:
            flavor["extra_specs"] = dict(fl.get("extra_specs") or {})
    else:
        flavor = {"id": fl["flavorid"], "links": links.bookmark(f"flavors/{fl['flavorid']}")}
    status = status_of(inst.vm_state, inst.task_state)
    out: dict[str, Any] = {
        "id": inst.uuid,
        "name": inst.display_name,
        "status": status,
        "tenant_id": inst.project_id,
        "user_id": inst.user_id,
        "metadata": dict(inst.meta),
        "hostId": host_id(inst.project_id, inst.host),
        "image": (
            {"id": inst.image_ref, "links": links.bookmark(f"images/{inst.image_ref}")}
            if inst.image_ref
            else ""
        ),
        "flavor": flavor,
        "created": isotime_z(inst.created_at),
        "updated": isotime_z(inst.updated_at),
        "addresses": addresses(inst),
        "accessIPv4": inst.access_ip_v4 or "",
        "accessIPv6": inst.access_ip_v6 or "",
        "links": links.pair(f"servers/{inst.uuid}"),
        "OS-DCF:diskConfig": inst.disk_config,
        "progress": inst.progress,
        "OS-EXT-AZ:availability_zone": inst.availability_zone or ("nova" if inst.host else ""),
        "config_drive": inst.config_drive,
        "key_name": inst.key_name,
        "OS-SRV-USG:launched_at": _plain(inst.launched_at),
        "OS-SRV-USG:terminated_at": _plain(inst.terminated_at),
        "OS-EXT-STS:task_state": inst.task_state,
        "OS-EXT-STS:vm_state": inst.vm_state,
        "OS-EXT-STS:power_state": inst.power_state,
        "os-extended-volumes:volumes_attached": [],
        "security_groups": [{"name": n} for n in inst.security_groups],
    }
    if status not in ("BUILD", "ACTIVE"):
        del out["progress"]
    if (not inst.network_info and status != "ACTIVE") or not inst.security_groups:
        # nova leaves the key out when the ports carry no group at all
        out.pop("security_groups")
    if admin_attrs:
        out["OS-EXT-SRV-ATTR:host"] = inst.host
        out["OS-EXT-SRV-ATTR:instance_name"] = f"instance-{inst.uuid[:8]}"
        out["OS-EXT-SRV-ATTR:hypervisor_hostname"] = inst.node
        if version.at_least("2.3"):
            out.update(
                {
                    "OS-EXT-SRV-ATTR:reservation_id": inst.reservation_id,
                    "OS-EXT-SRV-ATTR:launch_index": inst.launch_index,
                    "OS-EXT-SRV-ATTR:hostname": inst.hostname,
                    "OS-EXT-SRV-ATTR:kernel_id": "",
                    "OS-EXT-SRV-ATTR:ramdisk_id": "",
                    "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda" if inst.host else None,
                    "OS-EXT-SRV-ATTR:user_data": inst.user_data,
                }
            )
    if version.at_least("2.90"):
        # 2.90: every reader sees the hostname (it can be set by the owner)
        out["OS-EXT-SRV-ATTR:hostname"] = inst.hostname
    if version.at_least("2.9"):
        out["locked"] = inst.locked
    if version.at_least("2.16") and show_host_status:
        out["host_status"] = host_status
    if version.at_least("2.19"):
        out["description"] = inst.display_description
    if version.at_least("2.26"):
        out["tags"] = list(inst.tags)
    if version.at_least("2.63"):
        out["trusted_image_certificates"] = None
    if version.at_least("2.71") and server_groups is not None:
        out["server_groups"] = server_groups
    if version.at_least("2.73"):
        out["locked_reason"] = inst.locked_reason
    if inst.fault and status in ("ERROR", "DELETED"):
        fault = {
            "code": inst.fault["code"],
            "created": isotime_z(dt.datetime.fromisoformat(inst.fault["created"])),
            "message": inst.fault["message"],
        }
        if fault_details or inst.fault["code"] != 500:
            fault["details"] = inst.fault.get("details", "")
        out["fault"] = fault
    return out


def action_view(
    a: InstanceAction, version: Version, *, events: bool, details: bool, traceback: bool = True
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "action": a.action,
        "instance_uuid": a.instance_uuid,
        "request_id": a.request_id,
        "user_id": a.user_id,
        "project_id": a.project_id,
        "start_time": isotime_plain(a.start_time),
        "message": a.message,
    }
    if version.at_least("2.58"):
        out["updated_at"] = _plain(a.updated_at)
    if events:
        evs = []
        for e in a.events:
            ev: dict[str, Any] = {
                "event": e["event"],
                "start_time": isotime_plain(dt.datetime.fromisoformat(e["start_time"])),
                "finish_time": isotime_plain(dt.datetime.fromisoformat(e["finish_time"])),
                "result": e["result"],
            }
            if traceback:
                ev["traceback"] = e.get("traceback")
            if version.at_least("2.62"):
                ev["host"] = e.get("host")
                ev["hostId"] = host_id(a.project_id or "", e.get("host"))
            if version.at_least("2.84") and details:
                ev["details"] = e.get("details")
            evs.append(ev)
        out["events"] = evs
    return out


# -- hosts -------------------------------------------------------------------------------


def service_view(v: ServiceView, version: Version) -> dict[str, Any]:
    r = v.row
    out: dict[str, Any] = {
        "id": r.uuid if version.at_least("2.53") else r.id,
        "binary": r.binary,
        "host": r.host,
        "zone": v.zone,
        "status": "disabled" if r.disabled else "enabled",
        "state": "up" if v.up else "down",
        "updated_at": _plain(r.updated_at),
        "disabled_reason": r.disabled_reason,
    }
    if version.at_least("2.11"):
        out["forced_down"] = r.forced_down
    return out


def hypervisor_view(
    n: ComputeNode,
    version: Version,
    *,
    detail: bool,
    service: ServiceView | None,
    usage: Mapping[str, int],
    running_vms: int,
    servers: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": n.uuid if version.at_least("2.53") else n.id,
        "hypervisor_hostname": n.hypervisor_hostname,
        "state": "up" if service and service.up else "down",
        "status": "disabled" if service and service.row.disabled else "enabled",
    }
    if detail:
        out.update(
            {
                "hypervisor_type": n.hypervisor_type,
                "hypervisor_version": n.hypervisor_version,
                "host_ip": n.host_ip,
                "service": {
                    "host": n.host,
                    "id": (
                        (service.row.uuid if version.at_least("2.53") else service.row.id)
                        if service
                        else None
                    ),
                    "disabled_reason": service.row.disabled_reason if service else None,
                },
            }
        )
        if not version.at_least("2.88"):
            vcpus_used = usage.get("VCPU", 0) + usage.get("PCPU", 0)
            ram_used = usage.get("MEMORY_MB", 0)
            disk_used = usage.get("DISK_GB", 0)
            out.update(
                {
                    "vcpus": n.vcpus,
                    "memory_mb": n.memory_mb,
                    "local_gb": n.local_gb,
                    "vcpus_used": vcpus_used,
                    "memory_mb_used": ram_used,
                    "local_gb_used": disk_used,
                    "free_ram_mb": n.memory_mb - ram_used,
                    "free_disk_gb": n.local_gb - disk_used,
                    "current_workload": 0,
                    "running_vms": running_vms,
                    "disk_available_least": n.local_gb - disk_used,
                    "cpu_info": n.cpu_info if version.at_least("2.28") else _json(n.cpu_info),
                }
            )
        else:
            out["uptime"] = None
    if servers is not None:
        out["servers"] = servers
    return out


def _json(value: Any) -> str:
    import json

    return json.dumps(value)
