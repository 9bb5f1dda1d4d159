"""Helpers every compute handler uses: the service container, links, JSON answers, query
parameters."""

from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.context import RequestContext
from stratus.api.microversion import Version
from stratus.kit.errors import BadRequest
from stratus.services.compute.aggregate import AggregateService
from stratus.services.compute.api.versions import MINIMUM
from stratus.services.compute.flavor import FlavorService
from stratus.services.compute.group import ServerGroupService
from stratus.services.compute.host import HostService
from stratus.services.compute.keypair import KeyPairService
from stratus.services.compute.metadata.service import MetadataService
from stratus.services.compute.quota import QuotaService
from stratus.services.compute.server import ServerService
from stratus.services.compute.usage import UsageService
from stratus.services.compute.views import Links


@dataclass
class ComputeServices:
    flavors: FlavorService
    keypairs: KeyPairService
    quotas: QuotaService
    hosts: HostService
    servers: ServerService
    groups: ServerGroupService
    aggregates: AggregateService
    usage: UsageService
    # Server actions and moves (set by the spec once the server service exists).
    actions: Any = None
    moves: Any = None
    metadata: MetadataService | None = None


def services(request: Request) -> ComputeServices:
    svc: ComputeServices = request.app.state.compute
    return svc


def links(request: Request) -> Links:
    return Links(str(request.base_url))


def version(ctx: RequestContext) -> Version:
    return ctx.version or MINIMUM


def reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    # orjson: server lists are the API's largest answers, polled by clients waiting on builds
    # (a tenth of json.dumps' time; non-string keys, as the NUMA views have, become strings).
    content = orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
    return Response(content, status_code=status, media_type="application/json", headers=headers)


def no_content(status: int = 204) -> Response:
    return Response(status_code=status)


async def body_of(request: Request, key: str) -> Any:
    """The JSON body's ``key`` object (400 when the body or the key is missing)."""
    data = await json_body(request)
    if not isinstance(data, dict) or key not in data:
        raise BadRequest(f"Invalid input for field/attribute {key}. '{key}' is a required property")
    return data[key]


def int_param(request: Request, name: str, *, minimum: int = 0) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(
            f"Invalid input for query parameters {name}. Value: {raw}. '{raw}' is not a 'integer'"
        ) from None
    if value < minimum:
        raise BadRequest(
            f"Invalid input for query parameters {name}. Value: {raw}. "
            f"{value} is less than the minimum of {minimum}"
        )
    return value
