"""HTTP handlers for /v2.0. Neutron's API is uniform, so collections are declared as data
(path, wire names, service calls) and one set of handlers serves them all: query parsing
(filters, fields, sorting, paging, tag filters), single and bulk create, If-Match, views."""

import contextlib
import dataclasses
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.context import RequestContext
from stratus.api.deps import AnonCtx, Ctx
from stratus.kit.errors import BadRequest, NotFound, NotImplementedYet
from stratus.services.network.api.versions import resources_document, versions_document
from stratus.services.network.errors import PolicyNotAuthorized
from stratus.services.network.extensions import EXTENSIONS, extension_view
from stratus.services.network.query import Query

Lister = Callable[[RequestContext, Query], Awaitable[list[dict[str, Any]]]]
Getter = Callable[[RequestContext, str], Awaitable[dict[str, Any]]]
Creator = Callable[[RequestContext, dict[str, Any]], Awaitable[dict[str, Any]]]
Updater = Callable[..., Awaitable[dict[str, Any]]]
Deleter = Callable[..., Awaitable[None]]

_RESERVED = {
    "limit",
    "marker",
    "page_reverse",
    "sort_key",
    "sort_dir",
    "fields",
    "tags",
    "tags-any",
    "not-tags",
    "not-tags-any",
}

# Upstream collections this cloud does not implement: they answer 501, never a fake success.
NOT_IMPLEMENTED = {
    "address-groups",
    "local-ips",
    "log",
    "logging",
    "metering",
    "ndp-proxies",
    "conntrack_helpers",
    "bgpvpn",
    "fwaas",
    "vpn",
    "lbaas",
}


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status_code=status, media_type="application/json")


def no_content() -> Response:
    return Response(status_code=204)


def parse_query(request: Request) -> Query:
    params = request.query_params
    query = Query()
    raw_limit = params.get("limit")
    if raw_limit is not None:
        try:
            limit = int(raw_limit)
        except ValueError:
            raise BadRequest(
                f"Bad limit request: Limit must be an integer 0 or greater and not '{raw_limit}'."
            ) from None
        if limit < 0:
            raise BadRequest(
                f"Bad limit request: Limit must be an integer 0 or greater and not '{raw_limit}'."
            )
        query.limit = limit or None
    query.marker = params.get("marker")
    query.page_reverse = params.get("page_reverse", "false").lower() == "true"
    keys = params.getlist("sort_key")
    dirs = params.getlist("sort_dir")
    if dirs and len(dirs) != len(keys):
        raise BadRequest("The number of sort_keys and sort_dirs must be same")
    for i, key in enumerate(keys):
        direction = dirs[i] if dirs else "asc"
        if direction not in ("asc", "desc"):
            raise BadRequest(
                f"{direction} is invalid value for sort_dir, valid values are 'asc' and 'desc'"
            )
        query.sort.append((key, direction))
    query.fields = [f for f in params.getlist("fields") if f]

    def split(name: str) -> list[str]:
        return [t for value in params.getlist(name) for t in value.split(",") if t]

    query.tags, query.tags_any = split("tags"), split("tags-any")
    query.not_tags, query.not_tags_any = split("not-tags"), split("not-tags-any")
    for key, value in params.multi_items():
        if key not in _RESERVED:
            query.filters.setdefault(key, []).append(value)
    return query


