"""Snapshots: CRUD, metadata, admin actions, manage/unmanage."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest, NotFound
from stratus.services.volume.api.common import (
    accepted,
    body_of,
    flag,
    listing,
    metadata_body,
    reply,
    require,
    services,
    version,
    viewer,
)
from stratus.services.volume.api.volumes import _next_link
from stratus.services.volume.views import snapshot_view
from stratus.services.volume.volume import parse_bool

router = APIRouter(prefix="/v3/{project_id}")

_FILTERS = ("name", "status", "volume_id")


async def _list(request: Request, ctx: Ctx, project_id: str, *, detail: bool) -> Response:
    query = listing(request, ctx, "snapshots", filters=_FILTERS)
    rows = await services(request).snapshots.list_snapshots(ctx, query)
    v = viewer(request, ctx, project_id)
    body: dict[str, Any] = {"snapshots": [snapshot_view(r, v, detail=detail) for r in rows]}
    if query.limit and len(rows) == query.limit:
        body["snapshots_links"] = _next_link(
            request, v, "snapshots/detail" if detail else "snapshots", rows[-1].id
        )
    if version(ctx).at_least("3.45") and flag(request, "with_count"):
        query.limit = query.marker = query.offset = None
        body["count"] = len(await services(request).snapshots.list_snapshots(ctx, query))
    return reply(body)


@router.get("/snapshots")
async def list_snapshots(project_id: str, request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, project_id, detail=False)


@router.get("/snapshots/detail")
async def list_snapshots_detail(project_id: str, request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, project_id, detail=True)


@router.post("/snapshots")
async def create_snapshot(project_id: str, request: Request, ctx: Ctx) -> Response:
    body = await body_of(request, "snapshot")
    in_use_ok = version(ctx).at_least("3.66")
    # 3.66: force is no longer needed; true is ignored for compatibility, false refused
    if in_use_ok and body.get("force") is not None and not parse_bool(body["force"], "force"):
        raise BadRequest(
            "Since microversion 3.66 the 'force' flag is invalid for this request. For "
            "backward compatibility, however, when the 'force' flag is passed with a value "
            "evaluating to True, it is silently ignored."
        )
    row = await services(request).snapshots.create(ctx, body, allow_in_use=in_use_ok)
    return reply(
        {"snapshot": snapshot_view(row, viewer(request, ctx, project_id), detail=False)}, 202
    )


@router.get("/snapshots/{snapshot_id}")
async def get_snapshot(project_id: str, snapshot_id: str, request: Request, ctx: Ctx) -> Response:
    row = await services(request).snapshots.get(ctx, snapshot_id)
    return reply({"snapshot": snapshot_view(row, viewer(request, ctx, project_id), detail=True)})


@router.put("/snapshots/{snapshot_id}")
async def update_snapshot(
    project_id: str, snapshot_id: str, request: Request, ctx: Ctx
) -> Response:
    body = await body_of(request, "snapshot")
    row = await services(request).snapshots.update(ctx, snapshot_id, body)
    return reply({"snapshot": snapshot_view(row, viewer(request, ctx, project_id), detail=False)})


@router.delete("/snapshots/{snapshot_id}")
async def delete_snapshot(snapshot_id: str, request: Request, ctx: Ctx) -> Response:
    await services(request).snapshots.delete(ctx, snapshot_id)
    return accepted()


@router.post("/snapshots/{snapshot_id}/action")
async def snapshot_action(snapshot_id: str, request: Request, ctx: Ctx) -> Response:
    data = await json_body(request)
    if not isinstance(data, dict) or len(data) != 1:
        raise BadRequest("Invalid request body: exactly one action is expected.")
    ((action, args),) = data.items()
    a: dict[str, Any] = args if isinstance(args, dict) else {}
    snaps = services(request).snapshots
    if action == "os-reset_status":
        await snaps.reset_status(ctx, snapshot_id, a.get("status"))
    elif action == "os-force_delete":
        await snaps.delete(ctx, snapshot_id, force=True)
    elif action == "os-update_snapshot_status":
        await snaps.update_status(ctx, snapshot_id, a)
    elif action == "os-unmanage":
        await snaps.unmanage(ctx, snapshot_id)
    else:
        raise BadRequest(f"There is no such action: {action}")
    return accepted()


# -- metadata ----------------------------------------------------------------------------


@router.get("/snapshots/{snapshot_id}/metadata")
async def list_snapshot_metadata(snapshot_id: str, request: Request, ctx: Ctx) -> Response:
    return reply({"metadata": await services(request).snapshots.metadata(ctx, snapshot_id)})


@router.post("/snapshots/{snapshot_id}/metadata")
async def create_snapshot_metadata(snapshot_id: str, request: Request, ctx: Ctx) -> Response:
    meta = await services(request).snapshots.set_metadata(
        ctx, snapshot_id, await metadata_body(request), replace=False
    )
    return reply({"metadata": meta})


@router.put("/snapshots/{snapshot_id}/metadata")
async def replace_snapshot_metadata(snapshot_id: str, request: Request, ctx: Ctx) -> Response:
    meta = await services(request).snapshots.set_metadata(
        ctx, snapshot_id, await metadata_body(request), replace=True
    )
    return reply({"metadata": meta})


@router.get("/snapshots/{snapshot_id}/metadata/{key}")
async def get_snapshot_metadata(snapshot_id: str, key: str, request: Request, ctx: Ctx) -> Response:
    meta = await services(request).snapshots.metadata(ctx, snapshot_id)
    if key not in meta:
        raise NotFound(f"Snapshot {snapshot_id} has no metadata with key {key}.")
    return reply({"meta": {key: meta[key]}})


@router.put("/snapshots/{snapshot_id}/metadata/{key}")
async def update_snapshot_metadata(
    snapshot_id: str, key: str, request: Request, ctx: Ctx
) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("meta"), dict):
        raise BadRequest("Malformed request body")
    meta = body["meta"]
    if key not in meta:
        raise BadRequest("Request body and URI mismatch")
    if len(meta) > 1:
        raise BadRequest("Request body contains too many items")
    await services(request).snapshots.set_metadata(ctx, snapshot_id, meta, replace=False)
    return reply({"meta": meta})


@router.delete("/snapshots/{snapshot_id}/metadata/{key}")
async def delete_snapshot_metadata(
    snapshot_id: str, key: str, request: Request, ctx: Ctx
) -> Response:
    await services(request).snapshots.delete_metadata(ctx, snapshot_id, key)
    return Response(status_code=200)


# -- manage ------------------------------------------------------------------------------


async def _manage(project_id: str, request: Request, ctx: Ctx) -> Response:
    body = await body_of(request, "snapshot")
    row = await services(request).snapshots.manage(ctx, body)
    view = snapshot_view(row, viewer(request, ctx, project_id), detail=False)
    return reply({"snapshot": view}, 202)


@router.post("/os-snapshot-manage")
async def manage_snapshot_legacy(project_id: str, request: Request, ctx: Ctx) -> Response:
    return await _manage(project_id, request, ctx)


@router.post("/manageable_snapshots")
async def manage_snapshot(project_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.8")
    return await _manage(project_id, request, ctx)
