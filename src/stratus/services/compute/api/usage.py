"""os-simple-tenant-usage (os-migrations lives in migrations.py)."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.deps import Ctx
from stratus.kit.timeutil import utcnow
from stratus.services.compute import policies
from stratus.services.compute.api.common import reply, services
from stratus.services.compute.usage import parse_time

router = APIRouter(prefix="/v2.1")


@router.get("/os-simple-tenant-usage")
async def list_usage(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.USAGE_LIST)
    now = utcnow()
    start = parse_time(request.query_params.get("start"), "start", now)
    stop = parse_time(request.query_params.get("end"), "end", now)
    detailed = request.query_params.get("detailed", "0") not in ("0", "false", "")
    usages = await services(request).usage.usage(None, start, stop)
    return reply({"tenant_usages": [u.view(detailed=detailed) for u in usages]})


@router.get("/os-simple-tenant-usage/{project_id}")
async def show_usage(project_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.USAGE_SHOW, {"project_id": project_id})
    now = utcnow()
    start = parse_time(request.query_params.get("start"), "start", now)
    stop = parse_time(request.query_params.get("end"), "end", now)
    (usage,) = await services(request).usage.usage(project_id, start, stop)
    body = usage.view(detailed=True) if usage.servers else {}
    return reply({"tenant_usage": body})
