"""OS-FEDERATION: identity providers, their protocols, mapping rules, service providers."""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from stratus.api.deps import Ctx
from stratus.services.identity import repository as repo
from stratus.services.identity import views
from stratus.services.identity.api.common import Svc, entity, no_content, ok
from stratus.services.identity.federation import Federation
from stratus.services.identity.models import (
    FederationProtocol,
    IdentityProvider,
    Mapping,
    ServiceProvider,
)

router = APIRouter()
FED = "/v3/OS-FEDERATION"


def _fed(svc: Svc) -> Federation:
    return Federation(svc.resources)


def _idp_view(request: Request, i: IdentityProvider) -> dict[str, Any]:
    base = f"{views.v3_base(request)}/OS-FEDERATION/identity_providers/{i.id}"
    return {
        "id": i.id,
        "enabled": i.enabled,
        "description": i.description,
        "domain_id": i.domain_id,
        "authorization_ttl": i.authorization_ttl,
        "remote_ids": list(i.remote_ids or []),
        "links": {"self": base, "protocols": f"{base}/protocols"},
    }


def _protocol_view(request: Request, p: FederationProtocol) -> dict[str, Any]:
    base = f"{views.v3_base(request)}/OS-FEDERATION/identity_providers/{p.idp_id}"
    return {
        "id": p.id,
        "mapping_id": p.mapping_id,
        "remote_id_attribute": p.remote_id_attribute,
        "links": {"self": f"{base}/protocols/{p.id}", "identity_provider": base},
    }


def _mapping_view(request: Request, m: Mapping) -> dict[str, Any]:
    return {
        "id": m.id,
        "rules": m.rules,
        "schema_version": m.schema_version,
        "links": {"self": f"{views.v3_base(request)}/OS-FEDERATION/mappings/{m.id}"},
    }


def _sp_view(request: Request, p: ServiceProvider) -> dict[str, Any]:
    return {
        "id": p.id,
        "auth_url": p.auth_url,
        "sp_url": p.sp_url,
        "description": p.description,
        "enabled": p.enabled,
        "relay_state_prefix": p.relay_state_prefix,
        "links": {"self": f"{views.v3_base(request)}/OS-FEDERATION/service_providers/{p.id}"},
    }


# -- identity providers ---------------------------------------------------------------------


