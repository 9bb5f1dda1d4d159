"""Quota sets (defaults, per project, detail) and limits."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest
from stratus.services.compute import policies
from stratus.services.compute.api.common import body_of, no_content, reply, services, version
from stratus.services.compute.quota import class_names, visible_names

router = APIRouter(prefix="/v2.1")


@router.get("/os-quota-sets/{project_id}/defaults")
async def get_quota_defaults(project_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QUOTA_DEFAULTS, {"project_id": project_id})
    defaults = services(request).quotas.defaults()
    names = visible_names(version(ctx))
    return reply({"quota_set": {"id": project_id, **{n: defaults[n] for n in names}}})


@router.get("/os-quota-sets/{project_id}/detail")
async def get_quota_detail(project_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QUOTA_DETAIL, {"project_id": project_id})
    quotas = services(request).quotas
    limits = await quotas.limits(project_id)
    usage = await quotas.usage(project_id)
    body: dict[str, Any] = {"id": project_id}
    for name in visible_names(version(ctx)):
        body[name] = {"limit": limits[name], "in_use": usage.get(name, 0), "reserved": 0}
    return reply({"quota_set": body})


@router.get("/os-quota-sets/{project_id}")
async def get_quota_set(project_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QUOTA_SHOW, {"project_id": project_id})
    limits = await services(request).quotas.limits(project_id)
    names = visible_names(version(ctx))
    return reply({"quota_set": {"id": project_id, **{n: limits[n] for n in names}}})


@router.put("/os-quota-sets/{project_id}")
async def update_quota_set(project_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QUOTA_UPDATE, {"project_id": project_id})
    body = await body_of(request, "quota_set")
    if not isinstance(body, dict):
        raise BadRequest("Invalid input for field/attribute quota_set. It is not an object")
    values = dict(body)
    force = values.pop("force", False)
    if isinstance(force, str):
        force = force.lower() in ("true", "1", "yes")
    v = version(ctx)
    quotas = services(request).quotas
    await quotas.update(project_id, values, version=v, force=bool(force))
    limits = await quotas.limits(project_id)
    return reply({"quota_set": {n: limits[n] for n in visible_names(v)}})


@router.delete("/os-quota-sets/{project_id}")
async def delete_quota_set(project_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QUOTA_DELETE, {"project_id": project_id})
    await services(request).quotas.reset(project_id)
    return no_content(202)


@router.get("/limits")
async def get_limits(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.LIMITS)
    project_id = ctx.project_id or ""
    other = request.query_params.get("tenant_id")
    if other and other != project_id:
        ctx.can(policies.LIMITS_OTHER_PROJECT, {"project_id": other})
        project_id = other
    quotas = services(request).quotas
    lim = await quotas.limits(project_id)
    use = await quotas.usage(project_id)
    v = version(ctx)
    absolute: dict[str, int] = {
        "maxTotalInstances": lim["instances"],
        "maxTotalCores": lim["cores"],
        "maxTotalRAMSize": lim["ram"],
        "maxServerMeta": lim["metadata_items"],
        "maxTotalKeypairs": lim["key_pairs"],
        "maxServerGroups": lim["server_groups"],
        "maxServerGroupMembers": lim["server_group_members"],
        "totalInstancesUsed": use.get("instances", 0),
        "totalCoresUsed": use.get("cores", 0),
        "totalRAMUsed": use.get("ram", 0),
        "totalServerGroupsUsed": use.get("server_groups", 0),
    }
    if not v.at_least("2.36"):
        absolute.update(
            {
                "maxTotalFloatingIps": lim["floating_ips"],
                "maxSecurityGroups": lim["security_groups"],
                "maxSecurityGroupRules": lim["security_group_rules"],
                "totalFloatingIpsUsed": 0,
                "totalSecurityGroupsUsed": 0,
            }
        )
    if not v.at_least("2.39"):
        # The image-metadata proxy (and its limit) left at 2.39.
        absolute["maxImageMeta"] = lim["metadata_items"]
    if not v.at_least("2.57"):
        absolute.update(
            {
                "maxPersonality": lim["injected_files"],
                "maxPersonalitySize": lim["injected_file_content_bytes"],
            }
        )
    return reply({"limits": {"rate": [], "absolute": absolute}})


@router.get("/os-quota-class-sets/{class_name}")
async def get_quota_class_set(class_name: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QUOTA_CLASS_SHOW)
    limits = await services(request).quotas.get_class(class_name)
    names = class_names(version(ctx))
    return reply({"quota_class_set": {"id": class_name, **{n: limits[n] for n in names}}})


@router.put("/os-quota-class-sets/{class_name}")
async def update_quota_class_set(class_name: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.QUOTA_CLASS_UPDATE)
    body = await body_of(request, "quota_class_set")
    if not isinstance(body, dict):
        raise BadRequest("Invalid input for field/attribute quota_class_set. It is not an object")
    v = version(ctx)
    limits = await services(request).quotas.update_class(class_name, body, version=v)
    return reply({"quota_class_set": {n: limits[n] for n in class_names(v)}})
