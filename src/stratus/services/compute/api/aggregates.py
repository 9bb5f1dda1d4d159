"""Host aggregates (os-aggregates)."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.context import RequestContext
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest
from stratus.kit.timeutil import isotime_plain
from stratus.services.compute import policies
from stratus.services.compute.api.common import reply, services, version
from stratus.services.compute.models import Aggregate

router = APIRouter(prefix="/v2.1")


def aggregate_view(a: Aggregate, ctx: RequestContext, *, full: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": a.id,
        "name": a.name,
        "availability_zone": a.meta.get("availability_zone"),
        "created_at": isotime_plain(a.created_at),
        "updated_at": isotime_plain(a.updated_at) if a.updated_at else None,
        "deleted": False,
        "deleted_at": None,
    }
    if full:
        out["hosts"] = list(a.hosts)
        out["metadata"] = dict(a.meta)
    if version(ctx).at_least("2.41"):
        out["uuid"] = a.uuid
    return out


async def _object(request: Request, key: str) -> dict[str, Any]:
    data = await json_body(request)
    body = data.get(key) if isinstance(data, dict) else None
    if not isinstance(body, dict):
        raise BadRequest(f"Invalid input for field/attribute {key}. '{key}' is a required property")
    return body


def _name(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= 255:
        raise BadRequest(f"Invalid input for field/attribute name. Value: {value}.")
    return value.strip()


@router.get("/os-aggregates")
async def list_aggregates(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.AGGREGATES_INDEX)
    rows = await services(request).aggregates.list_aggregates()
    return reply({"aggregates": [aggregate_view(a, ctx) for a in rows]})


@router.post("/os-aggregates")
async def create_aggregate(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.AGGREGATES_CREATE)
    body = await _object(request, "aggregate")
    extra = set(body) - {"name", "availability_zone"}
    if extra:
        raise BadRequest(
            "Invalid input for field/attribute aggregate. Additional properties are not allowed"
        )
    row = await services(request).aggregates.create(
        _name(body.get("name")), body.get("availability_zone")
    )
    return reply({"aggregate": aggregate_view(row, ctx, full=False)})


@router.get("/os-aggregates/{ident}")
async def get_aggregate(ident: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.AGGREGATES_SHOW)
    return reply({"aggregate": aggregate_view(await services(request).aggregates.get(ident), ctx)})


@router.put("/os-aggregates/{ident}")
async def update_aggregate(ident: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.AGGREGATES_UPDATE)
    body = await _object(request, "aggregate")
    if not body or set(body) - {"name", "availability_zone"}:
        raise BadRequest("Invalid input for field/attribute aggregate.")
    row = await services(request).aggregates.update(
        ident,
        _name(body["name"]) if "name" in body else None,
        body.get("availability_zone"),
        "availability_zone" in body,
    )
    return reply({"aggregate": aggregate_view(row, ctx)})


@router.delete("/os-aggregates/{ident}")
async def delete_aggregate(ident: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.AGGREGATES_DELETE)
    await services(request).aggregates.delete(ident)
    return Response(status_code=200)


@router.post("/os-aggregates/{ident}/action")
async def aggregate_action(ident: str, request: Request, ctx: Ctx) -> Response:
    data = await json_body(request)
    if not isinstance(data, dict) or len(data) != 1:
        raise BadRequest("Invalid aggregate action.")
    ((action, args),) = data.items()
    aggregates = services(request).aggregates
    if not isinstance(args, dict):
        raise BadRequest(f"Invalid input for field/attribute {action}.")
    if action in ("add_host", "remove_host"):
        host = args.get("host")
        if not isinstance(host, str) or not host or set(args) != {"host"}:
            raise BadRequest(f"Invalid input for field/attribute {action}. 'host' is required")
        if action == "add_host":
            ctx.can(policies.AGGREGATES_ADD_HOST)
            row = await aggregates.add_host(ident, host)
        else:
            ctx.can(policies.AGGREGATES_REMOVE_HOST)
            row = await aggregates.remove_host(ident, host)
    elif action == "set_metadata":
        ctx.can(policies.AGGREGATES_SET_METADATA)
        meta = args.get("metadata")
        if not isinstance(meta, dict) or set(args) != {"metadata"}:
            raise BadRequest("Invalid input for field/attribute metadata.")
        row = await aggregates.set_metadata(ident, meta)
    else:
        raise BadRequest(f"Invalid input for field/attribute aggregate action: {action}.")
    return reply({"aggregate": aggregate_view(row, ctx)})
