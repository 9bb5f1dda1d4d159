"""Image API v2 handlers: context → policy (in the service, against the image) → body → one
service call → view."""

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from stratus.api.body import json_body
from stratus.api.deps import AnonCtx, Ctx
from stratus.api.runtime import Runtime
from stratus.kit.errors import NotFound, NotImplementedYet
from stratus.kit.timeutil import parse_isotime
from stratus.services.image import policies
from stratus.services.image.api import schemas, views
from stratus.services.image.api.versions import document
from stratus.services.image.errors import ImageInvalid, ImageMediaType, RangeNotSatisfiable
from stratus.services.image.repository import ImageFilters
from stratus.services.image.service import (
    CONTAINER_FORMATS,
    DISK_FORMATS,
    IMPORT_METHODS,
    STATUSES,
    ImageService,
)
from stratus.services.image.store import FileStore, SwiftStore

router = APIRouter()

PATCH_TYPES = (
    "application/openstack-images-v2.1-json-patch",
    "application/openstack-images-v2.0-json-patch",
)
SORT_KEYS = (
    "name",
    "status",
    "container_format",
    "disk_format",
    "size",
    "id",
    "created_at",
    "updated_at",
)
DEFAULT_LIMIT = 25
MAX_LIMIT = 1000
_RESERVED_QUERY = {
    "limit",
    "marker",
    "sort",
    "sort_key",
    "sort_dir",
    "name",
    "id",
    "status",
    "visibility",
    "member_status",
    "owner",
    "tag",
    "size_min",
    "size_max",
    "created_at",
    "updated_at",
    "os_hidden",
    "protected",
    "disk_format",
    "container_format",
    "checksum",
    "os_hash_value",
}


def _images(request: Request) -> ImageService:
    service: ImageService | None = getattr(request.app.state, "images", None)
    if service is None:
        runtime = request.app.state.runtime
        default = FileStore(runtime.settings.data_dir / "images")
        extra = []
        if "object-store" in runtime.settings.services:
            extra.append(SwiftStore(object_store_client(runtime), default))
        service = ImageService(runtime, default, extra_stores=extra)
        request.app.state.images = service
    return service


def object_store_client(runtime: Runtime) -> Any:
    """The object storage service's client (registered by that service, or made here)."""
    client = runtime.clients.get("object-store")
    if client is None:
        from stratus.services.object_store.client import ObjectStoreClient

        client = ObjectStoreClient(runtime)
        runtime.clients["object-store"] = client
    return client


def _base(request: Request) -> str:
    return str(request.app.state.runtime.settings.base_url)


# -- versions ---------------------------------------------------------------------------


@router.get("/")
async def list_versions_root(request: Request) -> Response:
    return JSONResponse(document(_base(request)), status_code=300)


@router.get("/versions")
async def list_versions(request: Request) -> Response:
    return JSONResponse(document(_base(request)))


@router.get("/v2")
@router.get("/v2/")
async def get_version(request: Request) -> Response:
    return JSONResponse(document(_base(request)), status_code=300)


# -- schemas and info -------------------------------------------------------------------


@router.get("/v2/schemas/{name}")
async def get_schema(name: str, ctx: Ctx) -> Response:
    build = schemas.SCHEMAS.get(name)
    if build is None:
        raise NotFound(f"Schema {name} not found.")
    return JSONResponse(build())


@router.get("/v2/info/import")
async def get_import_info(request: Request, ctx: Ctx) -> Response:
    # copy-image only means something with more than one store.
    several = len(_images(request).stores) > 1
    methods = [m for m in IMPORT_METHODS if m != "copy-image" or several]
    return JSONResponse(
        {
            "import-methods": {
                "description": "Import methods available.",
                "type": "array",
                "value": methods,
            }
        }
    )


@router.get("/v2/info/stores")
async def list_stores(request: Request, ctx: Ctx) -> Response:
    service = _images(request)
    return JSONResponse(
        {
            "stores": [
                {"id": s.id, "description": s.description}
                | ({"default": True} if s.id == service.store.id else {})
                for s in service.stores.values()
            ]
        }
    )


@router.get("/v2/info/stores/detail")
async def list_stores_detail(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.GET_STORES_INFO)
    service = _images(request)
    stores = []
    for store in service.stores.values():
        entry: dict[str, Any] = {"id": store.id, "description": store.description}
        if store.id == service.store.id:
            entry["default"] = True
        if isinstance(store, SwiftStore):
            entry["type"] = "swift"
            entry["properties"] = {"container": store.container, "account": store.account}
        elif isinstance(store, FileStore):
            entry["type"] = "file"
            entry["properties"] = {"data_dir": str(store.root), "chunk_size": 1 << 20}
        stores.append(entry)
    return JSONResponse({"stores": stores})


