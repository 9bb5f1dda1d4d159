"""Availability zones, hypervisors and compute services."""

import re
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest, NotFound, NotImplementedYet
from stratus.kit.timeutil import isotime_plain
from stratus.services.compute import policies
from stratus.services.compute.api.common import (
    body_of,
    int_param,
    links,
    reply,
    services,
    version,
)
from stratus.services.compute.errors import HypervisorNotFound
from stratus.services.compute.views import hypervisor_view, service_view

router = APIRouter(prefix="/v2.1")


# -- availability zones ------------------------------------------------------------------


@router.get("/os-availability-zone")
async def list_availability_zones(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.AZ_LIST)
    views = await services(request).hosts.services()
    zones = sorted({v.zone for v in views if v.row.binary == "nova-compute"})
    body = [{"zoneName": z, "zoneState": {"available": True}, "hosts": None} for z in zones]
    return reply({"availabilityZoneInfo": body})


@router.get("/os-availability-zone/detail")
async def list_availability_zones_detail(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.AZ_DETAIL)
    views = await services(request).hosts.services()
    zones: dict[str, dict[str, Any]] = {}
    for v in views:
        hosts = zones.setdefault(v.zone, {})
        hosts.setdefault(v.row.host, {})[v.row.binary] = {
            "available": v.up and not v.row.disabled,
            "active": not v.row.disabled,
            "updated_at": isotime_plain(v.row.updated_at) if v.row.updated_at else None,
        }
    body = [
        {"zoneName": z, "zoneState": {"available": True}, "hosts": hosts}
        for z, hosts in sorted(zones.items())
    ]
    return reply({"availabilityZoneInfo": body})


# -- hypervisors -------------------------------------------------------------------------


async def _hypervisors(
    request: Request,
    ctx: Any,
    *,
    detail: bool,
    pattern: str | None = None,
    with_servers: bool = False,
) -> list[dict[str, Any]]:
    v = version(ctx)
    svc = services(request)
    nodes, svc_views, counts = await svc.hosts.nodes()
    if pattern is not None:
        nodes = [n for n in nodes if pattern in n.hypervisor_hostname]
    if v.at_least("2.33"):
        marker = request.query_params.get("marker")
        if marker is not None:
            ids = [str(n.uuid if v.at_least("2.53") else n.id) for n in nodes]
            if marker not in ids:
                raise BadRequest(f"marker [{marker}] not found")
            nodes = nodes[ids.index(marker) + 1 :]
        limit = int_param(request, "limit")
        if limit is not None:
            nodes = nodes[:limit]
    out = []
    for n in nodes:
        servers = None
        if with_servers:
            servers = [
                {"uuid": i.uuid, "name": f"instance-{i.uuid[:8]}"}
                for i in await svc.servers.instances_on(n.hypervisor_hostname)
            ]
        out.append(
            hypervisor_view(
                n,
                v,
                detail=detail,
                service=svc_views.get(n.host),
                usage=await svc.hosts.usage(n.uuid) if detail else {},
                running_vms=counts.get(n.hypervisor_hostname, 0),
                servers=servers,
            )
        )
    return out


def _list_args(request: Request, ctx: Any) -> tuple[str | None, bool]:
    v = version(ctx)
    if not v.at_least("2.53"):
        return None, False
    pattern = request.query_params.get("hypervisor_hostname_pattern")
    with_servers = request.query_params.get("with_servers", "false").lower() in ("true", "1")
    return pattern, with_servers


@router.get("/os-hypervisors")
async def list_hypervisors(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.HYPERVISORS_LIST)
    pattern, with_servers = _list_args(request, ctx)
    items = await _hypervisors(
        request, ctx, detail=False, pattern=pattern, with_servers=with_servers
    )
    if pattern is not None and not items:
        raise NotFound(f"No hypervisor matching '{pattern}' could be found.")
    return reply({"hypervisors": items})


@router.get("/os-hypervisors/detail")
async def list_hypervisors_detail(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.HYPERVISORS_LIST_DETAIL)
    pattern, with_servers = _list_args(request, ctx)
    items = await _hypervisors(
        request, ctx, detail=True, pattern=pattern, with_servers=with_servers
    )
    return reply({"hypervisors": items})


@router.get("/os-hypervisors/statistics")
async def hypervisor_statistics(request: Request, ctx: Ctx) -> Response:
    if version(ctx).at_least("2.88"):
        raise NotFound("The resource could not be found.")
    ctx.can(policies.HYPERVISORS_STATISTICS)
    items = await _hypervisors(request, ctx, detail=True)
    keys = (
        "vcpus",
        "memory_mb",
        "local_gb",
        "vcpus_used",
        "memory_mb_used",
        "local_gb_used",
        "free_ram_mb",
        "free_disk_gb",
        "current_workload",
        "running_vms",
        "disk_available_least",
    )
    stats = {k: sum(int(h[k]) for h in items) for k in keys}
    stats["count"] = len(items)
    return reply({"hypervisor_statistics": stats})


async def _find(request: Request, ctx: Any, ident: str) -> dict[str, Any]:
    v = version(ctx)
    for item in await _hypervisors(
        request,
        ctx,
        detail=True,
        with_servers=v.at_least("2.53")
        and request.query_params.get("with_servers", "").lower() in ("true", "1"),
    ):
        if str(item["id"]) == ident:
            return item
    if v.at_least("2.53") and not re.match(r"^[0-9a-f-]{36}$", ident):
        raise BadRequest(f"Invalid uuid {ident}")
    raise HypervisorNotFound(ident)


