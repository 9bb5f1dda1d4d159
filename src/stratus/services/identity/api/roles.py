"""Roles, implied roles, grants on projects/domains/system (and OS-INHERIT), role assignments."""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest
from stratus.services.identity import repository as repo
from stratus.services.identity import views
from stratus.services.identity.api.common import Svc, check_types, entity, no_content, ok, qbool
from stratus.services.identity.errors import not_found
from stratus.services.identity.models import ROOT_DOMAIN, Group, Project, Role, User
from stratus.services.identity.role import SYSTEM_TARGET
from stratus.services.identity.service import AssignmentFilter

router = APIRouter()
_ROLE_TYPES: dict[str, Any] = {
    "name": str,
    "domain_id": (str, type(None)),
    "description": (str, type(None)),
    "options": dict,
}


def _rule(role: Role, action: str) -> str:
    return (
        f"identity:{action}_domain_role"
        if role.domain_id != ROOT_DOMAIN
        else f"identity:{action}_role"
    )


@router.get("/v3/roles")
async def list_roles(request: Request, ctx: Ctx, svc: Svc) -> Response:
    q = request.query_params
    domain_id = q.get("domain_id")
    ctx.can("identity:list_domain_roles" if domain_id else "identity:list_roles")
    where: dict[str, Any] = {"domain_id": domain_id or ROOT_DOMAIN}
    if "name" in q:
        where["name"] = q["name"]
    async with svc.db.reader() as s:
        rows = await repo.find(s, Role, **where)
    return ok(views.collection(request, "roles", [views.role(request, r) for r in rows]))


@router.post("/v3/roles")
async def create_role(request: Request, ctx: Ctx, svc: Svc) -> Response:
    body = await entity(request, "role")
    check_types(body, _ROLE_TYPES, required=("name",), prefix="role.")
    ctx.can("identity:create_domain_role" if body.get("domain_id") else "identity:create_role")
    async with svc.db.session() as s:
        row = await svc.roles.create(s, body)
    return ok({"role": views.role(request, row)}, 201)


