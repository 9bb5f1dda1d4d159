"""Trusts (OS-TRUST), application credentials, access rules and credentials."""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from stratus.api.body import json_body
from stratus.api.deps import Ctx
from stratus.kit.errors import BadRequest, Forbidden
from stratus.services.identity import repository as repo
from stratus.services.identity import views
from stratus.services.identity.api.common import Svc, entity, no_content, ok
from stratus.services.identity.errors import not_found
from stratus.services.identity.models import (
    AccessRule,
    ApplicationCredential,
    Credential,
    Role,
    Trust,
    User,
)

router = APIRouter()


# -- trusts ---------------------------------------------------------------------------------


async def _trust_roles(s: Any, trust: Trust) -> list[Role]:
    roles = await repo.roles_by_ids(s, trust.role_ids or [])
    return [roles[r] for r in trust.role_ids or [] if r in roles]


def _trust_target(t: Trust) -> dict[str, Any]:
    return {
        "target.trust.trustor_user_id": t.trustor_user_id,
        "target.trust.trustee_user_id": t.trustee_user_id,
    }


@router.post("/v3/OS-TRUST/trusts")
async def create_trust(request: Request, ctx: Ctx, svc: Svc) -> Response:
    body = await entity(request, "trust")
    ctx.can("identity:create_trust", {"trust.trustor_user_id": body.get("trustor_user_id")})
    async with svc.db.session() as s:
        row = await svc.delegation.create_trust(s, ctx.authenticated, body)
        roles = await _trust_roles(s, row)
    return ok({"trust": views.trust(request, row, roles)}, 201)


@router.get("/v3/OS-TRUST/trusts")
async def list_trusts(request: Request, ctx: Ctx, svc: Svc) -> Response:
    q = request.query_params
    trustor, trustee = q.get("trustor_user_id"), q.get("trustee_user_id")
    if trustor:
        ctx.can("identity:list_trusts_for_trustor", {"target.trust.trustor_user_id": trustor})
    elif trustee:
        ctx.can("identity:list_trusts_for_trustee", {"target.trust.trustee_user_id": trustee})
    elif not ctx.allows("identity:list_trusts"):
        raise Forbidden(
            "You are not authorized to perform the requested action: identity:list_trusts."
        )
    where: dict[str, Any] = {}
    if trustor:
        where["trustor_user_id"] = trustor
    if trustee:
        where["trustee_user_id"] = trustee
    async with svc.db.reader() as s:
        rows = [t for t in await repo.find(s, Trust, **where) if t.deleted_at is None]
        items = [views.trust(request, t, await _trust_roles(s, t)) for t in rows]
    return ok(views.collection(request, "trusts", items))


