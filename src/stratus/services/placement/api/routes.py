"""Placement's routing table (path -> method -> handler) and its handlers. Each handler:
policy, microversion, validated input, one service call, view. Unknown methods on a known
path answer 405 with ``Allow``."""

import re
import uuid as uuidlib
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.deps import authenticated_context, optional_context
from stratus.api.microversion import Version
from stratus.kit.errors import MethodNotAllowed, NotAcceptable, NotFound
from stratus.services.placement import policies
from stratus.services.placement.api import schemas
from stratus.services.placement.api.candidates import list_allocation_candidates
from stratus.services.placement.api.http import (
    Req,
    check_accept,
    no_content,
    respond,
    validate,
)
from stratus.services.placement.api.params import (
    parse_member_of,
    parse_required,
    parse_resources,
)
from stratus.services.placement.api.versions import MICROVERSION, VERSIONS
from stratus.services.placement.errors import (
    ConcurrentUpdate,
    PlacementBadRequest,
    PlacementNotFound,
    ResourceProviderNotFound,
)
from stratus.services.placement.service import (
    ConsumerAllocations,
    InventoryRecord,
    PlacementService,
    ProviderView,
    check_record,
    normalize_uuid,
)


class UnacceptableVersion(NotAcceptable):
    pass


Handler = Callable[[Req], Awaitable[Response]]


# --- root ----------------------------------------------------------------------------------


async def home(req: Req) -> Response:
    body = {
        "versions": [
            {
                "id": f"v{VERSIONS[0]}",
                "max_version": VERSIONS[-1],
                "min_version": VERSIONS[0],
                "status": "CURRENT",
                "links": [{"rel": "self", "href": ""}],
            }
        ]
    }
    return respond(req, body)


# --- resource providers ---------------------------------------------------------------------


def provider_body(req: Req, rp: ProviderView) -> dict[str, Any]:
    base = f"/resource_providers/{rp.uuid}"
    links = [
        {"rel": "self", "href": req.url(base)},
        {"rel": "inventories", "href": req.url(f"{base}/inventories")},
        {"rel": "usages", "href": req.url(f"{base}/usages")},
    ]
    if req.at("1.1"):
        links.append({"rel": "aggregates", "href": req.url(f"{base}/aggregates")})
    if req.at("1.6"):
        links.append({"rel": "traits", "href": req.url(f"{base}/traits")})
    if req.at("1.11"):
        links.append({"rel": "allocations", "href": req.url(f"{base}/allocations")})
    out: dict[str, Any] = {
        "uuid": rp.uuid,
        "name": rp.name,
        "generation": rp.generation,
        "links": links,
    }
    if req.at("1.14"):
        out["parent_provider_uuid"] = rp.parent_provider_uuid
        out["root_provider_uuid"] = rp.root_provider_uuid
    return out


async def list_resource_providers(req: Req) -> Response:
    req.can(policies.RP_LIST)
    schema = schemas.PROVIDERS_QUERY
    for minimum, candidate in (
        ("1.18", schemas.PROVIDERS_QUERY_1_18),
        ("1.14", schemas.PROVIDERS_QUERY_1_14),
        ("1.4", schemas.PROVIDERS_QUERY_1_4),
        ("1.3", schemas.PROVIDERS_QUERY_1_3),
    ):
        if req.at(minimum):
            schema = candidate
            break
    query = req.query(schema)
    member_of: list[tuple[bool, set[str]]] = []
    if "member_of" in query:
        values = req.query_all("member_of")
        if len(values) > 1 and not req.at("1.24"):
            raise PlacementBadRequest("Multiple member_of parameters are not supported")
        for value in values:
            required, forbidden = parse_member_of(value)
            if forbidden and not req.at("1.32"):
                raise PlacementBadRequest(
                    "Forbidden member_of parameters are not supported in the specified microversion"
                )
            if required:
                member_of.append((False, required))
            if forbidden:
                member_of.append((True, forbidden))
    resources = parse_resources(query["resources"]) if "resources" in query else None
    required_groups: list[set[str]] = []
    forbidden_traits: set[str] = set()
    if "required" in query:
        required_groups, forbidden_traits = parse_required(req, req.query_all("required"))
    in_tree = query.get("in_tree")
    views = await req.svc.list_providers(
        name=query.get("name"),
        uuid=normalize_uuid(query["uuid"]) if "uuid" in query else None,
        in_tree=normalize_uuid(in_tree) if in_tree else None,
        member_of=member_of,
        resources=resources,
        required=required_groups,
        forbidden=forbidden_traits,
    )
    body = {"resource_providers": [provider_body(req, v) for v in views]}
    last = max((v.updated_at for v in views), default=None)
    return respond(req, body, last_modified=last)


