"""Users (CRUD, own password change, their groups and projects), groups and membership."""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest
from stratus.services.identity import repository as repo
from stratus.services.identity import views
from stratus.services.identity.api.common import Svc, check_types, entity, no_content, ok, qbool
from stratus.services.identity.errors import AuthFailed
from stratus.services.identity.models import Group, Project, User

router = APIRouter()

_USER_KNOWN = {
    "id",
    "name",
    "domain_id",
    "enabled",
    "password",
    "default_project_id",
    "description",
    "email",
    "options",
    "links",
    "password_expires_at",
}
_USER_TYPES: dict[str, Any] = {
    "name": str,
    "domain_id": str,
    "enabled": bool,
    "password": (str, type(None)),
    "default_project_id": (str, type(None)),
    "description": (str, type(None)),
    "email": (str, type(None)),
    "options": dict,
}


def _user_fields(body: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in body.items() if k in _USER_KNOWN and k not in ("links", "id")}
    fields["extra"] = {k: v for k, v in body.items() if k not in _USER_KNOWN}
    return fields


async def _user_view(request: Request, svc: Svc, s: Any, user: User) -> dict[str, Any]:
    return views.user(request, user, await svc.users.current_password(s, user.id))


@router.get("/v3/users")
async def list_users(request: Request, ctx: Ctx, svc: Svc) -> Response:
    q = request.query_params
    ctx.can("identity:list_users", {"target.domain_id": q.get("domain_id")})
    where: dict[str, Any] = {}
    for key in ("name", "domain_id"):
        if key in q:
            where[key] = q[key]
    enabled = qbool(request, "enabled")
    if enabled is not None:
        where["enabled"] = enabled
    async with svc.db.reader() as s:
        rows = await repo.find(s, User, **where)
        items = [await _user_view(request, svc, s, u) for u in rows]
    if "password_expires_at" in q:
        items = _filter_expiry(items, q["password_expires_at"])
    return ok(views.collection(request, "users", items))


def _filter_expiry(items: list[dict[str, Any]], expr: str) -> list[dict[str, Any]]:
    op, _, value = expr.partition(":")
    if not value:
        op, value = "eq", expr
    ops = {
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "eq": lambda a, b: a == b,
        "neq": lambda a, b: a != b,
    }
    if op not in ops:
        raise BadRequest(f"Invalid operator {op} for password_expires_at.")
    from stratus.kit.timeutil import parse_isotime

    target = parse_isotime(value)
    out = []
    for item in items:
        raw = item.get("password_expires_at")
        if raw is None:
            continue
        if ops[op](parse_isotime(raw), target):
            out.append(item)
    return out


@router.post("/v3/users")
async def create_user(request: Request, ctx: Ctx, svc: Svc) -> Response:
    body = await entity(request, "user")
    check_types(body, _USER_TYPES, required=("name",), prefix="user.")
    domain_id = (
        body.get("domain_id")
        or ctx.authenticated.domain_id
        or ctx.authenticated.project_domain_id
        or "default"
    )
    ctx.can("identity:create_user", {"target.user.domain_id": domain_id})
    fields = _user_fields(body)
    fields["domain_id"] = domain_id
    async with svc.db.session() as s:
        await svc.resources.get_domain(s, domain_id)
        if fields.get("default_project_id"):
            project = await repo.get(s, Project, fields["default_project_id"])
            if project is not None and project.is_domain:
                raise BadRequest("The default project of a user cannot be a domain.")
        row = await svc.users.create(s, fields)
        view = await _user_view(request, svc, s, row)
    return ok({"user": view}, 201)


async def _load_user(s: Any, svc: Svc, ctx: Ctx, user_id: str, rule: str) -> User:
    row = await repo.get(s, User, user_id)
    if row is None:
        ctx.can(rule, {"target.user.id": user_id})
        from stratus.services.identity.errors import not_found

        raise not_found("user", user_id)
    ctx.can(
        rule, {"target.user.id": row.id, "target.user.domain_id": row.domain_id, "user_id": row.id}
    )
    return row


