"""Server actions beyond power and lock (POST /servers/{id}/action): resize, confirm/revert,
migrate, os-migrateLive, evacuate, shelve/shelveOffload/unshelve, rescue/unrescue,
createImage, createBackup, trigger_crash_dump, changePassword, add/removeSecurityGroup,
os-resetNetwork; plus os-interface attach/detach, a server's os-security-groups and
os-server-external-events."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.context import RequestContext
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest, Gone, NotFound
from stratus.kit.ids import is_uuid_like
from stratus.services.compute import policies
from stratus.services.compute.action import (
    EVENT_NAMES,
    ActionService,
    ExternalEvent,
    InterfaceRequest,
)
from stratus.services.compute.api.common import links, no_content, reply, services, version
from stratus.services.compute.migration import LiveMigrateRequest, MoveService
from stratus.services.compute.models import Instance

router = APIRouter(prefix="/v2.1")


def _target(inst: Instance) -> dict[str, str]:
    return {"project_id": inst.project_id, "user_id": inst.user_id}


def _bad(action: str, why: str) -> BadRequest:
    return BadRequest(f"Invalid input for field/attribute {action}. {why}")


def _obj(
    action: str, args: Any, allowed: set[str], required: frozenset[str] | set[str] = frozenset()
) -> dict[str, Any]:
    """A JSON object body with exactly the keys nova's schema allows."""
    if not isinstance(args, dict):
        raise _bad(action, f"Value: {args}. {args!r} is not of type 'object'")
    extra = set(args) - allowed
    if extra:
        raise _bad(
            action,
            "Additional properties are not allowed "
            f"({', '.join(sorted(repr(e) for e in extra))} was unexpected)",
        )
    for key in sorted(required):
        if key not in args:
            raise _bad(action, f"'{key}' is a required property")
    return args


def _null(action: str, args: Any) -> None:
    if args is not None and args != {}:
        raise _bad(action, f"Value: {args}. {args!r} is not of type 'null'")


def _name(action: str, value: Any, key: str = "name") -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise _bad(key, f"Value: {value}.")
    return value


def _metadata(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and 1 <= len(k) <= 255 and len(v) <= 255
        for k, v in value.items()
    ):
        raise _bad("metadata", f"Value: {value}.")
    return dict(value)


def _moves(request: Request) -> MoveService:
    moves: MoveService = services(request).moves
    return moves


def _actions(request: Request) -> ActionService:
    actions: ActionService = services(request).actions
    return actions


def _image_answer(
    request: Request, ctx: RequestContext, image_id: str, *, location: bool = True
) -> Response:
    if version(ctx).at_least("2.45"):
        return reply({"image_id": image_id}, 202)
    if not location:
        # nova: a backup with rotation 0 (rotated away at once) gets no Location
        return no_content(202)
    # nova's Location: the image in its own (proxy) API, <compute>/v2.1/images/<id>
    href = f"{links(request).base}/v2.1/images/{image_id}"
    return Response(status_code=202, headers={"Location": href})


