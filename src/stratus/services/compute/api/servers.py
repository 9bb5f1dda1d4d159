"""Servers: boot, list, show, update, delete, metadata, tags, instance actions, interfaces,
addresses. Server actions (reboot, resize, ...) answer 501."""

import ipaddress
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.context import RequestContext
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest, NotFound, NotImplementedYet
from stratus.kit.ids import is_uuid_like
from stratus.services.compute import hostname as hostnames
from stratus.services.compute import policies, volume_attachment  # (block storage)
from stratus.services.compute.api import actions, consoles, floating_ip_actions
from stratus.services.compute.api.common import (
    int_param,
    links,
    no_content,
    reply,
    services,
    version,
)
from stratus.services.compute.metadata import personality
from stratus.services.compute.models import Instance
from stratus.services.compute.server import BootRequest, NetworkRequest, decode_user_data
from stratus.services.compute.views import (
    Links,
    action_view,
    addresses,
    server_brief,
    server_detail,
)

router = APIRouter(prefix="/v2.1")

_SORT_KEYS = {
    "access_ip_v4",
    "access_ip_v6",
    "auto_disk_config",
    "availability_zone",
    "config_drive",
    "created_at",
    "display_description",
    "display_name",
    "host",
    "hostname",
    "image_ref",
    "instance_type_id",
    "kernel_id",
    "key_name",
    "launch_index",
    "launched_at",
    "locked",
    "locked_by",
    "node",
    "power_state",
    "progress",
    "project_id",
    "ramdisk_id",
    "root_device_name",
    "task_state",
    "terminated_at",
    "updated_at",
    "user_id",
    "uuid",
    "vm_state",
}
_SORT_COLUMNS = {
    "uuid",
    "display_name",
    "display_description",
    "created_at",
    "updated_at",
    "host",
    "node",
    "hostname",
    "image_ref",
    "key_name",
    "launch_index",
    "launched_at",
    "locked",
    "power_state",
    "progress",
    "project_id",
    "task_state",
    "terminated_at",
    "user_id",
    "vm_state",
    "availability_zone",
    "config_drive",
}
_LIST_PARAMS = {
    "all_tenants",
    "project_id",
    "tenant_id",
    "name",
    "status",
    "image",
    "flavor",
    "reservation_id",
    "changes-since",
    "changes-before",
    "deleted",
    "host",
    "node",
    "availability_zone",
    "user_id",
    "key_name",
    "locked",
    "ip",
    "ip6",
    "tags",
    "tags-any",
    "not-tags",
    "not-tags-any",
    "limit",
    "marker",
    "sort_key",
    "sort_dir",
    "description",
    "display_name",
    "display_description",
    "hostname",
    "uuid",
    "vm_state",
    "task_state",
    "power_state",
    "config_drive",
    "access_ip_v4",
    "access_ip_v6",
    "created_at",
    "launched_at",
    "terminated_at",
    "launch_index",
    "progress",
    "kernel_id",
    "ramdisk_id",
    "root_device_name",
    "auto_disk_config",
    "locked_by",
    "pinned_availability_zone",
    "instance_type_id",
    "accessIPv4",
    "accessIPv6",
    "fields",
    "block_device_mapping",
}
_ADMIN_ONLY_FILTERS = {"host", "node", "deleted", "user_id", "tenant_id", "project_id"}


def _target(inst: Instance) -> dict[str, str]:
    return {"project_id": inst.project_id, "user_id": inst.user_id}


def _detail(
    request: Request,
    ctx: RequestContext,
    inst: Instance,
    *,
    groups: list[str] | None = None,
    seen: dict[tuple[str, str], tuple[bool, bool, bool]] | None = None,
    lk: Links | None = None,
) -> dict[str, Any]:
    """One server's detail view; ``seen`` keeps the policy answers of a list per owner (they
    depend on the caller and the owner only)."""
    key = (inst.project_id, inst.user_id)
    answers = seen.get(key) if seen is not None else None
    if answers is None:
        target = _target(inst)
        answers = (
            ctx.allows(policies.EXT_SRV_ATTR, target),
            ctx.allows(policies.EXTRA_SPECS_INDEX),
            ctx.allows(policies.SERVERS_SHOW_HOST_STATUS, target),
        )
        if seen is not None:
            seen[key] = answers
    return server_detail(
        inst,
        version(ctx),
        lk or links(request),
        admin_attrs=answers[0],
        show_extra_specs=answers[1],
        show_host_status=answers[2],
        host_status="UP" if inst.host else "",
        server_groups=groups,
        fault_details=ctx.is_admin,
    )


