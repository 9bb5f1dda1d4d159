"""Nova's block storage proxies up to 2.35: ``/os-volumes`` and ``/os-snapshots`` (create,
list, detail, show, delete), answered through the block storage client; 404 from 2.36."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.context import RequestContext
from stratus.api.deps import Ctx
from stratus.api.policy import Rule, register
from stratus.kit.errors import BadRequest, NotFound
from stratus.kit.timeutil import isotime_plain
from stratus.services.compute.api.common import body_of, int_param, no_content, reply, version
from stratus.services.compute.volume_attachment import service_for
from stratus.services.volume.client import SnapshotInfo, VolumeInfo

router = APIRouter(prefix="/v2.1")

POLICY_VOLUMES = "os_compute_api:os-volumes"
register([Rule(POLICY_VOLUMES, "role:admin or project_id:%(project_id)s", "Volume proxy APIs")])


def _client(request: Request, ctx: RequestContext) -> Any:
    if version(ctx).at_least("2.36"):
        raise NotFound("The resource could not be found.")
    ctx.can(POLICY_VOLUMES, {"project_id": ctx.project_id})
    client = service_for(request.app.state.runtime).volumes
    if client is None:
        raise NotFound("The resource could not be found.")
    return client


def _volume(v: VolumeInfo) -> dict[str, Any]:
    attachments: list[dict[str, Any]] = [
        {"id": a.id, "volumeId": v.id, "serverId": a.server_id, "device": a.device}
        for a in v.attachments
    ] or [{}]
    return {
        "id": v.id,
        "status": v.status,
        "size": v.size,
        "availabilityZone": v.availability_zone,
        "createdAt": isotime_plain(v.created_at) if v.created_at else None,
        "attachments": attachments,
        "displayName": v.name,
        "displayDescription": v.description,
        "volumeType": v.volume_type,
        "snapshotId": v.snapshot_id,
        "metadata": v.metadata,
    }


def _snapshot(sn: SnapshotInfo) -> dict[str, Any]:
    return {
        "id": sn.id,
        "volumeId": sn.volume_id,
        "status": sn.status,
        "size": sn.size,
        "createdAt": isotime_plain(sn.created_at) if sn.created_at else None,
        "displayName": sn.name,
        "displayDescription": sn.description,
    }


def _page(request: Request) -> tuple[int | None, int | None]:
    return int_param(request, "limit"), int_param(request, "offset")


@router.get("/os-volumes")
@router.get("/os-volumes/detail")
async def list_proxy_volumes(request: Request, ctx: Ctx) -> Response:
    client = _client(request, ctx)
    limit, offset = _page(request)
    rows = await client.list_volumes(ctx, limit=limit, offset=offset)
    return reply({"volumes": [_volume(v) for v in rows]})


@router.get("/os-volumes/")
@router.get("/os-snapshots/")
@router.delete("/os-volumes/")
@router.delete("/os-snapshots/")
async def no_proxy_id(request: Request, ctx: Ctx) -> Response:
    _client(request, ctx)
    raise NotFound("The resource could not be found.")


@router.get("/os-volumes/{volume_id}")
async def get_proxy_volume(volume_id: str, request: Request, ctx: Ctx) -> Response:
    client = _client(request, ctx)
    found = await client.get(ctx, volume_id)
    if found is None:
        raise NotFound(f"Volume {volume_id} could not be found.")
    return reply({"volume": _volume(found)})


@router.post("/os-volumes")
async def create_proxy_volume(request: Request, ctx: Ctx) -> Response:
    client = _client(request, ctx)
    body = await body_of(request, "volume")
    if not isinstance(body, dict):
        raise BadRequest("Invalid input for field/attribute volume.")
    size = body.get("size")
    if isinstance(size, bool) or not (
        isinstance(size, int) or (isinstance(size, str) and size.isdigit())
    ):
        raise BadRequest(f"Invalid input for field/attribute size. Value: {size}.")
    if int(size) < 1:
        raise BadRequest(f"Invalid input for field/attribute size. Value: {size}.")
    volume_id = await client.create(
        ctx,
        size=int(size),
        name=body.get("display_name"),
        description=body.get("display_description"),
        volume_type=body.get("volume_type"),
        availability_zone=body.get("availability_zone"),
        snapshot_id=body.get("snapshot_id"),
        image_id=body.get("imageRef"),
        metadata=body.get("metadata") or None,
    )
    found = await client.get(ctx, volume_id)
    return reply({"volume": _volume(found)})


@router.delete("/os-volumes/{volume_id}")
async def delete_proxy_volume(volume_id: str, request: Request, ctx: Ctx) -> Response:
    client = _client(request, ctx)
    await client.delete(ctx, volume_id, strict=True)
    return no_content(202)


@router.get("/os-snapshots")
@router.get("/os-snapshots/detail")
async def list_proxy_snapshots(request: Request, ctx: Ctx) -> Response:
    client = _client(request, ctx)
    limit, offset = _page(request)
    rows = await client.list_snapshots(ctx, limit=limit, offset=offset)
    return reply({"snapshots": [_snapshot(s) for s in rows]})


@router.get("/os-snapshots/{snapshot_id}")
async def get_proxy_snapshot(snapshot_id: str, request: Request, ctx: Ctx) -> Response:
    client = _client(request, ctx)
    found = await client.get_snapshot(ctx, snapshot_id)
    if found is None:
        raise NotFound(f"Snapshot {snapshot_id} could not be found.")
    return reply({"snapshot": _snapshot(found)})


@router.post("/os-snapshots")
async def create_proxy_snapshot(request: Request, ctx: Ctx) -> Response:
    client = _client(request, ctx)
    body = await body_of(request, "snapshot")
    if not isinstance(body, dict) or not isinstance(body.get("volume_id"), str):
        raise BadRequest(
            "Invalid input for field/attribute snapshot. 'volume_id' is a required property"
        )
    force = body.get("force", False)
    if isinstance(force, str):
        force = force.strip().lower() in ("true", "1", "yes")
    snap = await client.create_snapshot(
        ctx,
        body["volume_id"],
        force=bool(force),
        name=body.get("display_name"),
        description=body.get("display_description"),
    )
    return reply({"snapshot": _snapshot(snap)})


@router.delete("/os-snapshots/{snapshot_id}")
async def delete_proxy_snapshot(snapshot_id: str, request: Request, ctx: Ctx) -> Response:
    client = _client(request, ctx)
    await client.delete_snapshot(ctx, snapshot_id)
    return no_content(202)