async def dispatch(
    request: Request, ctx: RequestContext, inst: Instance, name: str, args: Any
) -> Response | None:
    """Handle action ``name`` when it is one of these; None when it is not."""
    v = version(ctx)
    uuid = inst.uuid
    target = _target(inst)
    if name == "resize":
        ctx.can(policies.RESIZE, target)
        body = _obj(name, args, {"flavorRef", "OS-DCF:diskConfig"}, {"flavorRef"})
        ref = body["flavorRef"]
        if isinstance(ref, int) and not isinstance(ref, bool):
            ref = str(ref)
        if not isinstance(ref, str) or not ref:
            raise _bad("flavorRef", f"Value: {ref}.")
        disk_config = body.get("OS-DCF:diskConfig")
        if disk_config is not None and disk_config not in ("AUTO", "MANUAL"):
            raise _bad("OS-DCF:diskConfig", f"Value: {disk_config}.")
        await _moves(request).resize(ctx, uuid, ref, disk_config=disk_config)
        return no_content(202)
    if name in ("confirmResize", "revertResize"):
        ctx.can(
            policies.CONFIRM_RESIZE if name == "confirmResize" else policies.REVERT_RESIZE, target
        )
        _null(name, args)
        if name == "confirmResize":
            await _moves(request).confirm_resize(ctx, uuid)
            return no_content(204)
        await _moves(request).revert_resize(ctx, uuid)
        return no_content(202)
    if name == "migrate":
        ctx.can(policies.MIGRATE, target)
        host = None
        if v.at_least("2.56") and isinstance(args, dict):
            body = _obj(name, args, {"host"})
            host = body.get("host")
            if host is not None:
                ctx.can(policies.MIGRATE_HOST, target)
                if not isinstance(host, str) or not 1 <= len(host) <= 255:
                    raise _bad("host", f"Value: {host}.")
        else:
            _null(name, args)
        await _moves(request).migrate(ctx, uuid, host)
        return no_content(202)
    if name == "os-migrateLive":
        ctx.can(policies.MIGRATE_LIVE, target)
        allowed = {"block_migration", "host"}
        if not v.at_least("2.25"):
            allowed.add("disk_over_commit")
        if v.at_least("2.30") and not v.at_least("2.68"):
            allowed.add("force")
        required: set[str] = (
            {"block_migration", "host"}
            if v.at_least("2.25")
            else {
                "block_migration",
                "disk_over_commit",
                "host",
            }
        )
        body = _obj(name, args, allowed, required)
        block = body["block_migration"]
        if v.at_least("2.25"):
            if not (isinstance(block, bool) or block == "auto"):
                raise _bad("block_migration", f"Value: {block}.")
        elif not isinstance(block, bool):
            raise _bad("block_migration", f"Value: {block}.")
        host = body["host"]
        if host is not None and (not isinstance(host, str) or not 1 <= len(host) <= 255):
            raise _bad("host", f"Value: {host}.")
        force = body.get("force", False)
        if not isinstance(force, bool):
            raise _bad("force", f"Value: {force}.")
        await _moves(request).live_migrate(
            ctx, uuid, LiveMigrateRequest(host=host, block_migration=block, force=force)
        )
        return no_content(202)
    if name == "evacuate":
        ctx.can(policies.EVACUATE, target)
        allowed = {"host", "adminPass"}
        required = set()
        if not v.at_least("2.14"):
            allowed.add("onSharedStorage")
            required.add("onSharedStorage")
        if v.at_least("2.29") and not v.at_least("2.68"):
            allowed.add("force")
        body = _obj(name, args, allowed, required)
        host = body.get("host")
        if host is not None and (not isinstance(host, str) or not 1 <= len(host) <= 255):
            raise _bad("host", f"Value: {host}.")
        password = body.get("adminPass")
        if password is not None and not isinstance(password, str):
            raise _bad("adminPass", f"Value: {password}.")
        if body.get("onSharedStorage") and password is not None:
            raise BadRequest("admin password can't be changed on existing disk")
        await _moves(request).evacuate(ctx, uuid, host, password, stop=v.at_least("2.95"))
        if not v.at_least("2.14"):
            return reply({"adminPass": password or _generated()})
        return no_content(200)
    if name == "shelve":
        ctx.can(policies.SHELVE, target)
        _null(name, args)
        await _actions(request).shelve(ctx, uuid)
        return no_content(202)
    if name == "shelveOffload":
        ctx.can(policies.SHELVE_OFFLOAD, target)
        _null(name, args)
        await _actions(request).shelve_offload(ctx, uuid)
        return no_content(202)
    if name == "unshelve":
        ctx.can(policies.UNSHELVE, target)
        zone: str | None = None
        zone_given = False
        to_host: str | None = None
        if v.at_least("2.91"):
            # 2.91: an object (or null) with availability_zone (string, or null to unpin)
            # and/or host (admins: unshelve_to_host)
            body = {} if args is None else _obj(name, args, {"availability_zone", "host"})
            if "availability_zone" in body:
                zone = body["availability_zone"]
                zone_given = True
                if zone is not None and (not isinstance(zone, str) or not zone):
                    raise _bad("availability_zone", f"Value: {zone}.")
            if "host" in body:
                to_host = body["host"]
                if not isinstance(to_host, str):
                    raise _bad("host", f"Value: {to_host}. {to_host!r} is not of type 'string'")
                ctx.can(policies.UNSHELVE_TO_HOST, target)
        elif args is not None and v.at_least("2.77"):
            body = _obj(name, args, {"availability_zone"}, {"availability_zone"})
            zone = body["availability_zone"]
            zone_given = True
            if not isinstance(zone, str) or not 1 <= len(zone) <= 255:
                raise _bad("availability_zone", f"Value: {zone}.")
        else:
            _null(name, args)
        await _actions(request).unshelve(
            ctx, uuid, zone=zone, zone_given=zone_given, host=to_host or None
        )
        return no_content(202)
    if name == "rescue":
        ctx.can(policies.RESCUE, target)
        body = {} if args is None else _obj(name, args, {"adminPass", "rescue_image_ref"})
        password = body.get("adminPass")
        if password is not None and not isinstance(password, str):
            raise _bad("adminPass", f"Value: {password}.")
        ref = body.get("rescue_image_ref")
        if ref is not None and (not isinstance(ref, str) or not is_uuid_like(ref)):
            raise _bad("rescue_image_ref", f"Value: {ref}.")
        password = await _actions(request).rescue(
            ctx, uuid, image_ref=ref, password=password, allow_bfv=v.at_least("2.87")
        )
        return reply({"adminPass": password})
    if name == "unrescue":
        ctx.can(policies.UNRESCUE, target)
        _null(name, args)
        await _actions(request).unrescue(ctx, uuid)
        return no_content(202)
    if name == "createImage":
        ctx.can(policies.CREATE_IMAGE, target)
        body = _obj(name, args, {"name", "metadata"}, {"name"})
        image_id = await _actions(request).create_image(
            ctx, uuid, _name(name, body["name"]), _metadata(body.get("metadata"))
        )
        return _image_answer(request, ctx, image_id)
    if name == "createBackup":
        ctx.can(policies.CREATE_BACKUP, target)
        body = _obj(
            name,
            args,
            {"name", "backup_type", "rotation", "metadata"},
            {"name", "backup_type", "rotation"},
        )
        rotation = body["rotation"]
        try:
            rotation = int(rotation)
        except (TypeError, ValueError):
            raise _bad("rotation", f"Value: {rotation}.") from None
        if rotation < 0 or isinstance(body["rotation"], bool):
            raise _bad("rotation", f"Value: {rotation}.")
        backup_type = body["backup_type"]
        if not isinstance(backup_type, str) or not backup_type:
            raise _bad("backup_type", f"Value: {backup_type}.")
        backup_id = await _actions(request).create_backup(
            ctx,
            uuid,
            name=_name(name, body["name"]),
            backup_type=backup_type,
            rotation=rotation,
            metadata=_metadata(body.get("metadata")),
        )
        return _image_answer(request, ctx, backup_id, location=rotation > 0)
    if name == "trigger_crash_dump":
        if not v.at_least("2.17"):
            raise NotFound("There is no such action: trigger_crash_dump")
        ctx.can(policies.CRASH_DUMP, target)
        _null(name, args)
        await _actions(request).trigger_crash_dump(ctx, uuid)
        return no_content(202)
    if name == "changePassword":
        ctx.can(policies.CHANGE_PASSWORD, target)
        body = _obj(name, args, {"adminPass"}, {"adminPass"})
        if not isinstance(body["adminPass"], str):
            raise _bad("adminPass", f"Value: {body['adminPass']}.")
        await _actions(request).change_password(ctx, uuid, body["adminPass"])
        return no_content(202)
    if name in ("addSecurityGroup", "removeSecurityGroup"):
        add = name == "addSecurityGroup"
        ctx.can(policies.SECURITY_GROUPS_ADD if add else policies.SECURITY_GROUPS_REMOVE, target)
        body = _obj(name, args, {"name"}, {"name"})
        group = body["name"]
        if not isinstance(group, str) or not group.strip():
            raise _bad("name", f"Value: {group}.")
        await _actions(request).security_group(ctx, uuid, group, add=add)
        return no_content(202)
    if name == "os-resetNetwork":
        raise Gone("The resetNetwork action was removed with nova-network.")
    return None