async def create_resource_provider(req: Req) -> Response:
    req.can(policies.RP_CREATE)
    schema = schemas.PROVIDER_POST_1_14 if req.at("1.14") else schemas.PROVIDER_POST
    data = req.json(schema)
    view = await req.svc.create_provider(
        name=data["name"], uuid=data.get("uuid"), parent_uuid=data.get("parent_provider_uuid")
    )
    location = req.absolute(f"/resource_providers/{view.uuid}")
    if req.at("1.20"):
        return respond(
            req,
            provider_body(req, view),
            last_modified=view.updated_at,
            headers={"location": location},
        )
    return Response(status_code=201, headers={"location": location})


async def get_resource_provider(req: Req) -> Response:
    req.can(policies.RP_SHOW)
    view = await req.svc.get_provider(req.path("uuid"))
    return respond(req, provider_body(req, view), last_modified=view.updated_at)


async def update_resource_provider(req: Req) -> Response:
    req.can(policies.RP_UPDATE)
    uuid = req.path("uuid")
    schema = schemas.PROVIDER_PUT_1_14 if req.at("1.14") else schemas.PROVIDER_PUT
    data = req.json(schema)
    await req.svc.get_provider(uuid)
    view = await req.svc.update_provider(
        uuid,
        name=data.get("name"),
        parent_uuid=data.get("parent_provider_uuid"),
        parent_given="parent_provider_uuid" in data,
        allow_reparenting=req.at("1.37"),
    )
    return respond(req, provider_body(req, view), last_modified=view.updated_at)


async def delete_resource_provider(req: Req) -> Response:
    req.can(policies.RP_DELETE)
    await req.svc.delete_provider(req.path("uuid"))
    return no_content()


# --- inventories ----------------------------------------------------------------------------


def _inventories_body(generation: int, records: list[InventoryRecord]) -> dict[str, Any]:
    return {
        "resource_provider_generation": generation,
        "inventories": {r.resource_class: r.as_dict() for r in records},
    }


async def _provider_or_404(req: Req, uuid: str) -> ProviderView:
    try:
        return await req.svc.get_provider(uuid)
    except ResourceProviderNotFound:
        raise ResourceProviderNotFound(f"No resource provider with uuid {uuid} found") from None


async def get_inventories(req: Req) -> Response:
    req.can(policies.INV_LIST)
    uuid = req.path("uuid")
    generation, records = await req.svc.get_inventories(uuid)
    return respond(req, _inventories_body(generation, records))


async def get_inventory(req: Req) -> Response:
    req.can(policies.INV_SHOW)
    uuid, rc = req.path("uuid"), req.path("resource_class")
    generation, records = await req.svc.get_inventories(uuid)
    for rec in records:
        if rec.resource_class == rc:
            body = {"resource_provider_generation": generation, **rec.as_dict()}
            return respond(req, body)
    raise PlacementNotFound(f"No inventory of class {rc} for {uuid}")


