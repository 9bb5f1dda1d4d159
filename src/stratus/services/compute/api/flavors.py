"""Flavors, flavor access and extra specs."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest, NotFound
from stratus.services.compute import policies
from stratus.services.compute.api.common import (
    body_of,
    int_param,
    links,
    no_content,
    reply,
    services,
    version,
)
from stratus.services.compute.views import flavor_brief, flavor_detail

router = APIRouter(prefix="/v2.1")


async def _list(request: Request, ctx: Ctx, *, detail: bool) -> Response:
    q = request.query_params
    v = version(ctx)
    rows = await services(request).flavors.list_flavors(
        project_id=ctx.project_id,
        is_admin=ctx.is_admin,
        is_public=q.get("is_public"),
        min_ram=q.get("minRam"),
        min_disk=q.get("minDisk"),
        sort_key=q.get("sort_key", "flavorid"),
        sort_dir=q.get("sort_dir", "asc"),
        limit=int_param(request, "limit"),
        marker=q.get("marker"),
    )
    lk = links(request)
    show_specs = ctx.allows(policies.EXTRA_SPECS_INDEX)
    items = [
        flavor_detail(f, v, lk, show_specs=show_specs) if detail else flavor_brief(f, v, lk)
        for f in rows
    ]
    body: dict[str, Any] = {"flavors": items}
    limit = int_param(request, "limit")
    if limit and len(rows) == limit:
        path = "flavors/detail" if detail else "flavors"
        body["flavors_links"] = [
            {
                "rel": "next",
                "href": f"{lk.base}/v2.1/{path}?limit={limit}&marker={rows[-1].flavorid}",
            }
        ]
    return reply(body)


@router.get("/flavors")
async def list_flavors(request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, detail=False)


@router.get("/flavors/detail")
async def list_flavors_detail(request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, detail=True)


@router.get("/flavors/{flavor_id}")
async def get_flavor(flavor_id: str, request: Request, ctx: Ctx) -> Response:
    flavor = await services(request).flavors.get(
        flavor_id, project_id=ctx.project_id, is_admin=ctx.is_admin
    )
    show_specs = ctx.allows(policies.EXTRA_SPECS_INDEX)
    return reply(
        {"flavor": flavor_detail(flavor, version(ctx), links(request), show_specs=show_specs)}
    )


@router.post("/flavors")
async def create_flavor(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.FLAVOR_MANAGE_CREATE)
    body = await body_of(request, "flavor")
    if not isinstance(body, dict):
        raise BadRequest("Invalid input for field/attribute flavor. It is not an object")
    v = version(ctx)
    flavor = await services(request).flavors.create(body, with_description=v.at_least("2.55"))
    return reply({"flavor": flavor_detail(flavor, v, links(request))})


@router.put("/flavors/{flavor_id}")
async def update_flavor(flavor_id: str, request: Request, ctx: Ctx) -> Response:
    v = version(ctx)
    if not v.at_least("2.55"):
        raise NotFound("The resource could not be found.")
    ctx.can(policies.FLAVOR_MANAGE_UPDATE)
    body = await body_of(request, "flavor")
    if not isinstance(body, dict) or set(body) != {"description"}:
        raise BadRequest(
            "Invalid input for field/attribute flavor. 'description' is the only property "
            "that may be updated"
        )
    description = body["description"]
    if description is not None and (not isinstance(description, str) or len(description) > 65535):
        raise BadRequest(f"Invalid input for field/attribute description. Value: {description}.")
    flavor = await services(request).flavors.update_description(flavor_id, description)
    return reply({"flavor": flavor_detail(flavor, v, links(request))})


@router.delete("/flavors/{flavor_id}")
async def delete_flavor(flavor_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.FLAVOR_MANAGE_DELETE)
    await services(request).flavors.delete(flavor_id)
    return no_content(202)


# -- access ------------------------------------------------------------------------------


def _access(flavor_id: str, projects: list[str]) -> dict[str, Any]:
    return {"flavor_access": [{"flavor_id": flavor_id, "tenant_id": p} for p in projects]}


@router.get("/flavors/{flavor_id}/os-flavor-access")
async def list_flavor_access(flavor_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.FLAVOR_ACCESS)
    return reply(_access(flavor_id, await services(request).flavors.access(flavor_id)))


@router.post("/flavors/{flavor_id}/action")
async def flavor_action(flavor_id: str, request: Request, ctx: Ctx) -> Response:
    from stratus.api.body import json_body

    data = await json_body(request)
    if not isinstance(data, dict) or len(data) != 1:
        raise BadRequest("Invalid flavor action.")
    ((action, args),) = data.items()
    if action not in ("addTenantAccess", "removeTenantAccess"):
        raise BadRequest(f"Invalid flavor action {action}.")
    if not isinstance(args, dict) or not isinstance(args.get("tenant"), str) or not args["tenant"]:
        raise BadRequest(
            f"Invalid input for field/attribute {action}. 'tenant' is a required property"
        )
    flavors = services(request).flavors
    if action == "addTenantAccess":
        ctx.can(policies.FLAVOR_ACCESS_ADD)
        projects = await flavors.add_access(
            flavor_id, args["tenant"], strict=version(ctx).at_least("2.7")
        )
    else:
        ctx.can(policies.FLAVOR_ACCESS_REMOVE)
        projects = await flavors.remove_access(flavor_id, args["tenant"])
    return reply(_access(flavor_id, projects))


# -- extra specs -------------------------------------------------------------------------


@router.get("/flavors/{flavor_id}/os-extra_specs")
async def list_extra_specs(flavor_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.EXTRA_SPECS_INDEX)
    return reply({"extra_specs": await services(request).flavors.extra_specs(flavor_id)})


@router.post("/flavors/{flavor_id}/os-extra_specs")
async def create_extra_specs(flavor_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.EXTRA_SPECS_CREATE)
    specs = await body_of(request, "extra_specs")
    if not isinstance(specs, dict):
        raise BadRequest("Invalid input for field/attribute extra_specs. It is not an object")
    await services(request).flavors.set_extra_specs(
        flavor_id, specs, strict=version(ctx).at_least("2.86")
    )
    return reply({"extra_specs": await services(request).flavors.extra_specs(flavor_id)})


@router.get("/flavors/{flavor_id}/os-extra_specs/{key}")
async def get_extra_spec(flavor_id: str, key: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.EXTRA_SPECS_SHOW)
    specs = await services(request).flavors.extra_specs(flavor_id)
    if key not in specs:
        raise NotFound(f"Flavor {flavor_id} has no extra specs with key {key}.")
    return reply({key: specs[key]})


@router.put("/flavors/{flavor_id}/os-extra_specs/{key}")
async def update_extra_spec(flavor_id: str, key: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.EXTRA_SPECS_UPDATE)
    from stratus.api.body import json_body

    data = await json_body(request)
    if not isinstance(data, dict) or len(data) != 1:
        raise BadRequest("Invalid input for field/attribute extra_specs: exactly one key.")
    if key not in data:
        raise BadRequest("Request body and URI mismatch")
    await services(request).flavors.set_extra_specs(
        flavor_id, data, strict=version(ctx).at_least("2.86")
    )
    return reply({key: str(data[key])})


@router.delete("/flavors/{flavor_id}/os-extra_specs/{key}")
async def delete_extra_spec(flavor_id: str, key: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.EXTRA_SPECS_DELETE)
    await services(request).flavors.delete_extra_spec(flavor_id, key)
    return no_content(200)
