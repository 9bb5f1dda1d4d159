"""os-migrations (every move, admin) and /servers/{id}/migrations (in-progress live
migrations: list, show, force_complete, abort)."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.deps import Ctx
from stratus.api.microversion import Version
from stratus.kit.errors import BadRequest, NotFound
from stratus.kit.timeutil import isotime_plain
from stratus.services.compute import policies
from stratus.services.compute.api.common import int_param, no_content, reply, services, version
from stratus.services.compute.migration import LIVE_IN_PROGRESS, MoveService
from stratus.services.compute.models import Migration

router = APIRouter(prefix="/v2.1")

_LIST_FILTERS = ("instance_uuid", "status", "host", "source_compute", "migration_type")


def _moves(request: Request) -> MoveService:
    moves: MoveService = services(request).moves
    return moves


def migration_view(m: Migration, v: Version, base: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": m.id,
        "status": m.status,
        "instance_uuid": m.instance_uuid,
        "source_node": m.source_node,
        "source_compute": m.source_compute,
        "dest_node": m.dest_node,
        "dest_compute": m.dest_compute,
        "dest_host": m.dest_host,
        "old_instance_type_id": m.old_instance_type_id,
        "new_instance_type_id": m.new_instance_type_id,
        "created_at": isotime_plain(m.created_at),
        "updated_at": isotime_plain(m.updated_at) if m.updated_at else None,
    }
    if v.at_least("2.23"):
        out["migration_type"] = m.migration_type
        if m.migration_type == "live-migration" and m.status in LIVE_IN_PROGRESS:
            href = f"servers/{m.instance_uuid}/migrations/{m.id}"
            out["links"] = [
                {"rel": "self", "href": f"{base}v2.1/{href}"},
                {"rel": "bookmark", "href": f"{base}{href}"},
            ]
    if v.at_least("2.59"):
        out["uuid"] = m.uuid
    if v.at_least("2.80"):
        out["user_id"] = m.user_id
        out["project_id"] = m.project_id
    return out


def server_migration_view(m: Migration, v: Version) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": m.id,
        "server_uuid": m.instance_uuid,
        "status": m.status,
        "source_compute": m.source_compute,
        "source_node": m.source_node,
        "dest_compute": m.dest_compute,
        "dest_node": m.dest_node,
        "dest_host": m.dest_host,
        "memory_total_bytes": m.memory_total,
        "memory_processed_bytes": m.memory_processed,
        "memory_remaining_bytes": m.memory_remaining,
        "disk_total_bytes": m.disk_total,
        "disk_processed_bytes": m.disk_processed,
        "disk_remaining_bytes": m.disk_remaining,
        "created_at": isotime_plain(m.created_at),
        "updated_at": isotime_plain(m.updated_at) if m.updated_at else None,
    }
    if v.at_least("2.59"):
        out["uuid"] = m.uuid
    if v.at_least("2.80"):
        out["user_id"] = m.user_id
        out["project_id"] = m.project_id
    return out


@router.get("/os-migrations")
async def list_migrations(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.MIGRATIONS_INDEX)
    v = version(ctx)
    params = request.query_params
    filters = {k: params[k] for k in _LIST_FILTERS if params.get(k)}
    limit = marker = None
    if v.at_least("2.59"):
        if params.get("changes-since"):
            filters["changes-since"] = params["changes-since"]
        limit = int_param(request, "limit")
        marker = params.get("marker")
    if v.at_least("2.66") and params.get("changes-before"):
        filters["changes-before"] = params["changes-before"]
    if v.at_least("2.80"):
        for key in ("user_id", "project_id"):
            if params.get(key):
                filters[key] = params[key]
    rows = await _moves(request).list_all(filters=filters, limit=limit, marker=marker)
    body: dict[str, Any] = {"migrations": [migration_view(m, v, _base(request)) for m in rows]}
    if v.at_least("2.59") and limit is not None and len(rows) == limit and rows:
        body["migrations_links"] = [
            {
                "rel": "next",
                "href": f"{_base(request)}v2.1/os-migrations?limit={limit}&marker={rows[-1].uuid}",
            }
        ]
    return reply(body)


def _base(request: Request) -> str:
    return str(request.base_url)


def _migration_id(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"Invalid migration id {raw}") from None


def _need(ctx: Any, minimum: str) -> None:
    if not version(ctx).at_least(minimum):
        raise NotFound("The resource could not be found.")


@router.get("/servers/{server_id}/migrations")
async def list_server_migrations(server_id: str, request: Request, ctx: Ctx) -> Response:
    _need(ctx, "2.23")
    ctx.can(policies.SERVER_MIGRATIONS_INDEX)
    rows = await _moves(request).in_progress(ctx, server_id)
    v = version(ctx)
    return reply({"migrations": [server_migration_view(m, v) for m in rows]})


@router.get("/servers/{server_id}/migrations/{migration_id}")
async def get_server_migration(
    server_id: str, migration_id: str, request: Request, ctx: Ctx
) -> Response:
    _need(ctx, "2.23")
    ctx.can(policies.SERVER_MIGRATIONS_SHOW)
    row = await _moves(request).get_in_progress(ctx, server_id, _migration_id(migration_id))
    return reply({"migration": server_migration_view(row, version(ctx))})


@router.post("/servers/{server_id}/migrations/{migration_id}/action")
async def server_migration_action(
    server_id: str, migration_id: str, request: Request, ctx: Ctx
) -> Response:
    _need(ctx, "2.22")
    ctx.can(policies.SERVER_MIGRATIONS_FORCE_COMPLETE)
    data = await json_body(request)
    if not isinstance(data, dict) or set(data) != {"force_complete"} or data["force_complete"]:
        raise BadRequest(
            "Invalid input for field/attribute force_complete. 'force_complete' is a required "
            "property"
        )
    await _moves(request).force_complete(ctx, server_id, _migration_id(migration_id))
    return no_content(202)


@router.delete("/servers/{server_id}/migrations/{migration_id}")
async def delete_server_migration(
    server_id: str, migration_id: str, request: Request, ctx: Ctx
) -> Response:
    _need(ctx, "2.24")
    ctx.can(policies.SERVER_MIGRATIONS_DELETE)
    await _moves(request).abort(
        ctx, server_id, _migration_id(migration_id), queued_too=version(ctx).at_least("2.65")
    )
    return no_content(202)
