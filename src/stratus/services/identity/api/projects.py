"""Domains, projects (hierarchy, ``parents``/``subtree``) and project tags."""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest
from stratus.services.identity import repository as repo
from stratus.services.identity import views
from stratus.services.identity.api.common import Svc, check_types, entity, no_content, ok, qbool
from stratus.services.identity.errors import not_found
from stratus.services.identity.models import Project

router = APIRouter()

_KNOWN = {
    "id",
    "name",
    "description",
    "enabled",
    "domain_id",
    "parent_id",
    "is_domain",
    "tags",
    "options",
    "links",
}
_TYPES: dict[str, Any] = {
    "name": str,
    "description": (str, type(None)),
    "enabled": bool,
    "domain_id": (str, type(None)),
    "parent_id": (str, type(None)),
    "is_domain": bool,
    "tags": list,
    "options": dict,
}


def _check_name(body: dict[str, Any], kind: str) -> None:
    name = body.get("name")
    if isinstance(name, str) and len(name) > 64:
        raise BadRequest(
            f"Invalid input for field '{kind}.name': '{name}' is too long (maximum 64 characters)."
        )


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in body.items() if k in _KNOWN and k != "links"}
    fields["extra"] = {k: v for k, v in body.items() if k not in _KNOWN}
    return fields


def _target(p: Project) -> dict[str, Any]:
    return {
        "target.project.domain_id": p.domain_id,
        "target.project.id": p.id,
        "target.domain.id": p.id if p.is_domain else p.domain_id,
    }


# -- domains --------------------------------------------------------------------------------