async def create_inventory(req: Req) -> Response:
    req.can(policies.INV_CREATE)
    uuid = req.path("uuid")
    data = req.json(schemas.INVENTORY_POST)
    await _provider_or_404(req, uuid)
    rc = data["resource_class"]
    generation, records = await req.svc.get_inventories(uuid)
    if any(r.resource_class == rc for r in records):
        raise ConcurrentUpdate(
            f"Update conflict: Inventory for {rc} on resource provider {uuid} already exists."
        )
    new = InventoryRecord.from_body(rc, data)
    check_record(new, uuid, req.at("1.26"), "create")
    gen, records = await req.svc.set_inventories(
        uuid,
        generation=data.get("resource_provider_generation", generation),
        records=[*records, new],
        replace=True,
        reserved_can_be_total=req.at("1.26"),
    )
    body = {"resource_provider_generation": gen, **new.as_dict()}
    location = req.absolute(f"/resource_providers/{uuid}/inventories/{rc}")
    return respond(req, body, status=201, headers={"location": location})


async def set_inventories(req: Req) -> Response:
    req.can(policies.INV_UPDATE)
    uuid = req.path("uuid")
    data = req.json(schemas.INVENTORIES_PUT)
    await _provider_or_404(req, uuid)
    records = [InventoryRecord.from_body(rc, v) for rc, v in data["inventories"].items()]
    gen, records = await req.svc.set_inventories(
        uuid,
        generation=data["resource_provider_generation"],
        records=records,
        replace=True,
        reserved_can_be_total=req.at("1.26"),
    )
    return respond(req, _inventories_body(gen, records))


async def update_inventory(req: Req) -> Response:
    req.can(policies.INV_UPDATE)
    uuid, rc = req.path("uuid"), req.path("resource_class")
    data = req.json(schemas.INVENTORY_BASE)
    await _provider_or_404(req, uuid)
    _generation, records = await req.svc.get_inventories(uuid)
    new = InventoryRecord.from_body(rc, data)
    check_record(new, uuid, req.at("1.26"))
    if not any(r.resource_class == rc for r in records):
        raise PlacementBadRequest(
            f"No inventory record with resource class for resource provider {uuid}: "
            f"No inventory of class {rc} found."
        )
    merged = [new if r.resource_class == rc else r for r in records]
    gen, _ = await req.svc.set_inventories(
        uuid,
        generation=data["resource_provider_generation"],
        records=merged,
        replace=True,
        reserved_can_be_total=req.at("1.26"),
    )
    return respond(req, {"resource_provider_generation": gen, **new.as_dict()})


async def delete_inventory(req: Req) -> Response:
    req.can(policies.INV_DELETE)
    uuid, rc = req.path("uuid"), req.path("resource_class")
    await _provider_or_404(req, uuid)
    await req.svc.delete_inventory(uuid, rc)
    return no_content()


async def delete_inventories(req: Req) -> Response:
    if not req.at("1.5"):
        raise MethodNotAllowed(
            "The method DELETE is not allowed for this resource.",
            headers={"Allow": "GET, POST, PUT"},
        )
    req.can(policies.INV_DELETE)
    await req.svc.delete_all_inventories(req.path("uuid"))
    return no_content()


# --- usages ---------------------------------------------------------------------------------


async def list_provider_usages(req: Req) -> Response:
    req.can(policies.RP_USAGES)
    uuid = req.path("uuid")
    try:
        generation, usages = await req.svc.usages_for_provider(uuid)
    except ResourceProviderNotFound:
        raise ResourceProviderNotFound(f"No resource provider with uuid {uuid} found") from None
    return respond(req, {"resource_provider_generation": generation, "usages": usages})


async def get_total_usages(req: Req) -> Response:
    req.require("1.9")
    schema = schemas.USAGES_QUERY_1_38 if req.at("1.38") else schemas.USAGES_QUERY
    query = req.query(schema)
    project_id = query["project_id"]
    req.can(policies.TOTAL_USAGES, {"project_id": project_id})
    totals = await req.svc.total_usages(
        project_id=project_id,
        user_id=query.get("user_id"),
        consumer_type=query.get("consumer_type") if req.at("1.38") else None,
    )
    body: dict[str, Any] = {"usages": totals.by_type if req.at("1.38") else totals.usages}
    return respond(req, body)