def _generated() -> str:
    import secrets
    import string

    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(12))


# -- os-interface attach / detach ----------------------------------------------------------


@router.post("/servers/{server_id}/os-interface")
async def attach_interface(server_id: str, request: Request, ctx: Ctx) -> Response:
    inst = await services(request).servers.get(ctx, server_id)
    ctx.can(policies.INTERFACES_CREATE, _target(inst))
    data = await json_body(request)
    allowed = {"net_id", "port_id", "fixed_ips"}
    if version(ctx).at_least("2.49"):
        allowed.add("tag")
    if not isinstance(data, dict) or set(data) - {"interfaceAttachment"}:
        raise _bad("interfaceAttachment", "'interfaceAttachment' is a required property")
    body = _obj("interfaceAttachment", data.get("interfaceAttachment") or {}, allowed)
    req = InterfaceRequest(
        net_id=body.get("net_id"), port_id=body.get("port_id"), tag=body.get("tag")
    )
    for key in ("net_id", "port_id"):
        value = body.get(key)
        if value is not None and (not isinstance(value, str) or not is_uuid_like(value)):
            raise _bad(key, f"Value: {value}.")
    if req.net_id and req.port_id:
        raise BadRequest("Must not input both network_id and port_id")
    fixed = body.get("fixed_ips")
    if fixed is not None:
        if not isinstance(fixed, list) or len(fixed) != 1 or not isinstance(fixed[0], dict):
            raise _bad("fixed_ips", f"Value: {fixed}.")
        if not req.net_id:
            raise BadRequest("Must input network_id when request IP address")
        req.fixed_ips = [{"ip_address": str(fixed[0].get("ip_address"))}]
    if req.tag is not None and (not isinstance(req.tag, str) or len(req.tag) > 60):
        raise _bad("tag", f"Value: {req.tag}.")
    vif = await _actions(request).attach_interface(ctx, server_id, req)
    view = _interface(vif)
    if version(ctx).at_least("2.70"):
        view["tag"] = req.tag
    return reply({"interfaceAttachment": view})


