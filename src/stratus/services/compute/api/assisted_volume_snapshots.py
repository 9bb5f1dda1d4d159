"""``/os-assisted-volume-snapshots``: create (POST, 200) and delete (DELETE with the
``delete_info`` query, 204), for block storage's file-based backends; nova's request schema
and its errors (400 for a volume attached nowhere or to several servers, a server without a
host or busy with a task). services/compute/assisted_snapshot.py does the work."""

import json
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest
from stratus.services.compute import assisted_snapshot, policies
from stratus.services.compute.api.common import body_of, no_content, reply, version

router = APIRouter(prefix="/v2.1")


def _service(request: Request) -> assisted_snapshot.AssistedSnapshots:
    svc: assisted_snapshot.AssistedSnapshots = request.app.state.assisted_snapshots
    return svc


def _bad(field: str, why: str) -> BadRequest:
    return BadRequest(f"Invalid input for field/attribute {field}. {why}")


def _string(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _bad(field, f"Value: {value}. {value!r} is not of type 'string'")
    if not value:
        raise _bad(field, f"Value: {value}. {value!r} is too short")
    return value


def _object(field: str, value: Any, allowed: set[str], required: list[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(field, f"Value: {value}. {value!r} is not of type 'object'")
    for key in required:
        if key not in value:
            raise _bad(field, f"Value: {value}. {key!r} is a required property")
    extra = sorted(set(value) - allowed)
    if extra:
        raise _bad(
            field,
            f"Value: {value}. Additional properties are not allowed "
            f"({', '.join(repr(k) for k in extra)} {'was' if len(extra) == 1 else 'were'} "
            "unexpected)",
        )
    return value


@router.post("/os-assisted-volume-snapshots")
async def create_assisted_volume_snapshot(request: Request, ctx: Ctx) -> Response:
    # No target: block storage calls this with a token of its own project, not the volume's.
    ctx.can(policies.ASSISTED_SNAPSHOTS_CREATE, {})
    snapshot = _object(
        "snapshot",
        await body_of(request, "snapshot"),
        {"volume_id", "create_info"},
        ["volume_id", "create_info"],
    )
    volume_id = _string("volume_id", snapshot["volume_id"])
    info = _object(
        "create_info",
        snapshot["create_info"],
        {"snapshot_id", "type", "new_file", "id"},
        ["snapshot_id", "type", "new_file"],
    )
    _string("snapshot_id", info["snapshot_id"])
    _string("new_file", info["new_file"])
    if "id" in info:
        _string("id", info["id"])
    if info["type"] != "qcow2":
        raise _bad("type", f"Value: {info['type']}. {info['type']!r} is not one of ['qcow2']")
    made = await _service(request).create(ctx, volume_id, info)
    return reply({"snapshot": made})


@router.delete("/os-assisted-volume-snapshots/{snapshot_id}")
async def delete_assisted_volume_snapshot(snapshot_id: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.ASSISTED_SNAPSHOTS_DELETE, {})
    query = request.query_params
    if version(ctx).at_least("2.75"):
        extra = sorted(set(query) - {"delete_info"})
        if extra:
            raise BadRequest(
                "Invalid input for query parameters delete_info. Additional properties are "
                f"not allowed ({', '.join(repr(k) for k in extra)} "
                f"{'was' if len(extra) == 1 else 'were'} unexpected)"
            )
    raw = query.get("delete_info")
    if raw is None:
        raise BadRequest("'delete_info'")
    try:
        delete_info = json.loads(raw)
    except ValueError as err:
        raise BadRequest(str(err)) from None
    if not isinstance(delete_info, dict) or "volume_id" not in delete_info:
        raise BadRequest("'volume_id'")
    volume_id = str(delete_info["volume_id"])
    await _service(request).delete(ctx, volume_id, snapshot_id, delete_info)
    return no_content(204)