# --- resource classes ----------------------------------------------------------------------


def _rc_body(req: Req, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "links": [{"rel": "self", "href": req.url(f"/resource_classes/{name}")}],
    }


async def list_resource_classes(req: Req) -> Response:
    req.require("1.2")
    req.can(policies.RC_LIST)
    names = await req.svc.list_resource_classes()
    return respond(req, {"resource_classes": [_rc_body(req, n) for n in names]})


async def create_resource_class(req: Req) -> Response:
    req.require("1.2")
    req.can(policies.RC_CREATE)
    data = req.json(schemas.RESOURCE_CLASS)
    await req.svc.create_resource_class(data["name"])
    return Response(
        status_code=201,
        headers={"location": req.absolute(f"/resource_classes/{data['name']}")},
    )


async def get_resource_class(req: Req) -> Response:
    req.require("1.2")
    req.can(policies.RC_SHOW)
    rc = await req.svc.get_resource_class(req.path("name"))
    return respond(req, _rc_body(req, rc.name), last_modified=rc.updated_at or rc.created_at)


async def update_resource_class(req: Req) -> Response:
    req.require("1.2")
    req.can(policies.RC_UPDATE)
    name = req.path("name")
    if req.at("1.7"):
        validate({"name": name}, schemas.RESOURCE_CLASS, "JSON does not validate: ")
        created = await req.svc.ensure_resource_class(name)
        location = req.absolute(f"/resource_classes/{name}")
        return Response(status_code=201 if created else 204, headers={"location": location})
    data = req.json(schemas.RESOURCE_CLASS)
    await req.svc.rename_resource_class(name, data["name"])
    return respond(req, _rc_body(req, data["name"]))


def _is_rc_name(name: str) -> bool:
    return bool(name) and all(c.isupper() or c.isdigit() or c == "_" for c in name)


async def delete_resource_class(req: Req) -> Response:
    req.require("1.2")
    req.can(policies.RC_DELETE)
    await req.svc.delete_resource_class(req.path("name"))
    return no_content()


# --- traits ---------------------------------------------------------------------------------


async def list_traits(req: Req) -> Response:
    req.require("1.6")
    req.can(policies.TRAITS_LIST)
    query = req.query(schemas.TRAITS_QUERY)
    names = prefix = None
    if "name" in query:
        value = query["name"]
        if value.startswith("in:"):
            names = [n.strip() for n in value[3:].split(",")]
        elif value.startswith("startswith:"):
            prefix = value[len("startswith:") :]
        else:
            raise PlacementBadRequest(
                "Badly formatted name parameter. Expected name query string parameter in "
                'form: ?name=[in|startswith]:[name1,name2|prefix]. Got: "' + value + '"'
            )
    associated = None
    if "associated" in query:
        value = query["associated"].lower()
        if value not in ("true", "false"):
            raise PlacementBadRequest(
                'The query parameter "associated" only accepts "true" or "false"'
            )
        associated = value == "true"
    traits = await req.svc.list_traits(names=names, prefix=prefix, associated=associated)
    return respond(req, {"traits": traits})


async def get_trait(req: Req) -> Response:
    req.require("1.6")
    req.can(policies.TRAITS_SHOW)
    trait = await req.svc.get_trait(req.path("name"))
    return Response(
        status_code=204,
        headers=_cache_headers(req, trait.updated_at or trait.created_at),
    )


def _cache_headers(req: Req, stamp: Any) -> dict[str, str]:
    from stratus.services.placement.api.http import http_date

    if not req.at("1.15"):
        return {}
    return {"cache-control": "no-cache", "last-modified": http_date(stamp)}