async def _list(request: Request, ctx: RequestContext, *, detail: bool) -> Response:
    v = version(ctx)
    q = request.query_params
    policy = policies.SERVERS_DETAIL if detail else policies.SERVERS_INDEX
    ctx.can(policy, {"project_id": ctx.project_id})
    if v.at_least("2.75"):
        unknown = set(q) - _LIST_PARAMS
        if unknown:
            raise BadRequest(
                "Invalid input for query parameters: additional properties are not allowed "
                f"({', '.join(sorted(unknown))})"
            )
    all_tenants = "all_tenants" in q and q.get("all_tenants", "").lower() not in ("0", "false")
    if all_tenants:
        ctx.can(policies.SERVERS_DETAIL_ALL if detail else policies.SERVERS_INDEX_ALL)
    filters = {k: q[k] for k in q if k not in ("limit", "marker", "sort_key", "sort_dir")}
    if not ctx.allows(policies.SERVERS_ALLOW_ALL_FILTERS):
        for key in _ADMIN_ONLY_FILTERS:
            filters.pop(key, None)
    if "status" in filters and not v.at_least("2.38"):
        from stratus.services.compute.server import STATUS_TO_VM_STATE

        if any(s.strip().upper() not in STATUS_TO_VM_STATE for s in filters["status"].split(",")):
            return reply({"servers": []})
    sort: list[tuple[str, str]] = []
    keys, dirs = q.getlist("sort_key"), q.getlist("sort_dir")
    for i, key in enumerate(keys):
        if key not in _SORT_KEYS:
            raise BadRequest(f"Invalid input for query parameters sort_key. Value: {key}.")
        direction = dirs[i] if i < len(dirs) else "desc"
        if direction not in ("asc", "desc"):
            raise BadRequest(f"Invalid input for query parameters sort_dir. Value: {direction}.")
        if key in _SORT_COLUMNS:
            sort.append((key, direction))
    if not sort:
        sort = [("created_at", "desc")]
    tags = {
        k: [t for v_ in q.getlist(k) for t in v_.split(",") if t]
        for k in ("tags", "tags-any", "not-tags", "not-tags-any")
        if k in q
    }
    limit = int_param(request, "limit")
    # block storage (issue 8): os-extended-volumes:volumes_attached, read with the servers
    mappings: dict[str, list[Any]] = {}

    async def volumes(session: Any, found: list[Instance]) -> None:
        mappings.update(await volume_attachment.mappings_in(session, [r.uuid for r in found]))

    rows = await services(request).servers.list_servers(
        ctx,
        all_tenants=all_tenants,
        filters=filters,
        tags=tags,
        sort=sort,
        limit=limit,
        marker=q.get("marker"),
        also=volumes if detail else None,
    )
    lk = links(request)
    seen: dict[tuple[str, str], tuple[bool, bool, bool]] = {}
    items = [
        _detail(request, ctx, r, seen=seen, lk=lk) if detail else server_brief(r, lk) for r in rows
    ]
    if detail:
        volume_attachment.fill_volumes_attached(items, mappings, version(ctx))
    body: dict[str, Any] = {"servers": items}
    if limit and len(rows) == limit:
        path = "servers/detail" if detail else "servers"
        body["servers_links"] = [
            {"rel": "next", "href": f"{lk.base}/v2.1/{path}?limit={limit}&marker={rows[-1].uuid}"}
        ]
    return reply(body)


@router.get("/servers")
async def list_servers(request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, detail=False)


@router.get("/servers/detail")
async def list_servers_detail(request: Request, ctx: Ctx) -> Response:
    return await _list(request, ctx, detail=True)


@router.get("/servers/{server_id}")
async def get_server(server_id: str, request: Request, ctx: Ctx) -> Response:
    # block storage (issue 8): os-extended-volumes:volumes_attached, read with the server
    mappings: dict[str, list[Any]] = {}

    async def volumes(session: Any, found: list[Instance]) -> None:
        mappings.update(await volume_attachment.mappings_in(session, [r.uuid for r in found]))

    inst = await services(request).servers.get(ctx, server_id, also=volumes)
    ctx.can(policies.SERVERS_SHOW, _target(inst))
    groups = None
    if version(ctx).at_least("2.71"):  # server_groups shows from 2.71 only: no query before
        groups = await services(request).servers.group_ids(inst.uuid)
    view = _detail(request, ctx, inst, groups=groups)
    volume_attachment.fill_volumes_attached([view], mappings, version(ctx))
    return reply({"server": view})


def _bad(field: str, value: Any, why: str = "") -> BadRequest:
    return BadRequest(f"Invalid input for field/attribute {field}. Value: {value}. {why}".strip())


def _str(body: dict[str, Any], key: str, *, max_len: int = 255, min_len: int = 0) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not min_len <= len(value) <= max_len:
        raise _bad(key, value, "is not a valid string")
    return value