# -- images -----------------------------------------------------------------------------


def _bool(name: str, raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ImageInvalid(f"Invalid value '{raw}' for parameter '{name}': not a boolean.")


def _int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ImageInvalid(f"Invalid value '{raw}' for parameter '{name}'.") from None
    if value < 0:
        raise ImageInvalid(f"Invalid value '{raw}' for parameter '{name}'.")
    return value


def _in_values(raw: str) -> list[str] | None:
    if not raw.startswith("in:"):
        return None
    return [v.strip().strip('"') for v in raw[3:].split(",") if v.strip()]


def _parse_filters(request: Request) -> ImageFilters:
    params = request.query_params
    filters = ImageFilters()
    vis = params.get("visibility")
    if vis is not None:
        if vis not in ("public", "private", "shared", "community", "all"):
            raise ImageInvalid(f"Invalid visibility value: {vis}")
        filters.visibility = vis
    member_status = params.get("member_status")
    if member_status is not None:
        if member_status not in ("pending", "accepted", "rejected", "all"):
            raise ImageInvalid(f"Invalid status value: {member_status}")
        filters.member_status = member_status
    for key in (
        "name",
        "id",
        "status",
        "owner",
        "disk_format",
        "container_format",
        "checksum",
        "os_hash_value",
    ):
        raw = params.get(key)
        if raw is None:
            continue
        values = _in_values(raw)
        if key == "status":
            for value in values or [raw]:
                if value not in STATUSES:
                    raise ImageInvalid(f"Invalid status value: {value}")
        if key == "disk_format":
            for value in values or [raw]:
                if value not in DISK_FORMATS:
                    raise ImageInvalid(f"Invalid disk_format value: {value}")
        if key == "container_format":
            for value in values or [raw]:
                if value not in CONTAINER_FORMATS:
                    raise ImageInvalid(f"Invalid container_format value: {value}")
        if values is not None:
            filters.within[key] = values
        else:
            filters.exact[key] = raw
    if "protected" in params:
        filters.exact["protected"] = _bool("protected", params["protected"])
    if "os_hidden" in params:
        filters.os_hidden = _bool("os_hidden", params["os_hidden"])
    filters.tags = params.getlist("tag")
    if "size_min" in params:
        filters.size_min = _int("size_min", params["size_min"])
    if "size_max" in params:
        filters.size_max = _int("size_max", params["size_max"])
    for column in ("created_at", "updated_at"):
        raw = params.get(column)
        if raw is None:
            continue
        op, _, when = raw.partition(":")
        if op not in ("gt", "gte", "lt", "lte", "eq", "neq") or not when:
            op, when = "eq", raw
        try:
            filters.times.append((column, op, parse_isotime(when)))
        except ValueError:
            raise ImageInvalid(f"Invalid value '{raw}' for parameter '{column}'.") from None
    for key, value in params.multi_items():
        if key not in _RESERVED_QUERY:
            filters.properties[key] = value
    return filters


def _parse_sort(request: Request) -> list[tuple[str, str]]:
    params = request.query_params
    out: list[tuple[str, str]] = []
    if "sort" in params:
        if "sort_key" in params or "sort_dir" in params:
            raise ImageInvalid(
                "The 'sort' parameter cannot be combined with 'sort_key' and 'sort_dir'."
            )
        for part in params["sort"].split(","):
            key, _, direction = part.strip().partition(":")
            out.append((key, direction or "desc"))
    else:
        keys = params.getlist("sort_key")
        dirs = params.getlist("sort_dir")
        if dirs and len(dirs) not in (1, len(keys)):
            raise ImageInvalid("Number of sort dirs does not match the number of sort keys")
        for i, key in enumerate(keys):
            direction = dirs[i] if len(dirs) > i else (dirs[0] if dirs else "desc")
            out.append((key, direction))
        if not keys and dirs:
            out.append(("created_at", dirs[0]))
    for key, direction in out:
        if key not in SORT_KEYS:
            raise ImageInvalid(
                f"Invalid sort key: {key}. It must be one of the following: {', '.join(SORT_KEYS)}."
            )
        if direction not in ("asc", "desc"):
            raise ImageInvalid(
                f"Invalid sort direction: {direction}. It must be one of the following: asc, desc."
            )
    return out


@router.get("/v2/images")
async def list_images(request: Request, ctx: Ctx) -> Response:
    filters = _parse_filters(request)
    sort = _parse_sort(request)
    limit = DEFAULT_LIMIT
    if "limit" in request.query_params:
        limit = min(_int("limit", request.query_params["limit"]), MAX_LIMIT)
    marker = request.query_params.get("marker")
    found = await _images(request).list_images(ctx, filters, sort=sort, limit=limit, marker=marker)
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "marker"]
    body: dict[str, Any] = {
        "images": [views.image(d) for d in found],
        "first": "/v2/images" + (f"?{urlencode(params)}" if params else ""),
        "schema": "/v2/schemas/images",
    }
    if found and len(found) == limit:
        body["next"] = "/v2/images?" + urlencode([*params, ("marker", found[-1].image.id)])
    return JSONResponse(body)