async def put_trait(req: Req) -> Response:
    req.require("1.6")
    req.can(policies.TRAITS_UPDATE)
    name = req.path("name")
    if not name.startswith("CUSTOM_") or len(name) > 255 or not _is_rc_name(name):
        raise PlacementBadRequest(
            "The trait is invalid. A valid trait must be no longer than 255 characters, start "
            'with the prefix "CUSTOM_" and use following characters: "A"-"Z", "0"-"9" and "_"'
        )
    created = await req.svc.ensure_trait(name)
    trait = await req.svc.get_trait(name)
    headers = {"location": req.absolute(f"/traits/{name}")}
    headers.update(_cache_headers(req, trait.updated_at or trait.created_at))
    return Response(status_code=201 if created else 204, headers=headers)


async def delete_trait(req: Req) -> Response:
    req.require("1.6")
    req.can(policies.TRAITS_DELETE)
    await req.svc.delete_trait(req.path("name"))
    return no_content()


async def list_provider_traits(req: Req) -> Response:
    req.require("1.6")
    req.can(policies.RP_TRAIT_LIST)
    uuid = req.path("uuid")
    try:
        generation, traits = await req.svc.provider_traits(uuid)
    except ResourceProviderNotFound:
        raise ResourceProviderNotFound(f"No resource provider with uuid {uuid} found") from None
    return respond(req, {"resource_provider_generation": generation, "traits": traits})


async def update_provider_traits(req: Req) -> Response:
    req.require("1.6")
    req.can(policies.RP_TRAIT_UPDATE)
    uuid = req.path("uuid")
    data = req.json(schemas.PROVIDER_TRAITS_PUT)
    await _provider_or_404(req, uuid)
    generation, traits = await req.svc.set_provider_traits(
        uuid, generation=data["resource_provider_generation"], traits=data["traits"]
    )
    return respond(req, {"resource_provider_generation": generation, "traits": traits})


async def delete_provider_traits(req: Req) -> Response:
    req.require("1.6")
    req.can(policies.RP_TRAIT_DELETE)
    await req.svc.clear_provider_traits(req.path("uuid"))
    return no_content()


# --- aggregates -----------------------------------------------------------------------------


async def get_aggregates(req: Req) -> Response:
    req.require("1.1")
    req.can(policies.AGG_LIST)
    uuid = req.path("uuid")
    generation, aggregates = await req.svc.provider_aggregates(uuid)
    body: dict[str, Any] = {"aggregates": aggregates}
    if req.at("1.19"):
        body["resource_provider_generation"] = generation
    return respond(req, body)


async def set_aggregates(req: Req) -> Response:
    req.require("1.1")
    req.can(policies.AGG_UPDATE)
    uuid = req.path("uuid")
    await _provider_or_404(req, uuid)
    generation: int | None = None
    if req.at("1.19"):
        data = req.json(schemas.AGGREGATES_PUT_1_19)
        aggregates, generation = data["aggregates"], data["resource_provider_generation"]
    else:
        aggregates = req.json(schemas.AGGREGATES_PUT_1_1)
    await _provider_or_404(req, uuid)
    gen, stored = await req.svc.set_provider_aggregates(
        uuid, generation=generation, aggregates=[normalize_uuid(a) for a in aggregates]
    )
    body: dict[str, Any] = {"aggregates": stored}
    if req.at("1.19"):
        body["resource_provider_generation"] = gen
    return respond(req, body)


# --- allocations ----------------------------------------------------------------------------


async def list_for_consumer(req: Req) -> Response:
    req.can(policies.ALLOC_LIST)
    view = await req.svc.consumer_allocations(req.path("consumer_uuid"))
    body: dict[str, Any] = {"allocations": view.allocations}
    if view.allocations and req.at("1.12"):
        body["project_id"] = view.project_id
        body["user_id"] = view.user_id
        if req.at("1.28"):
            body["consumer_generation"] = view.generation
        if req.at("1.38"):
            body["consumer_type"] = view.consumer_type
    return respond(req, body, last_modified=view.last_modified)


