"""Unified limits: registered limits, project/domain limits and the enforcement model."""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest
from stratus.services.identity import repository as repo
from stratus.services.identity import views
from stratus.services.identity.api.common import Svc, entity, no_content, ok
from stratus.services.identity.limit import MODELS
from stratus.services.identity.models import Limit, RegisteredLimit

router = APIRouter()


async def _list_body(request: Request, key: str) -> list[dict[str, Any]]:
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get(key), list) or not body[key]:
        raise BadRequest(f"Invalid input for field '{key}': a non-empty list is required.")
    return list(body[key])


def _where(request: Request, keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: request.query_params[k] for k in keys if k in request.query_params}


@router.get("/v3/limits/model")
async def get_limit_model(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:get_limit_model")
    name = svc.settings.identity.unified_limits_model
    return ok({"model": {"name": name, "description": MODELS[name]}})


@router.post("/v3/registered_limits")
async def create_registered_limits(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:create_registered_limits")
    items = await _list_body(request, "registered_limits")
    async with svc.db.session() as s:
        rows = await svc.limits.create_registered(s, items)
    return ok({"registered_limits": [views.registered_limit(request, r) for r in rows]}, 201)


@router.get("/v3/registered_limits")
async def list_registered_limits(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:list_registered_limits")
    async with svc.db.reader() as s:
        rows = await repo.find(
            s, RegisteredLimit, **_where(request, ("service_id", "region_id", "resource_name"))
        )
    return ok(
        views.collection(
            request, "registered_limits", [views.registered_limit(request, r) for r in rows]
        )
    )


@router.get("/v3/registered_limits/{limit_id}")
async def get_registered_limit(limit_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:get_registered_limit")
    async with svc.db.reader() as s:
        row = await svc.limits.get_registered(s, limit_id)
    return ok({"registered_limit": views.registered_limit(request, row)})


@router.patch("/v3/registered_limits/{limit_id}")
async def update_registered_limit(limit_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:update_registered_limit")
    body = await entity(request, "registered_limit")
    async with svc.db.session() as s:
        row = await svc.limits.update_registered(s, limit_id, body)
    return ok({"registered_limit": views.registered_limit(request, row)})


@router.delete("/v3/registered_limits/{limit_id}")
async def delete_registered_limit(limit_id: str, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:delete_registered_limit")
    async with svc.db.session() as s:
        await svc.limits.delete_registered(s, limit_id)
    return no_content()


@router.post("/v3/limits")
async def create_limits(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:create_limits")
    items = await _list_body(request, "limits")
    async with svc.db.session() as s:
        rows = await svc.limits.create(s, items)
    return ok({"limits": [views.limit(request, r) for r in rows]}, 201)


@router.get("/v3/limits")
async def list_limits(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:list_limits")
    where = _where(request, ("service_id", "region_id", "resource_name", "project_id", "domain_id"))
    async with svc.db.reader() as s:
        rows = await repo.find(s, Limit, **where)
    visible = [
        r
        for r in rows
        if ctx.allows(
            "identity:get_limit",
            {"target.limit.project_id": r.project_id, "target.limit.domain_id": r.domain_id},
        )
    ]
    return ok(views.collection(request, "limits", [views.limit(request, r) for r in visible]))


@router.get("/v3/limits/{limit_id}")
async def get_limit(limit_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.reader() as s:
        row = await svc.limits.get(s, limit_id)
    ctx.can(
        "identity:get_limit",
        {"target.limit.project_id": row.project_id, "target.limit.domain_id": row.domain_id},
    )
    return ok({"limit": views.limit(request, row)})


@router.patch("/v3/limits/{limit_id}")
async def update_limit(limit_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:update_limit")
    body = await entity(request, "limit")
    async with svc.db.session() as s:
        row = await svc.limits.update(s, limit_id, body)
    return ok({"limit": views.limit(request, row)})


@router.delete("/v3/limits/{limit_id}")
async def delete_limit(limit_id: str, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:delete_limit")
    async with svc.db.session() as s:
        await svc.limits.delete(s, limit_id)
    return no_content()
