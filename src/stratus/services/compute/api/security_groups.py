"""``os-security-groups`` and ``os-security-group-rules`` (proxies to the network service,
gone from 2.36)."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest
from stratus.services.compute import proxy_policies as policies
from stratus.services.compute.api.common import body_of, int_param, reply, services
from stratus.services.compute.api.deprecated import proxy_api
from stratus.services.compute.security_group import SecurityGroupProxy

router = APIRouter(prefix="/v2.1")


def _proxy(request: Request) -> SecurityGroupProxy:
    return SecurityGroupProxy(services(request).servers.network)


def _name_and_description(body: Any) -> tuple[str, str]:
    if not isinstance(body, dict):
        raise BadRequest("Invalid input for field/attribute security_group.")
    out = []
    for key in ("name", "description"):
        if key not in body:
            raise BadRequest(
                f"Invalid input for field/attribute security_group. '{key}' is a required property"
            )
        value = body[key]
        if not isinstance(value, str):
            raise BadRequest(
                f"Invalid input for field/attribute {key}. Value: {value}. "
                f"{value!r} is not of type 'string'"
            )
        if len(value) > 255:
            raise BadRequest(
                f"Invalid input for field/attribute {key}. Value: {value}. '{value}' is too long"
            )
        out.append(value)
    return out[0], out[1]


@router.get("/os-security-groups")
async def list_security_groups(request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    ctx.can(policies.SG_GET, {"project_id": ctx.project_id})
    limit = int_param(request, "limit")
    offset = int_param(request, "offset") or 0
    all_tenants = "all_tenants" in request.query_params
    groups = await _proxy(request).list_groups(ctx, all_tenants=all_tenants)
    groups = groups[offset:]
    if limit is not None:
        groups = groups[:limit]
    return reply({"security_groups": groups})


@router.post("/os-security-groups")
async def create_security_group(request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    ctx.can(policies.SG_CREATE, {"project_id": ctx.project_id})
    name, description = _name_and_description(await body_of(request, "security_group"))
    return reply({"security_group": await _proxy(request).create(ctx, name, description)})


@router.get("/os-security-groups/{group_id}")
async def get_security_group(group_id: str, request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    ctx.can(policies.SG_SHOW, {"project_id": ctx.project_id})
    return reply({"security_group": await _proxy(request).show(ctx, group_id)})


@router.put("/os-security-groups/{group_id}")
async def update_security_group(group_id: str, request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    ctx.can(policies.SG_UPDATE, {"project_id": ctx.project_id})
    name, description = _name_and_description(await body_of(request, "security_group"))
    group = await _proxy(request).update(ctx, group_id, name, description)
    return reply({"security_group": group})


@router.delete("/os-security-groups/{group_id}")
async def delete_security_group(group_id: str, request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    ctx.can(policies.SG_DELETE, {"project_id": ctx.project_id})
    await _proxy(request).delete(ctx, group_id)
    return Response(status_code=202)


@router.post("/os-security-group-rules")
async def create_security_group_rule(request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    ctx.can(policies.SG_RULE_CREATE, {"project_id": ctx.project_id})
    body = await body_of(request, "security_group_rule")
    if not isinstance(body, dict) or "parent_group_id" not in body:
        raise BadRequest(
            "Invalid input for field/attribute security_group_rule. "
            "'parent_group_id' is a required property"
        )
    rule = await _proxy(request).create_rule(ctx, body)
    return reply({"security_group_rule": rule})


@router.delete("/os-security-group-rules/{rule_id}")
async def delete_security_group_rule(rule_id: str, request: Request, ctx: Ctx) -> Response:
    proxy_api(ctx)
    ctx.can(policies.SG_RULE_DELETE, {"project_id": ctx.project_id})
    await _proxy(request).delete_rule(ctx, rule_id)
    return Response(status_code=202)
