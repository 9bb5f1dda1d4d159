"""``/v3/auth/*``: issue, validate, check and revoke tokens; the token's catalog, projects,
domains and system."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.deps import Ctx
from stratus.kit.errors import NotFound, Unauthorized
from stratus.services.identity import repository as repo
from stratus.services.identity import views
from stratus.services.identity.api.common import Svc, flag, no_content, ok
from stratus.services.identity.api.oauth1 import signed_request
from stratus.services.identity.auth import TokenData

router = APIRouter()
SUBJECT = "X-Subject-Token"


async def _render(request: Request, svc: Svc, data: TokenData, status: int) -> Response:
    body = views.token(request, data)
    return ok(body, status, headers={SUBJECT: data.token})


@router.post("/v3/auth/tokens")
async def create_token(request: Request, svc: Svc) -> Response:
    body = await json_body(request)
    data = await svc.auth.authenticate(
        body, nocatalog=flag(request, "nocatalog"), signed=signed_request(request)
    )
    return await _render(request, svc, data, 201)


async def _subject(request: Request, ctx: Ctx, svc: Svc, *, nocatalog: bool) -> TokenData:
    subject = request.headers.get(SUBJECT)
    if not subject:
        raise NotFound("Could not find token: no X-Subject-Token given.")
    allow_expired = flag(request, "allow_expired")
    try:
        data = await svc.auth.validate(subject, nocatalog=nocatalog, allow_expired=allow_expired)
    except NotFound:
        raise NotFound(f"Could not find token: {subject}.") from None
    ctx.can(
        "identity:validate_token",
        {"target.token.user_id": data.user.id, "token": {"user_id": data.user.id}},
    )
    return data


@router.get("/v3/auth/tokens")
async def validate_token(request: Request, ctx: Ctx, svc: Svc) -> Response:
    data = await _subject(request, ctx, svc, nocatalog=flag(request, "nocatalog"))
    return await _render(request, svc, data, 200)


@router.head("/v3/auth/tokens")
async def check_token(request: Request, ctx: Ctx, svc: Svc) -> Response:
    await _subject(request, ctx, svc, nocatalog=True)
    return Response(status_code=200)


@router.delete("/v3/auth/tokens")
async def revoke_token(request: Request, ctx: Ctx, svc: Svc) -> Response:
    data = await _subject(request, ctx, svc, nocatalog=True)
    ctx.can("identity:revoke_token", {"target.token.user_id": data.user.id})
    await svc.auth.revoke_token(data.token)
    return no_content()


@router.get("/v3/auth/catalog")
async def get_auth_catalog(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:get_auth_catalog")
    auth = ctx.authenticated
    if auth.project_id is None and auth.domain_id is None and auth.system_scope is None:
        raise Unauthorized("The catalog needs a scoped token.")
    async with svc.db.reader() as s:
        catalog = await svc.catalog.for_token(s, auth.project_id, auth.user_id)
    return ok(
        {"catalog": catalog, "links": {"self": str(request.url), "previous": None, "next": None}}
    )


@router.get("/v3/auth/projects")
async def get_auth_projects(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:get_auth_projects")
    async with svc.db.reader() as s:
        projects = await svc.user_projects(s, ctx.user_id)
        tags = await repo.project_tags(s, [p.id for p in projects])
    return ok(
        views.collection(
            request, "projects", [views.project(request, p, tags[p.id]) for p in projects]
        )
    )


@router.get("/v3/auth/domains")
async def get_auth_domains(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:get_auth_domains")
    async with svc.db.reader() as s:
        domains = await svc.user_domains(s, ctx.user_id)
    return ok(views.collection(request, "domains", [views.domain(request, d) for d in domains]))


@router.get("/v3/auth/system")
async def get_auth_system(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:get_auth_system")
    async with svc.db.reader() as s:
        has = await svc.has_system_role(s, ctx.user_id)
    return ok(
        {
            "system": [{"all": True}] if has else [],
            "links": {"self": str(request.url), "previous": None, "next": None},
        }
    )
