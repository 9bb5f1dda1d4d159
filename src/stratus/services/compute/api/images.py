"""``/images`` and ``/images/{id}/metadata`` (nova's image proxy to the image service, gone
from 2.36)."""

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.context import RequestContext
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest, NotFound
from stratus.services.compute.api.common import body_of, links, no_content, reply, services
from stratus.services.compute.api.deprecated import proxy_api
from stratus.services.compute.image import ImageProxy, ImageViews
from stratus.services.image.client import ImageClient

router = APIRouter(prefix="/v2.1")


def _proxy(request: Request, ctx: RequestContext) -> ImageProxy:
    runtime = request.app.state.runtime
    client = ImageClient(runtime.db, runtime=runtime)
    return ImageProxy(client, metadata_limit=None)


def _views(request: Request) -> ImageViews:
    base = request.app.state.runtime.settings.base_url
    return ImageViews(links(request), f"{base}/image")


def _next(request: Request, found: list[Any], path: str) -> list[dict[str, str]] | None:
    limit = request.query_params.get("limit")
    if not found or limit is None or not limit.isdigit() or len(found) != int(limit):
        return None
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "marker"]
    params.append(("marker", found[-1].image.id))
    base = links(request).base
    return [{"rel": "next", "href": f"{base}/v2.1/{path}?{urlencode(params)}"}]


async def _metadata_limit(request: Request, ctx: RequestContext) -> int | None:
    """The project's metadata_items quota (nova caps image properties with it)."""
    limits = await services(request).quotas.limits(ctx.project_id or "")
    return limits.get("metadata_items")


@router.get("/images")
async def list_images(request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    found = await _proxy(request, ctx).list_images(ctx, dict(request.query_params))
    body: dict[str, Any] = {"images": [_views(request).basic(d) for d in found]}
    nxt = _next(request, found, "images")
    if nxt:
        body["images_links"] = nxt
    return reply(body)


@router.get("/images/detail")
async def list_images_detail(request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    found = await _proxy(request, ctx).list_images(ctx, dict(request.query_params))
    body: dict[str, Any] = {"images": [_views(request).detail(d) for d in found]}
    nxt = _next(request, found, "images/detail")
    if nxt:
        body["images_links"] = nxt
    return reply(body)


@router.get("/images/{image_id}")
async def get_image(image_id: str, request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    data = await _proxy(request, ctx).get(ctx, image_id)
    return reply({"image": _views(request).detail(data)})


@router.delete("/images/{image_id}")
async def delete_image(image_id: str, request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    await _proxy(request, ctx).delete(ctx, image_id)
    return no_content(204)


def _items(data: Any, key: str) -> dict[str, str]:
    if not isinstance(data, dict):
        raise BadRequest(f"Invalid input for field/attribute {key}. Value: {data}.")
    for k, v in data.items():
        if not isinstance(k, str) or not 1 <= len(k) <= 255:
            raise BadRequest(
                f"Invalid input for field/attribute {key}. Value: {data}. "
                f"'{k}' does not match any of the regexes"
            )
        if not isinstance(v, str) or len(v) > 255:
            raise BadRequest(
                f"Invalid input for field/attribute {k}. Value: {v}. "
                f"{v!r} is not of type 'string' or is too long"
            )
    return dict(data)


async def _limited(request: Request, ctx: RequestContext) -> ImageProxy:
    proxy = _proxy(request, ctx)
    proxy.metadata_limit = await _metadata_limit(request, ctx)
    return proxy


@router.get("/images/{image_id}/metadata")
async def list_image_metadata(image_id: str, request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    return reply({"metadata": await _proxy(request, ctx).metadata(ctx, image_id)})


@router.post("/images/{image_id}/metadata")
async def update_image_metadata(image_id: str, request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    items = _items(await body_of(request, "metadata"), "metadata")
    proxy = await _limited(request, ctx)
    return reply({"metadata": await proxy.merge_metadata(ctx, image_id, items)})


@router.put("/images/{image_id}/metadata")
async def replace_image_metadata(image_id: str, request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    items = _items(await body_of(request, "metadata"), "metadata")
    proxy = await _limited(request, ctx)
    return reply({"metadata": await proxy.replace_metadata(ctx, image_id, items)})


@router.get("/images/{image_id}/metadata/{key}")
async def get_image_metadata_item(image_id: str, key: str, request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    meta = await _proxy(request, ctx).metadata(ctx, image_id)
    if key not in meta:
        raise NotFound("Invalid metadata key")
    return reply({"meta": {key: meta[key]}})


@router.put("/images/{image_id}/metadata/{key}")
async def set_image_metadata_item(image_id: str, key: str, request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    meta = _items(await body_of(request, "meta"), "meta")
    if key not in meta:
        raise BadRequest("Request body and URI mismatch")
    if len(meta) > 1:
        raise BadRequest("Request body contains too many items")
    proxy = await _limited(request, ctx)
    await proxy.merge_metadata(ctx, image_id, meta)
    return reply({"meta": meta})


@router.delete("/images/{image_id}/metadata/{key}")
async def delete_image_metadata_item(
    image_id: str, key: str, request: Request, ctx: Ctx
) -> Response:
    proxy_api(ctx)
    await _proxy(request, ctx).delete_metadata_item(ctx, image_id, key)
    return no_content(204)