@router.get("/os-hypervisors/{ident}")
async def get_hypervisor(ident: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.HYPERVISORS_SHOW)
    return reply({"hypervisor": await _find(request, ctx, ident)})


@router.get("/os-hypervisors/{ident}/uptime")
async def get_hypervisor_uptime(ident: str, request: Request, ctx: Ctx) -> Response:
    if version(ctx).at_least("2.88"):
        raise NotFound("The resource could not be found.")
    ctx.can(policies.HYPERVISORS_UPTIME)
    item = await _find(request, ctx, ident)
    keep = ("id", "hypervisor_hostname", "state", "status")
    body = {k: item[k] for k in keep}
    body["uptime"] = " 00:00:00 up 0 min,  0 users,  load average: 0.00, 0.00, 0.00"
    return reply({"hypervisor": body})


@router.get("/os-hypervisors/{pattern}/search")
async def search_hypervisors(pattern: str, request: Request, ctx: Ctx) -> Response:
    if version(ctx).at_least("2.53"):
        raise NotFound("The resource could not be found.")
    ctx.can(policies.HYPERVISORS_SEARCH)
    items = await _hypervisors(request, ctx, detail=False, pattern=pattern)
    if not items:
        raise NotFound(f"No hypervisor matching '{pattern}' could be found.")
    return reply({"hypervisors": items})


@router.get("/os-hypervisors/{pattern}/servers")
async def hypervisor_servers(pattern: str, request: Request, ctx: Ctx) -> Response:
    if version(ctx).at_least("2.53"):
        raise NotFound("The resource could not be found.")
    ctx.can(policies.HYPERVISORS_SERVERS)
    items = await _hypervisors(request, ctx, detail=False, pattern=pattern, with_servers=True)
    if not items:
        raise NotFound(f"No hypervisor matching '{pattern}' could be found.")
    return reply({"hypervisors": items})


# -- services ----------------------------------------------------------------------------


@router.get("/os-services")
async def list_services(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.SERVICES_LIST)
    v = version(ctx)
    host = request.query_params.get("host")
    binary = request.query_params.get("binary")
    views = [
        sv
        for sv in await services(request).hosts.services()
        if (host is None or sv.row.host == host) and (binary is None or sv.row.binary == binary)
    ]
    return reply({"services": [service_view(sv, v) for sv in views]})


@router.put("/os-services/{ident}")
async def update_service(ident: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.SERVICES_UPDATE)
    v = version(ctx)
    hosts = services(request).hosts
    if not v.at_least("2.53"):
        return await _legacy_service_update(ident, request, ctx)
    body = await _json_object(request)
    extra = set(body) - {"status", "disabled_reason", "forced_down"}
    if extra or not body:
        raise BadRequest(
            "Invalid input for field/attribute: status, disabled_reason or forced_down"
        )
    status = body.get("status")
    if status not in (None, "enabled", "disabled"):
        raise BadRequest(f"Invalid input for field/attribute status. Value: {status}.")
    reason = body.get("disabled_reason")
    if reason is not None and status != "disabled":
        raise BadRequest("Specifying 'disabled_reason' with status 'enabled' is invalid.")
    forced = body.get("forced_down")
    if forced is not None and not isinstance(forced, bool):
        raise BadRequest(f"Invalid input for field/attribute forced_down. Value: {forced}.")
    view = await hosts.update_service(
        ident=ident,
        disabled=None if status is None else status == "disabled",
        disabled_reason=reason,
        forced_down=forced,
    )
    return reply({"service": service_view(view, v)})


async def _json_object(request: Request) -> dict[str, Any]:
    from stratus.api.body import json_body

    data = await json_body(request)
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    return data


async def _legacy_service_update(action: str, request: Request, ctx: Any) -> Response:
    body = await _json_object(request)
    host, binary = body.get("host"), body.get("binary")
    if not isinstance(host, str) or not isinstance(binary, str):
        raise BadRequest("Invalid input: 'host' and 'binary' are required properties")
    hosts = services(request).hosts
    v = version(ctx)
    out: dict[str, Any] = {"host": host, "binary": binary}
    if action == "enable":
        await hosts.update_service(host=host, binary=binary, disabled=False)
        out["status"] = "enabled"
    elif action == "disable":
        await hosts.update_service(host=host, binary=binary, disabled=True)
        out["status"] = "disabled"
    elif action == "disable-log-reason":
        reason = body.get("disabled_reason")
        if not isinstance(reason, str) or not 1 <= len(reason) <= 255:
            raise BadRequest("Missing disabled reason field")
        await hosts.update_service(host=host, binary=binary, disabled=True, disabled_reason=reason)
        out.update(status="disabled", disabled_reason=reason)
    elif action == "force-down" and v.at_least("2.11"):
        forced = body.get("forced_down")
        if not isinstance(forced, bool):
            raise BadRequest(f"Invalid input for field/attribute forced_down. Value: {forced}.")
        await hosts.update_service(host=host, binary=binary, forced_down=forced)
        out["forced_down"] = forced
    else:
        raise NotFound(f"Unknown action {action}")
    return reply({"service": out})


@router.delete("/os-services/{ident}")
async def delete_service(ident: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.SERVICES_DELETE)
    raise NotImplementedYet("Deleting compute services is not implemented by Stratus yet.")


__all__ = ["body_of", "links", "router"]
