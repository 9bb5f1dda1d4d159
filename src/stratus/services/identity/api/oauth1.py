"""``/v3/OS-OAUTH1/*`` and ``/v3/users/{user_id}/OS-OAUTH1/access_tokens``: consumers, the
request token → authorize → access token legs, and a user's delegated access tokens."""

import secrets
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest, Forbidden
from stratus.kit.ids import hex_id
from stratus.kit.timeutil import isotime_z_micro
from stratus.services.identity import repository as repo
from stratus.services.identity import views
from stratus.services.identity.api.common import Svc, entity, no_content, ok
from stratus.services.identity.errors import not_found
from stratus.services.identity.models import Consumer, OAuthAccessToken
from stratus.services.identity.oauth1 import SignedRequest, form_body, query_params

router = APIRouter()
BASE = "/v3/OS-OAUTH1"
FORM = "application/x-www-form-urlencoded"


def signed_request(request: Request) -> SignedRequest:
    """The request as its OAuth signature covers it: the URL the client addressed."""
    url = f"{request.url.scheme}://{request.url.netloc}{request.url.path}"
    return SignedRequest(
        method=request.method,
        url=url,
        authorization=request.headers.get("authorization"),
        extra_params=query_params(request.url.query),
    )


def _expiry(value: Any) -> str | None:
    return isotime_z_micro(value) if value is not None else None


# -- consumers -----------------------------------------------------------------------------


def _consumer_view(request: Request, c: Consumer, secret: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        **(c.extra or {}),
        "id": c.id,
        "description": c.description,
        "links": {"self": f"{views.v3_base(request)}/OS-OAUTH1/consumers/{c.id}"},
    }
    if secret is not None:
        out["secret"] = secret
    return out


