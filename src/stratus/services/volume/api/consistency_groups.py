"""Consistency groups (cinder's deprecated API): generic groups of the reserved
``default_cgsnapshot_type`` group type, with the older wire shapes."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest
from stratus.kit.timeutil import isotime_plain
from stratus.services.volume.api.common import accepted, body_of, listing, reply, services, viewer
from stratus.services.volume.api.volumes import _next_link
from stratus.services.volume.errors import InvalidInput
from stratus.services.volume.group import GroupData
from stratus.services.volume.volume import parse_bool

router = APIRouter(prefix="/v3/{project_id}")

_FILTERS = ("name", "status", "availability_zone")


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 255:
        raise InvalidInput(f"{key} must be a string of at most 255 characters.")
    return value.strip()


def _unknown(body: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(body) - allowed)
    if extra:
        raise InvalidInput(f"Additional properties are not allowed ({extra[0]!r} was unexpected)")


def _detail(d: GroupData) -> dict[str, Any]:
    g = d.group
    return {
        "id": g.id,
        "status": g.status,
        "availability_zone": g.availability_zone,
        "created_at": isotime_plain(g.created_at),
        "name": g.name,
        "description": g.description,
        "volume_types": list(d.volume_types),
    }


async def _list(request: Request, ctx: Ctx, project_id: str, *, detail: bool) -> Response:
    query = listing(request, ctx, "groups", filters=_FILTERS)
    rows = await services(request).groups.list_groups(ctx, query, cg=True)
    body: dict[str, Any] = {
        "consistencygroups": [
            _detail(d) if detail else {"id": d.group.id, "name": d.group.name} for d in rows
        ]
    }
    if query.limit and len(rows) == query.limit:
        v = viewer(request, ctx, project_id)
        body["consistencygroup_links"] = _next_link(
            request,
            v,
            "consistencygroups/detail" if detail else "consistencygroups",
            rows[-1].group.id,
        )
    return reply(body)


@router.get("/consistencygroups")
async def list_consistency_groups(project_id: str, request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, project_id, detail=False)


@router.get("/consistencygroups/detail")
async def list_consistency_groups_detail(project_id: str, request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, project_id, detail=True)


@router.get("/consistencygroups/{group_id}")
async def get_consistency_group(group_id: str, request: Request, ctx: Ctx) -> Response:
    data = await services(request).groups.get(ctx, group_id, cg=True)
    return reply({"consistencygroup": _detail(data)})


@router.post("/consistencygroups")
async def create_consistency_group(request: Request, ctx: Ctx) -> Response:
    body = await body_of(request, "consistencygroup")
    _unknown(
        body,
        {
            "name",
            "description",
            "volume_types",
            "availability_zone",
            "user_id",
            "project_id",
            "status",
        },
    )
    raw = body.get("volume_types")
    name = _text(body, "name")
    if not isinstance(raw, str) or not raw.strip(","):
        raise BadRequest(f"volume_types must be provided to create consistency group {name}.")
    zone = body.get("availability_zone")
    if zone is not None and not isinstance(zone, str):
        raise InvalidInput("availability_zone must be a string.")
    svc = services(request)
    gtype = await svc.group_types.cgsnapshot_type()
    row = await svc.groups.create(
        ctx,
        name=name,
        description=_text(body, "description"),
        group_type=gtype.id,
        volume_types=[t for t in raw.rstrip(",").split(",") if t],
        availability_zone=zone or None,
        cg=True,
    )
    return reply({"consistencygroup": {"id": row.id, "name": row.name}}, 202)


@router.post("/consistencygroups/create_from_src")
async def create_consistency_group_from_source(request: Request, ctx: Ctx) -> Response:
    body = await body_of(request, "consistencygroup-from-src")
    _unknown(
        body,
        {"name", "description", "cgsnapshot_id", "source_cgid", "user_id", "project_id", "status"},
    )
    name = _text(body, "name")
    snap = body.get("cgsnapshot_id")
    source = body.get("source_cgid")
    if not snap and not source:
        raise BadRequest(
            "Either 'cgsnapshot_id' or 'source_cgid' must be provided to create consistency "
            f"group {name} from source."
        )
    if snap and source:
        raise BadRequest(
            "Cannot provide both 'cgsnapshot_id' and 'source_cgid' to create consistency "
            f"group {name} from source."
        )
    row = await services(request).groups.create_from_source(
        ctx,
        name=name,
        description=_text(body, "description"),
        group_snapshot_id=str(snap) if snap else None,
        source_group_id=str(source) if source else None,
        cg=True,
    )
    return reply({"consistencygroup": {"id": row.id, "name": row.name}}, 202)


@router.put("/consistencygroups/{group_id}")
async def update_consistency_group(group_id: str, request: Request, ctx: Ctx) -> Response:
    body = await body_of(request, "consistencygroup")
    _unknown(body, {"name", "description", "add_volumes", "remove_volumes"})
    name = _text(body, "name")
    description = _text(body, "description")
    add = _text(body, "add_volumes")
    remove = _text(body, "remove_volumes")
    if not (name or description or add or remove):
        raise BadRequest(
            "Name, description, add_volumes, and remove_volumes can not be all empty in the "
            "request body."
        )
    await services(request).groups.update(
        ctx,
        group_id,
        name=name,
        description=description,
        add_volumes=add,
        remove_volumes=remove,
        cg=True,
    )
    return accepted()


@router.post("/consistencygroups/{group_id}/delete")
async def delete_consistency_group(group_id: str, request: Request, ctx: Ctx) -> Response:
    data = await json_body(request)
    force = False
    if data:
        if not isinstance(data, dict) or not isinstance(data.get("consistencygroup"), dict):
            raise BadRequest("Missing required element 'consistencygroup' in request body.")
        force = parse_bool(data["consistencygroup"].get("force", False), "force")
    await services(request).groups.delete(ctx, group_id, delete_volumes=force, cg=True)
    return accepted()
