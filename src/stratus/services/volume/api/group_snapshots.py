"""Group snapshots (3.14): create, list, show, delete, reset status (3.19)."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest
from stratus.services.volume.api.common import (
    accepted,
    body_of,
    listing,
    reply,
    require,
    services,
    viewer,
)
from stratus.services.volume.api.volumes import _next_link
from stratus.services.volume.errors import InvalidInput
from stratus.services.volume.views import group_snapshot_view

router = APIRouter(prefix="/v3/{project_id}")

_FILTERS = ("name", "status", "group_id")


async def _list(request: Request, ctx: Ctx, project_id: str, *, detail: bool) -> Response:
    require(ctx, "3.14")
    query = listing(request, ctx, "group_snapshots", filters=_FILTERS)
    rows = await services(request).group_snapshots.list_group_snapshots(ctx, query)
    v = viewer(request, ctx, project_id)
    body: dict[str, Any] = {
        "group_snapshots": [group_snapshot_view(r, v, detail=detail) for r in rows]
    }
    if query.limit and len(rows) == query.limit:
        body["group_snapshot_links"] = _next_link(
            request, v, "group_snapshots/detail" if detail else "group_snapshots", rows[-1].id
        )
    return reply(body)


@router.get("/group_snapshots")
async def list_group_snapshots(project_id: str, request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, project_id, detail=False)


@router.get("/group_snapshots/detail")
async def list_group_snapshots_detail(project_id: str, request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, project_id, detail=True)


@router.get("/group_snapshots/{group_snapshot_id}")
async def get_group_snapshot(
    project_id: str, group_snapshot_id: str, request: Request, ctx: Ctx
) -> Response:
    require(ctx, "3.14")
    row = await services(request).group_snapshots.get(ctx, group_snapshot_id)
    v = viewer(request, ctx, project_id)
    return reply({"group_snapshot": group_snapshot_view(row, v, detail=True)})


@router.post("/group_snapshots")
async def create_group_snapshot(project_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.14")
    body = await body_of(request, "group_snapshot")
    extra = sorted(set(body) - {"name", "description", "group_id"})
    if extra:
        raise InvalidInput(f"Additional properties are not allowed ({extra[0]!r} was unexpected)")
    group_id = body.get("group_id")
    if not isinstance(group_id, str) or not group_id:
        raise InvalidInput("'group_id' is a required property")
    texts: dict[str, str | None] = {}
    for key in ("name", "description"):
        value = body.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 255):
            raise InvalidInput(f"{key} must be a string of at most 255 characters.")
        texts[key] = value.strip() if isinstance(value, str) else None
    row = await services(request).group_snapshots.create(
        ctx, group_id=group_id, name=texts["name"], description=texts["description"]
    )
    v = viewer(request, ctx, project_id)
    return reply({"group_snapshot": group_snapshot_view(row, v, detail=False)}, 202)


@router.delete("/group_snapshots/{group_snapshot_id}")
async def delete_group_snapshot(group_snapshot_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.14")
    await services(request).group_snapshots.delete(ctx, group_snapshot_id)
    return accepted()


@router.post("/group_snapshots/{group_snapshot_id}/action")
async def group_snapshot_action(group_snapshot_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.14")
    data = await json_body(request)
    if not isinstance(data, dict) or len(data) != 1:
        raise BadRequest("Invalid request body: exactly one action is expected.")
    ((action, args),) = data.items()
    if action != "reset_status":
        raise BadRequest(f"There is no such action: {action}")
    require(ctx, "3.19")
    if not isinstance(args, dict) or "status" not in args:
        raise InvalidInput("'status' is a required property")
    await services(request).group_snapshots.reset_status(ctx, group_snapshot_id, args["status"])
    return accepted()
