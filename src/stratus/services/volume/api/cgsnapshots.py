"""Consistency group snapshots (cinder's deprecated API): group snapshots with the older
wire shapes."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.deps import Ctx
from stratus.kit.timeutil import isotime_plain
from stratus.services.volume.api.common import accepted, body_of, listing, reply, services
from stratus.services.volume.errors import InvalidInput
from stratus.services.volume.models import GroupSnapshot

router = APIRouter(prefix="/v3/{project_id}")

_FILTERS = ("name", "status")


def _detail(gs: GroupSnapshot) -> dict[str, Any]:
    return {
        "id": gs.id,
        "consistencygroup_id": gs.group_id,
        "status": gs.status,
        "created_at": isotime_plain(gs.created_at),
        "name": gs.name,
        "description": gs.description,
    }


async def _list(request: Request, ctx: Ctx, *, detail: bool) -> Response:
    query = listing(request, ctx, "group_snapshots", filters=_FILTERS)
    rows = await services(request).group_snapshots.list_group_snapshots(ctx, query, cg=True)
    return reply(
        {"cgsnapshots": [_detail(r) if detail else {"id": r.id, "name": r.name} for r in rows]}
    )


@router.get("/cgsnapshots")
async def list_cgsnapshots(request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, detail=False)


@router.get("/cgsnapshots/detail")
async def list_cgsnapshots_detail(request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, detail=True)


@router.get("/cgsnapshots/{cgsnapshot_id}")
async def get_cgsnapshot(cgsnapshot_id: str, request: Request, ctx: Ctx) -> Response:
    row = await services(request).group_snapshots.get(ctx, cgsnapshot_id, cg=True)
    return reply({"cgsnapshot": _detail(row)})


@router.post("/cgsnapshots")
async def create_cgsnapshot(request: Request, ctx: Ctx) -> Response:
    body = await body_of(request, "cgsnapshot")
    extra = sorted(
        set(body)
        - {"name", "description", "consistencygroup_id", "user_id", "project_id", "status"}
    )
    if extra:
        raise InvalidInput(f"Additional properties are not allowed ({extra[0]!r} was unexpected)")
    group_id = body.get("consistencygroup_id")
    if not isinstance(group_id, str) or not group_id:
        raise InvalidInput("'consistencygroup_id' must be specified")
    texts: dict[str, str | None] = {}
    for key in ("name", "description"):
        value = body.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 255):
            raise InvalidInput(f"{key} must be a string of at most 255 characters.")
        texts[key] = value.strip() if isinstance(value, str) else None
    row = await services(request).group_snapshots.create(
        ctx, group_id=group_id, name=texts["name"], description=texts["description"], cg=True
    )
    return reply({"cgsnapshot": {"id": row.id, "name": row.name}}, 202)


@router.delete("/cgsnapshots/{cgsnapshot_id}")
async def delete_cgsnapshot(cgsnapshot_id: str, request: Request, ctx: Ctx) -> Response:
    await services(request).group_snapshots.delete(ctx, cgsnapshot_id, cg=True)
    return accepted()
