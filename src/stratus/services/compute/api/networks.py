"""``os-networks`` and ``os-tenant-networks``: read-only views of the network service's
networks (gone from 2.36); nova-network's create/delete/associate calls are Gone (410), as
upstream since Ussuri."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.deps import Ctx
from stratus.kit.errors import Gone
from stratus.services.compute import proxy_policies as policies
from stratus.services.compute.api.common import reply, services
from stratus.services.compute.api.deprecated import proxy_api
from stratus.services.compute.floating_ip import (
    FloatingIPProxy,
    network_view,
    tenant_network_view,
)

router = APIRouter(prefix="/v2.1")

_GONE = "This API only works with nova-network, which was removed: it is gone."


def _proxy(request: Request) -> FloatingIPProxy:
    return FloatingIPProxy(services(request).servers.network)


@router.get("/os-networks")
async def list_networks(request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    ctx.can(policies.NETWORKS_LIST, {"project_id": ctx.project_id})
    nets = await _proxy(request).list_networks(ctx)
    return reply({"networks": [network_view(n, admin=ctx.is_admin) for n in nets]})


@router.get("/os-networks/{network_id}")
async def get_network(network_id: str, request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    ctx.can(policies.NETWORKS_VIEW, {"project_id": ctx.project_id})
    net = await _proxy(request).get_network(ctx, network_id)
    return reply({"network": network_view(net, admin=ctx.is_admin)})


@router.post("/os-networks")
@router.post("/os-networks/add")
@router.post("/os-networks/{network_id}/action")
@router.delete("/os-networks/{network_id}")
@router.post("/os-tenant-networks")
@router.delete("/os-tenant-networks/{network_id}")
async def removed_network_api(_request: Request, _ctx: Ctx) -> Response:
    raise Gone(_GONE)


@router.get("/os-tenant-networks")
async def list_tenant_networks(request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    ctx.can(policies.TENANT_NETWORKS_LIST, {"project_id": ctx.project_id})
    nets = await _proxy(request).list_networks(ctx)
    return reply({"networks": [tenant_network_view(n) for n in nets]})


@router.get("/os-tenant-networks/{network_id}")
async def get_tenant_network(network_id: str, request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    ctx.can(policies.TENANT_NETWORKS_SHOW, {"project_id": ctx.project_id})
    net = await _proxy(request).get_network(ctx, network_id)
    return reply({"network": tenant_network_view(net)})
