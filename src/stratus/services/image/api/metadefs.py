"""Metadata definitions API (``/v2/metadefs``) and its schemas."""

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from stratus.api.body import json_body
from stratus.api.deps import Ctx
from stratus.kit.errors import NotFound
from stratus.services.image.api.schemas import METADEF_SCHEMAS
from stratus.services.image.metadef import MetadefService, item_view

router = APIRouter()

BASE = "/v2/metadefs/namespaces/{namespace}"
# URL segment -> item kind, list key, schema name.
KINDS = {
    "objects": ("object", "objects"),
    "properties": ("property", "properties"),
    "tags": ("tag", "tags"),
    "resource_types": ("association", "resource_type_associations"),
}


def _service(request: Request) -> MetadefService:
    service: MetadefService | None = getattr(request.app.state, "metadefs", None)
    if service is None:
        service = MetadefService(request.app.state.runtime)
        request.app.state.metadefs = service
    return service


def _kind(segment: str) -> tuple[str, str]:
    try:
        return KINDS[segment]
    except KeyError:
        raise NotFound("The resource could not be found.") from None


@router.get("/v2/schemas/metadefs/{name}")
async def get_metadef_schema(name: str, ctx: Ctx) -> Response:
    build = METADEF_SCHEMAS.get(name)
    if build is None:
        raise NotFound(f"Schema metadefs/{name} not found.")
    return JSONResponse(build())


@router.get("/v2/metadefs/resource_types")
async def list_resource_types(request: Request, ctx: Ctx) -> Response:
    return JSONResponse({"resource_types": await _service(request).list_resource_types(ctx)})


@router.get("/v2/metadefs/namespaces")
async def list_namespaces(request: Request, ctx: Ctx) -> Response:
    params = request.query_params
    types = [t for v in params.getlist("resource_types") for t in v.split(",") if t]
    found = await _service(request).list_namespaces(
        ctx, visibility=params.get("visibility"), resource_types=types
    )
    return JSONResponse(
        {
            "namespaces": found,
            "first": "/v2/metadefs/namespaces",
            "schema": "/v2/schemas/metadefs/namespaces",
        }
    )


@router.post("/v2/metadefs/namespaces")
async def create_namespace(request: Request, ctx: Ctx) -> Response:
    body = await _service(request).create_namespace(ctx, await json_body(request))
    return JSONResponse(body, status_code=201)


@router.get(BASE)
async def get_namespace(namespace: str, request: Request, ctx: Ctx) -> Response:
    return JSONResponse(await _service(request).get_namespace(ctx, namespace))


@router.put(BASE)
async def update_namespace(namespace: str, request: Request, ctx: Ctx) -> Response:
    body = await _service(request).update_namespace(ctx, namespace, await json_body(request))
    return JSONResponse(body)


@router.delete(BASE, status_code=204)
async def delete_namespace(namespace: str, request: Request, ctx: Ctx) -> Response:
    await _service(request).delete_namespace(ctx, namespace)
    return Response(status_code=204)


@router.get(BASE + "/{segment}")
async def list_items(namespace: str, segment: str, request: Request, ctx: Ctx) -> Response:
    kind, key = _kind(segment)
    ns, rows = await _service(request).list_items(ctx, namespace, kind)
    if kind == "property":
        return JSONResponse({"properties": {r.name: item_view(ns, r) for r in rows}})
    body: dict[str, object] = {key: [item_view(ns, r) for r in rows]}
    if kind == "object":
        body["schema"] = "v2/schemas/metadefs/objects"
    return JSONResponse(body)


@router.post(BASE + "/{segment}")
async def create_item(namespace: str, segment: str, request: Request, ctx: Ctx) -> Response:
    kind, _ = _kind(segment)
    service = _service(request)
    if kind == "tag":
        append = request.headers.get("x-openstack-append", "").lower() == "true"
        tags = await service.create_tags(ctx, namespace, await json_body(request), append=append)
        return JSONResponse({"tags": tags}, status_code=201)
    body = await service.create_item(ctx, namespace, kind, await json_body(request))
    return JSONResponse(body, status_code=201)


@router.delete(BASE + "/{segment}", status_code=204)
async def delete_items(namespace: str, segment: str, request: Request, ctx: Ctx) -> Response:
    kind, _ = _kind(segment)
    await _service(request).delete_all(ctx, namespace, kind)
    return Response(status_code=204)


@router.get(BASE + "/{segment}/{name}")
async def get_item(namespace: str, segment: str, name: str, request: Request, ctx: Ctx) -> Response:
    kind, _ = _kind(segment)
    return JSONResponse(await _service(request).get_item(ctx, namespace, kind, name))


@router.post(BASE + "/tags/{name}")
async def create_tag(namespace: str, name: str, request: Request, ctx: Ctx) -> Response:
    body = await _service(request).create_item(ctx, namespace, "tag", {"name": name})
    return JSONResponse(body, status_code=201)


@router.put(BASE + "/{segment}/{name}")
async def update_item(
    namespace: str, segment: str, name: str, request: Request, ctx: Ctx
) -> Response:
    kind, _ = _kind(segment)
    body = await _service(request).update_item(ctx, namespace, kind, name, await json_body(request))
    return JSONResponse(body)


@router.delete(BASE + "/{segment}/{name}", status_code=204)
async def delete_item(
    namespace: str, segment: str, name: str, request: Request, ctx: Ctx
) -> Response:
    kind, _ = _kind(segment)
    await _service(request).delete_item(ctx, namespace, kind, name)
    return Response(status_code=204)
