"""GET /allocation_candidates: parse request groups and request-wide parameters, ask the
service, shape the answer for the microversion."""

import re
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from stratus.services.placement import policies
from stratus.services.placement.api import schemas
from stratus.services.placement.api.http import respond
from stratus.services.placement.api.params import (
    parse_in_tree,
    parse_member_of,
    parse_required,
    parse_resources,
)
from stratus.services.placement.errors import (
    PlacementBadRequest,
    QueryBadValue,
    QueryDuplicateKey,
    QueryMissingValue,
)
from stratus.services.placement.service import GroupSpec, find_candidates

if TYPE_CHECKING:
    from stratus.services.placement.api.http import Req

_KEY = re.compile(r"^(resources|required|member_of|in_tree)(" + schemas.GROUP + r")?$")
_KEY_1_33 = re.compile(r"^(resources|required|member_of|in_tree)(" + schemas.GROUP_1_33 + r")?$")


def _schema(req: "Req") -> dict[str, Any]:
    for minimum, schema in (
        ("1.36", schemas.CANDIDATES_1_36),
        ("1.35", schemas.CANDIDATES_1_35),
        ("1.33", schemas.CANDIDATES_1_33),
        ("1.31", schemas.CANDIDATES_1_31),
        ("1.25", schemas.CANDIDATES_1_25),
        ("1.21", schemas.CANDIDATES_1_21),
        ("1.17", schemas.CANDIDATES_1_17),
        ("1.16", schemas.CANDIDATES_1_16),
    ):
        if req.at(minimum):
            return schema
    return schemas.CANDIDATES_1_10


def _groups(req: "Req", same_subtrees: list[set[str]]) -> dict[str, GroupSpec]:
    pattern = _KEY_1_33 if req.at("1.33") else _KEY
    groups: dict[str, GroupSpec] = {}
    params = req.request.query_params
    for key in dict.fromkeys(params.keys()):
        match = pattern.match(key)
        if not match:
            continue
        prefix, suffix = match.group(1), match.group(2) or ""
        group = groups.setdefault(suffix, GroupSpec(suffix=suffix))
        value = params.getlist(key)[-1]
        if prefix == "resources":
            group.resources = parse_resources(value)
        elif prefix == "required":
            group.required, group.forbidden = parse_required(req, params.getlist(key), key=key)
        elif prefix == "member_of":
            values = params.getlist(key)
            if len(values) > 1 and not req.at("1.24"):
                raise PlacementBadRequest(
                    f"Multiple member_of{suffix} parameters are not supported"
                )
            for item in values:
                required, forbidden = parse_member_of(item)
                if forbidden and not req.at("1.32"):
                    raise PlacementBadRequest(
                        f"Forbidden member_of{suffix} parameters are not supported in the "
                        "specified microversion"
                    )
                if required:
                    group.member_of.append(required)
                group.forbidden_aggs |= forbidden
        elif prefix == "in_tree":
            group.in_tree = parse_in_tree(value, key)
    resourceless = {s for s, g in groups.items() if not g.resources}
    if req.at("1.36"):
        if len(resourceless) == len(groups):
            raise QueryMissingValue(
                "There must be at least one resources or resources[$S] parameter."
            )
        in_subtrees = set().union(*same_subtrees) if same_subtrees else set()
        bad = [s for s in groups if s in resourceless and s not in in_subtrees]
        if bad:
            raise QueryBadValue(
                "Resourceless suffixed group request should be specified in `same_subtree` "
                f"query param: bad group(s) - {bad}."
            )
        missing = [s for s in sorted(in_subtrees) if s not in groups]
        if missing:
            raise QueryBadValue(
                f"Real suffixes should be specified in `same_subtree`: {missing} not found in "
                f"{list(groups)}."
            )
    else:
        orphans = [f"required{s}" for s, g in groups.items() if g.required and not g.resources]
        if orphans:
            raise PlacementBadRequest(
                "All traits parameters must be associated with resources.  Found the "
                f"following orphaned traits keys: {', '.join(orphans)}"
            )
        orphans = [
            f"member_of{s}"
            for s, g in groups.items()
            if not g.resources and (g.member_of or g.forbidden_aggs)
        ]
        if orphans:
            raise PlacementBadRequest(
                "All member_of parameters must be associated with resources. Found the "
                f"following orphaned member_of keys: {', '.join(orphans)}"
            )
        if not all(g.resources for g in groups.values()):
            raise PlacementBadRequest("All request groups must specify resources.")
        if not groups:
            raise PlacementBadRequest(
                "At least one request group (`resources` or `resources{$S}`) is required."
            )
    if req.at("1.22"):
        conflicts = []
        for suffix, g in groups.items():
            for any_of in g.required:
                if all(t in g.forbidden for t in any_of):
                    conflicts.append(f"required{suffix}: ({', '.join(sorted(any_of))})")
        if conflicts:
            raise PlacementBadRequest(
                "Conflicting required and forbidden traits found in the following traits "
                f"keys: {', '.join(sorted(conflicts))}"
            )
    return groups


