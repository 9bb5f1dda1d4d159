"""The smaller Keystone APIs: domain configuration, endpoint filtering (OS-EP-FILTER), stored
policy blobs, and EC2 credentials (OS-EC2). OS-OAUTH1 lives in ``oauth1.py``."""

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest
from stratus.kit.ids import hex_id
from stratus.services.identity import repository as repo
from stratus.services.identity import views
from stratus.services.identity.api.common import Svc, entity, no_content, ok
from stratus.services.identity.catalog_filter import CatalogFilter
from stratus.services.identity.delegation import Ec2Credentials
from stratus.services.identity.domain_config import DomainConfigs
from stratus.services.identity.errors import not_found
from stratus.services.identity.models import (
    Credential,
    EndpointGroup,
    PolicyBlob,
    ProjectEndpoint,
    ProjectEndpointGroup,
)

router = APIRouter()
configs = DomainConfigs()
filters = CatalogFilter()


async def _config_body(request: Request) -> Any:
    body = await json_body(request)
    if not isinstance(body, dict) or "config" not in body:
        raise BadRequest("Invalid input for field 'config': 'config' is a required property.")
    return body["config"]


# -- domain configuration -------------------------------------------------------------------


@router.get("/v3/domains/config/default")
@router.get("/v3/domains/config/{group}/default")
@router.get("/v3/domains/config/{group}/{option}/default")
async def get_domain_config_default(
    ctx: Ctx, group: str | None = None, option: str | None = None
) -> Response:
    ctx.can("identity:get_domain_config_default")
    return ok({"config": configs.default(group, option)})