@router.put(f"{FED}/identity_providers/{{idp_id}}")
async def create_identity_provider(idp_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:create_identity_provider")
    body = await entity(request, "identity_provider")
    async with svc.db.session() as s:
        row = await _fed(svc).create_idp(s, idp_id, body)
    return ok({"identity_provider": _idp_view(request, row)}, 201)


@router.get(f"{FED}/identity_providers")
async def list_identity_providers(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:list_identity_providers")
    async with svc.db.reader() as s:
        rows = await repo.find(s, IdentityProvider)
    q = request.query_params
    if "id" in q:
        rows = [r for r in rows if r.id == q["id"]]
    if "enabled" in q:
        wanted = q["enabled"].lower() not in ("0", "false", "no")
        rows = [r for r in rows if r.enabled == wanted]
    return ok(
        views.collection(request, "identity_providers", [_idp_view(request, r) for r in rows])
    )


@router.get(f"{FED}/identity_providers/{{idp_id}}")
async def get_identity_provider(idp_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:get_identity_provider")
    async with svc.db.reader() as s:
        row = await _fed(svc).get_idp(s, idp_id)
    return ok({"identity_provider": _idp_view(request, row)})


@router.patch(f"{FED}/identity_providers/{{idp_id}}")
async def update_identity_provider(idp_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:update_identity_provider")
    body = await entity(request, "identity_provider")
    async with svc.db.session() as s:
        row = await _fed(svc).update_idp(s, idp_id, body)
    return ok({"identity_provider": _idp_view(request, row)})


@router.delete(f"{FED}/identity_providers/{{idp_id}}")
async def delete_identity_provider(idp_id: str, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:delete_identity_provider")
    async with svc.db.session() as s:
        await _fed(svc).delete_idp(s, idp_id)
    return no_content()


# -- protocols ------------------------------------------------------------------------------

PROTOCOL = f"{FED}/identity_providers/{{idp_id}}/protocols/{{protocol_id}}"


@router.put(PROTOCOL)
async def create_protocol(
    idp_id: str, protocol_id: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:create_protocol")
    body = await entity(request, "protocol")
    async with svc.db.session() as s:
        row = await _fed(svc).create_protocol(s, idp_id, protocol_id, body)
    return ok({"protocol": _protocol_view(request, row)}, 201)


@router.get(f"{FED}/identity_providers/{{idp_id}}/protocols")
async def list_protocols(idp_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:list_protocols")
    async with svc.db.reader() as s:
        await _fed(svc).get_idp(s, idp_id)
        rows = await repo.find(s, FederationProtocol, idp_id=idp_id)
    return ok(views.collection(request, "protocols", [_protocol_view(request, r) for r in rows]))


@router.get(PROTOCOL)
async def get_protocol(
    idp_id: str, protocol_id: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:get_protocol")
    async with svc.db.reader() as s:
        row = await _fed(svc).get_protocol(s, idp_id, protocol_id)
    return ok({"protocol": _protocol_view(request, row)})


@router.patch(PROTOCOL)
async def update_protocol(
    idp_id: str, protocol_id: str, request: Request, ctx: Ctx, svc: Svc
) -> Response:
    ctx.can("identity:update_protocol")
    body = await entity(request, "protocol")
    async with svc.db.session() as s:
        row = await _fed(svc).update_protocol(s, idp_id, protocol_id, body)
    return ok({"protocol": _protocol_view(request, row)})


@router.delete(PROTOCOL)
async def delete_protocol(idp_id: str, protocol_id: str, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:delete_protocol")
    async with svc.db.session() as s:
        await repo.remove(s, await _fed(svc).get_protocol(s, idp_id, protocol_id))
    return no_content()


# -- mappings -------------------------------------------------------------------------------


@router.put(f"{FED}/mappings/{{mapping_id}}")
async def create_mapping(mapping_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:create_mapping")
    body = await entity(request, "mapping")
    async with svc.db.session() as s:
        row = await _fed(svc).create_mapping(s, mapping_id, body)
    return ok({"mapping": _mapping_view(request, row)}, 201)


@router.get(f"{FED}/mappings")
async def list_mappings(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:list_mappings")
    async with svc.db.reader() as s:
        rows = await repo.find(s, Mapping)
    return ok(views.collection(request, "mappings", [_mapping_view(request, r) for r in rows]))


@router.get(f"{FED}/mappings/{{mapping_id}}")
async def get_mapping(mapping_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:get_mapping")
    async with svc.db.reader() as s:
        row = await _fed(svc).get_mapping(s, mapping_id)
    return ok({"mapping": _mapping_view(request, row)})


@router.patch(f"{FED}/mappings/{{mapping_id}}")
async def update_mapping(mapping_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:update_mapping")
    body = await entity(request, "mapping")
    async with svc.db.session() as s:
        row = await _fed(svc).update_mapping(s, mapping_id, body)
    return ok({"mapping": _mapping_view(request, row)})


@router.delete(f"{FED}/mappings/{{mapping_id}}")
async def delete_mapping(mapping_id: str, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:delete_mapping")
    async with svc.db.session() as s:
        await repo.remove(s, await _fed(svc).get_mapping(s, mapping_id))
    return no_content()


# -- service providers ----------------------------------------------------------------------


@router.put(f"{FED}/service_providers/{{sp_id}}")
async def create_service_provider(sp_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:create_service_provider")
    body = await entity(request, "service_provider")
    async with svc.db.session() as s:
        row = await _fed(svc).create_sp(s, sp_id, body)
    svc.catalog.changed()
    return ok({"service_provider": _sp_view(request, row)}, 201)


@router.get(f"{FED}/service_providers")
async def list_service_providers(request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:list_service_providers")
    async with svc.db.reader() as s:
        rows = await repo.find(s, ServiceProvider)
    return ok(views.collection(request, "service_providers", [_sp_view(request, r) for r in rows]))


@router.get(f"{FED}/service_providers/{{sp_id}}")
async def get_service_provider(sp_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:get_service_provider")
    async with svc.db.reader() as s:
        row = await _fed(svc).get_sp(s, sp_id)
    return ok({"service_provider": _sp_view(request, row)})


@router.patch(f"{FED}/service_providers/{{sp_id}}")
async def update_service_provider(sp_id: str, request: Request, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:update_service_provider")
    body = await entity(request, "service_provider")
    async with svc.db.session() as s:
        row = await _fed(svc).update_sp(s, sp_id, body)
    svc.catalog.changed()
    return ok({"service_provider": _sp_view(request, row)})


@router.delete(f"{FED}/service_providers/{{sp_id}}")
async def delete_service_provider(sp_id: str, ctx: Ctx, svc: Svc) -> Response:
    ctx.can("identity:delete_service_provider")
    async with svc.db.session() as s:
        await repo.remove(s, await _fed(svc).get_sp(s, sp_id))
    svc.catalog.changed()
    return no_content()


@router.api_route(f"{FED}/{{rest:path}}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def federated_authentication(rest: str) -> Response:
    from stratus.kit.errors import NotImplementedYet

    raise NotImplementedYet(
        "Federated authentication (SAML2, OpenID Connect, websso) is not "
        "offered by Stratus; only the OS-FEDERATION registry is."
    )