def _ip(value: Any) -> str | None:
    """An address as nova stores it: normalised (``::babe:dc0c:1602``), or None."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise BadRequest(f"Invalid input for field/attribute address. Value: {value}.") from None


_SERVER_KEYS = {
    "name",
    "imageRef",
    "flavorRef",
    "networks",
    "key_name",
    "user_data",
    "metadata",
    "security_groups",
    "availability_zone",
    "min_count",
    "max_count",
    "return_reservation_id",
    "accessIPv4",
    "accessIPv6",
    "config_drive",
    "adminPass",
    "OS-DCF:diskConfig",
    "block_device_mapping_v2",
    "block_device_mapping",
    "personality",
}


def parse_boot(data: Any, ctx: RequestContext) -> tuple[BootRequest, bool]:
    v = version(ctx)
    if not isinstance(data, dict) or not isinstance(data.get("server"), dict):
        raise BadRequest(
            "Invalid input for field/attribute server. 'server' is a required property"
        )
    body: dict[str, Any] = data["server"]
    allowed = set(_SERVER_KEYS)
    if v.at_least("2.19"):
        allowed.add("description")
    if v.at_least("2.52"):
        allowed.add("tags")
    if v.at_least("2.74"):
        allowed |= {"host", "hypervisor_hostname"}
    if v.at_least("2.57"):
        allowed.discard("personality")
    if hostnames.accepted(v):
        allowed.add("hostname")
    extra = set(body) - allowed
    if extra:
        raise BadRequest(
            "Invalid input for field/attribute server. Additional properties are not allowed "
            f"({', '.join(sorted(repr(e) for e in extra))} was unexpected)"
        )
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 255 or name.strip() != name:
        raise _bad("name", name, "is not a valid name")
    flavor_ref = body.get("flavorRef")
    if not isinstance(flavor_ref, str | int) or not str(flavor_ref):
        raise BadRequest(
            "Invalid input for field/attribute server. 'flavorRef' is a required property"
        )
    image_ref = body.get("imageRef", "")
    if not isinstance(image_ref, str):
        raise _bad("imageRef", image_ref)
    bdm = body.get("block_device_mapping_v2")
    if bdm:
        if not isinstance(bdm, list):
            raise _bad("block_device_mapping_v2", bdm, "is not of type 'array'")
        for item in bdm:
            if isinstance(item, dict) and item.get("destination_type") == "volume":
                continue  # block storage (issue 8): compute/volume_attachment.py takes these
            if isinstance(item, dict) and item.get("destination_type") not in (None, "local"):
                raise _bad("destination_type", item.get("destination_type"), "is not valid")
            if not (
                isinstance(item, dict)
                and item.get("source_type") == "image"
                and item.get("destination_type", "local") == "local"
            ):
                raise NotImplementedYet(
                    "Block device mappings other than image -> local need the block storage "
                    "service, not implemented by Stratus yet."
                )
            image_ref = image_ref or str(item.get("uuid") or "")
    if body.get("block_device_mapping") and body.get("block_device_mapping_v2"):
        raise BadRequest("Using different block_device_mapping syntaxes is not allowed")
    # block storage (issue 8): the legacy block_device_mapping is volume_attachment.py's too
    files = personality.parse(body.get("personality"))
    networks_raw = body.get("networks")
    networks: str | list[NetworkRequest] | None
    if networks_raw is None:
        if v.at_least("2.37"):
            raise BadRequest(
                "Invalid input for field/attribute server. 'networks' is a required property"
            )
        networks = None
    elif isinstance(networks_raw, str):
        if not v.at_least("2.37") or networks_raw not in ("auto", "none"):
            raise _bad("networks", networks_raw, "is not of type 'array'")
        networks = networks_raw
    elif isinstance(networks_raw, list):
        networks = []
        for item in networks_raw:
            if not isinstance(item, dict):
                raise _bad("networks", item, "is not of type 'object'")
            keys = {"uuid", "port", "fixed_ip"} | ({"tag"} if v.at_least("2.32") else set())
            if set(item) - keys:
                raise _bad("networks", item, "Additional properties are not allowed")
            uuid, port = item.get("uuid"), item.get("port")
            if port is not None and (not isinstance(port, str) or not is_uuid_like(port)):
                raise _bad("port", port, "is not a 'uuid'")
            if uuid is not None and (not isinstance(uuid, str) or not is_uuid_like(uuid)):
                raise BadRequest(
                    f"Bad networks format: network uuid is not in proper format ({uuid})"
                )
            if not uuid and not port:
                raise BadRequest("Bad network format: missing 'uuid'")
            fixed_ip = item.get("fixed_ip")
            if fixed_ip is not None:
                try:
                    ipaddress.ip_address(fixed_ip)
                except (ValueError, TypeError):
                    raise BadRequest(f"Invalid fixed IP address ({fixed_ip})") from None
            networks.append(
                NetworkRequest(
                    network_id=uuid, port_id=port, fixed_ip=fixed_ip, tag=item.get("tag")
                )
            )
    else:
        raise _bad("networks", networks_raw, "is not of type 'array'")
    metadata = body.get("metadata", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and 1 <= len(k) <= 255 and isinstance(val, str) and len(val) <= 255
        for k, val in metadata.items()
    ):
        raise _bad("metadata", metadata, "is not a valid metadata object")
    groups = body.get("security_groups", [])
    if not isinstance(groups, list) or not all(
        isinstance(g, dict) and isinstance(g.get("name"), str) for g in groups
    ):
        raise _bad("security_groups", groups)
    counts: dict[str, int] = {}
    for key in ("min_count", "max_count"):
        raw = body.get(key, counts.get("min_count", 1) if key == "max_count" else 1)
        if isinstance(raw, bool) or not (
            isinstance(raw, int) or (isinstance(raw, str) and raw.isdigit())
        ):
            raise _bad(key, raw, "is not of type 'integer'")
        counts[key] = int(raw)
        if counts[key] < 1:
            raise _bad(key, raw, "is less than the minimum of 1")
    if "max_count" not in body:
        counts["max_count"] = counts["min_count"]
    user_data = body.get("user_data")
    if user_data is not None:
        if not isinstance(user_data, str):
            raise _bad("user_data", user_data)
        decode_user_data(user_data)
    tags = body.get("tags", [])
    if (
        not isinstance(tags, list)
        or len(tags) > 50
        or not all(
            isinstance(t, str) and 1 <= len(t) <= 60 and "/" not in t and "," not in t for t in tags
        )
    ):
        raise _bad("tags", tags)
    disk_config = body.get("OS-DCF:diskConfig", "MANUAL")
    if disk_config not in ("AUTO", "MANUAL"):
        raise _bad("OS-DCF:diskConfig", disk_config)
    for key in ("accessIPv4", "accessIPv6"):
        if body.get(key):
            try:
                ipaddress.ip_address(body[key])
            except ValueError:
                raise _bad(key, body[key], "is not a valid IP address") from None
    config_drive = body.get("config_drive", False)
    if isinstance(config_drive, str):
        config_drive = config_drive.lower() in ("true", "1", "yes")
    hints = data.get("os:scheduler_hints") or data.get("OS-SCH-HNT:scheduler_hints") or {}
    if not isinstance(hints, dict):
        raise _bad("os:scheduler_hints", hints)
    req = BootRequest(
        personality=files,
        name=name,
        flavor_ref=str(flavor_ref),
        image_ref=image_ref,
        networks=networks,
        key_name=_str(body, "key_name"),
        user_data=user_data,
        metadata=dict(metadata),
        security_groups=[g["name"] for g in groups],
        availability_zone=_str(body, "availability_zone", min_len=1),
        host=_str(body, "host", min_len=1),
        hypervisor_hostname=_str(body, "hypervisor_hostname", min_len=1),
        min_count=counts["min_count"],
        max_count=counts["max_count"],
        description=_str(body, "description"),
        tags=list(tags),
        access_ip_v4=_ip(body.get("accessIPv4")),
        access_ip_v6=_ip(body.get("accessIPv6")),
        config_drive=bool(config_drive),
        disk_config=disk_config,
        admin_pass=_str(body, "adminPass"),
        hints=dict(hints),
        hostname=hostnames.for_boot(body, v, counts["max_count"]),
    )
    return req, bool(body.get("return_reservation_id"))


@router.post("/servers")
async def create_server(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.SERVERS_CREATE, {"project_id": ctx.project_id})
    raw_body = await json_body(request)
    req, want_reservation = parse_boot(raw_body, ctx)
    if isinstance(req.networks, list) and req.networks:
        ctx.can(policies.SERVERS_CREATE_ATTACH_NETWORK, {"project_id": ctx.project_id})
    if req.availability_zone and ":" in req.availability_zone:
        ctx.can(policies.SERVERS_CREATE_FORCED_HOST, {"project_id": ctx.project_id})
    if req.host or req.hypervisor_hostname:
        ctx.can(policies.SERVERS_CREATE_REQUESTED_DESTINATION, {"project_id": ctx.project_id})
    # block storage (issue 8): volumes of block_device_mapping_v2 are made before the server
    vols = volume_attachment.service_for(request.app.state.runtime)
    boot_volumes = volume_attachment.parse_block_devices(
        raw_body["server"].get("block_device_mapping_v2")
    ) + volume_attachment.parse_legacy_block_devices(raw_body["server"].get("block_device_mapping"))
    req.boot_from_volume = any(b.boot_index == 0 for b in boot_volumes)
    if boot_volumes and req.max_count > 1:
        raise BadRequest("Booting several servers with volume block devices is not supported.")
    await vols.prepare_boot(ctx, boot_volumes)
    try:
        result = await services(request).servers.boot(ctx, req)
    except BaseException:
        await vols.abandon_boot(ctx, boot_volumes)
        raise
    if boot_volumes:
        await vols.attach_boot(ctx, result.instances[0], boot_volumes)
    if want_reservation:
        return reply({"reservation_id": result.reservation_id}, 202)
    first = result.instances[0]
    lk = links(request)
    body = {
        "id": first.uuid,
        "links": lk.pair(f"servers/{first.uuid}"),
        "OS-DCF:diskConfig": first.disk_config,
        "security_groups": [{"name": n} for n in first.security_groups],
        "adminPass": result.admin_pass,
    }
    return reply({"server": body}, 202, {"Location": f"{lk.base}/v2.1/servers/{first.uuid}"})


@router.put("/servers/{server_id}")
async def update_server(server_id: str, request: Request, ctx: Ctx) -> Response:
    svc = services(request).servers
    inst = await svc.get(ctx, server_id)
    ctx.can(policies.SERVERS_UPDATE, _target(inst))
    data = await json_body(request)
    if not isinstance(data, dict) or not isinstance(data.get("server"), dict):
        raise BadRequest(
            "Invalid input for field/attribute server. 'server' is a required property"
        )
    body = data["server"]
    allowed = {"name", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig"}
    if version(ctx).at_least("2.19"):
        allowed.add("description")
    if hostnames.accepted(version(ctx)):
        allowed.add("hostname")
        hostnames.from_body(body, version(ctx))
    extra = set(body) - allowed
    if extra:
        raise BadRequest(
            "Invalid input for field/attribute server. Additional properties are not allowed "
            f"({', '.join(sorted(repr(e) for e in extra))} was unexpected)"
        )
    if "name" in body and (not isinstance(body["name"], str) or not 1 <= len(body["name"]) <= 255):
        raise _bad("name", body["name"])
    if (
        "description" in body
        and body["description"] is not None
        and (not isinstance(body["description"], str) or len(body["description"]) > 255)
    ):
        raise _bad("description", body["description"])
    for key in ("accessIPv4", "accessIPv6"):
        if key in body:
            body[key] = _ip(body[key])
    inst = await svc.update(ctx, server_id, body)
    groups = await svc.group_ids(inst.uuid)
    view = _detail(request, ctx, inst, groups=groups)
    return reply({"server": _reduced(view, ctx)})


def _reduced(view: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    if not version(ctx).at_least("2.75"):
        # Before 2.75 nova's update and rebuild answers leave out the extended attributes.
        for key in list(view):
            if key.startswith(("OS-EXT-", "OS-SRV-USG:", "os-extended-volumes:")) or key in (
                "config_drive",
                "key_name",
                "security_groups",
                "host_status",
                "server_groups",
            ):
                del view[key]
        for entries in view["addresses"].values():
            for entry in entries:
                entry.pop("OS-EXT-IPS:type", None)
                entry.pop("OS-EXT-IPS-MAC:mac_addr", None)
    return view


_REBUILD_KEYS = {
    "imageRef",
    "name",
    "adminPass",
    "metadata",
    "accessIPv4",
    "accessIPv6",
    "OS-DCF:diskConfig",
    "preserve_ephemeral",
    "personality",
}


async def _rebuild(request: Request, ctx: RequestContext, server_id: str, args: Any) -> Response:
    v = version(ctx)
    if not isinstance(args, dict) or not isinstance(args.get("imageRef"), str):
        raise BadRequest(
            "Invalid input for field/attribute rebuild. 'imageRef' is a required property"
        )
    allowed = set(_REBUILD_KEYS)
    if v.at_least("2.19"):
        allowed.add("description")
    if v.at_least("2.54"):
        allowed.add("key_name")
    if v.at_least("2.57"):
        allowed.add("user_data")
        allowed.discard("personality")
    if v.at_least("2.63"):
        allowed.add("trusted_image_certificates")
    if hostnames.accepted(v):
        allowed.add("hostname")
        hostnames.from_body(args, v)
    extra = set(args) - allowed
    if extra:
        raise BadRequest(
            "Invalid input for field/attribute rebuild. Additional properties are not allowed "
            f"({', '.join(sorted(repr(e) for e in extra))} was unexpected)"
        )
    files = personality.parse(args.get("personality")) if "personality" in args else None
    changes = {k: v_ for k, v_ in args.items() if k not in ("imageRef", "personality")}
    if "name" in changes and (
        not isinstance(changes["name"], str) or not 1 <= len(changes["name"]) <= 255
    ):
        raise _bad("name", changes["name"])
    if "metadata" in changes and not isinstance(changes["metadata"], dict):
        raise _bad("metadata", changes["metadata"])
    for key in ("accessIPv4", "accessIPv6"):
        if key in changes:
            changes[key] = _ip(changes[key])
    svc = services(request).servers
    if "key_name" in changes and changes["key_name"] is not None:
        try:
            pair = await services(request).keypairs.get(ctx.user_id, changes["key_name"])
        except NotFound:
            raise BadRequest("Invalid key_name provided.") from None
        changes["key_data"] = pair.public_key
    elif "key_name" in changes:
        changes["key_data"] = None
    if changes.get("user_data") is not None:
        decode_user_data(changes["user_data"])
    metadata = services(request).metadata
    if files is not None and metadata is not None:
        await metadata.check_files((await svc.get(ctx, server_id)).project_id, files)
    await volume_attachment.service_for(request.app.state.runtime).rebuild_root(
        ctx, await svc.get(ctx, server_id), args["imageRef"], reimage=v.at_least("2.93")
    )
    inst, password = await svc.rebuild(ctx, server_id, args["imageRef"], changes)
    if files is not None and metadata is not None:
        await metadata.rebuilt(inst.uuid, files)
    groups = await svc.group_ids(inst.uuid)
    view = _reduced(_detail(request, ctx, inst, groups=groups), ctx)
    if v.at_least("2.54"):
        view["key_name"] = inst.key_name
    if v.at_least("2.57"):
        # rebuild answers user_data under its own name (not the extended attribute)
        view.pop("OS-EXT-SRV-ATTR:user_data", None)
        view["user_data"] = inst.user_data
    view["adminPass"] = password
    return reply({"server": view}, 202)


@router.delete("/servers/{server_id}")
async def delete_server(server_id: str, request: Request, ctx: Ctx) -> Response:
    # the policy is checked on the row the delete reads (no separate lookup first)
    await services(request).servers.delete(ctx, server_id, policy=policies.SERVERS_DELETE)
    # block storage (issue 8): detach volumes, delete those with delete_on_termination
    await volume_attachment.service_for(request.app.state.runtime).server_deleted(ctx, server_id)
    return no_content(204)


_POWER = {
    "os-stop": ("stop", policies.SERVERS_STOP),
    "os-start": ("start", policies.SERVERS_START),
    "reboot": ("reboot", policies.SERVERS_REBOOT),
    "pause": ("pause", policies.PAUSE),
    "unpause": ("unpause", policies.UNPAUSE),
    "suspend": ("suspend", policies.SUSPEND),
    "resume": ("resume", policies.RESUME),
}


@router.post("/servers/{server_id}/action")
async def server_action(server_id: str, request: Request, ctx: Ctx) -> Response:
    svc = services(request).servers
    inst = await svc.get(ctx, server_id)
    data = await json_body(request)
    if not isinstance(data, dict) or len(data) != 1:
        raise BadRequest("There is not exactly one action in the request body.")
    ((name, args),) = data.items()
    if name in _POWER:
        action, policy = _POWER[name]
        ctx.can(policy, _target(inst))
        hard = False
        if action == "reboot":
            kind = args.get("type") if isinstance(args, dict) else None
            if not isinstance(kind, str) or kind.upper() not in ("SOFT", "HARD"):
                raise BadRequest(f"Invalid input for field/attribute type. Value: {kind}.")
            hard = kind.upper() == "HARD"
        await svc.power_action(ctx, server_id, action, hard=hard)
        return no_content(202)
    if name in ("lock", "unlock"):
        ctx.can(policies.LOCK if name == "lock" else policies.UNLOCK, _target(inst))
        reason = None
        if name == "lock" and isinstance(args, dict) and args:
            if not version(ctx).at_least("2.73") or set(args) != {"locked_reason"}:
                raise BadRequest("Invalid input for field/attribute lock.")
            reason = args["locked_reason"]
            if not isinstance(reason, str) or len(reason) > 255:
                raise BadRequest(
                    f"Invalid input for field/attribute locked_reason. Value: {reason}."
                )
        await svc.lock(ctx, server_id, locked=name == "lock", reason=reason)
        return no_content(202)
    if name == "rebuild":
        ctx.can(policies.SERVERS_REBUILD, _target(inst))
        return await _rebuild(request, ctx, server_id, args)
    if name == "injectNetworkInfo":
        ctx.can(policies.INJECT_NETWORK_INFO, _target(inst))
        await svc.refresh_network_info(ctx, server_id)
        return no_content(202)
    if name == "restore":
        ctx.can(policies.RESTORE, _target(inst))
        await svc.restore(ctx, server_id)
    if name == "os-resetState":
        ctx.can(policies.RESET_STATE, _target(inst))
        state = args.get("state") if isinstance(args, dict) else None
        if state not in ("active", "error") or set(args) != {"state"}:
            raise BadRequest(f"Invalid input for field/attribute state. Value: {state}.")
        await svc.reset_state(ctx, server_id, state)
        return no_content(202)
    if name == "os-getConsoleOutput":
        ctx.can(policies.CONSOLE_OUTPUT, _target(inst))
        length = args.get("length") if isinstance(args, dict) else None
        if length is not None:
            try:
                length = int(length)
            except (TypeError, ValueError):
                raise BadRequest(
                    f"Invalid input for field/attribute length. Value: {length}."
                ) from None
            if length < -1:
                raise BadRequest(f"Invalid input for field/attribute length. Value: {length}.")
            if length == -1:
                length = None
        return reply({"output": await svc.console_output(ctx, server_id, length)})
    answer = await actions.dispatch(request, ctx, inst, name, args)
    if answer is not None:
        return answer
    answer = await floating_ip_actions.dispatch(request, ctx, inst, name, args)
    if answer is not None:
        return answer
    answer = await consoles.dispatch(request, ctx, inst, name, args)
    if answer is not None:
        return answer
    raise NotImplementedYet(f"The server action '{name}' is not implemented by Stratus yet.")


# -- metadata ----------------------------------------------------------------------------


def _meta_body(data: Any, key: str = "metadata") -> dict[str, str]:
    if not isinstance(data, dict) or not isinstance(data.get(key), dict):
        raise BadRequest(f"Invalid input for field/attribute {key}. '{key}' is a required property")
    items = data[key]
    for k, val in items.items():
        if not 1 <= len(k) <= 255 or not isinstance(val, str) or len(val) > 255:
            raise _bad(key, items, "is not a valid metadata object")
    return dict(items)


@router.get("/servers/{server_id}/metadata")
async def list_server_metadata(server_id: str, request: Request, ctx: Ctx) -> Response:
    inst = await services(request).servers.get(ctx, server_id)
    ctx.can(policies.SERVER_METADATA_INDEX, _target(inst))
    return reply({"metadata": dict(inst.meta)})


@router.post("/servers/{server_id}/metadata")
async def update_server_metadata(server_id: str, request: Request, ctx: Ctx) -> Response:
    svc = services(request).servers
    inst = await svc.get(ctx, server_id)
    ctx.can(policies.SERVER_METADATA_CREATE, _target(inst))
    items = _meta_body(await json_body(request))
    return reply({"metadata": await svc.set_metadata(ctx, server_id, items, replace=False)})


@router.put("/servers/{server_id}/metadata")
async def replace_server_metadata(server_id: str, request: Request, ctx: Ctx) -> Response:
    svc = services(request).servers
    inst = await svc.get(ctx, server_id)
    ctx.can(policies.SERVER_METADATA_UPDATE_ALL, _target(inst))
    items = _meta_body(await json_body(request))
    return reply({"metadata": await svc.set_metadata(ctx, server_id, items, replace=True)})


@router.get("/servers/{server_id}/metadata/{key}")
async def get_server_metadata_item(
    server_id: str, key: str, request: Request, ctx: Ctx
) -> Response:
    inst = await services(request).servers.get(ctx, server_id)
    ctx.can(policies.SERVER_METADATA_SHOW, _target(inst))
    if key not in inst.meta:
        raise NotFound("Metadata item was not found")
    return reply({"meta": {key: inst.meta[key]}})


@router.put("/servers/{server_id}/metadata/{key}")
async def set_server_metadata_item(
    server_id: str, key: str, request: Request, ctx: Ctx
) -> Response:
    svc = services(request).servers
    inst = await svc.get(ctx, server_id)
    ctx.can(policies.SERVER_METADATA_UPDATE, _target(inst))
    items = _meta_body(await json_body(request), "meta")
    if len(items) != 1:
        raise BadRequest("Request body contains too many items")
    if key not in items:
        raise BadRequest("Request body and URI mismatch")
    await svc.set_metadata(ctx, server_id, items, replace=False)
    return reply({"meta": items})


@router.delete("/servers/{server_id}/metadata/{key}")
async def delete_server_metadata_item(
    server_id: str, key: str, request: Request, ctx: Ctx
) -> Response:
    svc = services(request).servers
    inst = await svc.get(ctx, server_id)
    ctx.can(policies.SERVER_METADATA_DELETE, _target(inst))
    await svc.delete_metadata(ctx, server_id, key)
    return no_content(204)


# -- tags (2.26) -------------------------------------------------------------------------


def _tags_version(ctx: RequestContext) -> None:
    if not version(ctx).at_least("2.26"):
        raise NotFound("The resource could not be found.")


@router.get("/servers/{server_id}/tags")
async def list_server_tags(server_id: str, request: Request, ctx: Ctx) -> Response:
    _tags_version(ctx)
    inst = await services(request).servers.get(ctx, server_id)
    ctx.can(policies.SERVER_TAGS_INDEX, _target(inst))
    return reply({"tags": list(inst.tags)})


@router.put("/servers/{server_id}/tags")
async def replace_server_tags(server_id: str, request: Request, ctx: Ctx) -> Response:
    _tags_version(ctx)
    svc = services(request).servers
    inst = await svc.get(ctx, server_id)
    ctx.can(policies.SERVER_TAGS_UPDATE_ALL, _target(inst))
    data = await json_body(request)
    if not isinstance(data, dict) or not isinstance(data.get("tags"), list):
        raise BadRequest("Invalid input for field/attribute tags. 'tags' is a required property")
    return reply({"tags": await svc.set_tags(ctx, server_id, data["tags"], replace=True)})


@router.delete("/servers/{server_id}/tags")
async def delete_server_tags(server_id: str, request: Request, ctx: Ctx) -> Response:
    _tags_version(ctx)
    svc = services(request).servers
    inst = await svc.get(ctx, server_id)
    ctx.can(policies.SERVER_TAGS_DELETE_ALL, _target(inst))
    await svc.delete_tag(ctx, server_id, None)
    return no_content(204)


@router.get("/servers/{server_id}/tags/{tag}")
async def check_server_tag(server_id: str, tag: str, request: Request, ctx: Ctx) -> Response:
    _tags_version(ctx)
    inst = await services(request).servers.get(ctx, server_id)
    ctx.can(policies.SERVER_TAGS_SHOW, _target(inst))
    if tag not in inst.tags:
        raise NotFound(f"Tag {tag} could not be found.")
    return no_content(204)


@router.put("/servers/{server_id}/tags/{tag}")
async def add_server_tag(server_id: str, tag: str, request: Request, ctx: Ctx) -> Response:
    _tags_version(ctx)
    svc = services(request).servers
    inst = await svc.get(ctx, server_id)
    ctx.can(policies.SERVER_TAGS_UPDATE, _target(inst))
    existed = tag in inst.tags
    await svc.set_tags(ctx, server_id, [tag], replace=False)
    lk = links(request)
    return Response(
        status_code=204 if existed else 201,
        headers={"Location": f"{lk.base}/v2.1/servers/{server_id}/tags/{tag}"},
    )


@router.delete("/servers/{server_id}/tags/{tag}")
async def delete_server_tag(server_id: str, tag: str, request: Request, ctx: Ctx) -> Response:
    _tags_version(ctx)
    svc = services(request).servers
    inst = await svc.get(ctx, server_id)
    ctx.can(policies.SERVER_TAGS_DELETE, _target(inst))
    await svc.delete_tag(ctx, server_id, tag)
    return no_content(204)


# -- instance actions --------------------------------------------------------------------


@router.get("/servers/{server_id}/os-instance-actions")
async def list_instance_actions(server_id: str, request: Request, ctx: Ctx) -> Response:
    svc = services(request).servers
    v = version(ctx)
    inst = await svc.get(ctx, server_id, read_deleted=v.at_least("2.21"))
    ctx.can(policies.ACTIONS_LIST, _target(inst))
    rows = await svc.actions(ctx, server_id)
    return reply(
        {"instanceActions": [action_view(a, v, events=False, details=False) for a in rows]}
    )


@router.get("/servers/{server_id}/os-instance-actions/{request_id}")
async def get_instance_action(
    server_id: str, request_id: str, request: Request, ctx: Ctx
) -> Response:
    svc = services(request).servers
    v = version(ctx)
    inst = await svc.get(ctx, server_id, read_deleted=v.at_least("2.21"))
    ctx.can(policies.ACTIONS_SHOW, _target(inst))
    row = await svc.action(ctx, server_id, request_id)
    # From 2.51 everyone sees the events; the traceback stays behind the events policy.
    traceback = ctx.allows(policies.ACTIONS_EVENTS, _target(inst))
    events = traceback or v.at_least("2.51")
    details = ctx.allows(policies.ACTIONS_EVENTS_DETAILS, _target(inst))
    view = action_view(row, v, events=events, details=details, traceback=traceback)
    return reply({"instanceAction": view})


# -- interfaces and addresses ------------------------------------------------------------


def _interface(vif: dict[str, Any]) -> dict[str, Any]:
    return {
        "port_state": "ACTIVE" if vif.get("active") else "DOWN",
        "fixed_ips": [
            {"subnet_id": s["id"], "ip_address": ip}
            for s in vif.get("subnets", [])
            for ip in s.get("ips", [])
        ],
        "port_id": vif["port_id"],
        "net_id": vif["network_id"],
        "mac_addr": vif["mac_address"],
    }


@router.get("/servers/{server_id}/os-interface")
async def list_interfaces(server_id: str, request: Request, ctx: Ctx) -> Response:
    inst = await services(request).servers.get(ctx, server_id)
    ctx.can(policies.INTERFACES_LIST, _target(inst))
    items = [_interface(v) for v in inst.network_info]
    if version(ctx).at_least("2.70"):
        for item in items:
            item["tag"] = None
    return reply({"interfaceAttachments": items})


@router.get("/servers/{server_id}/os-interface/{port_id}")
async def get_interface(server_id: str, port_id: str, request: Request, ctx: Ctx) -> Response:
    inst = await services(request).servers.get(ctx, server_id)
    ctx.can(policies.INTERFACES_SHOW, _target(inst))
    for vif in inst.network_info:
        if vif["port_id"] == port_id:
            item = _interface(vif)
            if version(ctx).at_least("2.70"):
                item["tag"] = None
            return reply({"interfaceAttachment": item})
    raise NotFound(f"Port {port_id} is not attached")


@router.get("/servers/{server_id}/ips")
async def list_ips(server_id: str, request: Request, ctx: Ctx) -> Response:
    inst = await services(request).servers.get(ctx, server_id)
    ctx.can(policies.IPS_INDEX, _target(inst))
    out = {
        net: [{"version": a["version"], "addr": a["addr"]} for a in entries]
        for net, entries in addresses(inst).items()
    }
    return reply({"addresses": out})


@router.get("/servers/{server_id}/ips/{network}")
async def show_ips(server_id: str, network: str, request: Request, ctx: Ctx) -> Response:
    inst = await services(request).servers.get(ctx, server_id)
    ctx.can(policies.IPS_SHOW, _target(inst))
    entries = addresses(inst).get(network)
    if entries is None:
        raise NotFound("Instance is not a member of specified network")
    return reply({network: [{"version": a["version"], "addr": a["addr"]} for a in entries]})