def _interface(vif: dict[str, Any]) -> dict[str, Any]:
    ips = [
        {"subnet_id": sub["id"], "ip_address": ip}
        for sub in vif.get("subnets", [])
        for ip in sub.get("ips", [])
    ]
    return {
        "port_state": "ACTIVE" if vif.get("active") else "DOWN",
        "fixed_ips": ips,
        "port_id": vif["port_id"],
        "net_id": vif["network_id"],
        "mac_addr": vif["mac_address"],
    }


@router.delete("/servers/{server_id}/os-interface/{port_id}")
async def detach_interface(server_id: str, port_id: str, request: Request, ctx: Ctx) -> Response:
    inst = await services(request).servers.get(ctx, server_id)
    ctx.can(policies.INTERFACES_DELETE, _target(inst))
    await _actions(request).detach_interface(ctx, server_id, port_id)
    return no_content(202)


@router.get("/servers/{server_id}/os-security-groups")
async def list_server_security_groups(server_id: str, request: Request, ctx: Ctx) -> Response:
    inst = await services(request).servers.get(ctx, server_id)
    ctx.can(policies.SECURITY_GROUPS_LIST, _target(inst))
    groups = await _actions(request).security_groups_of(ctx, server_id)
    return reply(
        {
            "security_groups": [
                {
                    "id": g["id"],
                    "name": g["name"],
                    "description": g.get("description", ""),
                    "tenant_id": g.get("project_id"),
                    "rules": [],
                }
                for g in groups
            ]
        }
    )


# -- os-server-external-events -----------------------------------------------------------


@router.post("/os-server-external-events")
async def create_external_events(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.EXTERNAL_EVENTS)
    v = version(ctx)
    data = await json_body(request)
    if not isinstance(data, dict) or not isinstance(data.get("events"), list) or not data["events"]:
        raise _bad("events", "'events' is a required property")
    events: list[ExternalEvent] = []
    for raw in data["events"]:
        body = _obj(
            "events", raw, {"name", "server_uuid", "status", "tag"}, {"name", "server_uuid"}
        )
        name = body["name"]
        if name not in EVENT_NAMES or not v.at_least(EVENT_NAMES[name]):
            raise _bad("name", f"Value: {name}. {name!r} is not one of {sorted(EVENT_NAMES)}")
        status = body.get("status", "completed")
        if status not in ("failed", "completed", "in-progress"):
            raise _bad("status", f"Value: {status}.")
        tag = body.get("tag")
        if tag is not None and (not isinstance(tag, str) or len(tag) > 255):
            raise _bad("tag", f"Value: {tag}.")
        if not isinstance(body["server_uuid"], str):
            raise _bad("server_uuid", f"Value: {body['server_uuid']}.")
        events.append(ExternalEvent(name, body["server_uuid"], status, tag))
    done = await _actions(request).external_events(events, ctx)
    codes = {e.code for e in done}
    if codes == {404}:
        raise NotFound("No instances found for any event")
    status_code = 200 if codes == {200} else 207
    return reply({"events": [e.view() for e in done]}, status_code)
