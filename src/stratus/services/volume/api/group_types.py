"""Group types (3.11): CRUD, group specs, the default group type."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest, NotFound
from stratus.services.volume import policies
from stratus.services.volume.api.common import accepted, body_of, reply, require, services
from stratus.services.volume.errors import InvalidInput
from stratus.services.volume.models import GroupType
from stratus.services.volume.views import group_type_view
from stratus.services.volume.volume import parse_bool

router = APIRouter(prefix="/v3/{project_id}")

_MINIMUM = "3.11"
_SORT_KEYS = ("id", "name", "description", "is_public", "created_at", "updated_at")
_KNOWN = {"name", "description", "is_public", "group_specs"}


def _view(ctx: Ctx, t: GroupType) -> dict[str, Any]:
    return group_type_view(t, show_specs=ctx.allows(policies.GROUP_TYPE_SHOW_SPECS))


def _name(value: Any, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or len(value) > 255:
        raise InvalidInput("name must be a string of at most 255 characters.")
    if not value.strip() and not allow_empty:
        raise InvalidInput("Group type name can not be empty.")
    return value.strip()


def _description(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 255:
        raise InvalidInput("description must be a string of at most 255 characters.")
    return value


def check_group_specs(specs: Any) -> dict[str, str]:
    if specs is None:
        return {}
    if not isinstance(specs, dict):
        raise InvalidInput("group_specs must be an object.")
    out: dict[str, str] = {}
    for key, value in specs.items():
        if not isinstance(key, str) or not 0 < len(key) <= 255:
            raise InvalidInput(f"Invalid group spec key {key!r}.")
        if not isinstance(value, str) or len(value) > 255:
            raise InvalidInput(f"Invalid group spec value for {key}: it must be a string.")
        out[key] = value
    return out


def _unknown(body: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(body) - allowed)
    if extra:
        raise InvalidInput(f"Additional properties are not allowed ({extra[0]!r} was unexpected)")


@router.get("/group_types")
async def list_group_types(request: Request, ctx: Ctx) -> Response:
    require(ctx, _MINIMUM)
    q = request.query_params
    is_public: bool | None = True
    raw = q.get("is_public")
    if ctx.is_admin and raw is not None:
        is_public = None if raw.strip().lower() == "none" else parse_bool(raw, "is_public")
    sort: list[tuple[str, str]] = []
    if q.get("sort"):
        for part in q["sort"].split(","):
            key, _, direction = part.strip().partition(":")
            sort.append((key, direction or "desc"))
    elif q.get("sort_key"):
        sort.append((q["sort_key"], q.get("sort_dir") or "desc"))
    for key, direction in sort:
        if key not in _SORT_KEYS:
            raise InvalidInput(f"Invalid sort key: {key}")
        if direction not in ("asc", "desc"):
            raise InvalidInput(f"Invalid sort direction: {direction}")
    rows = await services(request).group_types.list_types(ctx, is_public, sort)
    return reply({"group_types": [_view(ctx, t) for t in rows]})


@router.get("/group_types/default")
async def get_default_group_type(request: Request, ctx: Ctx) -> Response:
    require(ctx, _MINIMUM)
    row = await services(request).group_types.default()
    return reply({"group_type": _view(ctx, row)})


@router.get("/group_types/{type_id}")
async def get_group_type(type_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, _MINIMUM)
    row = await services(request).group_types.get(ctx, type_id)
    return reply({"group_type": _view(ctx, row)})


@router.post("/group_types")
async def create_group_type(request: Request, ctx: Ctx) -> Response:
    require(ctx, _MINIMUM)
    ctx.can(policies.GROUP_TYPE_CREATE)
    body = await body_of(request, "group_type")
    _unknown(body, _KNOWN)
    if "name" not in body:
        raise InvalidInput("'name' is a required property")
    row = await services(request).group_types.create(
        name=_name(body["name"]),
        description=_description(body.get("description")),
        is_public=parse_bool(body.get("is_public", True), "is_public"),
        group_specs=check_group_specs(body.get("group_specs")),
    )
    return reply({"group_type": _view(ctx, row)}, 202)


@router.put("/group_types/{type_id}")
async def update_group_type(type_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, _MINIMUM)
    ctx.can(policies.GROUP_TYPE_UPDATE)
    body = await body_of(request, "group_type")
    _unknown(body, {"name", "description", "is_public"})
    name = _name(body["name"], allow_empty=True) if body.get("name") is not None else None
    if body.get("name") is not None and not name:
        raise BadRequest("Group type name can not be empty.")
    description = _description(body.get("description"))
    is_public = (
        parse_bool(body["is_public"], "is_public") if body.get("is_public") is not None else None
    )
    if name is None and description is None and is_public is None:
        raise BadRequest("Specify group type name, description or a combination thereof.")
    row = await services(request).group_types.update(
        type_id, name=name, description=description, is_public=is_public
    )
    return reply({"group_type": _view(ctx, row)})


@router.delete("/group_types/{type_id}")
async def delete_group_type(type_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, _MINIMUM)
    ctx.can(policies.GROUP_TYPE_DELETE)
    await services(request).group_types.delete(type_id)
    return accepted()


# -- group specs -------------------------------------------------------------------------


@router.get("/group_types/{type_id}/group_specs")
async def list_group_specs(type_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, _MINIMUM)
    ctx.can(policies.GROUP_SPECS_GET_ALL)
    return reply({"group_specs": await services(request).group_types.specs(ctx, type_id)})


@router.post("/group_types/{type_id}/group_specs")
async def create_group_specs(type_id: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, _MINIMUM)
    ctx.can(policies.GROUP_SPECS_CREATE)
    data = await json_body(request)
    if not isinstance(data, dict) or "group_specs" not in data:
        raise BadRequest("Missing required element 'group_specs' in request body.")
    _unknown(data, {"group_specs"})
    specs = check_group_specs(data["group_specs"])
    await services(request).group_types.set_specs(type_id, specs)
    return reply({"group_specs": specs}, 202)


@router.get("/group_types/{type_id}/group_specs/{key}")
async def get_group_spec(type_id: str, key: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, _MINIMUM)
    ctx.can(policies.GROUP_SPECS_GET)
    specs = await services(request).group_types.specs(ctx, type_id)
    if key not in specs:
        raise NotFound(f"Group Type {type_id} has no extra spec with key {key}.")
    return reply({key: specs[key]})


@router.put("/group_types/{type_id}/group_specs/{key}")
async def update_group_spec(type_id: str, key: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, _MINIMUM)
    ctx.can(policies.GROUP_SPECS_UPDATE)
    data = await json_body(request)
    if not isinstance(data, dict) or len(data) != 1:
        raise BadRequest("Malformed request body: exactly one group spec is expected.")
    if key not in data:
        raise BadRequest("Request body and URI mismatch")
    specs = check_group_specs(data)
    await services(request).group_types.set_specs(type_id, specs)
    return reply(specs)


@router.delete("/group_types/{type_id}/group_specs/{key}")
async def delete_group_spec(type_id: str, key: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, _MINIMUM)
    ctx.can(policies.GROUP_SPECS_DELETE)
    await services(request).group_types.delete_spec(type_id, key)
    return accepted()
