"""The attachments API (3.27+): create/reserve, update with a connector, complete (3.44),
delete, list and show."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.deps import Ctx, service_roles
from stratus.kit.errors import BadRequest
from stratus.services.volume.api.common import body_of, flag, reply, require, services, version
from stratus.services.volume.errors import InvalidInput
from stratus.services.volume.views import attachment_view

router = APIRouter(prefix="/v3/{project_id}")


async def _list(request: Request, ctx: Ctx, *, detail: bool) -> Response:
    require(ctx, "3.27")
    q = request.query_params
    rows = await services(request).attachments.list_attachments(
        ctx,
        all_projects=flag(request, "all_tenants"),
        volume_id=q.get("volume_id"),
        instance_id=q.get("instance_id"),
        status=q.get("status") or q.get("attach_status"),
    )
    return reply({"attachments": [attachment_view(a, detail=detail) for a in rows]})


@router.get("/attachments")
async def list_attachments(request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, detail=False)


@router.get("/attachments/detail")
async def list_attachments_detail(request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, detail=True)


@router.get("/attachments/{attachment_id}")
async def get_attachment(attachment_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.27")
    row = await services(request).attachments.get(ctx, attachment_id)
    return reply({"attachment": attachment_view(row, detail=True)})


@router.post("/attachments")
async def create_attachment(request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.27")
    body = await body_of(request, "attachment")
    volume_id = body.get("volume_uuid")
    if not isinstance(volume_id, str) or not volume_id:
        raise InvalidInput("Must specify 'volume_uuid' to create attachment.")
    instance_id = body.get("instance_uuid")
    if instance_id is not None and not isinstance(instance_id, str):
        raise InvalidInput("instance_uuid must be a string.")
    connector = body.get("connector")
    if connector is not None and not isinstance(connector, dict):
        raise InvalidInput("connector must be an object.")
    mode = body.get("mode", "rw") if version(ctx).at_least("3.54") else "rw"
    row = await services(request).attachments.create(
        ctx, volume_id=volume_id, instance_id=instance_id, connector=connector, mode=str(mode)
    )
    return reply({"attachment": attachment_view(row, detail=True)})


@router.put("/attachments/{attachment_id}")
async def update_attachment(attachment_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.27")
    body = await body_of(request, "attachment")
    row = await services(request).attachments.update(ctx, attachment_id, body.get("connector"))
    return reply({"attachment": attachment_view(row, detail=True)})


@router.delete("/attachments/{attachment_id}")
async def delete_attachment(attachment_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.27")
    attachments = services(request).attachments
    await attachments.check_user_detach(await service_roles(request), attachment_id=attachment_id)
    rest = await attachments.delete(ctx, attachment_id)
    return reply({"attachments": [attachment_view(a, detail=False) for a in rest]})


@router.post("/attachments/{attachment_id}/action")
async def attachment_action(attachment_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.44")
    data: Any = await json_body(request)
    if not isinstance(data, dict) or "os-complete" not in data:
        raise BadRequest("Invalid request body: os-complete is the only attachment action.")
    await services(request).attachments.complete(ctx, attachment_id)
    return Response(status_code=204)