@router.post(f"{BASE}/consumers")
async def create_consumer(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:create_consumer")
    body = await json_body(request, required=False) or {}
    consumer = body.get("consumer", {}) if isinstance(body, dict) else None
    if not isinstance(consumer, dict):
        raise BadRequest("Invalid input for field 'consumer'.")
    secret = secrets.token_urlsafe(24)
    extra = {k: v for k, v in consumer.items() if k not in ("id", "description", "secret")}
    row = Consumer(id=hex_id(), description=consumer.get("description"), secret=secret, extra=extra)
    async with svc.db.session() as s:
        await repo.add(s, row)
    return ok({"consumer": _consumer_view(request, row, secret)}, 201)


@router.get(f"{BASE}/consumers")
async def list_consumers(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:list_consumers")
    async with svc.db.reader() as s:
        rows = await repo.find(s, Consumer)
    return ok(views.collection(request, "consumers", [_consumer_view(request, c) for c in rows]))


@router.get(f"{BASE}/consumers/{{consumer_id}}")
async def get_consumer(consumer_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:get_consumer")
    async with svc.db.reader() as s:
        row = await svc.oauth1.consumer(s, consumer_id)
    return ok({"consumer": _consumer_view(request, row)})


@router.patch(f"{BASE}/consumers/{{consumer_id}}")
async def update_consumer(consumer_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:update_consumer")
    body = await entity(request, "consumer")
    if "secret" in body or ("id" in body and body["id"] != consumer_id):
        raise BadRequest("Invalid input for field 'consumer': id and secret cannot be changed.")
    async with svc.db.session() as s:
        row = await svc.oauth1.consumer(s, consumer_id)
        if "description" in body:
            row.description = body["description"]
        row.extra = {
            **(row.extra or {}),
            **{k: v for k, v in body.items() if k not in ("id", "description")},
        }
    return ok({"consumer": _consumer_view(request, row)})


@router.delete(f"{BASE}/consumers/{{consumer_id}}")
async def delete_consumer(consumer_id: str, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:delete_consumer")
    async with svc.db.session() as s:
        await svc.oauth1.delete_consumer(s, consumer_id)
    return no_content()


# -- the three legs ------------------------------------------------------------------------


@router.post(f"{BASE}/request_token")
async def create_request_token(request: Request, svc: Svc) -> Response:
    """Signed by the consumer alone; no Keystone token."""
    async with svc.db.session() as s:
        row = await svc.oauth1.create_request_token(
            s, signed_request(request), request.headers.get("requested-project-id")
        )
    body = form_body(row.id, row.secret, _expiry(row.expires_at))
    return Response(body, status_code=201, media_type=FORM)


@router.put(f"{BASE}/authorize/{{request_token_id}}")
async def authorize_request_token(
    request_token_id: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:authorize_request_token")
    if "oauth1" in ctx.authenticated.methods:
        raise Forbidden("A token issued through OAuth cannot authorize another request token.")
    body = await json_body(request)
    if not isinstance(body, dict) or "roles" not in body:
        raise BadRequest("Invalid input for field 'roles': 'roles' is a required property.")
    async with svc.db.session() as s:
        verifier = await svc.oauth1.authorize(
            s,
            request_token_id,
            user_id=ctx.user_id,
            group_ids=await repo.group_ids_of(s, ctx.user_id),
            role_refs=body["roles"],
        )
    return ok({"token": {"oauth_verifier": verifier}})


@router.post(f"{BASE}/access_token")
async def create_access_token(request: Request, svc: Svc) -> Response:
    """Signed by the consumer with the authorized request token and its verifier."""
    async with svc.db.session() as s:
        row = await svc.oauth1.create_access_token(s, signed_request(request))
    body = form_body(row.id, row.secret, _expiry(row.expires_at))
    return Response(body, status_code=201, media_type=FORM)


# -- a user's access tokens ----------------------------------------------------------------

USER_TOKENS = "/v3/users/{user_id}/OS-OAUTH1/access_tokens"


def _access_view(request: Request, a: OAuthAccessToken) -> dict[str, Any]:
    base = views.v3_base(request)
    return {
        "id": a.id,
        "consumer_id": a.consumer_id,
        "project_id": a.project_id,
        "authorizing_user_id": a.authorizing_user_id,
        "expires_at": _expiry(a.expires_at),
        "links": {
            "self": f"{base}/users/{a.authorizing_user_id}/OS-OAUTH1/access_tokens/{a.id}",
            "roles": f"{base}/users/{a.authorizing_user_id}/OS-OAUTH1/access_tokens/{a.id}/roles",
        },
    }


def _owner(user_id: str) -> dict[str, Any]:
    return {"user_id": user_id, "target.user.id": user_id}


@router.get(USER_TOKENS)
async def list_access_tokens(user_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:list_access_tokens", _owner(user_id))
    async with svc.db.reader() as s:
        rows = await svc.oauth1.access_tokens(s, user_id)
    return ok(views.collection(request, "access_tokens", [_access_view(request, a) for a in rows]))


@router.get(USER_TOKENS + "/{access_token_id}")
async def get_access_token(
    user_id: str, access_token_id: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:get_access_token", _owner(user_id))
    async with svc.db.reader() as s:
        row = await svc.oauth1.access_token(s, user_id, access_token_id)
    return ok({"access_token": _access_view(request, row)})


@router.delete(USER_TOKENS + "/{access_token_id}")
async def revoke_access_token(user_id: str, access_token_id: str, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:revoke_access_token", _owner(user_id))
    async with svc.db.session() as s:
        await svc.oauth1.revoke_access_token(s, user_id, access_token_id)
    return no_content()


@router.get(USER_TOKENS + "/{access_token_id}/roles")
async def list_access_token_roles(
    user_id: str, access_token_id: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:list_access_token_roles", _owner(user_id))
    async with svc.db.reader() as s:
        row = await svc.oauth1.access_token(s, user_id, access_token_id)
        roles = await svc.oauth1.token_roles(s, row)
    return ok(views.collection(request, "roles", [views.role(request, r) for r in roles]))


@router.get(USER_TOKENS + "/{access_token_id}/roles/{role_id}")
async def get_access_token_role(
    user_id: str, access_token_id: str, role_id: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:get_access_token_role", _owner(user_id))
    async with svc.db.reader() as s:
        row = await svc.oauth1.access_token(s, user_id, access_token_id)
        roles = {r.id: r for r in await svc.oauth1.token_roles(s, row)}
    if role_id not in roles:
        raise not_found("role", role_id)
    return ok({"role": views.role(request, roles[role_id])})
