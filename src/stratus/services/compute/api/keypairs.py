"""Key pairs: list, import or generate, show, delete (per user; admins name another user)."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.context import RequestContext
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest
from stratus.services.compute import policies
from stratus.services.compute.api.common import (
    body_of,
    int_param,
    links,
    no_content,
    reply,
    services,
    version,
)
from stratus.services.compute.views import keypair_view

router = APIRouter(prefix="/v2.1")


def _user(request: Request, ctx: RequestContext, policy: str, given: str | None = None) -> str:
    user_id = given or request.query_params.get("user_id")
    if user_id and not version(ctx).at_least("2.10"):
        user_id = None
    target = user_id or ctx.user_id
    ctx.can(policy, {"user_id": target})
    return target


@router.get("/os-keypairs")
async def list_keypairs(request: Request, ctx: Ctx) -> Response:
    v = version(ctx)
    user_id = _user(request, ctx, policies.KEYPAIRS_INDEX)
    limit = int_param(request, "limit") if v.at_least("2.35") else None
    marker = request.query_params.get("marker") if v.at_least("2.35") else None
    rows = await services(request).keypairs.list_keypairs(user_id, limit=limit, marker=marker)
    body: dict[str, object] = {
        "keypairs": [{"keypair": keypair_view(k, v, detail=False)} for k in rows]
    }
    if limit and len(rows) == limit:
        base = links(request).base
        body["keypairs_links"] = [
            {"rel": "next", "href": f"{base}/v2.1/os-keypairs?limit={limit}&marker={rows[-1].name}"}
        ]
    return reply(body)


@router.post("/os-keypairs")
async def create_keypair(request: Request, ctx: Ctx) -> Response:
    v = version(ctx)
    body = await body_of(request, "keypair")
    if not isinstance(body, dict):
        raise BadRequest("Invalid input for field/attribute keypair. It is not an object")
    allowed = {"name", "public_key"}
    if v.at_least("2.2"):
        allowed.add("type")
    if v.at_least("2.10"):
        allowed.add("user_id")
    extra = set(body) - allowed
    if extra:
        raise BadRequest(
            "Invalid input for field/attribute keypair. Additional properties are not allowed "
            f"({', '.join(sorted(repr(e) for e in extra))} was unexpected)"
        )
    name = body.get("name")
    if not isinstance(name, str):
        raise BadRequest("Invalid input for field/attribute keypair. 'name' is a required property")
    key_type = body.get("type", "ssh")
    if key_type not in ("ssh", "x509"):
        raise BadRequest(f"Invalid input for field/attribute type. Value: {key_type}.")
    if "public_key" not in body and v.at_least("2.92"):
        # 2.92: import only, nova generates no key pair any more
        raise BadRequest(
            "Invalid input for field/attribute keypair. 'public_key' is a required property"
        )
    public_key = body.get("public_key")
    if public_key is not None and not isinstance(public_key, str):
        raise BadRequest(f"Invalid input for field/attribute public_key. Value: {public_key}.")
    user_id = _user(request, ctx, policies.KEYPAIRS_CREATE, body.get("user_id"))
    row, private = await services(request).keypairs.create(
        user_id=user_id,
        project_id=ctx.project_id,
        name=name,
        public_key=public_key,
        key_type=key_type,
        allow_extended_names=v.at_least("2.92"),
    )
    view = keypair_view(row, v, detail=False, private_key=private)
    view["user_id"] = row.user_id
    status = 201 if v.at_least("2.2") else 200
    return reply({"keypair": view}, status)


@router.get("/os-keypairs/{name}")
async def get_keypair(name: str, request: Request, ctx: Ctx) -> Response:
    user_id = _user(request, ctx, policies.KEYPAIRS_SHOW)
    row = await services(request).keypairs.get(user_id, name)
    return reply({"keypair": keypair_view(row, version(ctx), detail=True)})


@router.delete("/os-keypairs/{name}")
async def delete_keypair(name: str, request: Request, ctx: Ctx) -> Response:
    user_id = _user(request, ctx, policies.KEYPAIRS_DELETE)
    await services(request).keypairs.delete(user_id, name)
    return no_content(204 if version(ctx).at_least("2.2") else 202)
