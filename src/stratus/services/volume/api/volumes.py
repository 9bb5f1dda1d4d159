"""Volumes: CRUD, summary, metadata, actions, manage/unmanage and manageable lists."""

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.deps import Ctx, service_roles
from stratus.kit.errors import BadRequest, NotFound, NotImplementedYet
from stratus.services.volume import policies
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
from stratus.services.volume.views import (
    Viewer,
    ts,
    type_view,
    volume_brief,
    volume_detail,
)
from stratus.services.volume.volume import VolumeData

router = APIRouter(prefix="/v3/{project_id}")

_FILTERS = ("name", "status", "availability_zone", "bootable")


def _next_link(request: Request, v: Viewer, collection: str, marker: str) -> list[dict[str, str]]:
    params = [(k, val) for k, val in request.query_params.multi_items() if k != "marker"]
    params.append(("marker", marker))
    return [
        {
            "rel": "next",
            "href": f"{v.links.collection(collection)}?{urlencode(params)}",
        }
    ]


async def _list(request: Request, ctx: Ctx, project_id: str, *, detail: bool) -> Response:
    ctx.can(policies.VOLUME_GET_ALL, {"project_id": ctx.project_id})
    filters = (*_FILTERS, "group_id") if version(ctx).at_least("3.10") else _FILTERS
    query = listing(request, ctx, "volumes", filters=filters)
    rows = await services(request).volumes.list_volumes(ctx, query)
    v = viewer(request, ctx, project_id)
    items = [volume_detail(d, v) if detail else volume_brief(d, v) for d in rows]
    body: dict[str, Any] = {"volumes": items}
    if query.limit and len(rows) == query.limit:
        body["volumes_links"] = _next_link(
            request, v, "volumes/detail" if detail else "volumes", rows[-1].volume.id
        )
    if version(ctx).at_least("3.45") and flag(request, "with_count"):
        query.limit = query.marker = query.offset = None
        body["count"] = len(await services(request).volumes.list_volumes(ctx, query))
    return reply(body)


@router.get("/volumes")
async def list_volumes(project_id: str, request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, project_id, detail=False)


@router.get("/volumes/detail")
async def list_volumes_detail(project_id: str, request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, project_id, detail=True)


@router.get("/volumes/summary")
async def get_volume_summary(project_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.12")
    ctx.can(policies.VOLUME_GET_ALL, {"project_id": ctx.project_id})
    count, size, meta = await services(request).volumes.summary(
        ctx, ctx.is_admin and flag(request, "all_tenants")
    )
    out: dict[str, Any] = {"total_size": size, "total_count": count}
    if version(ctx).at_least("3.36"):
        out["metadata"] = meta
    return reply({"volume-summary": out})


@router.post("/volumes")
async def create_volume(project_id: str, request: Request, ctx: Ctx) -> Response:
    body = await body_of(request, "volume")
    data = await services(request).volumes.create(ctx, body)
    view = volume_detail(data, viewer(request, ctx, project_id), extended=False)
    return reply({"volume": view}, 202)


@router.get("/volumes/{volume_id}")
async def get_volume(project_id: str, volume_id: str, request: Request, ctx: Ctx) -> Response:
    data = await services(request).volumes.get(ctx, volume_id)
    return reply({"volume": volume_detail(data, viewer(request, ctx, project_id))})


@router.put("/volumes/{volume_id}")
async def update_volume(project_id: str, volume_id: str, request: Request, ctx: Ctx) -> Response:
    body = await body_of(request, "volume")
    data = await services(request).volumes.update(ctx, volume_id, body)
    view = volume_detail(data, viewer(request, ctx, project_id), extended=False)
    return reply({"volume": view})


@router.delete("/volumes/{volume_id}")
async def delete_volume(project_id: str, volume_id: str, request: Request, ctx: Ctx) -> Response:
    force = flag(request, "force") if version(ctx).at_least("3.23") else False
    await services(request).volumes.delete(
        ctx, volume_id, cascade=flag(request, "cascade"), force=force
    )
    return accepted()


# -- metadata ----------------------------------------------------------------------------


@router.get("/volumes/{volume_id}/metadata")
async def list_volume_metadata(volume_id: str, request: Request, ctx: Ctx) -> Response:
    return reply({"metadata": await services(request).volumes.metadata(ctx, volume_id)})


@router.post("/volumes/{volume_id}/metadata")
async def create_volume_metadata(volume_id: str, request: Request, ctx: Ctx) -> Response:
    meta = await services(request).volumes.set_metadata(
        ctx, volume_id, await metadata_body(request), replace=False
    )
    return reply({"metadata": meta})


@router.put("/volumes/{volume_id}/metadata")
async def replace_volume_metadata(volume_id: str, request: Request, ctx: Ctx) -> Response:
    meta = await services(request).volumes.set_metadata(
        ctx, volume_id, await metadata_body(request), replace=True
    )
    return reply({"metadata": meta})


@router.get("/volumes/{volume_id}/metadata/{key}")
async def get_volume_metadata(volume_id: str, key: str, request: Request, ctx: Ctx) -> Response:
    meta = await services(request).volumes.metadata(ctx, volume_id)
    if key not in meta:
        raise NotFound(f"Volume {volume_id} has no metadata with key {key}.")
    return reply({"meta": {key: meta[key]}})


@router.put("/volumes/{volume_id}/metadata/{key}")
async def update_volume_metadata(volume_id: str, key: str, request: Request, ctx: Ctx) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("meta"), dict):
        raise BadRequest("Malformed request body")
    meta = body["meta"]
    if key not in meta:
        raise BadRequest("Request body and URI mismatch")
    if len(meta) > 1:
        raise BadRequest("Request body contains too many items")
    await services(request).volumes.set_metadata(ctx, volume_id, meta, replace=False)
    return reply({"meta": meta})