@router.get("/v3/domains")
async def list_domains(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:list_domains")
    q = request.query_params
    where: dict[str, Any] = {"is_domain": True}
    if "name" in q:
        where["name"] = q["name"]
    enabled = qbool(request, "enabled")
    if enabled is not None:
        where["enabled"] = enabled
    async with svc.db.reader() as s:
        rows = await repo.find(s, Project, **where)
        tags = await repo.project_tags(s, [r.id for r in rows])
    return ok(
        views.collection(request, "domains", [views.domain(request, r, tags[r.id]) for r in rows])
    )


@router.post("/v3/domains")
async def create_domain(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:create_domain")
    body = await entity(request, "domain")
    check_types(body, _TYPES, required=("name",), prefix="domain.")
    _check_name(body, "domain")
    async with svc.db.session() as s:
        row = await svc.resources.create_domain(
            s, _fields(body), domain_id=body.get("explicit_domain_id")
        )
        tags = await repo.project_tags(s, [row.id])
    return ok({"domain": views.domain(request, row, tags[row.id])}, 201)


@router.get("/v3/domains/{domain_id}")
async def get_domain(domain_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:get_domain", {"target.domain.id": domain_id})
    async with svc.db.reader() as s:
        row = await svc.resources.get_domain(s, domain_id)
        tags = await repo.project_tags(s, [row.id])
    return ok({"domain": views.domain(request, row, tags[row.id])})


@router.patch("/v3/domains/{domain_id}")
async def update_domain(domain_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:update_domain", {"target.domain.id": domain_id})
    body = await entity(request, "domain")
    check_types(body, _TYPES, prefix="domain.")
    _check_name(body, "domain")
    if "id" in body and body["id"] != domain_id:
        raise BadRequest("Cannot change Domain ID.")
    async with svc.db.session() as s:
        row = await svc.resources.update_domain(s, domain_id, _fields(body))
        tags = await repo.project_tags(s, [row.id])
    return ok({"domain": views.domain(request, row, tags[row.id])})


@router.delete("/v3/domains/{domain_id}")
async def delete_domain(domain_id: str, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:delete_domain", {"target.domain.id": domain_id})
    async with svc.db.session() as s:
        await svc.resources.get_domain(s, domain_id)
        await svc.delete_project(s, domain_id)
    return no_content()


# -- projects -------------------------------------------------------------------------------


def _tag_filters(request: Request) -> dict[str, list[str]]:
    q = request.query_params
    return {
        key: [t for t in q[param].split(",") if t] if param in q else []
        for key, param in (
            ("all_of", "tags"),
            ("any_of", "tags-any"),
            ("none_of", "not-tags"),
            ("not_any_of", "not-tags-any"),
        )
    }


@router.get("/v3/projects")
async def list_projects(request: Request, ctx: Ctx, svc: Svc) -> Response:
    q = request.query_params
    ctx.can("identity:list_projects", {"target.domain_id": q.get("domain_id")})
    where: dict[str, Any] = {}
    for key in ("name", "domain_id", "parent_id"):
        if key in q:
            where[key] = q[key]
    for key in ("enabled", "is_domain"):
        value = qbool(request, key)
        if value is not None:
            where[key] = value
    where.setdefault("is_domain", False)
    async with svc.db.reader() as s:
        rows = await repo.find(s, Project, **where)
        tagged = await repo.projects_with_tags(s, **_tag_filters(request))
        if tagged is not None:
            rows = [r for r in rows if r.id in tagged]
        tags = await repo.project_tags(s, [r.id for r in rows])
    return ok(
        views.collection(request, "projects", [views.project(request, r, tags[r.id]) for r in rows])
    )


@router.post("/v3/projects")
async def create_project(request: Request, ctx: Ctx, svc: Svc) -> Response:
    body = await entity(request, "project")
    check_types(body, _TYPES, required=("name",), prefix="project.")
    _check_name(body, "project")
    domain_id = body.get("domain_id") or (
        ctx.authenticated.domain_id or ctx.authenticated.project_domain_id or "default"
    )
    if body.get("parent_id") and not body.get("domain_id"):
        async with svc.db.reader() as s:
            parent = await repo.get(s, Project, body["parent_id"])
            if parent is not None:
                domain_id = parent.id if parent.is_domain else parent.domain_id
    ctx.can("identity:create_project", {"target.project.domain_id": domain_id})
    fields = _fields(body)
    fields["domain_id"] = None if body.get("is_domain") else domain_id
    if body.get("domain_id") is None and not body.get("parent_id") and not body.get("is_domain"):
        fields["domain_id"] = domain_id
    async with svc.db.session() as s:
        row = await svc.resources.create_project(s, fields)
        tags = await repo.project_tags(s, [row.id])
    return ok({"project": views.project(request, row, tags[row.id])}, 201)


async def _hierarchy(request: Request, svc: Svc, s: Any, row: Project) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if qbool(request, "parents_as_ids") or qbool(request, "parents_as_list"):
        parents = await svc.resources.ancestors(s, row)
        if qbool(request, "parents_as_list"):
            tags = await repo.project_tags(s, [p.id for p in parents])
            extra["parents"] = [{"project": views.project(request, p, tags[p.id])} for p in parents]
        else:
            nested: Any = None
            for p in reversed(parents):
                nested = {p.id: nested}
            extra["parents"] = nested
    if qbool(request, "subtree_as_ids") or qbool(request, "subtree_as_list"):
        sub = await svc.resources.subtree(s, row.id)
        if qbool(request, "subtree_as_list"):
            tags = await repo.project_tags(s, [p.id for p in sub])
            extra["subtree"] = [{"project": views.project(request, p, tags[p.id])} for p in sub]
        else:

            def build(pid: str) -> Any:
                kids = [p for p in sub if p.parent_id == pid]
                return {k.id: build(k.id) for k in kids} or None

            extra["subtree"] = build(row.id)
    return extra


@router.get("/v3/projects/{project_id}")
async def get_project(project_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.reader() as s:
        row = await repo.get(s, Project, project_id)
        if row is None:
            ctx.can("identity:get_project", {"target.project.id": project_id})
            raise not_found("project", project_id)
        ctx.can("identity:get_project", _target(row))
        tags = await repo.project_tags(s, [row.id])
        view = views.project(request, row, tags[row.id])
        view.update(await _hierarchy(request, svc, s, row))
    return ok({"project": view})


@router.patch("/v3/projects/{project_id}")
async def update_project(project_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    body = await entity(request, "project")
    check_types(body, _TYPES, prefix="project.")
    _check_name(body, "project")
    if "id" in body and body["id"] != project_id:
        raise BadRequest("Cannot change project ID.")
    async with svc.db.session() as s:
        row = await repo.get(s, Project, project_id)
        if row is None:
            raise not_found("project", project_id)
        ctx.can("identity:update_project", _target(row))
        row = await svc.resources.update_project(s, project_id, _fields(body))
        tags = await repo.project_tags(s, [row.id])
    return ok({"project": views.project(request, row, tags[row.id])})


@router.delete("/v3/projects/{project_id}")
async def delete_project(project_id: str, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.session() as s:
        row = await repo.get(s, Project, project_id)
        if row is None:
            raise not_found("project", project_id)
        ctx.can("identity:delete_project", _target(row))
        await svc.delete_project(s, project_id)
    return no_content()


# -- tags -----------------------------------------------------------------------------------


async def _project_for_tags(s: Any, ctx: Ctx, project_id: str, rule: str) -> Project:
    row = await repo.get(s, Project, project_id)
    if row is None:
        raise not_found("project", project_id)
    ctx.can(rule, _target(row))
    return row


@router.get("/v3/projects/{project_id}/tags")
async def list_project_tags(project_id: str, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.reader() as s:
        await _project_for_tags(s, ctx, project_id, "identity:list_project_tags")
        tags = await repo.project_tags(s, [project_id])
    return ok({"tags": tags[project_id]})


@router.put("/v3/projects/{project_id}/tags")
async def update_project_tags(project_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("tags"), list):
        raise BadRequest("Invalid input for field 'tags': 'tags' is a required property.")
    from stratus.services.identity.resource import check_tags

    check_tags(body["tags"])
    async with svc.db.session() as s:
        row = await _project_for_tags(s, ctx, project_id, "identity:update_project_tags")
        await repo.set_project_tags(s, project_id, body["tags"])
        tags = await repo.project_tags(s, [project_id])
    return ok({**views.project(request, row, tags[project_id]), "tags": tags[project_id]})


@router.delete("/v3/projects/{project_id}/tags")
async def delete_project_tags(project_id: str, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.session() as s:
        await _project_for_tags(s, ctx, project_id, "identity:delete_project_tags")
        await repo.set_project_tags(s, project_id, [])
    return no_content()


@router.get("/v3/projects/{project_id}/tags/{tag}")
@router.head("/v3/projects/{project_id}/tags/{tag}")
async def get_project_tag(project_id: str, tag: str, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.reader() as s:
        await _project_for_tags(s, ctx, project_id, "identity:get_project_tag")
        tags = await repo.project_tags(s, [project_id])
    if tag not in tags[project_id]:
        raise not_found("tag", tag)
    return no_content()


@router.put("/v3/projects/{project_id}/tags/{tag}")
async def create_project_tag(
    project_id: str, tag: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    from stratus.services.identity.resource import check_tags

    async with svc.db.session() as s:
        await _project_for_tags(s, ctx, project_id, "identity:create_project_tag")
        tags = (await repo.project_tags(s, [project_id]))[project_id]
        if tag not in tags:
            check_tags([*tags, tag])
            await repo.set_project_tags(s, project_id, [*tags, tag])
    return Response(status_code=201, headers={"Location": str(request.url)})


@router.delete("/v3/projects/{project_id}/tags/{tag}")
async def delete_project_tag(project_id: str, tag: str, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.session() as s:
        await _project_for_tags(s, ctx, project_id, "identity:delete_project_tag")
        tags = (await repo.project_tags(s, [project_id]))[project_id]
        if tag not in tags:
            raise not_found("tag", tag)
        await repo.set_project_tags(s, project_id, [t for t in tags if t != tag])
    return no_content()