async def list_allocation_candidates(req: "Req") -> Response:
    req.require("1.10")
    req.can(policies.CANDIDATES_LIST)
    query = req.query(_schema(req))
    params = req.request.query_params
    limit = int(params.getlist("limit")[0]) if "limit" in query else None
    group_policy = params.getlist("group_policy")[0] if "group_policy" in query else None
    root_required: set[str] = set()
    root_forbidden: set[str] = set()
    if "root_required" in query:
        values = params.getlist("root_required")
        if len(values) > 1:
            raise QueryDuplicateKey("Query parameter 'root_required' may be specified only once.")
        items = [v.strip() for v in values[0].split(",")]
        if not all(items) or not all(i.lstrip("!") for i in items):
            raise PlacementBadRequest(
                "Invalid query string parameters: Expected 'required' parameter value of the "
                f"form: HW_CPU_X86_VMX,!CUSTOM_MAGIC. Got an empty trait in: {values[0]}"
            )
        root_required = {i for i in items if not i.startswith("!")}
        root_forbidden = {i[1:] for i in items if i.startswith("!")}
        conflicts = sorted(root_required & root_forbidden)
        if conflicts:
            raise QueryBadValue(
                "Conflicting required and forbidden traits found in root_required: "
                + ", ".join(conflicts)
            )
    same_subtrees: list[set[str]] = []
    for value in params.getlist("same_subtree") if "same_subtree" in query else []:
        suffixes = {v.strip() for v in value.split(",")}
        if "" in suffixes:
            raise QueryBadValue(
                "Empty string (unsuffixed group) can not be specified in `same_subtree` "
            )
        same_subtrees.append(suffixes)
    groups = _groups(req, same_subtrees)
    if not group_policy and len([s for s in groups if s]) > 1:
        raise PlacementBadRequest(
            'The "group_policy" parameter is required when specifying more than one '
            '"resources{N}" parameter.'
        )
    try:
        found = await find_candidates(
            req.svc,
            list(groups.values()),
            group_policy=group_policy,
            same_subtrees=same_subtrees,
            root_required=root_required,
            root_forbidden=root_forbidden,
            nested_aware=req.at("1.29"),
            limit=limit,
        )
    except PlacementBadRequest as err:
        if err.message.startswith("No such trait"):
            raise
        raise
    requested = {rc for g in groups.values() for rc in g.resources}
    as_dict, with_mappings = req.at("1.12"), req.at("1.34")
    all_classes, with_traits, nested = req.at("1.27"), req.at("1.17"), req.at("1.29")
    allocation_requests: list[Any] = []
    for allocs, mappings in found.requests:
        if as_dict:
            item: dict[str, Any] = {
                "allocations": {rp: {"resources": res} for rp, res in allocs.items()}
            }
            if with_mappings:
                item["mappings"] = mappings
            allocation_requests.append(item)
        else:
            allocation_requests.append(
                {
                    "allocations": [
                        {"resource_provider": {"uuid": rp}, "resources": res}
                        for rp, res in allocs.items()
                    ]
                }
            )
    summaries: dict[str, Any] = {}
    for rp, summary in found.summaries.items():
        resources = summary["resources"]
        if not all_classes:
            resources = {rc: v for rc, v in resources.items() if rc in requested}
        entry: dict[str, Any] = {"resources": resources}
        if with_traits:
            entry["traits"] = summary["traits"]
        if nested:
            entry["parent_provider_uuid"] = summary["parent_provider_uuid"]
            entry["root_provider_uuid"] = summary["root_provider_uuid"]
        summaries[rp] = entry
    body = {"allocation_requests": allocation_requests, "provider_summaries": summaries}
    return respond(req, body)
