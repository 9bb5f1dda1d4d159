"""QoS specs: CRUD, keys, and association with volume types."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest
from stratus.services.volume import policies
from stratus.services.volume.api.common import accepted, body_of, flag, reply, services, viewer
from stratus.services.volume.errors import InvalidInput
from stratus.services.volume.views import qos_view

router = APIRouter(prefix="/v3/{project_id}")


@router.get("/qos-specs")
async def list_qos_specs(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QOS_GET_ALL)
    rows = await services(request).qos.list_specs()
    return reply({"qos_specs": [qos_view(q) for q in rows]})


@router.post("/qos-specs")
async def create_qos_specs(project_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QOS_CREATE)
    body = dict(await body_of(request, "qos_specs"))
    name = body.pop("name", None)
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise InvalidInput("Please specify a name for QoS specs.")
    consumer = body.pop("consumer", "back-end")
    row = await services(request).qos.create(name.strip(), str(consumer), body)
    links = viewer(request, ctx, project_id).links.of("qos-specs", row.id)
    return reply({"qos_specs": qos_view(row), "links": links})


@router.get("/qos-specs/{qos_id}")
async def get_qos_specs(project_id: str, qos_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QOS_GET)
    row = await services(request).qos.get(qos_id)
    links = viewer(request, ctx, project_id).links.of("qos-specs", row.id)
    return reply({"qos_specs": qos_view(row), "links": links})


@router.put("/qos-specs/{qos_id}")
async def update_qos_specs(qos_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QOS_UPDATE)
    body = await body_of(request, "qos_specs")
    return reply({"qos_specs": await services(request).qos.set_keys(qos_id, body)})


@router.delete("/qos-specs/{qos_id}")
async def delete_qos_specs(qos_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QOS_DELETE)
    await services(request).qos.delete(qos_id, force=flag(request, "force"))
    return accepted()


@router.put("/qos-specs/{qos_id}/delete_keys")
async def delete_qos_keys(qos_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QOS_UPDATE)
    data = await json_body(request)
    keys: Any = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise BadRequest("Missing required element 'keys' in request body.")
    await services(request).qos.delete_keys(qos_id, keys)
    return accepted()


@router.get("/qos-specs/{qos_id}/associations")
async def list_qos_associations(qos_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QOS_GET)
    types = await services(request).qos.associations(qos_id)
    return reply(
        {
            "qos_associations": [
                {"association_type": "volume_type", "name": t.name, "id": t.id} for t in types
            ]
        }
    )


def _type_param(request: Request) -> str:
    type_id = request.query_params.get("vol_type_id")
    if not type_id:
        raise InvalidInput("Volume Type id must not be None.")
    return type_id


@router.get("/qos-specs/{qos_id}/associate")
async def associate_qos(qos_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QOS_UPDATE)
    await services(request).types.associate_qos(_type_param(request), qos_id)
    return accepted()


@router.get("/qos-specs/{qos_id}/disassociate")
async def disassociate_qos(qos_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QOS_UPDATE)
    await services(request).qos.disassociate(qos_id, _type_param(request))
    return accepted()


@router.get("/qos-specs/{qos_id}/disassociate_all")
async def disassociate_all_qos(qos_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QOS_UPDATE)
    await services(request).qos.disassociate_all(qos_id)
    return accepted()