@router.get("/v3/OS-TRUST/trusts/{trust_id}")
async def get_trust(trust_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.reader() as s:
        row = await svc.delegation.get_trust(s, trust_id)
        ctx.can("identity:get_trust", _trust_target(row))
        roles = await _trust_roles(s, row)
    return ok({"trust": views.trust(request, row, roles)})


@router.delete("/v3/OS-TRUST/trusts/{trust_id}")
async def delete_trust(trust_id: str, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.session() as s:
        row = await svc.delegation.get_trust(s, trust_id)
        ctx.can("identity:delete_trust", _trust_target(row))
        await svc.delegation.delete_trust(s, trust_id)
    return no_content()


@router.get("/v3/OS-TRUST/trusts/{trust_id}/roles")
async def list_roles_for_trust(trust_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.reader() as s:
        row = await svc.delegation.get_trust(s, trust_id)
        ctx.can("identity:list_roles_for_trust", _trust_target(row))
        roles = await _trust_roles(s, row)
    return ok(views.collection(request, "roles", [views.role_ref(request, r) for r in roles]))


@router.api_route("/v3/OS-TRUST/trusts/{trust_id}/roles/{role_id}", methods=["GET", "HEAD"])
async def get_role_for_trust(
    trust_id: str, role_id: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    async with svc.db.reader() as s:
        row = await svc.delegation.get_trust(s, trust_id)
        ctx.can("identity:get_role_for_trust", _trust_target(row))
        if role_id not in (row.role_ids or []):
            raise not_found("role", role_id)
        role = await svc.roles.get(s, role_id)
    return ok({"role": views.role_ref(request, role)})


# -- application credentials ----------------------------------------------------------------


async def _cred_view(
    request: Request, s: Any, c: ApplicationCredential, secret: str | None = None
) -> dict[str, Any]:
    roles = await repo.roles_by_ids(s, c.role_ids or [])
    rules = (
        await repo.find(s, AccessRule, id=list(c.access_rule_ids or []))
        if c.access_rule_ids
        else []
    )
    return views.app_cred(
        request, c, [roles[r] for r in c.role_ids or [] if r in roles], rules, secret
    )


@router.post("/v3/users/{user_id}/application_credentials")
async def create_application_credential(
    user_id: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:create_application_credential", {"user_id": user_id})
    body = await entity(request, "application_credential")
    async with svc.db.session() as s:
        if await repo.get(s, User, user_id) is None:
            raise not_found("user", user_id)
        row, secret = await svc.delegation.create_app_cred(s, ctx.authenticated, user_id, body)
        view = await _cred_view(request, s, row, secret)
    return ok({"application_credential": view}, 201)


@router.get("/v3/users/{user_id}/application_credentials")
async def list_application_credentials(
    user_id: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:list_application_credentials", {"user_id": user_id})
    where: dict[str, Any] = {"user_id": user_id}
    if "name" in request.query_params:
        where["name"] = request.query_params["name"]
    async with svc.db.reader() as s:
        if await repo.get(s, User, user_id) is None:
            raise not_found("user", user_id)
        rows = await repo.find(s, ApplicationCredential, **where)
        items = [await _cred_view(request, s, c) for c in rows]
    return ok(views.collection(request, "application_credentials", items))


@router.get("/v3/users/{user_id}/application_credentials/{cred_id}")
async def get_application_credential(
    user_id: str, cred_id: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:get_application_credential", {"user_id": user_id})
    async with svc.db.reader() as s:
        row = await svc.delegation.get_app_cred(s, user_id, cred_id)
        view = await _cred_view(request, s, row)
    return ok({"application_credential": view})


@router.delete("/v3/users/{user_id}/application_credentials/{cred_id}")
async def delete_application_credential(user_id: str, cred_id: str, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:delete_application_credential", {"user_id": user_id})
    async with svc.db.session() as s:
        await svc.delegation.delete_app_cred(s, ctx.authenticated, user_id, cred_id)
    return no_content()


@router.get("/v3/users/{user_id}/access_rules")
async def list_access_rules(user_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:list_access_rules", {"target.user.id": user_id})
    q = request.query_params
    where: dict[str, Any] = {"user_id": user_id}
    for key in ("service", "path", "method"):
        if key in q:
            where[key] = q[key]
    async with svc.db.reader() as s:
        if await repo.get(s, User, user_id) is None:
            raise not_found("user", user_id)
        rows = await repo.find(s, AccessRule, **where)
    return ok(
        views.collection(request, "access_rules", [views.access_rule(request, r) for r in rows])
    )


@router.get("/v3/users/{user_id}/access_rules/{rule_id}")
async def get_access_rule(
    user_id: str, rule_id: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:get_access_rule", {"target.user.id": user_id})
    async with svc.db.reader() as s:
        row = await repo.get(s, AccessRule, rule_id)
    if row is None or row.user_id != user_id:
        raise not_found("access rule", rule_id)
    return ok({"access_rule": views.access_rule(request, row)})


@router.delete("/v3/users/{user_id}/access_rules/{rule_id}")
async def delete_access_rule(user_id: str, rule_id: str, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:delete_access_rule", {"target.user.id": user_id})
    async with svc.db.session() as s:
        await svc.delegation.delete_access_rule(s, user_id, rule_id)
    return no_content()


# -- credentials ----------------------------------------------------------------------------


@router.post("/v3/credentials")
async def create_credential(request: Request, ctx: Ctx, svc: Svc) -> Response:
    body = await entity(request, "credential")
    ctx.can("identity:create_credential", {"target.credential.user_id": body.get("user_id")})
    async with svc.db.session() as s:
        row = await svc.delegation.create_credential(s, body)
    return ok({"credential": views.credential(request, row)}, 201)


@router.get("/v3/credentials")
async def list_credentials(request: Request, ctx: Ctx, svc: Svc) -> Response:
    q = request.query_params
    where = {k: q[k] for k in ("user_id", "type") if k in q}
    async with svc.db.reader() as s:
        rows = await repo.find(s, Credential, **where)
    visible = [
        r
        for r in rows
        if ctx.allows("identity:list_credentials", {"target.credential.user_id": r.user_id})
    ]
    return ok(
        views.collection(request, "credentials", [views.credential(request, r) for r in visible])
    )


async def _load_credential(s: Any, svc: Svc, ctx: Ctx, cred_id: str, rule: str) -> Credential:
    row = await repo.get(s, Credential, cred_id)
    if row is None or not ctx.allows(rule, {"target.credential.user_id": row.user_id}):
        if row is not None and rule != "identity:get_credential":
            ctx.can(rule, {"target.credential.user_id": row.user_id})
        raise not_found("credential", cred_id)
    return row


@router.get("/v3/credentials/{cred_id}")
async def get_credential(cred_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.reader() as s:
        row = await _load_credential(s, svc, ctx, cred_id, "identity:get_credential")
    return ok({"credential": views.credential(request, row)})


@router.patch("/v3/credentials/{cred_id}")
async def update_credential(cred_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    body = await entity(request, "credential")
    async with svc.db.session() as s:
        await _load_credential(s, svc, ctx, cred_id, "identity:update_credential")
        row = await svc.delegation.update_credential(s, cred_id, body)
    return ok({"credential": views.credential(request, row)})


@router.delete("/v3/credentials/{cred_id}")
async def delete_credential(cred_id: str, ctx: Ctx, svc: Svc) -> Response:
    async with svc.db.session() as s:
        row = await _load_credential(s, svc, ctx, cred_id, "identity:delete_credential")
        await repo.remove(s, row)
    return no_content()


__all__ = ["BadRequest", "json_body", "router"]
