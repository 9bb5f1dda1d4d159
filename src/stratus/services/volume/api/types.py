"""Volume types: CRUD, extra specs, project access, encryption types, default types."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest, NotFound
from stratus.services.volume import policies
from stratus.services.volume.api.common import accepted, body_of, reply, require, services, viewer
from stratus.services.volume.errors import InvalidInput
from stratus.services.volume.models import VolumeType
from stratus.services.volume.views import Viewer, type_view
from stratus.services.volume.volume import parse_bool
from stratus.services.volume.volume_type import check_specs

router = APIRouter(prefix="/v3/{project_id}")

# Extra specs a non-admin may see (cinder's user-visible keys).
_USER_VISIBLE = ("multiattach", "RESKEY:availability_zones", "replication_enabled")


def _view(t: VolumeType, v: Viewer) -> dict[str, Any]:
    out = type_view(t, v, show_specs=True, show_qos=v.is_admin)
    if not v.is_admin:
        out["extra_specs"] = {k: s for k, s in out["extra_specs"].items() if k in _USER_VISIBLE}
    return out


def _check_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise InvalidInput("Volume type name can not be empty and must be at most 255 characters.")
    return value.strip()


def _check_description(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 255:
        raise InvalidInput("Volume type description must be a string of at most 255 characters.")
    return value


@router.get("/types")
async def list_types(project_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.TYPE_GET_ALL)
    raw = request.query_params.get("is_public")
    is_public: bool | None = True if not ctx.is_admin else None
    if raw is not None:
        is_public = None if raw.lower() == "none" else parse_bool(raw, "is_public")
    elif ctx.is_admin:
        is_public = True
    rows = await services(request).types.list_types(ctx, is_public)
    v = viewer(request, ctx, project_id)
    specs_filter = {
        k[len("extra_specs") :].strip("[]"): val
        for k, val in request.query_params.items()
        if k.startswith("extra_specs")
    }
    out = [_view(t, v) for t in rows]
    if specs_filter:
        out = [
            t
            for t in out
            if all(t.get("extra_specs", {}).get(k) == val for k, val in specs_filter.items())
        ]
    return reply({"volume_types": out})


@router.post("/types")
async def create_type(project_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.TYPE_MANAGE_CREATE)
    body = await body_of(request, "volume_type")
    is_public = parse_bool(
        body.get("os-volume-type-access:is_public", body.get("is_public", True)), "is_public"
    )
    row = await services(request).types.create(
        name=_check_name(body.get("name")),
        description=_check_description(body.get("description")),
        is_public=is_public,
        extra_specs=check_specs(body.get("extra_specs") or {}),
    )
    out = _view(row, viewer(request, ctx, project_id))
    out.pop("qos_specs_id", None)
    return reply({"volume_type": out})


@router.get("/types/{type_id}")
async def get_type(project_id: str, type_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.TYPE_GET)
    row = await services(request).types.get(ctx, type_id)
    return reply({"volume_type": _view(row, viewer(request, ctx, project_id))})


@router.put("/types/{type_id}")
async def update_type(project_id: str, type_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.TYPE_MANAGE_UPDATE)
    body = await body_of(request, "volume_type")
    name = body.get("name")
    if name is not None:
        name = _check_name(name)
    has_description = "description" in body
    if name is None and not has_description and "is_public" not in body:
        raise InvalidInput(
            "Specify volume type name, description, is_public or a combination thereof."
        )
    is_public = parse_bool(body["is_public"], "is_public") if "is_public" in body else None
    row = await services(request).types.update(
        type_id,
        name=name,
        description=_check_description(body.get("description")),
        description_set=has_description,
        is_public=is_public,
    )
    out = _view(row, viewer(request, ctx, project_id))
    out.pop("qos_specs_id", None)
    out.pop("os-volume-type-access:is_public", None)
    return reply({"volume_type": out})


@router.delete("/types/{type_id}")
async def delete_type(type_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.TYPE_MANAGE_DELETE)
    await services(request).types.delete(type_id)
    return accepted()


# -- extra specs -------------------------------------------------------------------------


async def _specs(request: Request, ctx: Ctx, type_id: str) -> dict[str, str]:
    row = await services(request).types.get(ctx, type_id)
    specs = dict(row.extra_specs or {})
    if not ctx.is_admin:
        specs = {k: s for k, s in specs.items() if k in _USER_VISIBLE}
    return specs


@router.get("/types/{type_id}/extra_specs")
async def list_extra_specs(type_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.TYPE_EXTRA_SPECS_READ)
    return reply({"extra_specs": await _specs(request, ctx, type_id)})


@router.post("/types/{type_id}/extra_specs")
async def create_extra_specs(type_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.TYPE_EXTRA_SPECS_WRITE)
    data = await json_body(request)
    if not isinstance(data, dict) or "extra_specs" not in data:
        raise BadRequest("Missing required element 'extra_specs' in request body.")
    specs = check_specs(data["extra_specs"])
    await services(request).types.set_specs(type_id, specs)
    return reply({"extra_specs": specs})


@router.get("/types/{type_id}/extra_specs/{key}")
async def get_extra_spec(type_id: str, key: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.TYPE_EXTRA_SPECS_READ)
    specs = await _specs(request, ctx, type_id)
    if key not in specs:
        raise NotFound(f"Volume Type {type_id} has no extra specs with key {key}.")
    return reply({key: specs[key]})


@router.put("/types/{type_id}/extra_specs/{key}")
async def update_extra_spec(type_id: str, key: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.TYPE_EXTRA_SPECS_WRITE)
    data = await json_body(request)
    if not isinstance(data, dict):
        raise BadRequest("Malformed request body")
    if key not in data:
        raise BadRequest("Request body and URI mismatch")
    if len(data) > 1:
        raise BadRequest("Request body contains too many items")
    specs = check_specs(data)
    await services(request).types.set_specs(type_id, specs)
    return reply(specs)


@router.delete("/types/{type_id}/extra_specs/{key}")
async def delete_extra_spec(type_id: str, key: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.TYPE_EXTRA_SPECS_WRITE)
    await services(request).types.delete_spec(type_id, key)
    return accepted()


# -- access ------------------------------------------------------------------------------


@router.get("/types/{type_id}/os-volume-type-access")
async def list_type_access(type_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.TYPE_ACCESS)
    if not ctx.is_admin:
        ctx.can(policies.TYPE_ACCESS_ADD)
    projects = await services(request).types.access(type_id)
    return reply(
        {"volume_type_access": [{"volume_type_id": type_id, "project_id": p} for p in projects]}
    )


@router.post("/types/{type_id}/action")
async def type_action(type_id: str, request: Request, ctx: Ctx) -> Response:
    data = await json_body(request)
    if not isinstance(data, dict) or len(data) != 1:
        raise BadRequest("Invalid request body: exactly one action is expected.")
    ((action, args),) = data.items()
    if action not in ("addProjectAccess", "removeProjectAccess"):
        raise BadRequest(f"There is no such action: {action}")
    project = args.get("project") if isinstance(args, dict) else None
    if not isinstance(project, str) or not project:
        raise BadRequest("Missing required element 'project' in request body.")
    types = services(request).types
    if action == "addProjectAccess":
        ctx.can(policies.TYPE_ACCESS_ADD)
        await types.add_access(type_id, project)
    else:
        ctx.can(policies.TYPE_ACCESS_REMOVE)
        await types.remove_access(type_id, project)
    return accepted()


# -- encryption --------------------------------------------------------------------------


def _encryption(type_id: str, enc: dict[str, Any]) -> dict[str, Any]:
    return {
        "volume_type_id": type_id,
        "encryption_id": enc.get("encryption_id"),
        "provider": enc.get("provider"),
        "cipher": enc.get("cipher"),
        "key_size": enc.get("key_size"),
        "control_location": enc.get("control_location"),
        "deleted": False,
        "created_at": enc.get("created_at"),
        "updated_at": enc.get("updated_at"),
        "deleted_at": None,
    }


@router.get("/types/{type_id}/encryption")
async def get_encryption(type_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.TYPE_ENCRYPTION)
    enc = await services(request).types.encryption(type_id)
    return reply(_encryption(type_id, enc) if enc else {})


@router.get("/types/{type_id}/encryption/{key}")
async def get_encryption_key(type_id: str, key: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.TYPE_ENCRYPTION)
    enc = await services(request).types.encryption(type_id)
    view = _encryption(type_id, enc) if enc else {}
    if key not in view:
        raise NotFound(f"Volume type encryption for type {type_id} has no key {key}.")
    return reply({key: view[key]})


_ENCRYPTION_KEYS = {"provider", "cipher", "key_size", "control_location"}


async def _encryption_body(request: Request) -> dict[str, Any]:
    body: dict[str, Any] = await body_of(request, "encryption")
    unknown = set(body) - _ENCRYPTION_KEYS
    if unknown:
        raise InvalidInput(
            f"Additional properties are not allowed ({sorted(unknown)[0]!r} was unexpected)"
        )
    return body


@router.post("/types/{type_id}/encryption")
async def create_encryption(type_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.TYPE_ENCRYPTION)
    body = await _encryption_body(request)
    enc = await services(request).types.set_encryption(type_id, body, create=True)
    keys = ("volume_type_id", "encryption_id", "provider", "cipher", "key_size", "control_location")
    view = _encryption(type_id, enc)
    return reply({"encryption": {k: view[k] for k in keys}})


@router.put("/types/{type_id}/encryption/{encryption_id}")
async def update_encryption(
    type_id: str, encryption_id: str, request: Request, ctx: Ctx
) -> Response:
    ctx.can(policies.TYPE_ENCRYPTION)
    body = await _encryption_body(request)
    await services(request).types.set_encryption(type_id, body, create=False)
    return reply({"encryption": body})


@router.delete("/types/{type_id}/encryption/{encryption_id}")
async def delete_encryption(
    type_id: str, encryption_id: str, request: Request, ctx: Ctx
) -> Response:
    ctx.can(policies.TYPE_ENCRYPTION)
    await services(request).types.delete_encryption(type_id)
    return accepted()


# -- default types (3.62) ----------------------------------------------------------------


def _default(project_id: str, type_id: str) -> dict[str, str]:
    return {"project_id": project_id, "volume_type_id": type_id}


@router.put("/default-types/{target_project}")
async def set_default_type(target_project: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.62")
    ctx.can(policies.DEFAULT_TYPE_SET, {"project_id": target_project})
    body = await body_of(request, "default_type")
    ref = body.get("volume_type")
    if not isinstance(ref, str) or not ref:
        raise InvalidInput("volume_type is required.")
    row = await services(request).types.set_project_default(target_project, ref)
    return reply({"default_type": _default(row.project_id, row.volume_type_id)})


@router.get("/default-types/{target_project}")
async def get_default_type(target_project: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.62")
    ctx.can(policies.DEFAULT_TYPE_GET, {"project_id": target_project})
    row = await services(request).types.project_default(target_project)
    return reply({"default_type": _default(row.project_id, row.volume_type_id)})


@router.get("/default-types")
async def list_default_types(request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.62")
    ctx.can(policies.DEFAULT_TYPE_GET_ALL)
    rows = await services(request).types.project_defaults()
    return reply({"default_types": [_default(r.project_id, r.volume_type_id) for r in rows]})


@router.delete("/default-types/{target_project}")
async def unset_default_type(target_project: str, request: Request, ctx: Ctx) -> Response:
    require(ctx, "3.62")
    ctx.can(policies.DEFAULT_TYPE_UNSET, {"project_id": target_project})
    await services(request).types.unset_project_default(target_project)
    return Response(status_code=204)