async def list_for_provider(req: Req) -> Response:
    req.can(policies.RP_ALLOC_LIST)
    uuid = req.path("uuid")
    try:
        generation, allocations, last = await req.svc.provider_allocations(uuid)
    except ResourceProviderNotFound as err:
        raise ResourceProviderNotFound(
            f"Resource provider '{uuid}' not found: {err.message}"
        ) from None
    if not req.at("1.28"):
        for entry in allocations.values():
            entry.pop("consumer_generation", None)
    body = {"resource_provider_generation": generation, "allocations": allocations}
    return respond(req, body, last_modified=last)


def _consumer_request(req: Req, consumer: str, data: dict[str, Any]) -> ConsumerAllocations:
    allocations = data["allocations"]
    if isinstance(allocations, list):
        by_rp: dict[str, dict[str, int]] = {}
        for item in allocations:
            by_rp[item["resource_provider"]["uuid"]] = item["resources"]
    else:
        by_rp = {rp: v["resources"] for rp, v in allocations.items()}
    return ConsumerAllocations(
        consumer_uuid=consumer,
        allocations=by_rp,
        project_id=data.get("project_id"),
        user_id=data.get("user_id"),
        consumer_generation=data.get("consumer_generation"),
        check_generation=req.at("1.28"),
        consumer_type=data.get("consumer_type"),
    )


def _put_schema(req: Req) -> dict[str, Any]:
    if req.at("1.38"):
        return schemas.ALLOCATION_PUT_1_38
    if req.at("1.34"):
        return schemas.ALLOCATION_PUT_1_34
    if req.at("1.28"):
        return schemas.ALLOCATION_PUT_1_28
    if req.at("1.12"):
        return schemas.ALLOCATION_PUT_1_12
    if req.at("1.8"):
        return schemas.ALLOCATION_PUT_1_8
    return schemas.ALLOCATION_PUT


async def set_allocations_for_consumer(req: Req) -> Response:
    req.can(policies.ALLOC_UPDATE)
    consumer = req.path("consumer_uuid")
    try:
        consumer = str(uuidlib.UUID(consumer))
    except ValueError:
        raise PlacementBadRequest(f"Malformed consumer_uuid: {consumer}") from None
    data = req.json(_put_schema(req))
    request = _consumer_request(req, consumer, data)
    if not request.allocations and not req.at("1.28"):
        raise PlacementBadRequest("JSON does not validate: {} does not have enough properties")
    await req.svc.write_allocations([request])
    return no_content()


async def set_allocations(req: Req) -> Response:
    req.require("1.13")
    req.can(policies.ALLOC_MANAGE)
    schema = schemas.ALLOCATIONS_POST_1_13
    if req.at("1.38"):
        schema = schemas.ALLOCATIONS_POST_1_38
    elif req.at("1.34"):
        schema = schemas.ALLOCATIONS_POST_1_34
    elif req.at("1.28"):
        schema = schemas.ALLOCATIONS_POST_1_28
    data = req.json(schema)
    requests = [_consumer_request(req, c, v) for c, v in data.items()]
    await req.svc.write_allocations(requests)
    return no_content()


async def delete_allocations(req: Req) -> Response:
    req.can(policies.ALLOC_DELETE)
    await req.svc.delete_consumer_allocations(req.path("consumer_uuid"))
    return no_content()


# --- reshaper -------------------------------------------------------------------------------


async def reshape(req: Req) -> Response:
    req.require("1.30")
    req.can(policies.RESHAPE)
    schema = schemas.RESHAPER
    if req.at("1.38"):
        schema = schemas.RESHAPER_1_38
    elif req.at("1.34"):
        schema = schemas.RESHAPER_1_34
    data = req.json(schema)
    inventories = {
        rp: (
            body["resource_provider_generation"],
            [InventoryRecord.from_body(rc, v) for rc, v in body["inventories"].items()],
        )
        for rp, body in data["inventories"].items()
    }
    allocations = [_consumer_request(req, c, v) for c, v in data["allocations"].items()]
    await req.svc.reshape(inventories, allocations)
    return no_content()


