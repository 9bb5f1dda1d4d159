"""``GET /servers/{id}/diagnostics`` (admin): what the hypervisor says about a running
server. Before 2.48 the body is driver-specific; the fake driver shows its counters and the
server's exact NUMA placement (host cell per guest cell, vCPU -> host CPU pins, reserved
SMT siblings, page size, emulator CPUs, PCI devices). From 2.48 it is nova's standard form."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.deps import Ctx
from stratus.api.policy import Rule, register
from stratus.kit.timeutil import utcnow
from stratus.services.compute.api.common import reply, services, version
from stratus.services.compute.drivers.base import PowerState
from stratus.services.compute.errors import InstanceInvalidState
from stratus.services.compute.policies import ADMIN

DIAGNOSTICS = "os_compute_api:os-server-diagnostics"
register([Rule(DIAGNOSTICS, ADMIN, "Show the usage data for a server")])

router = APIRouter(prefix="/v2.1")

_STATE = {
    PowerState.NOSTATE: "pending",
    PowerState.RUNNING: "running",
    PowerState.PAUSED: "paused",
    PowerState.SHUTDOWN: "shutdown",
    PowerState.CRASHED: "crashed",
    PowerState.SUSPENDED: "suspended",
}


@router.get("/servers/{server_id}/diagnostics")
async def server_diagnostics(request: Request, ctx: Ctx, server_id: str) -> Response:
    ctx.can(DIAGNOSTICS)
    built = services(request)
    inst = await built.servers.get(ctx, server_id)
    if not inst.host or inst.vm_state in ("building", "error", "deleted"):
        raise InstanceInvalidState("get_diagnostics", inst.uuid, "vm_state", inst.vm_state)
    scheduler = built.servers.scheduler
    placed = None
    if scheduler is not None and scheduler.claims is not None:
        placed = await scheduler.claims.topology(inst.uuid)
    nics = [vif for vif in inst.network_info or [] if isinstance(vif, dict)]
    root_gb = int((inst.flavor or {}).get("root_gb", 0))
    uptime = 0
    if inst.launched_at is not None:
        uptime = max(0, int((utcnow() - inst.launched_at).total_seconds()))
    if version(ctx).at_least("2.48"):
        body: dict[str, Any] = {
            "state": _STATE.get(PowerState(inst.power_state), "pending"),
            # The simulated hosts stand in for libvirt/KVM ones (as nova's own fake driver
            # reports); the schema allows only real driver names.
            "driver": "libvirt",
            "hypervisor": "kvm",
            "hypervisor_os": "linux",
            "uptime": uptime,
            "config_drive": inst.config_drive.lower() == "true",
            "num_cpus": inst.vcpus,
            "num_disks": 1,
            "num_nics": len(nics),
            "cpu_details": [
                {"id": i, "time": 17300000000, "utilisation": 15} for i in range(inst.vcpus)
            ],
            "nic_details": [
                {
                    "mac_address": vif.get("address"),
                    "rx_octets": 2070139,
                    "rx_errors": 0,
                    "rx_drop": 0,
                    "rx_packets": 26701,
                    "rx_rate": None,
                    "tx_octets": 140208,
                    "tx_errors": 0,
                    "tx_drop": 0,
                    "tx_packets": 662,
                    "tx_rate": None,
                }
                for vif in nics
            ],
            "disk_details": [
                {
                    "read_bytes": 262144,
                    "read_requests": 112,
                    "write_bytes": 5778432,
                    "write_requests": 488,
                    "errors_count": 1,
                }
            ],
            "memory_details": {"maximum": inst.memory_mb * 1024, "used": 0},
        }
        return reply(body)
    legacy: dict[str, Any] = {
        **{f"cpu{i}_time": 17300000000 for i in range(inst.vcpus)},
        "memory": inst.memory_mb * 1024,
        "memory-actual": inst.memory_mb * 1024,
        "vda_errors": -1,
        "vda_read": 262144,
        "vda_read_req": 112,
        "vda_write": 5778432,
        "vda_write_req": 488,
        "vda_size_gb": root_gb,
        "uptime": uptime,
        "host": inst.host,
    }
    for i, vif in enumerate(nics):
        legacy[f"tap{i}_mac"] = vif.get("address")
    if placed is not None:
        legacy["numa_topology"] = {
            "cells": [
                {
                    "id": cell["id"],
                    "host_cell": cell["host_cell"],
                    "cpus": cell["cpus"],
                    "memory_mb": cell["memory_mb"],
                    "pagesize_kb": cell.get("pagesize_kb"),
                    "cpu_pinning": cell.get("cpu_pinning", {}),
                    "cpuset_reserved": cell.get("cpuset_reserved", []),
                }
                for cell in placed.get("cells", [])
            ],
            "cpu_policy": placed.get("cpu_policy"),
            "cpu_thread_policy": placed.get("cpu_thread_policy"),
            "emulator_threads": placed.get("emulator_threads"),
        }
        legacy["pci_devices"] = placed.get("pci_devices", [])
    return reply(legacy)