@router.api_route("/v2/images/", methods=["GET", "PATCH", "DELETE", "PUT"])
async def image_without_id(ctx: Ctx) -> Response:
    raise NotFound("The resource could not be found.")


@router.post("/v2/images")
async def create_image(request: Request, ctx: Ctx) -> Response:
    data = await _images(request).create(ctx, await json_body(request))
    return JSONResponse(
        views.image(data),
        status_code=201,
        headers={"Location": f"{_base(request)}/image/v2/images/{data.image.id}"},
    )


@router.get("/v2/images/{image_id}")
async def get_image(image_id: str, request: Request, ctx: Ctx) -> Response:
    return JSONResponse(views.image(await _images(request).get(ctx, image_id)))


@router.patch("/v2/images/{image_id}")
async def update_image(image_id: str, request: Request, ctx: Ctx) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in PATCH_TYPES:
        raise ImageMediaType(
            f"Unsupported Content-Type: {content_type or 'none'}. It must be one of "
            f"{', '.join(PATCH_TYPES)}.",
            headers={"Accept-Patch": ", ".join(PATCH_TYPES)},
        )
    dialect = "2.0" if "v2.0" in content_type else "2.1"
    data = await _images(request).update(ctx, image_id, await json_body(request), dialect=dialect)
    return JSONResponse(views.image(data))


@router.delete("/v2/images/{image_id}", status_code=204)
async def delete_image(image_id: str, request: Request, ctx: Ctx) -> Response:
    await _images(request).delete(ctx, image_id)
    return Response(status_code=204)


@router.post("/v2/images/{image_id}/actions/deactivate", status_code=204)
async def deactivate_image(image_id: str, request: Request, ctx: Ctx) -> Response:
    await _images(request).deactivate(ctx, image_id)
    return Response(status_code=204)


@router.post("/v2/images/{image_id}/actions/reactivate", status_code=204)
async def reactivate_image(image_id: str, request: Request, ctx: Ctx) -> Response:
    await _images(request).reactivate(ctx, image_id)
    return Response(status_code=204)


@router.put("/v2/images/{image_id}/tags/{tag}", status_code=204)
async def add_tag(image_id: str, tag: str, request: Request, ctx: Ctx) -> Response:
    await _images(request).add_tag(ctx, image_id, tag)
    return Response(status_code=204)


@router.delete("/v2/images/{image_id}/tags/{tag}", status_code=204)
async def delete_tag(image_id: str, tag: str, request: Request, ctx: Ctx) -> Response:
    await _images(request).delete_tag(ctx, image_id, tag)
    return Response(status_code=204)


# -- data -------------------------------------------------------------------------------


def _require_octet_stream(request: Request) -> None:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/octet-stream":
        raise ImageMediaType(
            f"Content-Type {content_type or '(none)'} is not supported: "
            "use application/octet-stream."
        )


@router.put("/v2/images/{image_id}/file", status_code=204)
async def upload_image(image_id: str, request: Request, ctx: Ctx) -> Response:
    _require_octet_stream(request)
    length = request.headers.get("content-length")
    await _images(request).upload(
        ctx,
        image_id,
        request.stream(),
        content_length=int(length) if length and length.isdigit() else None,
        store_id=request.headers.get("x-image-meta-store"),
    )
    return Response(status_code=204)