# --- the table --------------------------------------------------------------------------------

ROUTES: dict[str, dict[str, Handler]] = {
    "/": {"GET": home},
    "/resource_classes": {"GET": list_resource_classes, "POST": create_resource_class},
    "/resource_classes/{name}": {
        "GET": get_resource_class,
        "PUT": update_resource_class,
        "DELETE": delete_resource_class,
    },
    "/resource_providers": {"GET": list_resource_providers, "POST": create_resource_provider},
    "/resource_providers/{uuid}": {
        "GET": get_resource_provider,
        "DELETE": delete_resource_provider,
        "PUT": update_resource_provider,
    },
    "/resource_providers/{uuid}/inventories": {
        "GET": get_inventories,
        "POST": create_inventory,
        "PUT": set_inventories,
        "DELETE": delete_inventories,
    },
    "/resource_providers/{uuid}/inventories/{resource_class}": {
        "GET": get_inventory,
        "PUT": update_inventory,
        "DELETE": delete_inventory,
    },
    "/resource_providers/{uuid}/usages": {"GET": list_provider_usages},
    "/resource_providers/{uuid}/aggregates": {"GET": get_aggregates, "PUT": set_aggregates},
    "/resource_providers/{uuid}/allocations": {"GET": list_for_provider},
    "/allocations": {"POST": set_allocations},
    "/allocations/{consumer_uuid}": {
        "GET": list_for_consumer,
        "PUT": set_allocations_for_consumer,
        "DELETE": delete_allocations,
    },
    "/allocation_candidates": {"GET": list_allocation_candidates},
    "/traits": {"GET": list_traits},
    "/traits/{name}": {"GET": get_trait, "PUT": put_trait, "DELETE": delete_trait},
    "/resource_providers/{uuid}/traits": {
        "GET": list_provider_traits,
        "PUT": update_provider_traits,
        "DELETE": delete_provider_traits,
    },
    "/usages": {"GET": get_total_usages},
    "/reshaper": {"POST": reshape},
}

_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _endpoint(path: str, methods: dict[str, Handler], svc: PlacementService) -> Any:
    anonymous = path == "/"

    async def endpoint(request: Request) -> Response:
        precheck_version(request)
        ctx = await (optional_context if anonymous else authenticated_context)(request)
        handler = methods.get(request.method)
        if handler is None:
            raise MethodNotAllowed(
                f"The method {request.method} is not allowed for this resource.",
                headers={"Allow": ", ".join(methods)},
            )
        if request.method == "GET":
            check_accept(request)
        version = ctx.version or MICROVERSION.minimum
        body = await request.body()
        return await handler(Req(request, ctx, version, svc, body))

    endpoint.__name__ = f"placement_{path}"
    return endpoint


_VERSION = re.compile(r"^\d+\.\d+$")


def precheck_version(request: Request) -> None:
    """Placement's own wording for bad and unacceptable version headers."""
    header = request.headers.get("openstack-api-version")
    if not header:
        return
    for part in header.split(","):
        words = part.strip().split()
        if len(words) != 2 or words[0].lower() != "placement":
            continue
        value = words[1]
        if value.lower() == "latest":
            return
        if not _VERSION.match(value):
            raise PlacementBadRequest(f"invalid version string: {value}")
        major, minor = (int(x) for x in value.split("."))
        lowest, highest = MICROVERSION.minimum, MICROVERSION.maximum
        if not (lowest.major, lowest.minor) <= (major, minor) <= (highest.major, highest.minor):
            raise UnacceptableVersion(f"Unacceptable version header: {value}")
        return


def build_router(svc: PlacementService) -> APIRouter:
    router = APIRouter()
    for path, methods in ROUTES.items():
        router.add_api_route(path, _endpoint(path, methods, svc), methods=_ALL_METHODS)
    return router


__all__ = ["ROUTES", "NotFound", "Version", "build_router"]
