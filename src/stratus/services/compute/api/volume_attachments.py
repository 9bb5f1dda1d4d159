"""``/servers/{id}/os-volume_attachments``: attach, list, show, update and detach volumes
(services/compute/volume_attachment.py does the work through the block storage client)."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest, NotFound, NotImplementedYet
from stratus.kit.ids import is_uuid_like
from stratus.services.compute import volume_attachment as va
from stratus.services.compute.api.common import (
    body_of,
    int_param,
    no_content,
    reply,
    services,
    version,
)
from stratus.services.compute.bdm.models import VolumeMapping

router = APIRouter(prefix="/v2.1")


def attachments(request: Request) -> va.VolumeAttachmentService:
    svc: va.VolumeAttachmentService = request.app.state.volume_attachments
    return svc


def _view(row: VolumeMapping, ctx: Ctx, *, read: bool = False) -> dict[str, Any]:
    """One attachment; ``read`` marks show/list, where 2.89 swaps ``id`` for ``attachment_id``
    and ``bdm_uuid`` (nova never applied 2.89 to the attach answer)."""
    v = version(ctx)
    ids = read and v.at_least("2.89")
    out: dict[str, Any] = {} if ids else {"id": row.volume_id}
    out.update(
        {"serverId": row.instance_uuid, "volumeId": row.volume_id, "device": row.device_name}
    )
    if v.at_least("2.70"):
        out["tag"] = row.tag
    if v.at_least("2.79"):
        out["delete_on_termination"] = row.delete_on_termination
    if ids:
        out["attachment_id"] = row.attachment_id
        out["bdm_uuid"] = row.id
    return out


def _target(inst: Any) -> dict[str, str]:
    return {"project_id": inst.project_id, "user_id": inst.user_id}


@router.get("/servers/{server_id}/os-volume_attachments")
async def list_volume_attachments(server_id: str, request: Request, ctx: Ctx) -> Response:
    inst = await services(request).servers.get(ctx, server_id)
    ctx.can(va.POLICY_INDEX, _target(inst))
    rows = await attachments(request).mappings(server_id)
    if version(ctx).at_least("2.89"):
        # an attachment still being set up has no attachment id yet: nova leaves it out
        rows = [r for r in rows if r.attachment_id is not None]
    offset = int_param(request, "offset") or 0
    limit = int_param(request, "limit")
    rows = rows[offset:]
    if limit is not None:
        rows = rows[:limit]
    return reply({"volumeAttachments": [_view(r, ctx, read=True) for r in rows]})


@router.get("/servers/{server_id}/os-volume_attachments/{volume_id}")
async def get_volume_attachment(
    server_id: str, volume_id: str, request: Request, ctx: Ctx
) -> Response:
    inst = await services(request).servers.get(ctx, server_id)
    ctx.can(va.POLICY_SHOW, _target(inst))
    row = await attachments(request).get(server_id, volume_id)
    if row.attachment_id is None and version(ctx).at_least("2.89"):
        raise NotFound(f"Instance {server_id} is not attached to volume {volume_id}")
    return reply({"volumeAttachment": _view(row, ctx, read=True)})


@router.post("/servers/{server_id}/os-volume_attachments")
async def attach_volume(server_id: str, request: Request, ctx: Ctx) -> Response:
    inst = await services(request).servers.get(ctx, server_id)
    ctx.can(va.POLICY_CREATE, _target(inst))
    body = await body_of(request, "volumeAttachment")
    if not isinstance(body, dict):
        raise BadRequest("Invalid input for field/attribute volumeAttachment.")
    v = version(ctx)
    allowed = {"volumeId", "device"}
    if v.at_least("2.49"):
        allowed.add("tag")
    if v.at_least("2.79"):
        allowed.add("delete_on_termination")
    extra = set(body) - allowed
    if extra:
        raise BadRequest(
            "Invalid input for field/attribute volumeAttachment. Additional properties are not "
            f"allowed ({', '.join(sorted(repr(e) for e in extra))} was unexpected)"
        )
    volume_id = body.get("volumeId")
    if not isinstance(volume_id, str) or not is_uuid_like(volume_id):
        raise BadRequest(
            f"Invalid input for field/attribute volumeId. Value: {volume_id}. "
            f"'{volume_id}' is not a 'uuid'"
        )
    device = body.get("device")
    if device is not None and not isinstance(device, str):
        raise BadRequest(f"Invalid input for field/attribute device. Value: {device}.")
    dot = body.get("delete_on_termination", False)
    if not isinstance(dot, bool):
        raise BadRequest(f"Invalid input for field/attribute delete_on_termination. Value: {dot}.")
    tag = body.get("tag")
    if tag is not None and (not isinstance(tag, str) or not 0 < len(tag) <= 60):
        raise BadRequest(f"Invalid input for field/attribute tag. Value: {tag}.")
    row = await attachments(request).attach(
        ctx,
        inst,
        volume_id,
        device=device,
        tag=tag,
        delete_on_termination=dot,
        multiattach_ok=v.at_least("2.60"),
    )
    return reply({"volumeAttachment": _view(row, ctx)})


@router.put("/servers/{server_id}/os-volume_attachments/{volume_id}")
async def update_volume_attachment(
    server_id: str, volume_id: str, request: Request, ctx: Ctx
) -> Response:
    inst = await services(request).servers.get(ctx, server_id)
    body = await body_of(request, "volumeAttachment")
    if not isinstance(body, dict) or not isinstance(body.get("volumeId"), str):
        raise BadRequest(
            "Invalid input for field/attribute volumeAttachment. 'volumeId' is a required property"
        )
    await attachments(request).get(server_id, volume_id)  # 404 before anything else
    if body["volumeId"] != volume_id:
        ctx.can(va.POLICY_SWAP, _target(inst))
        raise NotImplementedYet("Swapping the volume of an attachment is not implemented.")
    if not version(ctx).at_least("2.85"):
        raise BadRequest("Updating a volume attachment needs microversion 2.85 or later.")
    ctx.can(va.POLICY_UPDATE, _target(inst))
    dot = body.get("delete_on_termination")
    if dot is not None and not isinstance(dot, bool):
        raise BadRequest(f"Invalid input for field/attribute delete_on_termination. Value: {dot}.")
    await attachments(request).update(inst, volume_id, delete_on_termination=dot)
    return no_content(202)


@router.delete("/servers/{server_id}/os-volume_attachments/{volume_id}")
async def detach_volume(server_id: str, volume_id: str, request: Request, ctx: Ctx) -> Response:
    inst = await services(request).servers.get(ctx, server_id)
    ctx.can(va.POLICY_DELETE, _target(inst))
    await attachments(request).detach(ctx, inst, volume_id)
    return no_content(202)