_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _range(header: str, size: int) -> tuple[int, int]:
    match = _RANGE_RE.match(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        raise RangeNotSatisfiable(
            f"Requested range not satisfiable: {header}",
            headers={"Content-Range": f"bytes */{size}"},
        )
    first, last = match.group(1), match.group(2)
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    else:
        start = max(0, size - int(last))
        end = size - 1
    if start > end or start >= size:
        raise RangeNotSatisfiable(
            f"Requested range not satisfiable: {header}",
            headers={"Content-Range": f"bytes */{size}"},
        )
    return start, end


@router.get("/v2/images/{image_id}/file")
async def download_image(image_id: str, request: Request, ctx: Ctx) -> Response:
    service = _images(request)
    data, key = await service.download(ctx, image_id)
    if key is None:
        return Response(status_code=204)
    size = data.image.size or 0
    headers = {"Content-Type": "application/octet-stream"}
    if data.image.checksum:
        headers["Content-MD5"] = data.image.checksum
    header = request.headers.get("range") or request.headers.get("content-range")
    if header and size > 0:
        if header.startswith("bytes ") and "/" in header:  # Content-Range: bytes a-b/*
            header = "bytes=" + header[6:].split("/")[0]
        start, end = _range(header, size)
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        headers["Content-Length"] = str(end - start + 1)
        return StreamingResponse(
            service.read(data.image, start, end), status_code=206, headers=headers
        )
    headers["Content-Length"] = str(size)
    return StreamingResponse(service.read(data.image, 0, None), headers=headers)


@router.put("/v2/images/{image_id}/stage", status_code=204)
async def stage_image(image_id: str, request: Request, ctx: Ctx) -> Response:
    _require_octet_stream(request)
    await _images(request).stage(ctx, image_id, request.stream())
    return Response(status_code=204)


@router.get("/v2/images/{image_id}/tasks")
async def list_image_tasks(image_id: str, request: Request, ctx: Ctx) -> Response:
    rows = await _images(request).image_tasks(ctx, image_id)
    return JSONResponse({"tasks": [views.image_task(r) for r in rows]})


@router.post("/v2/images/{image_id}/import", status_code=202)
async def import_image(image_id: str, request: Request, ctx: Ctx) -> Response:
    await _images(request).import_(
        ctx,
        image_id,
        await json_body(request),
        store_header=request.headers.get("x-image-meta-store"),
    )
    return Response(status_code=202)


# -- members ----------------------------------------------------------------------------


@router.get("/v2/images/{image_id}/members")
async def list_members(image_id: str, request: Request, ctx: Ctx) -> Response:
    entries = await _images(request).list_members(ctx, image_id)
    return JSONResponse(
        {"members": [views.member(e) for e in entries], "schema": "/v2/schemas/members"}
    )


@router.post("/v2/images/{image_id}/members")
async def create_member(image_id: str, request: Request, ctx: Ctx) -> Response:
    body = await json_body(request)
    member_id = body.get("member") if isinstance(body, dict) else None
    entry = await _images(request).add_member(ctx, image_id, member_id)
    return JSONResponse(views.member(entry))


@router.get("/v2/images/{image_id}/members/{member_id}")
async def get_member(image_id: str, member_id: str, request: Request, ctx: Ctx) -> Response:
    entry = await _images(request).get_member(ctx, image_id, member_id)
    return JSONResponse(views.member(entry))


@router.put("/v2/images/{image_id}/members/{member_id}")
async def update_member(image_id: str, member_id: str, request: Request, ctx: Ctx) -> Response:
    body = await json_body(request)
    status = body.get("status") if isinstance(body, dict) else None
    entry = await _images(request).update_member(ctx, image_id, member_id, status)
    return JSONResponse(views.member(entry))


@router.delete("/v2/images/{image_id}/members/{member_id}", status_code=204)
async def delete_member(image_id: str, member_id: str, request: Request, ctx: Ctx) -> Response:
    await _images(request).delete_member(ctx, image_id, member_id)
    return Response(status_code=204)


@router.delete("/v2/stores/{store_id}/{image_id}", status_code=204)
async def delete_from_store(store_id: str, image_id: str, request: Request, ctx: Ctx) -> Response:
    await _images(request).delete_from_store(ctx, store_id, image_id)
    return Response(status_code=204)


# -- tasks ------------------------------------------------------------------------------


@router.get("/v2/tasks")
async def list_tasks(request: Request, ctx: Ctx) -> Response:
    rows = await _images(request).list_tasks(ctx)
    return JSONResponse(
        {
            "tasks": [views.task(r, detail=False) for r in rows],
            "first": "/v2/tasks",
            "schema": "/v2/schemas/tasks",
        }
    )


@router.post("/v2/tasks")
async def create_task(request: Request, ctx: Ctx) -> Response:
    row = await _images(request).create_task(ctx, await json_body(request))
    return JSONResponse(views.task(row), status_code=201)


@router.get("/v2/tasks/{task_id}")
async def get_task(task_id: str, request: Request, ctx: Ctx) -> Response:
    return JSONResponse(views.task(await _images(request).get_task(ctx, task_id)))


# -- not implemented here ----------------------------------------------------------------


@router.api_route("/v2/images/{image_id}/locations", methods=["GET", "POST"])
@router.api_route("/v2/cache", methods=["GET", "DELETE"])
@router.api_route("/v2/cache/{rest:path}", methods=["GET", "PUT", "DELETE"])
async def not_implemented(request: Request, ctx: AnonCtx) -> Response:
    raise NotImplementedYet(
        f"{request.method} {request.url.path} is not implemented by this image service."
    )
