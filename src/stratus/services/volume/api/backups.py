"""Backups: create (full or incremental), list, show, update, delete, restore, export and
import records, admin actions."""

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
    flag,
    listing,
    reply,
    require,
    services,
    version,
    viewer,
)
from stratus.services.volume.api.volumes import _next_link
from stratus.services.volume.views import backup_brief, backup_detail

router = APIRouter(prefix="/v3/{project_id}")

_FILTERS = ("name", "status", "volume_id")


async def _list(request: Request, ctx: Ctx, project_id: str, *, detail: bool) -> Response:
    query = listing(request, ctx, "backups", filters=_FILTERS)
    svc = services(request).backups
    rows = await svc.list_backups(ctx, query)
    v = viewer(request, ctx, project_id)
    items = [
        backup_detail(b, v, has_dependents=await svc.has_dependents(b.id))
        if detail
        else backup_brief(b, v)
        for b in rows
    ]
    body: dict[str, Any] = {"backups": items}
    if query.limit and len(rows) == query.limit:
        body["backups_links"] = _next_link(
            request, v, "backups/detail" if detail else "backups", rows[-1].id
        )
    if version(ctx).at_least("3.45") and flag(request, "with_count"):
        query.limit = query.marker = query.offset = None
        body["count"] = len(await svc.list_backups(ctx, query))
    return reply(body)


@router.get("/backups")
async def list_backups(project_id: str, request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, project_id, detail=False)


@router.get("/backups/detail")
async def list_backups_detail(project_id: str, request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, project_id, detail=True)


@router.post("/backups")
async def create_backup(project_id: str, request: Request, ctx: Ctx) -> Response:
    body = await body_of(request, "backup")
    if not version(ctx).at_least("3.43"):
        body.pop("metadata", None)
    row = await services(request).backups.create(ctx, body)
    out: dict[str, Any] = backup_brief(row, viewer(request, ctx, project_id))
    if version(ctx).at_least("3.43"):
        out["metadata"] = dict(row.metadata_ or {})
    return reply({"backup": out}, 202)


@router.get("/backups/{backup_id}")
async def get_backup(project_id: str, backup_id: str, request: Request, ctx: Ctx) -> Response:
    svc = services(request).backups
    row = await svc.get(ctx, backup_id)
    return reply(
        {
            "backup": backup_detail(
                row,
                viewer(request, ctx, project_id),
                has_dependents=await svc.has_dependents(row.id),
            )
        }
    )


@router.put("/backups/{backup_id}")
async def update_backup(project_id: str, backup_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.9")
    body = await body_of(request, "backup")
    if not version(ctx).at_least("3.43") and "metadata" in body:
        raise BadRequest("Invalid input: metadata is accepted from microversion 3.43.")
    row = await services(request).backups.update(ctx, backup_id, body)
    out = backup_brief(row, viewer(request, ctx, project_id))
    if version(ctx).at_least("3.43"):
        out["metadata"] = dict(row.metadata_ or {})
    return reply({"backup": out})


@router.delete("/backups/{backup_id}")
async def delete_backup(backup_id: str, request: Request, ctx: Ctx) -> Response:
    await services(request).backups.delete(ctx, backup_id)
    return accepted()


@router.post("/backups/{backup_id}/restore")
async def restore_backup(project_id: str, backup_id: str, request: Request, ctx: Ctx) -> Response:
    body = await body_of(request, "restore")
    volume_id = body.get("volume_id")
    if volume_id is not None and not isinstance(volume_id, str):
        raise BadRequest("Invalid input received: volume_id must be a string.")
    b, vol = await services(request).backups.restore(ctx, backup_id, volume_id, body.get("name"))
    return reply(
        {"restore": {"backup_id": b.id, "volume_id": vol.id, "volume_name": vol.name or ""}}, 202
    )


@router.post("/backups/{backup_id}/action")
async def backup_action(backup_id: str, request: Request, ctx: Ctx) -> Response:
    data = await json_body(request)
    if not isinstance(data, dict) or len(data) != 1:
        raise BadRequest("Invalid request body: exactly one action is expected.")
    ((action, args),) = data.items()
    a: dict[str, Any] = args if isinstance(args, dict) else {}
    svc = services(request).backups
    if action == "os-reset_status":
        await svc.reset_status(ctx, backup_id, a.get("status"))
    elif action == "os-force_delete":
        await svc.delete(ctx, backup_id, force=True)
    else:
        raise BadRequest(f"There is no such action: {action}")
    return accepted()


@router.get("/backups/{backup_id}/export_record")
async def export_backup_record(backup_id: str, request: Request, ctx: Ctx) -> Response:
    return reply({"backup-record": await services(request).backups.export(ctx, backup_id)})


@router.post("/backups/import_record")
async def import_backup_record(project_id: str, request: Request, ctx: Ctx) -> Response:
    body = await body_of(request, "backup-record")
    row = await services(request).backups.import_record(
        ctx, body.get("backup_service"), body.get("backup_url")
    )
    return reply({"backup": backup_brief(row, viewer(request, ctx, project_id))}, 201)