@router.get("/v3/roles/{role_id}")
async def get_role(role_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.reader() as s:
        row = await svc.roles.get(s, role_id)
    ctx.can(_rule(row, "get"))
    return ok({"role": views.role(request, row)})


@router.patch("/v3/roles/{role_id}")
async def update_role(role_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    body = await entity(request, "role")
    check_types(body, _ROLE_TYPES, prefix="role.")
    async with svc.db.session() as s:
        row = await svc.roles.get(s, role_id)
        ctx.can(_rule(row, "update"))
        row = await svc.roles.update(s, role_id, body)
    return ok({"role": views.role(request, row)})


@router.delete("/v3/roles/{role_id}")
async def delete_role(role_id: str, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.session() as s:
        row = await svc.roles.get(s, role_id)
        ctx.can(_rule(row, "delete"))
        await svc.roles.delete(s, role_id)
    return no_content()


# -- implied roles --------------------------------------------------------------------------


def _implied_view(request: Request, prior: Role, implied: list[Role]) -> dict[str, Any]:
    return {
        "prior_role": views.role_ref(request, prior),
        "implies": [views.role_ref(request, r) for r in implied],
    }


@router.put("/v3/roles/{prior_id}/implies/{implied_id}")
async def create_implied_role(
    prior_id: str, implied_id: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:create_implied_role")
    async with svc.db.session() as s:
        await svc.roles.add_implied(s, prior_id, implied_id)
        prior, implied = await svc.roles.get(s, prior_id), await svc.roles.get(s, implied_id)
    body = {
        "role_inference": {
            "prior_role": views.role_ref(request, prior),
            "implies": views.role_ref(request, implied),
        },
        "links": {"self": f"{views.v3_base(request)}/roles/{prior_id}/implies/{implied_id}"},
    }
    return ok(body, 201)


@router.get("/v3/roles/{prior_id}/implies/{implied_id}")
async def get_implied_role(
    prior_id: str, implied_id: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:get_implied_role")
    async with svc.db.reader() as s:
        await svc.roles.get_implied(s, prior_id, implied_id)
        prior, implied = await svc.roles.get(s, prior_id), await svc.roles.get(s, implied_id)
    return ok(
        {
            "role_inference": {
                "prior_role": views.role_ref(request, prior),
                "implies": views.role_ref(request, implied),
            },
            "links": {"self": str(request.url)},
        }
    )


@router.head("/v3/roles/{prior_id}/implies/{implied_id}")
async def check_implied_role(prior_id: str, implied_id: str, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:check_implied_role")
    async with svc.db.reader() as s:
        await svc.roles.get_implied(s, prior_id, implied_id)
    return no_content()


@router.delete("/v3/roles/{prior_id}/implies/{implied_id}")
async def delete_implied_role(prior_id: str, implied_id: str, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:delete_implied_role")
    async with svc.db.session() as s:
        await svc.roles.delete_implied(s, prior_id, implied_id)
    return no_content()


@router.get("/v3/roles/{prior_id}/implies")
async def list_implied_roles(prior_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:list_implied_roles")
    async with svc.db.reader() as s:
        prior = await svc.roles.get(s, prior_id)
        implied_ids = (await svc.roles.implied_map(s)).get(prior_id, [])
        implied = list((await repo.roles_by_ids(s, implied_ids)).values())
    return ok(
        {
            "role_inference": _implied_view(request, prior, implied),
            "links": {"self": str(request.url)},
        }
    )


@router.get("/v3/role_inferences")
async def list_role_inference_rules(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:list_role_inference_rules")
    async with svc.db.reader() as s:
        graph = await svc.roles.implied_map(s)
        roles = await repo.roles_by_ids(s, [*graph, *(i for v in graph.values() for i in v)])
    items = [_implied_view(request, roles[p], [roles[i] for i in imp]) for p, imp in graph.items()]
    return ok({"role_inferences": items, "links": {"self": str(request.url)}})


# -- grants ---------------------------------------------------------------------------------


async def _grant_target(
    s: Any, svc: Svc, kind: str, target_id: str, actor_kind: str, actor_id: str
) -> dict[str, Any]:
    if kind == "Project":
        project = await repo.get(s, Project, target_id)
        if project is None or project.is_domain:
            raise not_found("project", target_id)
        domain_id = project.domain_id
    else:
        await svc.resources.get_domain(s, target_id)
        domain_id = target_id
    if actor_kind == "users":
        if await repo.get(s, User, actor_id) is None:
            raise not_found("user", actor_id)
    elif await repo.get(s, Group, actor_id) is None:
        raise not_found("group", actor_id)
    return {"target.domain.id": domain_id, "target.project.id": target_id}


_GRANT_PATHS = {"projects": "Project", "domains": "Domain"}


def _register_grants() -> None:
    for inherit in (False, True):
        prefix = "/v3/OS-INHERIT" if inherit else "/v3"
        suffix = "/inherited_to_projects" if inherit else ""
        path = prefix + "/{target_kind}/{target_id}/{actor_kind}/{actor_id}/roles"

        def make(inherited: bool, path: str = path, suffix: str = suffix) -> None:
            async def list_grants(
                target_kind: str,
                target_id: str,
                actor_kind: str,
                actor_id: str,
                request: Request,
                ctx: Ctx,
                svc: Svc,
            ) -> Response:
                kind = _kind(target_kind, actor_kind)
                async with svc.db.reader() as s:
                    target = await _grant_target(s, svc, kind, target_id, actor_kind, actor_id)
                    ctx.can("identity:list_grants", target)
                    rows = await repo.assignments(
                        s, actor_ids=[actor_id], target_ids=[target_id], inherited=inherited
                    )
                    roles = await repo.roles_by_ids(s, [r.role_id for r in rows])
                return ok(
                    views.collection(
                        request, "roles", [views.role(request, r) for r in roles.values()]
                    )
                )

            grant = _grant_handler("create_grant", "grant", inherited)
            check = _grant_handler("check_grant", "check", inherited)
            revoke = _grant_handler("revoke_grant", "revoke_grant", inherited)

            list_path = path + suffix
            role_path = path + "/{role_id}" + suffix
            router.add_api_route(list_path, list_grants, methods=["GET"])
            router.add_api_route(role_path, grant, methods=["PUT"])
            router.add_api_route(role_path, check, methods=["GET", "HEAD"])
            router.add_api_route(role_path, revoke, methods=["DELETE"])

        make(inherit)


def _grant_handler(rule: str, action: str, inherited: bool) -> Any:
    """One handler for PUT (grant), GET/HEAD (check) or DELETE (revoke) of a grant."""
    write = action != "check"

    async def handler(
        target_kind: str,
        target_id: str,
        actor_kind: str,
        actor_id: str,
        role_id: str,
        ctx: Ctx,
        svc: Svc,
    ) -> Response:
        kind = _kind(target_kind, actor_kind)
        async with svc.db.session() if write else svc.db.reader() as s:
            target = await _grant_target(s, svc, kind, target_id, actor_kind, actor_id)
            ctx.can(f"identity:{rule}", target)
            await getattr(svc.roles, action)(
                s,
                role_id=role_id,
                actor_id=actor_id,
                user=actor_kind == "users",
                target_kind=kind,
                target_id=target_id,
                inherited=inherited,
            )
        return no_content()

    return handler


def _kind(target_kind: str, actor_kind: str) -> str:
    if target_kind not in _GRANT_PATHS or actor_kind not in ("users", "groups"):
        raise not_found("resource", f"{target_kind}/{actor_kind}")
    return _GRANT_PATHS[target_kind]


_register_grants()


# -- system grants --------------------------------------------------------------------------


async def _actor(s: Any, actor_kind: str, actor_id: str) -> None:
    model = User if actor_kind == "users" else Group
    if actor_kind not in ("users", "groups"):
        raise not_found("resource", actor_kind)
    if await repo.get(s, model, actor_id) is None:
        raise not_found(actor_kind[:-1], actor_id)


def _sys_rule(action: str, actor_kind: str) -> str:
    return (
        f"identity:{action}_system_grant_for_{actor_kind[:-1]}"
        if action != "list"
        else f"identity:list_system_grants_for_{actor_kind[:-1]}"
    )


@router.get("/v3/system/{actor_kind}/{actor_id}/roles")
async def list_system_grants(
    actor_kind: str, actor_id: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    async with svc.db.reader() as s:
        await _actor(s, actor_kind, actor_id)
        ctx.can(_sys_rule("list", actor_kind))
        rows = await repo.assignments(s, actor_ids=[actor_id], target_ids=[SYSTEM_TARGET])
        roles = await repo.roles_by_ids(s, [r.role_id for r in rows])
    return ok(views.collection(request, "roles", [views.role(request, r) for r in roles.values()]))


@router.put("/v3/system/{actor_kind}/{actor_id}/roles/{role_id}")
async def create_system_grant(
    actor_kind: str, actor_id: str, role_id: str, ctx: Ctx, svc: Svc
) -> Response:
    async with svc.db.session() as s:
        await _actor(s, actor_kind, actor_id)
        ctx.can(_sys_rule("create", actor_kind))
        await svc.roles.grant(
            s,
            role_id=role_id,
            actor_id=actor_id,
            user=actor_kind == "users",
            target_kind="System",
            target_id=SYSTEM_TARGET,
        )
    return no_content()


@router.api_route("/v3/system/{actor_kind}/{actor_id}/roles/{role_id}", methods=["GET", "HEAD"])
async def check_system_grant(
    actor_kind: str, actor_id: str, role_id: str, ctx: Ctx, svc: Svc
) -> Response:
    async with svc.db.reader() as s:
        await _actor(s, actor_kind, actor_id)
        ctx.can(_sys_rule("check", actor_kind))
        await svc.roles.check(
            s,
            role_id=role_id,
            actor_id=actor_id,
            user=actor_kind == "users",
            target_kind="System",
            target_id=SYSTEM_TARGET,
        )
    return no_content()


@router.delete("/v3/system/{actor_kind}/{actor_id}/roles/{role_id}")
async def revoke_system_grant(
    actor_kind: str, actor_id: str, role_id: str, ctx: Ctx, svc: Svc
) -> Response:
    async with svc.db.session() as s:
        await _actor(s, actor_kind, actor_id)
        ctx.can(_sys_rule("revoke", actor_kind))
        await svc.roles.revoke_grant(
            s,
            role_id=role_id,
            actor_id=actor_id,
            user=actor_kind == "users",
            target_kind="System",
            target_id=SYSTEM_TARGET,
        )
    return no_content()


# -- role assignments -----------------------------------------------------------------------


@router.get("/v3/role_assignments")
async def list_role_assignments(request: Request, ctx: Ctx, svc: Svc) -> Response:
    q = request.query_params
    f = AssignmentFilter(
        user_id=q.get("user.id"),
        group_id=q.get("group.id"),
        role_id=q.get("role.id"),
        project_id=q.get("scope.project.id"),
        domain_id=q.get("scope.domain.id"),
        system="scope.system" in q,
        effective=bool(qbool(request, "effective")),
        include_subtree=bool(qbool(request, "include_subtree")),
    )
    if q.get("scope.OS-INHERIT:inherited_to") == "projects":
        f.inherited = True
    if f.effective and f.group_id:
        raise BadRequest(
            "Combining effective and group filter will always result in an empty list."
        )
    if f.include_subtree and not f.project_id:
        raise BadRequest(
            "scope.project.id needs to be specified if include_subtree is also specified"
        )
    if f.project_id and f.domain_id:
        raise BadRequest("Specify one of domain or project.")
    async with svc.db.reader() as s:
        if f.include_subtree and f.project_id:
            project = await svc.resources.get_project(s, f.project_id)
            ctx.can(
                "identity:list_role_assignments_for_tree",
                {"target.project.domain_id": project.domain_id},
            )
        else:
            ctx.can("identity:list_role_assignments", {"target.domain_id": f.domain_id})
        grants = await svc.list_assignments(s, f)
        names = await _names(s, grants) if qbool(request, "include_names") else None
    return ok(
        views.collection(
            request, "role_assignments", [views.grant(request, g, names) for g in grants]
        )
    )


async def _names(s: Any, grants: list[Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    domain_names = {d.id: d.name for d in await repo.find(s, Project, is_domain=True)}

    def dom(domain_id: str) -> dict[str, Any]:
        return {"id": domain_id, "name": domain_names.get(domain_id, "")}

    for role in (await repo.roles_by_ids(s, [g.role_id for g in grants])).values():
        out[role.id] = {"name": role.name}
        if role.domain_id != ROOT_DOMAIN:
            out[role.id]["domain"] = dom(role.domain_id)
    user_ids = {g.user_id for g in grants if g.user_id}
    for u in (await repo.find(s, User, id=list(user_ids))) if user_ids else []:
        out[u.id] = {"name": u.name, "domain": dom(u.domain_id)}
    group_ids = {g.group_id for g in grants if g.group_id}
    for grp in (await repo.find(s, Group, id=list(group_ids))) if group_ids else []:
        out[grp.id] = {"name": grp.name, "domain": dom(grp.domain_id)}
    target_ids = {g.project_id for g in grants if g.project_id} | {
        g.domain_id for g in grants if g.domain_id
    }
    for p in (await repo.find(s, Project, id=list(target_ids))) if target_ids else []:
        out[p.id] = (
            {"name": p.name} if p.is_domain else {"name": p.name, "domain": dom(p.domain_id)}
        )
    return out
