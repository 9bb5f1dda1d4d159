"""Server groups (os-server-groups)."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.context import RequestContext
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest
from stratus.services.compute import policies
from stratus.services.compute.api.common import int_param, no_content, reply, services, version
from stratus.services.compute.group import GroupView

router = APIRouter(prefix="/v2.1")


def group_view(view: GroupView, ctx: RequestContext) -> dict[str, Any]:
    v = version(ctx)
    g = view.group
    out: dict[str, Any] = {"id": g.uuid, "name": g.name, "members": list(view.members)}
    if v.at_least("2.64"):
        out["policy"] = g.policy
        out["rules"] = dict(g.rules)
    else:
        out["policies"] = [g.policy]
        out["metadata"] = {}
    if v.at_least("2.13"):
        out["project_id"] = g.project_id
        out["user_id"] = g.user_id
    return out


@router.get("/os-server-groups")
async def list_server_groups(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.GROUPS_INDEX, {"project_id": ctx.project_id})
    all_projects = request.query_params.get("all_projects", "").lower() in ("true", "1", "yes")
    if all_projects:
        all_projects = ctx.allows(policies.GROUPS_INDEX_ALL)
    rows = await services(request).groups.list_groups(
        ctx,
        all_projects=all_projects,
        limit=int_param(request, "limit"),
        offset=int_param(request, "offset"),
    )
    return reply({"server_groups": [group_view(r, ctx) for r in rows]})


@router.post("/os-server-groups")
async def create_server_group(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.GROUPS_CREATE, {"project_id": ctx.project_id})
    v = version(ctx)
    data = await json_body(request)
    body = data.get("server_group") if isinstance(data, dict) else None
    if not isinstance(body, dict):
        raise BadRequest(
            "Invalid input for field/attribute server_group. 'server_group' is a required property"
        )
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 255 or name.strip() != name:
        raise BadRequest(f"Invalid input for field/attribute name. Value: {name}.")
    if v.at_least("2.64"):
        extra = set(body) - {"name", "policy", "rules"}
        policy = body.get("policy")
        rules = body.get("rules", {})
        if not isinstance(rules, dict):
            raise BadRequest(f"Invalid input for field/attribute rules. Value: {rules}.")
    else:
        extra = set(body) - {"name", "policies"}
        chosen = body.get("policies")
        if not isinstance(chosen, list) or len(chosen) != 1:
            raise BadRequest(f"Invalid input for field/attribute policies. Value: {chosen}.")
        policy, rules = chosen[0], {}
    if extra:
        raise BadRequest(
            "Invalid input for field/attribute server_group. Additional properties are not "
            f"allowed ({', '.join(sorted(repr(e) for e in extra))} was unexpected)"
        )
    if not isinstance(policy, str):
        raise BadRequest(f"Invalid input for field/attribute policy. Value: {policy}.")
    view = await services(request).groups.create(
        ctx, name=name, policy=policy, rules=rules, allow_soft=v.at_least("2.15")
    )
    return reply({"server_group": group_view(view, ctx)})


@router.get("/os-server-groups/{group_id}")
async def get_server_group(group_id: str, request: Request, ctx: Ctx) -> Response:
    view = await services(request).groups.get(ctx, group_id)
    ctx.can(policies.GROUPS_SHOW, {"project_id": view.group.project_id})
    return reply({"server_group": group_view(view, ctx)})


@router.delete("/os-server-groups/{group_id}")
async def delete_server_group(group_id: str, request: Request, ctx: Ctx) -> Response:
    view = await services(request).groups.get(ctx, group_id)
    ctx.can(policies.GROUPS_DELETE, {"project_id": view.group.project_id})
    await services(request).groups.delete(ctx, group_id)
    return no_content(204)
