"""``os-floating-ips`` and ``os-floating-ip-pools`` (proxies to the network service, gone
from 2.36)."""

import json

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest
from stratus.services.compute import proxy_policies as policies
from stratus.services.compute.api.common import reply, services
from stratus.services.compute.api.deprecated import proxy_api
from stratus.services.compute.floating_ip import FloatingIPProxy

router = APIRouter(prefix="/v2.1")


def _proxy(request: Request) -> FloatingIPProxy:
    return FloatingIPProxy(services(request).servers.network)


@router.get("/os-floating-ips")
async def list_floating_ips(request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    ctx.can(policies.FIP_LIST, {"project_id": ctx.project_id})
    return reply({"floating_ips": await _proxy(request).list_ips(ctx)})


@router.post("/os-floating-ips")
async def create_floating_ip(request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    ctx.can(policies.FIP_CREATE, {"project_id": ctx.project_id})
    raw = await request.body()
    pool = None
    if raw.strip():
        try:
            data = json.loads(raw)
        except ValueError:
            raise BadRequest("Malformed request body") from None
        if data is not None and not isinstance(data, dict):
            raise BadRequest("Invalid input for field/attribute body.")
        pool = (data or {}).get("pool")
        if pool is not None and not isinstance(pool, str):
            raise BadRequest(
                f"Invalid input for field/attribute pool. Value: {pool}. "
                f"{pool!r} is not of type 'string', 'null'"
            )
    return reply({"floating_ip": await _proxy(request).allocate(ctx, pool)})


@router.get("/os-floating-ips/{fip_id}")
async def get_floating_ip(fip_id: str, request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    ctx.can(policies.FIP_SHOW, {"project_id": ctx.project_id})
    return reply({"floating_ip": await _proxy(request).show(ctx, fip_id)})


@router.delete("/os-floating-ips/{fip_id}")
async def delete_floating_ip(fip_id: str, request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    ctx.can(policies.FIP_DELETE, {"project_id": ctx.project_id})
    await _proxy(request).delete(ctx, fip_id)
    return Response(status_code=202)


@router.get("/os-floating-ip-pools")
async def list_floating_ip_pools(request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    ctx.can(policies.FIP_POOLS, {"project_id": ctx.project_id})
    return reply({"floating_ip_pools": await _proxy(request).pools(ctx)})