@router.delete("/volumes/{volume_id}/metadata/{key}")
async def delete_volume_metadata(volume_id: str, key: str, request: Request, ctx: Ctx) -> Response:
    await services(request).volumes.delete_metadata(ctx, volume_id, key)
    return Response(status_code=200)


# -- actions -----------------------------------------------------------------------------


@router.post("/volumes/{volume_id}/action")
async def volume_action(project_id: str, volume_id: str, request: Request, ctx: Ctx) -> Response:
    data = await json_body(request)
    if not isinstance(data, dict) or len(data) != 1:
        raise BadRequest("Invalid request body: exactly one action is expected.")
    ((action, args),) = data.items()
    svc = services(request)
    vols = svc.volumes
    att = svc.attachments
    a: dict[str, Any] = args if isinstance(args, dict) else {}
    if action not in (
        "os-force_delete",
        "os-unmanage",
        "os-reserve",
        "os-unreserve",
        "os-begin_detaching",
        "os-roll_detaching",
        "os-show_image_metadata",
        "os-detach",
    ) and not isinstance(args, dict):
        raise BadRequest(f"Invalid request body for {action}: it must be an object.")
    v = version(ctx)
    if action == "os-extend":
        await vols.extend(ctx, volume_id, a.get("new_size"), online_ok=v.at_least("3.42"))
        return accepted()
    if action == "os-reset_status":
        await vols.reset_status(ctx, volume_id, a)
        return accepted()
    if action == "os-force_delete":
        await vols.delete(ctx, volume_id, force=True)
        return accepted()
    if action == "os-set_bootable":
        if "bootable" not in a:
            raise BadRequest("Must specify bootable in request.")
        await vols.set_bootable(ctx, volume_id, a["bootable"])
        return Response(status_code=200)
    if action == "os-update_readonly_flag":
        if "readonly" not in a:
            raise BadRequest("Must specify readonly in request.")
        await vols.set_readonly(ctx, volume_id, a["readonly"])
        return accepted()
    if action == "os-retype":
        await vols.retype(ctx, volume_id, a.get("new_type"), a.get("migration_policy"))
        return accepted()
    if action == "os-reimage":
        require(ctx, "3.68")
        await vols.reimage(ctx, volume_id, a)
        return accepted()
    if action == "os-extend_volume_completion":
        unknown = set(a) - {"error"}
        if unknown:
            raise BadRequest(
                f"Additional properties are not allowed ({sorted(unknown)[0]!r} was unexpected)"
            )
        await vols.extend_completion(ctx, volume_id, a.get("error", False))
        return accepted()
    if action == "revert":
        require(ctx, "3.40")
        await vols.revert(ctx, volume_id, a.get("snapshot_id"))
        return accepted()
    if action == "os-volume_upload_image":
        if not v.at_least("3.1"):
            a = {k: val for k, val in a.items() if k not in ("visibility", "protected")}
        out = await vols.upload_to_image(ctx, volume_id, a)
        vtype = out.pop("volume_type")
        out["updated_at"] = ts(out["updated_at"])
        out["volume_type"] = (
            type_view(vtype, viewer(request, ctx, project_id), show_specs=True, show_qos=True)
            if vtype is not None
            else None
        )
        if not v.at_least("3.1"):
            out.pop("visibility", None)
            out.pop("protected", None)
        return reply({"os-volume_upload_image": out}, 202)
    if action == "os-set_image_metadata":
        meta = a.get("metadata")
        return reply({"metadata": await vols.set_image_metadata(ctx, volume_id, meta)})
    if action == "os-unset_image_metadata":
        await vols.unset_image_metadata(ctx, volume_id, a.get("key"))
        return Response(status_code=200)
    if action == "os-show_image_metadata":
        return reply({"metadata": await vols.image_metadata(ctx, volume_id)})
    if action == "os-unmanage":
        await vols.unmanage(ctx, volume_id)
        return accepted()
    if action == "os-reserve":
        await att.reserve(ctx, volume_id)
        return accepted()
    if action == "os-unreserve":
        await att.unreserve(ctx, volume_id)
        return accepted()
    if action == "os-attach":
        await att.attach(ctx, volume_id, a)
        return accepted()
    if action == "os-begin_detaching":
        await att.begin_detaching(ctx, volume_id)
        return accepted()
    if action == "os-roll_detaching":
        await att.roll_detaching(ctx, volume_id)
        return accepted()
    if action in ("os-detach", "os-force_detach"):
        await att.check_user_detach(
            await service_roles(request), volume_id=volume_id, attachment_id=a.get("attachment_id")
        )
        await att.detach(ctx, volume_id, a.get("attachment_id"), force=action == "os-force_detach")
        return accepted()
    if action == "os-initialize_connection":
        info = await att.initialize_connection(ctx, volume_id, a.get("connector"))
        return reply({"connection_info": info})
    if action == "os-terminate_connection":
        await att.check_user_detach(await service_roles(request), volume_id=volume_id)
        await att.terminate_connection(ctx, volume_id, a.get("connector"))
        return accepted()
    if action in (
        "os-migrate_volume",
        "os-migrate_volume_completion",
        "os-enable_replication",
        "os-disable_replication",
        "os-failover_replication",
        "os-list_replication_targets",
    ):
        raise NotImplementedYet(f"Volume action {action} is not implemented in Stratus.")
    raise BadRequest(f"There is no such action: {action}")


