"""``os-hosts`` (admin, deprecated: up to 2.42, 404 from 2.43): the hosts behind the services,
each host's resources, enabling or disabling its compute service. Maintenance mode and host
power actions need a driver that manages physical hosts: none does, so they answer 501 as
nova does for a driver without them."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.context import RequestContext
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest, NotFound, NotImplementedYet
from stratus.services.compute import proxy_policies as policies
from stratus.services.compute.api.common import reply, services, version
from stratus.services.compute.host import ServiceView

router = APIRouter(prefix="/v2.1")

_API_BINARIES = ("nova-osapi_compute", "nova-metadata")
_STATES = ("enable", "disable")


def _check_version(ctx: RequestContext) -> None:
    if version(ctx).at_least("2.43"):
        raise NotFound("The resource could not be found.")


async def _compute_service(request: Request, host: str) -> ServiceView:
    for view in await services(request).hosts.services():
        if view.row.host == host and view.row.binary == "nova-compute":
            return view
    raise NotFound(f"Compute host {host} could not be found.")


@router.get("/os-hosts")
async def list_hosts(request: Request, ctx: Ctx) -> Response:
    _check_version(ctx)
    ctx.can(policies.HOSTS_LIST, {})
    zone = request.query_params.get("zone")
    hosts = []
    for view in await services(request).hosts.services():
        if view.row.disabled or view.row.binary in _API_BINARIES:
            continue
        if zone and view.zone != zone:
            continue
        topic = view.row.topic or view.row.binary.removeprefix("nova-")
        hosts.append({"host_name": view.row.host, "service": topic, "zone": view.zone})
    return reply({"hosts": hosts})


@router.get("/os-hosts/{host}")
async def get_host(host: str, request: Request, ctx: Ctx) -> Response:
    _check_version(ctx)
    ctx.can(policies.HOSTS_SHOW, {})
    svc = services(request)
    nodes, _views, _counts = await svc.hosts.nodes()
    mine = [n for n in nodes if n.host == host]
    if not mine:
        raise NotFound(f"Compute host {host} could not be found.")
    node = mine[0]
    used = await svc.hosts.usage(node.uuid)
    instances = await svc.servers.instances_on(node.hypervisor_hostname)

    def resource(project: str, cpu: int, memory_mb: int, disk_gb: int) -> dict[str, Any]:
        return {
            "resource": {
                "host": host,
                "project": project,
                "cpu": cpu,
                "memory_mb": memory_mb,
                "disk_gb": disk_gb,
            }
        }

    def disk(inst: Any) -> int:
        return int(inst.flavor.get("root_gb") or 0) + int(inst.flavor.get("ephemeral_gb") or 0)

    out = [
        resource("(total)", node.vcpus, node.memory_mb, node.local_gb),
        resource(
            "(used_now)",
            int(used.get("VCPU", 0)) + int(used.get("PCPU", 0)),
            int(used.get("MEMORY_MB", 0)),
            int(used.get("DISK_GB", 0)),
        ),
        resource(
            "(used_max)",
            sum(i.vcpus for i in instances),
            sum(i.memory_mb for i in instances),
            sum(disk(i) for i in instances),
        ),
    ]
    for project in sorted({i.project_id for i in instances}):
        theirs = [i for i in instances if i.project_id == project]
        out.append(
            resource(
                project,
                sum(i.vcpus for i in theirs),
                sum(i.memory_mb for i in theirs),
                sum(disk(i) for i in theirs),
            )
        )
    return reply({"host": out})


def _state(body: dict[str, Any], key: str) -> bool | None:
    if key not in body:
        return None
    value = body[key]
    if not isinstance(value, str) or value.strip().lower() not in _STATES:
        raise BadRequest(
            f"Invalid input for field/attribute {key}. Value: {value}. "
            f"{value!r} is not one of ['enable', 'disable']"
        )
    return value.strip().lower() == "enable"


@router.put("/os-hosts/{host}")
async def update_host(host: str, request: Request, ctx: Ctx) -> Response:
    _check_version(ctx)
    ctx.can(policies.HOSTS_UPDATE, {})
    body = await json_body(request)
    if not isinstance(body, dict) or not body:
        raise BadRequest(
            "Invalid input for field/attribute body. Value: {}. {} does not have enough properties"
        )
    extra = set(body) - {"status", "maintenance_mode"}
    if extra:
        raise BadRequest(
            "Additional properties are not allowed "
            f"({', '.join(repr(k) for k in sorted(extra))} was unexpected)"
        )
    status = _state(body, "status")
    maintenance = _state(body, "maintenance_mode")
    view = await _compute_service(request, host)
    result: dict[str, Any] = {"host": host}
    if maintenance is not None:
        raise NotImplementedYet("Feature not supported: no driver puts a host in maintenance.")
    if status is not None:
        await services(request).hosts.update_service(
            host=view.row.host, binary="nova-compute", disabled=not status
        )
        result["status"] = "enabled" if status else "disabled"
    return reply(result)


async def _power(request: Request, ctx: RequestContext, host: str, rule: str) -> Response:
    _check_version(ctx)
    ctx.can(rule, {})
    await _compute_service(request, host)
    raise NotImplementedYet("Feature not supported: the compute driver has no host power control.")


@router.get("/os-hosts/{host}/reboot")
async def reboot_host(host: str, request: Request, ctx: Ctx) -> Response:
    return await _power(request, ctx, host, policies.HOSTS_REBOOT)


@router.get("/os-hosts/{host}/shutdown")
async def shutdown_host(host: str, request: Request, ctx: Ctx) -> Response:
    return await _power(request, ctx, host, policies.HOSTS_SHUTDOWN)


@router.get("/os-hosts/{host}/startup")
async def startup_host(host: str, request: Request, ctx: Ctx) -> Response:
    return await _power(request, ctx, host, policies.HOSTS_START)