@router.put("/v3/domains/{domain_id}/config")
async def create_domain_config(domain_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:create_domain_config")
    config = await _config_body(request)
    async with svc.db.session() as s:
        await svc.resources.get_domain(s, domain_id)
        stored, created = await configs.create(s, domain_id, config)
    return ok({"config": stored}, 201 if created else 200)


@router.get("/v3/domains/{domain_id}/config")
@router.get("/v3/domains/{domain_id}/config/{group}")
@router.get("/v3/domains/{domain_id}/config/{group}/{option}")
async def get_domain_config(
    domain_id: str, ctx: Ctx, svc: Svc, group: str | None = None, option: str | None = None
) -> Response:
    ctx.can("identity:get_domain_config")
    async with svc.db.reader() as s:
        await svc.resources.get_domain(s, domain_id)
        config = await configs.get(s, domain_id, group, option)
    return ok({"config": config})


@router.patch("/v3/domains/{domain_id}/config")
@router.patch("/v3/domains/{domain_id}/config/{group}")
@router.patch("/v3/domains/{domain_id}/config/{group}/{option}")
async def update_domain_config(
    domain_id: str,
    request: Request,
    ctx: Ctx,
    svc: Svc,
    group: str | None = None,
    option: str | None = None,
) -> Response:
    ctx.can("identity:update_domain_config")
    config = await _config_body(request)
    async with svc.db.session() as s:
        await svc.resources.get_domain(s, domain_id)
        updated = await configs.update(s, domain_id, config, group, option)
    return ok({"config": updated})


@router.delete("/v3/domains/{domain_id}/config")
@router.delete("/v3/domains/{domain_id}/config/{group}")
@router.delete("/v3/domains/{domain_id}/config/{group}/{option}")
async def delete_domain_config(
    domain_id: str, ctx: Ctx, svc: Svc, group: str | None = None, option: str | None = None
) -> Response:
    ctx.can("identity:delete_domain_config")
    async with svc.db.session() as s:
        await svc.resources.get_domain(s, domain_id)
        await configs.delete(s, domain_id, group, option)
    return no_content()


# -- endpoint groups and project endpoints (OS-EP-FILTER) -----------------------------------

EPF = "/v3/OS-EP-FILTER"


def _group_view(request: Request, g: EndpointGroup) -> dict[str, Any]:
    return {
        "id": g.id,
        "name": g.name,
        "description": g.description,
        "filters": g.filters,
        "links": {"self": f"{views.v3_base(request)}/OS-EP-FILTER/endpoint_groups/{g.id}"},
    }


@router.post(f"{EPF}/endpoint_groups")
async def create_endpoint_group(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:create_endpoint_group")
    body = await entity(request, "endpoint_group")
    async with svc.db.session() as s:
        row = await filters.create_group(s, body)
    return ok({"endpoint_group": _group_view(request, row)}, 201)


@router.get(f"{EPF}/endpoint_groups")
async def list_endpoint_groups(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:list_endpoint_groups")
    where = {"name": request.query_params["name"]} if "name" in request.query_params else {}
    async with svc.db.reader() as s:
        rows = await repo.find(s, EndpointGroup, **where)
    return ok(views.collection(request, "endpoint_groups", [_group_view(request, g) for g in rows]))


@router.api_route(f"{EPF}/endpoint_groups/{{group_id}}", methods=["GET", "HEAD"])
async def get_endpoint_group(group_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:get_endpoint_group")
    async with svc.db.reader() as s:
        row = await filters.get_group(s, group_id)
    if request.method == "HEAD":
        return Response(status_code=200)
    return ok({"endpoint_group": _group_view(request, row)})


@router.patch(f"{EPF}/endpoint_groups/{{group_id}}")
async def update_endpoint_group(group_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:update_endpoint_group")
    body = await entity(request, "endpoint_group")
    async with svc.db.session() as s:
        row = await filters.update_group(s, group_id, body)
    return ok({"endpoint_group": _group_view(request, row)})


@router.delete(f"{EPF}/endpoint_groups/{{group_id}}")
async def delete_endpoint_group(group_id: str, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:delete_endpoint_group")
    async with svc.db.session() as s:
        await filters.delete_group(s, group_id)
    return no_content()


@router.get(f"{EPF}/endpoint_groups/{{group_id}}/endpoints")
async def list_endpoints_in_group(group_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:list_endpoints_associated_with_endpoint_group")
    async with svc.db.reader() as s:
        group = await filters.get_group(s, group_id)
        rows = await filters.endpoints_in_group(s, group)
    return ok(views.collection(request, "endpoints", [views.endpoint(request, e) for e in rows]))


@router.get(f"{EPF}/endpoint_groups/{{group_id}}/projects")
async def list_projects_for_group(group_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:list_projects_associated_with_endpoint_group")
    async with svc.db.reader() as s:
        await filters.get_group(s, group_id)
        links = await repo.find(s, ProjectEndpointGroup, endpoint_group_id=group_id)
        projects = [await svc.resources.get_project(s, link.project_id) for link in links]
        tags = await repo.project_tags(s, [p.id for p in projects])
    return ok(
        views.collection(
            request, "projects", [views.project(request, p, tags[p.id]) for p in projects]
        )
    )


@router.put(f"{EPF}/endpoint_groups/{{group_id}}/projects/{{project_id}}")
async def add_endpoint_group_to_project(
    group_id: str, project_id: str, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:add_endpoint_group_to_project")
    async with svc.db.session() as s:
        await filters.link_group(s, group_id, project_id)
    return no_content()


@router.api_route(
    f"{EPF}/endpoint_groups/{{group_id}}/projects/{{project_id}}", methods=["GET", "HEAD"]
)
async def get_endpoint_group_in_project(
    group_id: str, project_id: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:get_endpoint_group_in_project")
    async with svc.db.reader() as s:
        await filters.check_group_link(s, group_id, project_id)
        project = await svc.resources.get_project(s, project_id)
        tags = await repo.project_tags(s, [project_id])
    if request.method == "HEAD":
        return Response(status_code=200)
    return ok({"project": views.project(request, project, tags[project_id])})


@router.delete(f"{EPF}/endpoint_groups/{{group_id}}/projects/{{project_id}}")
async def remove_endpoint_group_from_project(
    group_id: str, project_id: str, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:remove_endpoint_group_from_project")
    async with svc.db.session() as s:
        await filters.unlink_group(s, group_id, project_id)
    return no_content()


@router.get(f"{EPF}/projects/{{project_id}}/endpoint_groups")
async def list_endpoint_groups_for_project(
    project_id: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:list_endpoint_groups_for_project")
    async with svc.db.reader() as s:
        await svc.resources.get_project(s, project_id)
        links = await repo.find(s, ProjectEndpointGroup, project_id=project_id)
        groups = [await filters.get_group(s, link.endpoint_group_id) for link in links]
    return ok(
        views.collection(request, "endpoint_groups", [_group_view(request, g) for g in groups])
    )


@router.get(f"{EPF}/projects/{{project_id}}/endpoints")
async def list_endpoints_for_project(
    project_id: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:list_endpoints_for_project")
    async with svc.db.reader() as s:
        await svc.resources.get_project(s, project_id)
        links = await repo.find(s, ProjectEndpoint, project_id=project_id)
        endpoints = [await svc.catalog.get_endpoint(s, link.endpoint_id) for link in links]
    return ok(
        views.collection(request, "endpoints", [views.endpoint(request, e) for e in endpoints])
    )


@router.put(f"{EPF}/projects/{{project_id}}/endpoints/{{endpoint_id}}")
async def add_endpoint_to_project(
    project_id: str, endpoint_id: str, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:add_endpoint_to_project")
    async with svc.db.session() as s:
        await filters.link_endpoint(s, project_id, endpoint_id)
    return no_content()


@router.api_route(
    f"{EPF}/projects/{{project_id}}/endpoints/{{endpoint_id}}", methods=["GET", "HEAD"]
)
async def check_endpoint_in_project(
    project_id: str, endpoint_id: str, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:check_endpoint_in_project")
    async with svc.db.reader() as s:
        await filters.check_endpoint_link(s, project_id, endpoint_id)
    return no_content()


@router.delete(f"{EPF}/projects/{{project_id}}/endpoints/{{endpoint_id}}")
async def remove_endpoint_from_project(
    project_id: str, endpoint_id: str, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:remove_endpoint_from_project")
    async with svc.db.session() as s:
        await filters.unlink_endpoint(s, project_id, endpoint_id)
    return no_content()


@router.get(f"{EPF}/endpoints/{{endpoint_id}}/projects")
async def list_projects_for_endpoint(
    endpoint_id: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:list_projects_for_endpoint")
    async with svc.db.reader() as s:
        await svc.catalog.get_endpoint(s, endpoint_id)
        links = await repo.find(s, ProjectEndpoint, endpoint_id=endpoint_id)
        projects = [await svc.resources.get_project(s, link.project_id) for link in links]
        tags = await repo.project_tags(s, [p.id for p in projects])
    return ok(
        views.collection(
            request, "projects", [views.project(request, p, tags[p.id]) for p in projects]
        )
    )


# -- policy blobs ---------------------------------------------------------------------------


def _policy_view(request: Request, p: PolicyBlob) -> dict[str, Any]:
    return {
        **(p.extra or {}),
        "id": p.id,
        "type": p.type,
        "blob": p.blob,
        "links": {"self": f"{views.v3_base(request)}/policies/{p.id}"},
    }


async def _policy(s: Any, policy_id: str) -> PolicyBlob:
    row = await repo.get(s, PolicyBlob, policy_id)
    if row is None:
        raise not_found("policy", policy_id)
    return row


@router.post("/v3/policies")
async def create_policy(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:create_policy")
    body = await entity(request, "policy")
    if not isinstance(body.get("blob"), str) or not isinstance(body.get("type"), str):
        raise BadRequest("Invalid input for field 'policy': 'blob' and 'type' are required.")
    extra = {k: v for k, v in body.items() if k not in ("id", "blob", "type")}
    row = PolicyBlob(id=hex_id(), type=body["type"], blob=body["blob"], extra=extra)
    async with svc.db.session() as s:
        await repo.add(s, row)
    return ok({"policy": _policy_view(request, row)}, 201)


@router.get("/v3/policies")
async def list_policies(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:list_policies")
    where = {"type": request.query_params["type"]} if "type" in request.query_params else {}
    async with svc.db.reader() as s:
        rows = await repo.find(s, PolicyBlob, **where)
    return ok(views.collection(request, "policies", [_policy_view(request, p) for p in rows]))


@router.get("/v3/policies/{policy_id}")
async def get_policy(policy_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:get_policy")
    async with svc.db.reader() as s:
        row = await _policy(s, policy_id)
    return ok({"policy": _policy_view(request, row)})


@router.patch("/v3/policies/{policy_id}")
async def update_policy(policy_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:update_policy")
    body = await entity(request, "policy")
    async with svc.db.session() as s:
        row = await _policy(s, policy_id)
        for key in ("blob", "type"):
            if key in body:
                if not isinstance(body[key], str):
                    raise BadRequest(f"Invalid input for field 'policy.{key}'.")
                setattr(row, key, body[key])
        row.extra = {
            **(row.extra or {}),
            **{k: v for k, v in body.items() if k not in ("id", "blob", "type")},
        }
    return ok({"policy": _policy_view(request, row)})


@router.delete("/v3/policies/{policy_id}")
async def delete_policy(policy_id: str, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:delete_policy")
    async with svc.db.session() as s:
        await repo.remove(s, await _policy(s, policy_id))
    return no_content()


# -- EC2 credentials ------------------------------------------------------------------------


def _ec2_view(request: Request, c: Credential) -> dict[str, Any]:
    blob = json.loads(c.blob)
    return {
        "user_id": c.user_id,
        "tenant_id": c.project_id,
        "access": blob["access"],
        "secret": blob["secret"],
        "trust_id": blob.get("trust_id"),
        "links": {
            "self": f"{views.v3_base(request)}/users/{c.user_id}/credentials/OS-EC2/"
            f"{blob['access']}"
        },
    }


@router.post("/v3/users/{user_id}/credentials/OS-EC2")
async def ec2_create_credential(user_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:ec2_create_credential", {"target.credential.user_id": user_id})
    body = await json_body(request)
    if not isinstance(body, dict):
        raise BadRequest("Invalid input: a JSON object is required.")
    async with svc.db.session() as s:
        row = await Ec2Credentials(svc.users).create(s, ctx.authenticated, user_id, body)
    return ok({"credential": _ec2_view(request, row)}, 201)


@router.get("/v3/users/{user_id}/credentials/OS-EC2")
async def ec2_list_credentials(user_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:ec2_list_credentials", {"user_id": user_id})
    async with svc.db.reader() as s:
        await svc.users.get(s, user_id)
        rows = await repo.find(s, Credential, user_id=user_id, type="ec2")
    return ok(views.collection(request, "credentials", [_ec2_view(request, c) for c in rows]))


@router.get("/v3/users/{user_id}/credentials/OS-EC2/{access}")
async def ec2_get_credential(
    user_id: str, access: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:ec2_get_credential", {"target.credential.user_id": user_id})
    async with svc.db.reader() as s:
        row = await Ec2Credentials(svc.users).get(s, user_id, access)
    return ok({"credential": _ec2_view(request, row)})


@router.delete("/v3/users/{user_id}/credentials/OS-EC2/{access}")
async def ec2_delete_credential(user_id: str, access: str, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:ec2_delete_credential", {"target.credential.user_id": user_id})
    async with svc.db.session() as s:
        row = await Ec2Credentials(svc.users).get(s, user_id, access)
        await repo.remove(s, row)
    return no_content()