def select_fields(view: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    if not fields:
        return view
    return {k: v for k, v in view.items() if k in fields}


def if_match(request: Request) -> int | None:
    raw = request.headers.get("if-match")
    if not raw:
        return None
    for part in raw.split(","):
        part = part.strip().strip('"')
        if part.startswith("revision_number="):
            try:
                return int(part.split("=", 1)[1])
            except ValueError:
                raise BadRequest(f"Invalid If-Match header: {raw}") from None
    return None


def page_links(
    request: Request, base: str, collection: str, items: list[dict[str, Any]], query: Query
) -> list[dict[str, str]]:
    """Neutron's rules: ``next`` unless a forward page came back short, ``previous`` unless a
    reverse page came back short; an empty page links without a marker (from the far end)."""
    if query.limit is None:
        return []
    path = f"{base}{request.url.path.removeprefix(request.scope.get('root_path', ''))}"
    params = [
        (k, v) for k, v in request.query_params.multi_items() if k not in ("marker", "page_reverse")
    ]
    short = len(items) < query.limit
    links = []
    if not (short and not query.page_reverse):
        marker = [("marker", items[-1]["id"])] if items else []
        links.append({"rel": "next", "href": f"{path}?{urlencode([*params, *marker])}"})
    if not (short and query.page_reverse):
        marker = [("marker", items[0]["id"])] if items else []
        reverse = [("page_reverse", "True")]
        links.append(
            {"rel": "previous", "href": f"{path}?{urlencode([*params, *marker, *reverse])}"}
        )
    return links


@dataclass(frozen=True)
class Collection:
    path: str  # "networks", "security-groups"
    singular: str  # "network", "security_group"
    key: str  # response collection key: "networks", "security_groups"
    lister: Callable[[Request], Lister]
    getter: Callable[[Request], Getter] | None = None
    creator: Callable[[Request], Creator] | None = None
    updater: Callable[[Request], Updater] | None = None
    deleter: Callable[[Request], Deleter] | None = None
    bulk: bool = True
    revisioned: bool = True


def svc(request: Request) -> Any:
    return request.app.state.network


def base_url(request: Request) -> str:
    return f"{request.app.state.runtime.settings.base_url}{request.scope.get('root_path', '')}"


COLLECTIONS = [
    Collection(
        "networks",
        "network",
        "networks",
        lister=lambda r: svc(r).l2.list_networks,
        getter=lambda r: svc(r).l2.get_network,
        creator=lambda r: svc(r).l2.create_network,
        updater=lambda r: svc(r).l2.update_network,
        deleter=lambda r: svc(r).l2.delete_network,
    ),
    Collection(
        "subnets",
        "subnet",
        "subnets",
        lister=lambda r: svc(r).l2.list_subnets,
        getter=lambda r: svc(r).l2.get_subnet,
        creator=lambda r: svc(r).l2.create_subnet,
        updater=lambda r: svc(r).l2.update_subnet,
        deleter=lambda r: svc(r).l2.delete_subnet,
    ),
    Collection(
        "ports",
        "port",
        "ports",
        lister=lambda r: svc(r).l2.list_ports,
        getter=lambda r: svc(r).l2.get_port,
        creator=lambda r: svc(r).l2.create_port,
        updater=lambda r: svc(r).l2.update_port,
        deleter=lambda r: svc(r).l2.delete_port,
    ),
    Collection(
        "segments",
        "segment",
        "segments",
        lister=lambda r: svc(r).l2.list_segments,
        getter=lambda r: svc(r).l2.get_segment,
        creator=lambda r: svc(r).l2.create_segment,
        updater=lambda r: svc(r).l2.update_segment,
        deleter=lambda r: svc(r).l2.delete_segment,
    ),
    Collection(
        "security-groups",
        "security_group",
        "security_groups",
        lister=lambda r: svc(r).sg.list_groups,
        getter=lambda r: svc(r).sg.get_group,
        creator=lambda r: svc(r).sg.create_group,
        updater=lambda r: svc(r).sg.update_group,
        deleter=lambda r: svc(r).sg.delete_group,
    ),
    Collection(
        "security-group-rules",
        "security_group_rule",
        "security_group_rules",
        lister=lambda r: svc(r).sg.list_rules,
        getter=lambda r: svc(r).sg.get_rule,
        creator=lambda r: svc(r).sg.create_rule,
        updater=lambda r: svc(r).sg.update_rule,
        deleter=lambda r: svc(r).sg.delete_rule,
    ),
    Collection(
        "default-security-group-rules",
        "default_security_group_rule",
        "default_security_group_rules",
        lister=lambda r: svc(r).default_rules.list_rules,
        getter=lambda r: svc(r).default_rules.get_rule,
        creator=lambda r: svc(r).default_rules.create_rule,
        deleter=lambda r: svc(r).default_rules.delete_rule,
        revisioned=False,
    ),
    Collection(
        "routers",
        "router",
        "routers",
        lister=lambda r: svc(r).l3.list_routers,
        getter=lambda r: svc(r).l3.get_router,
        creator=lambda r: svc(r).l3.create_router,
        updater=lambda r: svc(r).l3.update_router,
        deleter=lambda r: svc(r).l3.delete_router,
    ),
    Collection(
        "floatingips",
        "floatingip",
        "floatingips",
        lister=lambda r: svc(r).l3.list_fips,
        getter=lambda r: svc(r).l3.get_fip,
        creator=lambda r: svc(r).l3.create_fip,
        updater=lambda r: svc(r).l3.update_fip,
        deleter=lambda r: svc(r).l3.delete_fip,
    ),
    Collection(
        "rbac-policies",
        "rbac_policy",
        "rbac_policies",
        lister=lambda r: svc(r).admin.list_rbac,
        getter=lambda r: svc(r).admin.get_rbac,
        creator=lambda r: svc(r).admin.create_rbac,
        updater=lambda r: svc(r).admin.update_rbac,
        deleter=lambda r: svc(r).admin.delete_rbac,
        revisioned=False,
    ),
    Collection(
        "trunks",
        "trunk",
        "trunks",
        lister=lambda r: svc(r).trunks.list_trunks,
        getter=lambda r: svc(r).trunks.get_trunk,
        creator=lambda r: svc(r).trunks.create_trunk,
        updater=lambda r: svc(r).trunks.update_trunk,
        deleter=lambda r: svc(r).trunks.delete_trunk,
    ),
    Collection(
        "qos/policies",
        "policy",
        "policies",
        lister=lambda r: svc(r).qos.list_policies,
        getter=lambda r: svc(r).qos.get_policy,
        creator=lambda r: svc(r).qos.create_policy,
        updater=lambda r: svc(r).qos.update_policy,
        deleter=lambda r: svc(r).qos.delete_policy,
    ),
    Collection(
        "subnetpools",
        "subnetpool",
        "subnetpools",
        lister=lambda r: svc(r).pools.list_pools,
        getter=lambda r: svc(r).pools.get_pool,
        creator=lambda r: svc(r).pools.create_pool,
        updater=lambda r: svc(r).pools.update_pool,
        deleter=lambda r: svc(r).pools.delete_pool,
    ),
    Collection(
        "address-scopes",
        "address_scope",
        "address_scopes",
        lister=lambda r: svc(r).pools.list_scopes,
        getter=lambda r: svc(r).pools.get_scope,
        creator=lambda r: svc(r).pools.create_scope,
        updater=lambda r: svc(r).pools.update_scope,
        deleter=lambda r: svc(r).pools.delete_scope,
    ),
    Collection(
        "network_segment_ranges",
        "network_segment_range",
        "network_segment_ranges",
        lister=lambda r: svc(r).ranges.list_ranges,
        getter=lambda r: svc(r).ranges.get_range,
        creator=lambda r: svc(r).ranges.create_range,
        updater=lambda r: svc(r).ranges.update_range,
        deleter=lambda r: svc(r).ranges.delete_range,
    ),
    Collection(
        "flavors",
        "flavor",
        "flavors",
        lister=lambda r: svc(r).flavors.list_flavors,
        getter=lambda r: svc(r).flavors.get_flavor,
        creator=lambda r: svc(r).flavors.create_flavor,
        updater=lambda r: svc(r).flavors.update_flavor,
        deleter=lambda r: svc(r).flavors.delete_flavor,
    ),
    Collection(
        "service_profiles",
        "service_profile",
        "service_profiles",
        lister=lambda r: svc(r).flavors.list_profiles,
        getter=lambda r: svc(r).flavors.get_profile,
        creator=lambda r: svc(r).flavors.create_profile,
        updater=lambda r: svc(r).flavors.update_profile,
        deleter=lambda r: svc(r).flavors.delete_profile,
    ),
    Collection(
        "agents",
        "agent",
        "agents",
        lister=lambda r: svc(r).admin.list_agents,
        getter=lambda r: svc(r).admin.get_agent,
        updater=lambda r: svc(r).admin.update_agent,
        deleter=lambda r: svc(r).admin.delete_agent,
        bulk=False,
        revisioned=False,
    ),
]

TAGGABLE = (
    "networks",
    "subnets",
    "ports",
    "routers",
    "floatingips",
    "security-groups",
    "segments",
    "trunks",
    "network_segment_ranges",
    "subnetpools",
    "address-scopes",
    "policies",
    "network-segment-ranges",
)

router = APIRouter()


@router.get("/")
async def get_versions(request: Request, _ctx: AnonCtx) -> Response:
    return json_response(versions_document(base_url(request)))


@router.get("/v2.0")
@router.get("/v2.0/")
async def get_resources(request: Request, _ctx: AnonCtx) -> Response:
    return json_response(resources_document(base_url(request)))


@router.get("/v2.0/extensions")
async def list_extensions(ctx: Ctx) -> Response:
    return json_response({"extensions": [extension_view(a) for a in sorted(EXTENSIONS)]})


@router.get("/v2.0/extensions/{alias}")
async def get_extension(alias: str, ctx: Ctx) -> Response:
    if alias not in EXTENSIONS:
        raise NotFound(f"Extension with alias {alias} does not exist")
    return json_response({"extension": extension_view(alias)})


# --- tags (registered before the generic /{id} routes) -----------------------------------


def _tag_collection(path: str) -> str:
    if path not in TAGGABLE:
        raise NotFound("The resource could not be found.")
    return path


@router.get("/v2.0/{collection}/{resource_id}/tags")
async def get_tags(collection: str, resource_id: str, request: Request, ctx: Ctx) -> Response:
    tags = await svc(request).l2.get_tags(ctx, _tag_collection(collection), resource_id)
    return json_response({"tags": tags})


@router.put("/v2.0/{collection}/{resource_id}/tags")
async def replace_tags(collection: str, resource_id: str, request: Request, ctx: Ctx) -> Response:
    body = await json_body(request)
    tags = await svc(request).l2.replace_tags(ctx, _tag_collection(collection), resource_id, body)
    return json_response({"tags": tags})


@router.delete("/v2.0/{collection}/{resource_id}/tags")
async def delete_tags(collection: str, resource_id: str, request: Request, ctx: Ctx) -> Response:
    await svc(request).l2.remove_tag(ctx, _tag_collection(collection), resource_id, None)
    return no_content()


@router.get("/v2.0/{collection}/{resource_id}/tags/{tag}")
async def check_tag(
    collection: str, resource_id: str, tag: str, request: Request, ctx: Ctx
) -> Response:
    await svc(request).l2.has_tag(ctx, _tag_collection(collection), resource_id, tag)
    return no_content()


@router.put("/v2.0/{collection}/{resource_id}/tags/{tag}")
async def add_tag(
    collection: str, resource_id: str, tag: str, request: Request, ctx: Ctx
) -> Response:
    await svc(request).l2.add_tag(ctx, _tag_collection(collection), resource_id, tag)
    return Response(status_code=201)


@router.delete("/v2.0/{collection}/{resource_id}/tags/{tag}")
async def remove_tag(
    collection: str, resource_id: str, tag: str, request: Request, ctx: Ctx
) -> Response:
    await svc(request).l2.remove_tag(ctx, _tag_collection(collection), resource_id, tag)
    return no_content()


# QoS policies keep their tags under /qos/policies as well.


@router.get("/v2.0/qos/policies/{resource_id}/tags")
async def get_policy_tags(resource_id: str, request: Request, ctx: Ctx) -> Response:
    return await get_tags("policies", resource_id, request, ctx)


@router.put("/v2.0/qos/policies/{resource_id}/tags")
async def replace_policy_tags(resource_id: str, request: Request, ctx: Ctx) -> Response:
    return await replace_tags("policies", resource_id, request, ctx)


@router.delete("/v2.0/qos/policies/{resource_id}/tags")
async def delete_policy_tags(resource_id: str, request: Request, ctx: Ctx) -> Response:
    return await delete_tags("policies", resource_id, request, ctx)


@router.get("/v2.0/qos/policies/{resource_id}/tags/{tag}")
async def check_policy_tag(resource_id: str, tag: str, request: Request, ctx: Ctx) -> Response:
    return await check_tag("policies", resource_id, tag, request, ctx)


@router.put("/v2.0/qos/policies/{resource_id}/tags/{tag}")
async def add_policy_tag(resource_id: str, tag: str, request: Request, ctx: Ctx) -> Response:
    return await add_tag("policies", resource_id, tag, request, ctx)


@router.delete("/v2.0/qos/policies/{resource_id}/tags/{tag}")
async def remove_policy_tag(resource_id: str, tag: str, request: Request, ctx: Ctx) -> Response:
    return await remove_tag("policies", resource_id, tag, request, ctx)


# --- routers' member actions ------------------------------------------------------------


@router.put("/v2.0/routers/{router_id}/add_router_interface")
async def add_router_interface(router_id: str, request: Request, ctx: Ctx) -> Response:
    body = await json_body(request)
    return json_response(await svc(request).l3.add_interface(ctx, router_id, body))


@router.put("/v2.0/routers/{router_id}/remove_router_interface")
async def remove_router_interface(router_id: str, request: Request, ctx: Ctx) -> Response:
    body = await json_body(request)
    return json_response(await svc(request).l3.remove_interface(ctx, router_id, body))


@router.put("/v2.0/routers/{router_id}/add_extraroutes")
async def add_extraroutes(router_id: str, request: Request, ctx: Ctx) -> Response:
    body = await json_body(request)
    return json_response(
        {"router": await svc(request).l3.change_routes(ctx, router_id, body, add=True)}
    )


@router.put("/v2.0/routers/{router_id}/remove_extraroutes")
async def remove_extraroutes(router_id: str, request: Request, ctx: Ctx) -> Response:
    body = await json_body(request)
    return json_response(
        {"router": await svc(request).l3.change_routes(ctx, router_id, body, add=False)}
    )


@router.get("/v2.0/floatingip_pools")
@router.get("/v2.0/floatingip-pools")
async def list_floatingip_pools(request: Request, ctx: Ctx) -> Response:
    query = parse_query(request)
    pools = await svc(request).l3.floatingip_pools(ctx)
    for key, values in query.filters.items():
        pools = [p for p in pools if key not in p or str(p[key]) in values]
    return json_response({"floatingip_pools": [select_fields(p, query.fields) for p in pools]})


@router.put("/v2.0/subnetpools/{pool_id}/add_prefixes")
async def add_prefixes(pool_id: str, request: Request, ctx: Ctx) -> Response:
    body = await json_body(request)
    return json_response(await svc(request).pools.change_prefixes(ctx, pool_id, body, add=True))


@router.put("/v2.0/subnetpools/{pool_id}/remove_prefixes")
async def remove_prefixes(pool_id: str, request: Request, ctx: Ctx) -> Response:
    body = await json_body(request)
    return json_response(await svc(request).pools.change_prefixes(ctx, pool_id, body, add=False))


# --- trunks' member actions -------------------------------------------------------------


@router.put("/v2.0/trunks/{trunk_id}/add_subports")
async def add_subports(trunk_id: str, request: Request, ctx: Ctx) -> Response:
    body = await json_body(request)
    return json_response(await svc(request).trunks.add_subports(ctx, trunk_id, body))


@router.put("/v2.0/trunks/{trunk_id}/remove_subports")
async def remove_subports(trunk_id: str, request: Request, ctx: Ctx) -> Response:
    body = await json_body(request)
    return json_response(await svc(request).trunks.remove_subports(ctx, trunk_id, body))


@router.get("/v2.0/trunks/{trunk_id}/get_subports")
async def get_subports(trunk_id: str, request: Request, ctx: Ctx) -> Response:
    return json_response({"sub_ports": await svc(request).trunks.get_subports(ctx, trunk_id)})


# --- QoS ----------------------------------------------------------------------------------

RULE_TYPES = ("bandwidth_limit", "dscp_marking", "minimum_bandwidth", "minimum_packet_rate")


def _rule_type(kind: str) -> str:
    rule_type = kind.removesuffix("_rules")
    if not kind.endswith("_rules") or rule_type not in RULE_TYPES:
        raise NotFound("The resource could not be found.")
    return rule_type


@router.get("/v2.0/qos/rule-types")
async def list_rule_types(request: Request, ctx: Ctx) -> Response:
    query = parse_query(request)
    types = [{"type": t} for t in RULE_TYPES]
    return json_response({"rule_types": [select_fields(t, query.fields) for t in types]})


@router.get("/v2.0/qos/rule-types/{rule_type}")
async def get_rule_type(rule_type: str, request: Request, ctx: Ctx) -> Response:
    from stratus.services.network.qos import rule_type_details

    if not ctx.allows("get_rule_type"):
        raise PolicyNotAuthorized("get_rule_type")
    if rule_type not in RULE_TYPES:
        raise NotFound(f"QoS rule type {rule_type} could not be found.")
    return json_response({"rule_type": rule_type_details(rule_type, svc(request).driver.name)})


@router.get("/v2.0/qos/policies/{policy_id}/{kind}")
async def list_qos_rules(policy_id: str, kind: str, request: Request, ctx: Ctx) -> Response:
    rule_type = _rule_type(kind)
    query = parse_query(request)
    rules = await svc(request).qos.list_rules(ctx, rule_type, policy_id, query)
    return json_response({kind: [select_fields(r, query.fields) for r in rules]})


@router.post("/v2.0/qos/policies/{policy_id}/{kind}")
async def create_qos_rule(policy_id: str, kind: str, request: Request, ctx: Ctx) -> Response:
    rule_type = _rule_type(kind)
    body = await json_body(request)
    rule = await svc(request).qos.create_rule(ctx, rule_type, policy_id, body)
    return json_response({f"{rule_type}_rule": rule}, 201)


@router.get("/v2.0/qos/policies/{policy_id}/{kind}/{rule_id}")
async def get_qos_rule(
    policy_id: str, kind: str, rule_id: str, request: Request, ctx: Ctx
) -> Response:
    rule_type = _rule_type(kind)
    rule = await svc(request).qos.get_rule(ctx, rule_type, rule_id, policy_id)
    return json_response({f"{rule_type}_rule": select_fields(rule, parse_query(request).fields)})


@router.put("/v2.0/qos/policies/{policy_id}/{kind}/{rule_id}")
async def update_qos_rule(
    policy_id: str, kind: str, rule_id: str, request: Request, ctx: Ctx
) -> Response:
    rule_type = _rule_type(kind)
    body = await json_body(request)
    rule = await svc(request).qos.update_rule(ctx, rule_type, rule_id, body, policy_id)
    return json_response({f"{rule_type}_rule": rule})


@router.delete("/v2.0/qos/policies/{policy_id}/{kind}/{rule_id}")
async def delete_qos_rule(
    policy_id: str, kind: str, rule_id: str, request: Request, ctx: Ctx
) -> Response:
    await svc(request).qos.delete_rule(ctx, _rule_type(kind), rule_id, policy_id)
    return no_content()


# --- floating IP port forwardings -------------------------------------------------------


@router.get("/v2.0/floatingips/{fip_id}/port_forwardings")
async def list_port_forwardings(fip_id: str, request: Request, ctx: Ctx) -> Response:
    query = parse_query(request)
    items = await svc(request).forwarding.list_pfs(ctx, fip_id, query)
    return json_response({"port_forwardings": [select_fields(i, query.fields) for i in items]})


@router.post("/v2.0/floatingips/{fip_id}/port_forwardings")
async def create_port_forwarding(fip_id: str, request: Request, ctx: Ctx) -> Response:
    body = await json_body(request)
    return json_response(
        {"port_forwarding": await svc(request).forwarding.create_pf(ctx, fip_id, body)}, 201
    )


@router.get("/v2.0/floatingips/{fip_id}/port_forwardings/{pf_id}")
async def get_port_forwarding(fip_id: str, pf_id: str, request: Request, ctx: Ctx) -> Response:
    item = await svc(request).forwarding.get_pf(ctx, fip_id, pf_id)
    return json_response({"port_forwarding": select_fields(item, parse_query(request).fields)})


@router.put("/v2.0/floatingips/{fip_id}/port_forwardings/{pf_id}")
async def update_port_forwarding(fip_id: str, pf_id: str, request: Request, ctx: Ctx) -> Response:
    body = await json_body(request)
    return json_response(
        {"port_forwarding": await svc(request).forwarding.update_pf(ctx, fip_id, pf_id, body)}
    )


@router.delete("/v2.0/floatingips/{fip_id}/port_forwardings/{pf_id}")
async def delete_port_forwarding(fip_id: str, pf_id: str, request: Request, ctx: Ctx) -> Response:
    await svc(request).forwarding.delete_pf(ctx, fip_id, pf_id)
    return no_content()


# --- flavors' profiles and port bindings --------------------------------------------------


@router.post("/v2.0/flavors/{flavor_id}/service_profiles")
async def associate_profile(flavor_id: str, request: Request, ctx: Ctx) -> Response:
    body = await json_body(request)
    return json_response(
        {"service_profile": await svc(request).flavors.associate(ctx, flavor_id, body)}, 201
    )


@router.delete("/v2.0/flavors/{flavor_id}/service_profiles/{sp_id}")
async def disassociate_profile(flavor_id: str, sp_id: str, request: Request, ctx: Ctx) -> Response:
    await svc(request).flavors.disassociate(ctx, flavor_id, sp_id)
    return no_content()


@router.get("/v2.0/ports/{port_id}/bindings")
async def list_port_bindings(port_id: str, request: Request, ctx: Ctx) -> Response:
    query = parse_query(request)
    items = await svc(request).bindings.list_bindings(ctx, port_id, query.filters)
    return json_response({"bindings": [select_fields(i, query.fields) for i in items]})


@router.post("/v2.0/ports/{port_id}/bindings")
async def create_port_binding(port_id: str, request: Request, ctx: Ctx) -> Response:
    body = await json_body(request)
    return json_response(
        {"binding": await svc(request).bindings.create_binding(ctx, port_id, body)}, 201
    )


@router.put("/v2.0/ports/{port_id}/bindings/{host}/activate")
async def activate_port_binding(port_id: str, host: str, request: Request, ctx: Ctx) -> Response:
    return json_response({"binding": await svc(request).bindings.activate(ctx, port_id, host)})


@router.delete("/v2.0/ports/{port_id}/bindings/{host}")
async def delete_port_binding(port_id: str, host: str, request: Request, ctx: Ctx) -> Response:
    await svc(request).bindings.delete_binding(ctx, port_id, host)
    return no_content()


# --- auto-allocated topology --------------------------------------------------------------


@router.get("/v2.0/auto-allocated-topology/{project_id}")
async def get_auto_allocated_topology(project_id: str, request: Request, ctx: Ctx) -> Response:
    dry_run = "dry-run" in parse_query(request).fields
    view = await svc(request).auto.get(ctx, project_id, dry_run=dry_run)
    return json_response({"auto_allocated_topology": view})


@router.delete("/v2.0/auto-allocated-topology/{project_id}")
async def delete_auto_allocated_topology(project_id: str, request: Request, ctx: Ctx) -> Response:
    await svc(request).auto.delete(ctx, project_id)
    return no_content()


# --- quotas -------------------------------------------------------------------------------


@router.get("/v2.0/quotas")
async def list_quotas(request: Request, ctx: Ctx) -> Response:
    return json_response({"quotas": await svc(request).admin.list_quotas(ctx)})


@router.get("/v2.0/quotas/tenant")
@router.get("/v2.0/quotas/project")
async def quota_tenant(ctx: Ctx) -> Response:
    return json_response(
        {"tenant": {"tenant_id": ctx.project_id}, "project": {"project_id": ctx.project_id}}
    )


@router.get("/v2.0/quotas/{project_id}")
async def get_quota(project_id: str, request: Request, ctx: Ctx) -> Response:
    return json_response({"quota": await svc(request).admin.get_quota(ctx, project_id)})


@router.get("/v2.0/quotas/{project_id}/default")
async def get_quota_default(project_id: str, request: Request, ctx: Ctx) -> Response:
    return json_response({"quota": await svc(request).admin.default_quota(ctx, project_id)})


@router.get("/v2.0/quotas/{project_id}/details")
@router.get("/v2.0/quotas/{project_id}/details.json")
async def get_quota_details(project_id: str, request: Request, ctx: Ctx) -> Response:
    return json_response({"quota": await svc(request).admin.quota_details(ctx, project_id)})


@router.put("/v2.0/quotas/{project_id}")
async def update_quota(project_id: str, request: Request, ctx: Ctx) -> Response:
    body = await json_body(request)
    return json_response({"quota": await svc(request).admin.update_quota(ctx, project_id, body)})


@router.delete("/v2.0/quotas/{project_id}")
async def delete_quota(project_id: str, request: Request, ctx: Ctx) -> Response:
    await svc(request).admin.reset_quota(ctx, project_id)
    return no_content()


@router.get("/v2.0/service-providers")
async def list_service_providers(request: Request, ctx: Ctx) -> Response:
    query = parse_query(request)
    providers = [
        {"service_type": kind, "name": svc(request).driver.name, "default": True}
        for kind in ("L3_ROUTER_NAT", "QOS", "TRUNK")
    ]
    for key, values in query.filters.items():
        providers = [p for p in providers if key not in p or str(p[key]) in values]
    return json_response({"service_providers": [select_fields(p, query.fields) for p in providers]})


# --- read-only collections ----------------------------------------------------------------


@router.get("/v2.0/availability_zones")
async def list_availability_zones(request: Request, ctx: Ctx) -> Response:
    query = parse_query(request)
    zones = svc(request).admin.availability_zones(ctx, query)
    return json_response({"availability_zones": [select_fields(z, query.fields) for z in zones]})


@router.get("/v2.0/network-ip-availabilities")
async def list_ip_availabilities(request: Request, ctx: Ctx) -> Response:
    query = parse_query(request)
    items = await svc(request).admin.ip_availabilities(ctx, query)
    return json_response(
        {"network_ip_availabilities": [select_fields(i, query.fields) for i in items]}
    )


@router.get("/v2.0/network-ip-availabilities/{network_id}")
async def get_ip_availability(network_id: str, request: Request, ctx: Ctx) -> Response:
    query = parse_query(request)
    items = await svc(request).admin.ip_availabilities(ctx, Query(), network_id)
    return json_response({"network_ip_availability": select_fields(items[0], query.fields)})


# --- the generic collections --------------------------------------------------------------


def _register(c: Collection) -> None:
    collection_path = f"/v2.0/{c.path}"
    item_path = f"/v2.0/{c.path}/{{item_id}}"

    async def list_items(request: Request, ctx: Ctx) -> Response:
        query = parse_query(request)
        items = await c.lister(request)(ctx, query)
        body: dict[str, Any] = {c.key: [select_fields(i, query.fields) for i in items]}
        links = page_links(request, base_url(request), c.key, items, query)
        if links:
            body[f"{c.key}_links"] = links
        return json_response(body)

    router.add_api_route(collection_path, list_items, methods=["GET"], name=f"list_{c.key}")
    router.add_api_route(
        f"{collection_path}.json", list_items, methods=["GET"], include_in_schema=False
    )

    if c.getter is not None:
        getter_factory = c.getter

        async def get_item(item_id: str, request: Request, ctx: Ctx) -> Response:
            view = await getter_factory(request)(ctx, item_id)
            return json_response({c.singular: select_fields(view, parse_query(request).fields)})

        router.add_api_route(item_path, get_item, methods=["GET"], name=f"get_{c.singular}")

    if c.creator is not None:
        creator_factory = c.creator

        async def create_item(request: Request, ctx: Ctx) -> Response:
            body = await json_body(request)
            if not isinstance(body, dict):
                raise BadRequest("Resource body required")
            create = creator_factory(request)
            if c.key in body and c.bulk:
                items = body[c.key]
                if not isinstance(items, list) or not items:
                    raise BadRequest("Resources required")
                created: list[dict[str, Any]] = []
                try:
                    for item in items:
                        # neutron's bulk form lists bare resources, {"networks": [{...}]}, and
                        # also accepts them wrapped, {"networks": [{"network": {...}}]}
                        if not isinstance(item, dict):
                            raise BadRequest(f"Unable to find '{c.singular}' in request body")
                        if set(item) == {c.singular} and isinstance(item[c.singular], dict):
                            item = item[c.singular]
                        created.append(await create(ctx, item))
                except Exception:
                    # Bulk creation is all or nothing: undo what was created before the failure.
                    if c.deleter is not None:
                        for done in reversed(created):
                            with contextlib.suppress(Exception):
                                await c.deleter(request)(ctx, done["id"])
                    raise
                return json_response({c.key: created}, 201)
            if set(body) != {c.singular}:
                raise BadRequest(f"Unable to find '{c.singular}' in request body")
            return json_response({c.singular: await create(ctx, _resource(body, c.singular))}, 201)

        router.add_api_route(
            collection_path, create_item, methods=["POST"], name=f"create_{c.singular}"
        )

    if c.updater is not None:
        updater_factory = c.updater

        async def update_item(item_id: str, request: Request, ctx: Ctx) -> Response:
            body = await json_body(request)
            if not isinstance(body, dict) or set(body) != {c.singular}:
                raise BadRequest(f"Unable to find '{c.singular}' in request body")
            update = updater_factory(request)
            if c.revisioned:
                view = await update(ctx, item_id, _resource(body, c.singular), if_match(request))
            else:
                view = await update(ctx, item_id, _resource(body, c.singular))
            return json_response({c.singular: view})

        router.add_api_route(item_path, update_item, methods=["PUT"], name=f"update_{c.singular}")

    if c.deleter is not None:
        deleter_factory = c.deleter

        async def delete_item(item_id: str, request: Request, ctx: Ctx) -> Response:
            delete = deleter_factory(request)
            if c.revisioned:
                await delete(ctx, item_id, if_match(request))
            else:
                await delete(ctx, item_id)
            return no_content()

        router.add_api_route(
            item_path, delete_item, methods=["DELETE"], name=f"delete_{c.singular}"
        )


def _resource(body: dict[str, Any], key: str) -> dict[str, Any]:
    inner = body.get(key)
    if not isinstance(inner, dict):
        raise BadRequest(f"Unable to find '{key}' in request body")
    return inner


for _c in COLLECTIONS:
    _register(_c)
    if "_" in _c.path:
        # neutron answers the hyphenated spelling too (network-segment-ranges)
        _register(dataclasses.replace(_c, path=_c.path.replace("_", "-")))


# QoS rule aliases come after the collections: /v2.0/qos/policies/{id} must win.


def _alias(kind: str) -> str:
    if not kind.startswith("alias_"):
        raise NotFound("The resource could not be found.")
    return _rule_type(kind.removeprefix("alias_"))


@router.get("/v2.0/qos/{kind}/{rule_id}")
async def get_qos_rule_alias(kind: str, rule_id: str, request: Request, ctx: Ctx) -> Response:
    rule_type = _alias(kind)
    return json_response(
        {f"{rule_type}_rule": await svc(request).qos.get_rule(ctx, rule_type, rule_id)}
    )


@router.put("/v2.0/qos/{kind}/{rule_id}")
async def update_qos_rule_alias(kind: str, rule_id: str, request: Request, ctx: Ctx) -> Response:
    rule_type = _alias(kind)
    body = await json_body(request)
    return json_response(
        {f"{rule_type}_rule": await svc(request).qos.update_rule(ctx, rule_type, rule_id, body)}
    )


@router.delete("/v2.0/qos/{kind}/{rule_id}")
async def delete_qos_rule_alias(kind: str, rule_id: str, request: Request, ctx: Ctx) -> Response:
    await svc(request).qos.delete_rule(ctx, _alias(kind), rule_id)
    return no_content()


@router.api_route("/v2.0/{rest:path}", methods=["GET", "POST", "PUT", "DELETE"])
async def not_implemented(rest: str, ctx: Ctx) -> Response:
    head = rest.split("/")[0].removesuffix(".json")
    if head in NOT_IMPLEMENTED:
        raise NotImplementedYet(f"The '{head}' API is not implemented by this cloud.")
    raise NotFound("The resource could not be found.")