# -- manage ------------------------------------------------------------------------------


async def _manage(project_id: str, request: Request, ctx: Ctx) -> Response:
    body = await body_of(request, "volume")
    data: VolumeData = await services(request).volumes.manage(ctx, body)
    view = volume_detail(data, viewer(request, ctx, project_id), extended=False)
    return reply({"volume": view}, 202)


@router.post("/os-volume-manage")
async def manage_volume_legacy(project_id: str, request: Request, ctx: Ctx) -> Response:
    return await _manage(project_id, request, ctx)


@router.post("/manageable_volumes")
async def manage_volume(project_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.8")
    return await _manage(project_id, request, ctx)


async def _manageable(request: Request, ctx: Ctx, *, detail: bool) -> Response:
    require(ctx, "3.8")
    items = await services(request).volumes.manageable(ctx, request.query_params.get("host"))
    out = []
    for host, m in items:
        entry: dict[str, Any] = {
            "reference": m.reference,
            "size": m.size,
            "safe_to_manage": m.safe_to_manage,
        }
        if detail:
            entry.update(
                reason_not_safe=m.reason_not_safe,
                cinder_id=m.cinder_id,
                extra_info=m.extra_info,
            )
        out.append(entry)
        _ = host
    return reply({"manageable-volumes": out})


@router.get("/manageable_volumes")
async def list_manageable_volumes(request: Request, ctx: Ctx) -> Response:
    return await _manageable(request, ctx, detail=False)


@router.get("/manageable_volumes/detail")
async def list_manageable_volumes_detail(request: Request, ctx: Ctx) -> Response:
    return await _manageable(request, ctx, detail=True)