@router.get("/v3/users/{user_id}")
async def get_user(user_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.reader() as s:
        row = await _load_user(s, svc, ctx, user_id, "identity:get_user")
        view = await _user_view(request, svc, s, row)
    return ok({"user": view})


@router.patch("/v3/users/{user_id}")
async def update_user(user_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    body = await entity(request, "user")
    check_types(body, _USER_TYPES, prefix="user.")
    if "id" in body and body["id"] != user_id:
        raise BadRequest("Cannot change user ID.")
    async with svc.db.session() as s:
        await _load_user(s, svc, ctx, user_id, "identity:update_user")
        row = await svc.users.update(s, user_id, _user_fields(body))
        view = await _user_view(request, svc, s, row)
    return ok({"user": view})


@router.delete("/v3/users/{user_id}")
async def delete_user(user_id: str, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.session() as s:
        await _load_user(s, svc, ctx, user_id, "identity:delete_user")
        await svc.delete_user(s, user_id)
    return no_content()


@router.post("/v3/users/{user_id}/password")
async def change_password(user_id: str, request: Request, svc: Svc) -> Response:
    """Needs no token: a user whose password expired must still be able to change it."""
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("user"), dict):
        raise BadRequest("Invalid input for field 'user': 'user' is a required property.")
    user = body["user"]
    check_types(
        user,
        {"password": str, "original_password": str},
        required=("password", "original_password"),
        prefix="user.",
    )
    try:
        async with svc.db.session() as s:
            await svc.users.change_own_password(
                s, user_id, user["original_password"], user["password"]
            )
    except AuthFailed as err:
        if err.failed_user_id:
            async with svc.db.session() as s:
                await svc.users.record_failure(s, err.failed_user_id)
        raise
    return no_content()


@router.get("/v3/users/{user_id}/groups")
async def list_groups_for_user(user_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.reader() as s:
        await _load_user(s, svc, ctx, user_id, "identity:list_groups_for_user")
        groups = await svc.groups_of_user(s, user_id)
    return ok(views.collection(request, "groups", [views.group(request, g) for g in groups]))


@router.get("/v3/users/{user_id}/projects")
async def list_user_projects(user_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.reader() as s:
        await _load_user(s, svc, ctx, user_id, "identity:list_user_projects")
        projects = await svc.user_projects(s, user_id)
        tags = await repo.project_tags(s, [p.id for p in projects])
    return ok(
        views.collection(
            request, "projects", [views.project(request, p, tags[p.id]) for p in projects]
        )
    )


# -- groups ---------------------------------------------------------------------------------

_GROUP_TYPES: dict[str, Any] = {"name": str, "domain_id": str, "description": (str, type(None))}


def _group_target(g: Group) -> dict[str, Any]:
    return {"target.group.domain_id": g.domain_id, "target.group.id": g.id}


@router.get("/v3/groups")
async def list_groups(request: Request, ctx: Ctx, svc: Svc) -> Response:
    q = request.query_params
    ctx.can("identity:list_groups", {"target.group.domain_id": q.get("domain_id")})
    where = {k: q[k] for k in ("name", "domain_id") if k in q}
    async with svc.db.reader() as s:
        rows = await repo.find(s, Group, **where)
    return ok(views.collection(request, "groups", [views.group(request, g) for g in rows]))


@router.post("/v3/groups")
async def create_group(request: Request, ctx: Ctx, svc: Svc) -> Response:
    body = await entity(request, "group")
    check_types(body, _GROUP_TYPES, required=("name",), prefix="group.")
    domain_id = (
        body.get("domain_id")
        or ctx.authenticated.domain_id
        or ctx.authenticated.project_domain_id
        or "default"
    )
    ctx.can("identity:create_group", {"target.group.domain_id": domain_id})
    fields = {
        **body,
        "domain_id": domain_id,
        "extra": {k: v for k, v in body.items() if k not in _GROUP_TYPES and k != "id"},
    }
    async with svc.db.session() as s:
        await svc.resources.get_domain(s, domain_id)
        row = await svc.users.create_group(s, fields)
    return ok({"group": views.group(request, row)}, 201)


async def _load_group(s: Any, svc: Svc, ctx: Ctx, group_id: str, rule: str) -> Group:
    row = await svc.users.get_group(s, group_id)
    ctx.can(rule, _group_target(row))
    return row


@router.get("/v3/groups/{group_id}")
async def get_group(group_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.reader() as s:
        row = await _load_group(s, svc, ctx, group_id, "identity:get_group")
    return ok({"group": views.group(request, row)})


@router.patch("/v3/groups/{group_id}")
async def update_group(group_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    body = await entity(request, "group")
    check_types(body, _GROUP_TYPES, prefix="group.")
    async with svc.db.session() as s:
        await _load_group(s, svc, ctx, group_id, "identity:update_group")
        row = await svc.users.update_group(s, group_id, body)
    return ok({"group": views.group(request, row)})


@router.delete("/v3/groups/{group_id}")
async def delete_group(group_id: str, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.session() as s:
        await _load_group(s, svc, ctx, group_id, "identity:delete_group")
        await svc.delete_group(s, group_id)
    return no_content()


@router.get("/v3/groups/{group_id}/users")
async def list_users_in_group(group_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.reader() as s:
        await _load_group(s, svc, ctx, group_id, "identity:list_users_in_group")
        users = await repo.users_in_group(s, group_id)
        items = [await _user_view(request, svc, s, u) for u in users]
    return ok(views.collection(request, "users", items))


@router.put("/v3/groups/{group_id}/users/{user_id}")
async def add_user_to_group(group_id: str, user_id: str, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.session() as s:
        await _load_group(s, svc, ctx, group_id, "identity:add_user_to_group")
        await svc.users.add_member(s, group_id, user_id)
    svc.revoker.notify()
    return no_content()


@router.head("/v3/groups/{group_id}/users/{user_id}")
@router.get("/v3/groups/{group_id}/users/{user_id}")
async def check_user_in_group(group_id: str, user_id: str, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.reader() as s:
        await _load_group(s, svc, ctx, group_id, "identity:check_user_in_group")
        await svc.users.check_member(s, group_id, user_id)
    return no_content()


@router.delete("/v3/groups/{group_id}/users/{user_id}")
async def remove_user_from_group(group_id: str, user_id: str, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.session() as s:
        await _load_group(s, svc, ctx, group_id, "identity:remove_user_from_group")
        await svc.users.remove_member(s, group_id, user_id)
    return no_content()
