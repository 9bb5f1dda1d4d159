"""Regions, services and endpoints."""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest
from stratus.services.identity import repository as repo
from stratus.services.identity import views
from stratus.services.identity.api.common import Svc, check_types, entity, no_content, ok, qbool
from stratus.services.identity.models import Endpoint, Region, Service

router = APIRouter()


def _extra(body: dict[str, Any], known: set[str]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in known and k != "links"}


# -- regions --------------------------------------------------------------------------------
_REGION_KNOWN = {"id", "description", "parent_region_id"}
_REGION_TYPES: dict[str, Any] = {
    "id": str,
    "description": (str, type(None)),
    "parent_region_id": (str, type(None)),
}


@router.get("/v3/regions")
async def list_regions(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:list_regions")
    where = {}
    if "parent_region_id" in request.query_params:
        where["parent_region_id"] = request.query_params["parent_region_id"]
    async with svc.db.reader() as s:
        rows = await repo.find(s, Region, **where)
    return ok(views.collection(request, "regions", [views.region(request, r) for r in rows]))


async def _create_region(request: Request, ctx: Ctx, svc: Svc, region_id: str | None) -> Response:
    ctx.can("identity:create_region")
    body = await entity(request, "region")
    check_types(body, _REGION_TYPES, prefix="region.")
    if region_id is not None:
        if "id" in body and body["id"] != region_id:
            raise BadRequest("Conflicting region IDs specified: the body and the URL differ.")
        body["id"] = region_id
    fields = {**body, "extra": _extra(body, _REGION_KNOWN)}
    async with svc.db.session() as s:
        row = await svc.catalog.create_region(s, fields)
    return ok({"region": views.region(request, row)}, 201)


@router.post("/v3/regions")
async def create_region(request: Request, ctx: Ctx, svc: Svc) -> Response:
    return await _create_region(request, ctx, svc, None)


@router.put("/v3/regions/{region_id}")
async def create_region_with_id(region_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    return await _create_region(request, ctx, svc, region_id)


@router.get("/v3/regions/{region_id}")
async def get_region(region_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:get_region")
    async with svc.db.reader() as s:
        row = await svc.catalog.get_region(s, region_id)
    return ok({"region": views.region(request, row)})


@router.patch("/v3/regions/{region_id}")
async def update_region(region_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:update_region")
    body = await entity(request, "region")
    check_types(body, _REGION_TYPES, prefix="region.")
    fields = {**body, "extra": _extra(body, _REGION_KNOWN)}
    async with svc.db.session() as s:
        row = await svc.catalog.update_region(s, region_id, fields)
    return ok({"region": views.region(request, row)})


@router.delete("/v3/regions/{region_id}")
async def delete_region(region_id: str, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:delete_region")
    async with svc.db.session() as s:
        await svc.catalog.delete_region(s, region_id)
    return no_content()


# -- services -------------------------------------------------------------------------------
_SERVICE_KNOWN = {"id", "type", "enabled", "name", "description"}
_SERVICE_TYPES: dict[str, Any] = {
    "type": str,
    "enabled": bool,
    "name": (str, type(None)),
    "description": (str, type(None)),
}


@router.get("/v3/services")
async def list_services(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:list_services")
    q = request.query_params
    async with svc.db.reader() as s:
        rows = await repo.find(s, Service, **({"type": q["type"]} if "type" in q else {}))
    if "name" in q:
        rows = [r for r in rows if (r.extra or {}).get("name") == q["name"]]
    return ok(views.collection(request, "services", [views.service(request, r) for r in rows]))


@router.post("/v3/services")
async def create_service(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:create_service")
    body = await entity(request, "service")
    check_types(body, _SERVICE_TYPES, required=("type",), prefix="service.")
    async with svc.db.session() as s:
        row = await svc.catalog.create_service(s, {**body, "extra": _extra(body, _SERVICE_KNOWN)})
    return ok({"service": views.service(request, row)}, 201)


@router.get("/v3/services/{service_id}")
async def get_service(service_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:get_service")
    async with svc.db.reader() as s:
        row = await svc.catalog.get_service(s, service_id)
    return ok({"service": views.service(request, row)})


@router.patch("/v3/services/{service_id}")
async def update_service(service_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:update_service")
    body = await entity(request, "service")
    check_types(body, _SERVICE_TYPES, prefix="service.")
    async with svc.db.session() as s:
        row = await svc.catalog.update_service(
            s, service_id, {**body, "extra": _extra(body, _SERVICE_KNOWN)}
        )
    return ok({"service": views.service(request, row)})


@router.delete("/v3/services/{service_id}")
async def delete_service(service_id: str, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:delete_service")
    async with svc.db.session() as s:
        await svc.catalog.delete_service(s, service_id)
    return no_content()


# -- endpoints ------------------------------------------------------------------------------
_ENDPOINT_KNOWN = {"id", "service_id", "interface", "region_id", "region", "url", "enabled"}
_ENDPOINT_TYPES: dict[str, Any] = {
    "service_id": str,
    "interface": str,
    "url": str,
    "enabled": bool,
    "region_id": (str, type(None)),
    "region": (str, type(None)),
}


@router.get("/v3/endpoints")
async def list_endpoints(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:list_endpoints")
    q = request.query_params
    where = {k: q[k] for k in ("service_id", "interface", "region_id") if k in q}
    if "region" in q:
        where["region_id"] = q["region"]
    enabled = qbool(request, "enabled")
    async with svc.db.reader() as s:
        rows = await repo.find(s, Endpoint, **where)
    if enabled is not None:
        rows = [r for r in rows if r.enabled == enabled]
    return ok(views.collection(request, "endpoints", [views.endpoint(request, r) for r in rows]))


@router.post("/v3/endpoints")
async def create_endpoint(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:create_endpoint")
    body = await entity(request, "endpoint")
    check_types(
        body, _ENDPOINT_TYPES, required=("service_id", "interface", "url"), prefix="endpoint."
    )
    async with svc.db.session() as s:
        row = await svc.catalog.create_endpoint(s, {**body, "extra": _extra(body, _ENDPOINT_KNOWN)})
    return ok({"endpoint": views.endpoint(request, row)}, 201)


@router.get("/v3/endpoints/{endpoint_id}")
async def get_endpoint(endpoint_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:get_endpoint")
    async with svc.db.reader() as s:
        row = await svc.catalog.get_endpoint(s, endpoint_id)
    return ok({"endpoint": views.endpoint(request, row)})


@router.patch("/v3/endpoints/{endpoint_id}")
async def update_endpoint(endpoint_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:update_endpoint")
    body = await entity(request, "endpoint")
    check_types(body, _ENDPOINT_TYPES, prefix="endpoint.")
    async with svc.db.session() as s:
        row = await svc.catalog.update_endpoint(
            s, endpoint_id, {**body, "extra": _extra(body, _ENDPOINT_KNOWN)}
        )
    return ok({"endpoint": views.endpoint(request, row)})


@router.delete("/v3/endpoints/{endpoint_id}")
async def delete_endpoint(endpoint_id: str, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:delete_endpoint")
    async with svc.db.session() as s:
        await svc.catalog.delete_endpoint(s, endpoint_id)
    return no_content()
