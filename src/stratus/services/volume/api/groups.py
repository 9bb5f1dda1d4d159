"""Generic volume groups (3.13): create, create from a source (3.14), list, show, update,
delete, reset status (3.20). Replication actions answer 501."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest, NotImplementedYet
from stratus.kit.ids import is_uuid_like
from stratus.services.volume.api.common import (
    accepted,
    body_of,
    flag,
    listing,
    reply,
    require,
    services,
    viewer,
)
from stratus.services.volume.api.volumes import _next_link
from stratus.services.volume.errors import InvalidInput
from stratus.services.volume.views import group_brief, group_detail
from stratus.services.volume.volume import parse_bool

router = APIRouter(prefix="/v3/{project_id}")

_FILTERS = ("name", "status", "availability_zone", "group_type_id")
_REPLICATION = (
    "enable_replication",
    "disable_replication",
    "failover_replication",
    "list_replication_targets",
)


def _unknown(body: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(body) - allowed)
    if extra:
        raise InvalidInput(f"Additional properties are not allowed ({extra[0]!r} was unexpected)")


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 255:
        raise InvalidInput(f"{key} must be a string of at most 255 characters.")
    return value.strip()


async def _list(request: Request, ctx: Ctx, project_id: str, *, detail: bool) -> Response:
    require(ctx, "3.13")
    query = listing(request, ctx, "groups", filters=_FILTERS)
    rows = await services(request).groups.list_groups(ctx, query)
    v = viewer(request, ctx, project_id)
    list_volume = flag(request, "list_volume")
    items = [
        group_detail(d, v, list_volume=list_volume) if detail else group_brief(d) for d in rows
    ]
    body: dict[str, Any] = {"groups": items}
    if query.limit and len(rows) == query.limit:
        body["group_links"] = _next_link(
            request, v, "groups/detail" if detail else "groups", rows[-1].group.id
        )
    return reply(body)


@router.get("/groups")
async def list_groups(project_id: str, request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, project_id, detail=False)


@router.get("/groups/detail")
async def list_groups_detail(project_id: str, request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, project_id, detail=True)


@router.get("/groups/{group_id}")
async def get_group(project_id: str, group_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.13")
    data = await services(request).groups.get(ctx, group_id)
    v = viewer(request, ctx, project_id)
    return reply({"group": group_detail(data, v, list_volume=flag(request, "list_volume"))})


@router.post("/groups")
async def create_group(request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.13")
    body = await body_of(request, "group")
    _unknown(body, {"name", "description", "group_type", "volume_types", "availability_zone"})
    group_type = body.get("group_type")
    if not isinstance(group_type, str) or not group_type:
        raise InvalidInput("'group_type' is a required property")
    volume_types = body.get("volume_types")
    if (
        not isinstance(volume_types, list)
        or not volume_types
        or not all(isinstance(t, str) and 0 < len(t) <= 255 for t in volume_types)
    ):
        raise InvalidInput("'volume_types' must be a non-empty list of volume type ids or names.")
    if len(set(volume_types)) != len(volume_types):
        raise InvalidInput("volume_types has non-unique elements.")
    zone = body.get("availability_zone")
    if zone is not None and not isinstance(zone, str):
        raise InvalidInput("availability_zone must be a string.")
    row = await services(request).groups.create(
        ctx,
        name=_text(body, "name"),
        description=_text(body, "description"),
        group_type=group_type,
        volume_types=volume_types,
        availability_zone=zone or None,
    )
    return reply({"group": {"id": row.id, "name": row.name}}, 202)


@router.post("/groups/action")
async def create_group_from_source(request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.14")
    body = await body_of(request, "create-from-src")
    _unknown(body, {"name", "description", "group_snapshot_id", "source_group_id"})
    snap = body.get("group_snapshot_id")
    source = body.get("source_group_id")
    if bool(snap) == bool(source):
        raise InvalidInput("Exactly one of group_snapshot_id and source_group_id is required.")
    for key, value in (("group_snapshot_id", snap), ("source_group_id", source)):
        if value is not None and (not isinstance(value, str) or not is_uuid_like(value)):
            raise InvalidInput(f"{key} must be a UUID.")
    row = await services(request).groups.create_from_source(
        ctx,
        name=_text(body, "name"),
        description=_text(body, "description"),
        group_snapshot_id=snap,
        source_group_id=source,
    )
    return reply({"group": {"id": row.id, "name": row.name}}, 202)


@router.put("/groups/{group_id}")
async def update_group(group_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.13")
    body = await body_of(request, "group")
    allowed = {"name", "description", "add_volumes", "remove_volumes"}
    _unknown(body, allowed)
    if not set(body) & allowed:
        raise InvalidInput(
            "At least one of name, description, add_volumes or remove_volumes is required."
        )
    await services(request).groups.update(
        ctx,
        group_id,
        name=_text(body, "name"),
        description=_text(body, "description"),
        add_volumes=_text(body, "add_volumes"),
        remove_volumes=_text(body, "remove_volumes"),
    )
    return accepted()


@router.post("/groups/{group_id}/action")
async def group_action(group_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.13")
    data = await json_body(request)
    if not isinstance(data, dict) or len(data) != 1:
        raise BadRequest("Invalid request body: exactly one action is expected.")
    ((action, args),) = data.items()
    groups = services(request).groups
    if action == "delete":
        if not isinstance(args, dict):
            raise InvalidInput("'delete' must be an object.")
        _unknown(args, {"delete-volumes"})
        await groups.delete(
            ctx,
            group_id,
            delete_volumes=parse_bool(args.get("delete-volumes", False), "delete-volumes"),
        )
        return accepted()
    if action == "reset_status":
        require(ctx, "3.20")
        if not isinstance(args, dict) or "status" not in args:
            raise InvalidInput("'status' is a required property")
        _unknown(args, {"status"})
        await groups.reset_status(ctx, group_id, args["status"])
        return accepted()
    if action in _REPLICATION:
        require(ctx, "3.38")
        raise NotImplementedYet("Group replication is not implemented in Stratus.")
    raise BadRequest(f"There is no such action: {action}")
