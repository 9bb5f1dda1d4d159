"""Wire views: how each identity entity looks on the wire, with ``links``."""

from typing import Any

from starlette.requests import Request

from stratus.kit.timeutil import isotime_plain, isotime_z_micro
from stratus.services.identity.auth import TokenData
from stratus.services.identity.models import (
    ROOT_DOMAIN,
    AccessRule,
    ApplicationCredential,
    Credential,
    Endpoint,
    Group,
    Limit,
    Password,
    Project,
    Region,
    RegisteredLimit,
    Role,
    Service,
    Trust,
    User,
)
from stratus.services.identity.role import Grant


def v3_base(request: Request) -> str:
    """The URL prefix up to and including ``/v3`` as the client reached us."""
    url = f"{request.url.scheme}://{request.url.netloc}"
    path = request.url.path
    idx = path.find("/v3")
    prefix = path[: idx + 3] if idx >= 0 else "/v3"
    return url + prefix


def _ts(value: Any) -> str | None:
    return isotime_z_micro(value) if value is not None else None


def collection(
    request: Request, key: str, items: list[dict[str, Any]], next_url: str | None = None
) -> dict[str, Any]:
    return {key: items, "links": {"self": str(request.url), "previous": None, "next": next_url}}


def project(request: Request, p: Project, tags: list[str]) -> dict[str, Any]:
    if p.is_domain:
        return domain(request, p, tags)
    out: dict[str, Any] = {**(p.extra or {})}
    out.update(
        {
            "id": p.id,
            "name": p.name,
            "domain_id": p.domain_id,
            "description": p.description or "",
            "enabled": p.enabled,
            "parent_id": p.parent_id,
            "is_domain": False,
            "tags": tags,
            "options": p.options or {},
            "links": {"self": f"{v3_base(request)}/projects/{p.id}"},
        }
    )
    return out


def domain(request: Request, d: Project, tags: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {**(d.extra or {})}
    out.update(
        {
            "id": d.id,
            "name": d.name,
            "description": d.description or "",
            "enabled": d.enabled,
            "tags": tags or [],
            "options": d.options or {},
            "links": {"self": f"{v3_base(request)}/domains/{d.id}"},
        }
    )
    return out


def user(request: Request, u: User, password: Password | None) -> dict[str, Any]:
    out: dict[str, Any] = {**(u.extra or {})}
    out.update(
        {
            "id": u.id,
            "name": u.name,
            "domain_id": u.domain_id,
            "enabled": u.enabled,
            "password_expires_at": _ts(password.expires_at) if password else None,
            "options": u.options or {},
            "links": {"self": f"{v3_base(request)}/users/{u.id}"},
        }
    )
    if u.default_project_id:
        out["default_project_id"] = u.default_project_id
    if u.description is not None:
        out["description"] = u.description
    if u.email is not None:
        out["email"] = u.email
    return out


def group(request: Request, g: Group) -> dict[str, Any]:
    return {
        **(g.extra or {}),
        "id": g.id,
        "name": g.name,
        "domain_id": g.domain_id,
        "description": g.description or "",
        "links": {"self": f"{v3_base(request)}/groups/{g.id}"},
    }


def role(request: Request, r: Role) -> dict[str, Any]:
    out = {
        "id": r.id,
        "name": r.name,
        "domain_id": None if r.domain_id == ROOT_DOMAIN else r.domain_id,
        "description": r.description,
        "options": r.options or {},
        "links": {"self": f"{v3_base(request)}/roles/{r.id}"},
    }
    return out


def role_ref(request: Request, r: Role) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r.id,
        "name": r.name,
        "links": {"self": f"{v3_base(request)}/roles/{r.id}"},
    }
    if r.domain_id != ROOT_DOMAIN:
        out["domain_id"] = r.domain_id
    return out


def region(request: Request, r: Region) -> dict[str, Any]:
    return {
        **(r.extra or {}),
        "id": r.id,
        "description": r.description,
        "parent_region_id": r.parent_region_id,
        "links": {"self": f"{v3_base(request)}/regions/{r.id}"},
    }


def service(request: Request, s: Service) -> dict[str, Any]:
    extra = {k: v for k, v in (s.extra or {}).items() if k != "stratus"}
    return {
        **extra,
        "id": s.id,
        "type": s.type,
        "enabled": s.enabled,
        "links": {"self": f"{v3_base(request)}/services/{s.id}"},
    }


def endpoint(request: Request, e: Endpoint) -> dict[str, Any]:
    return {
        **(e.extra or {}),
        "id": e.id,
        "interface": e.interface,
        "region_id": e.region_id,
        "region": e.region_id,
        "service_id": e.service_id,
        "url": e.url,
        "enabled": e.enabled,
        "links": {"self": f"{v3_base(request)}/endpoints/{e.id}"},
    }


def credential(request: Request, c: Credential) -> dict[str, Any]:
    return {
        **(c.extra or {}),
        "id": c.id,
        "user_id": c.user_id,
        "project_id": c.project_id,
        "type": c.type,
        "blob": c.blob,
        "links": {"self": f"{v3_base(request)}/credentials/{c.id}"},
    }


def access_rule(request: Request, r: AccessRule) -> dict[str, Any]:
    return {
        "id": r.id,
        "service": r.service,
        "path": r.path,
        "method": r.method,
        "links": {"self": f"{v3_base(request)}/users/{r.user_id}/access_rules/{r.id}"},
    }


def app_cred(
    request: Request,
    c: ApplicationCredential,
    roles: list[Role],
    rules: list[AccessRule],
    secret: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "user_id": c.user_id,
        "project_id": c.project_id,
        "system": c.system,
        "expires_at": isotime_plain(c.expires_at) if c.expires_at else None,
        "unrestricted": c.unrestricted,
        "roles": [
            {
                "id": r.id,
                "name": r.name,
                "domain_id": None if r.domain_id == ROOT_DOMAIN else r.domain_id,
            }
            for r in roles
        ],
        "access_rules": [
            {"id": r.id, "service": r.service, "path": r.path, "method": r.method} for r in rules
        ],
        "links": {"self": f"{v3_base(request)}/users/{c.user_id}/application_credentials/{c.id}"},
    }
    if secret is not None:
        out["secret"] = secret
    return out


def trust(request: Request, t: Trust, roles: list[Role]) -> dict[str, Any]:
    return {
        "id": t.id,
        "trustor_user_id": t.trustor_user_id,
        "trustee_user_id": t.trustee_user_id,
        "project_id": t.project_id,
        "impersonation": t.impersonation,
        "expires_at": _ts(t.expires_at),
        "remaining_uses": t.remaining_uses,
        "redelegated_trust_id": t.redelegated_trust_id,
        "redelegation_count": t.redelegation_count or 0,
        "roles": [role_ref(request, r) for r in roles],
        "roles_links": {
            "self": f"{v3_base(request)}/OS-TRUST/trusts/{t.id}/roles",
            "previous": None,
            "next": None,
        },
        "links": {"self": f"{v3_base(request)}/OS-TRUST/trusts/{t.id}"},
    }


def registered_limit(request: Request, r: RegisteredLimit) -> dict[str, Any]:
    return {
        "id": r.id,
        "service_id": r.service_id,
        "region_id": r.region_id,
        "resource_name": r.resource_name,
        "default_limit": r.default_limit,
        "description": r.description,
        "links": {"self": f"{v3_base(request)}/registered_limits/{r.id}"},
    }


def limit(request: Request, r: Limit) -> dict[str, Any]:
    return {
        "id": r.id,
        "project_id": r.project_id,
        "domain_id": r.domain_id,
        "service_id": r.service_id,
        "region_id": r.region_id,
        "resource_name": r.resource_name,
        "resource_limit": r.resource_limit,
        "description": r.description,
        "links": {"self": f"{v3_base(request)}/limits/{r.id}"},
    }


def grant(request: Request, g: Grant, names: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    base = v3_base(request)
    out: dict[str, Any] = {"role": {"id": g.role_id}, "scope": {}}
    if g.user_id:
        out["user"] = {"id": g.user_id}
    if g.group_id:
        out["group"] = {"id": g.group_id}
    if g.project_id:
        out["scope"]["project"] = {"id": g.project_id}
    elif g.domain_id:
        out["scope"]["domain"] = {"id": g.domain_id}
    elif g.system:
        out["scope"]["system"] = {"all": True}
    if g.inherited and not g.via_project_id:
        out["scope"]["OS-INHERIT:inherited_to"] = "projects"
    actor = (
        f"users/{g.user_id}"
        if g.user_id and not g.via_group_id
        else f"groups/{g.group_id or g.via_group_id}"
    )
    if g.project_id and not g.via_project_id:
        target = f"projects/{g.project_id}"
    elif g.domain_id:
        target = f"domains/{g.domain_id}"
    elif g.via_project_id:
        target = f"projects/{g.via_project_id}"
    else:
        target = "system"
    prefix = "OS-INHERIT/" if g.inherited else ""
    suffix = "/inherited_to_projects" if g.inherited else ""
    if target == "system":
        self_link = f"{base}/system/{actor}/roles/{g.role_id}"
    else:
        self_link = f"{base}/{prefix}{target}/{actor}/roles/{g.role_id}{suffix}"
    out["links"] = {"assignment": self_link}
    if g.via_group_id:
        out["links"]["membership"] = f"{base}/groups/{g.via_group_id}/users/{g.user_id}"
    if g.via_role_id:
        out["links"]["prior_role"] = f"{base}/roles/{g.via_role_id}"
    if names:
        for key in ("role", "user", "group"):
            if key in out and out[key]["id"] in names:
                out[key].update(names[out[key]["id"]])
        for key in ("project", "domain"):
            ref = out["scope"].get(key)
            if ref and ref["id"] in names:
                ref.update(names[ref["id"]])
    return out


def token(request: Request, data: TokenData) -> dict[str, Any]:
    p = data.payload
    body: dict[str, Any] = {
        "methods": list(p.methods),
        "user": {
            "id": data.user.id,
            "name": data.user.name,
            "domain": {"id": data.user_domain.id, "name": data.user_domain.name},
            "password_expires_at": _ts(data.password_expires_at),
        },
        "audit_ids": list(p.audit_ids),
        "expires_at": isotime_z_micro(p.expires_at),
        "issued_at": isotime_z_micro(p.issued_at),
    }
    if data.project is not None:
        body["project"] = {
            "id": data.project.id,
            "name": data.project.name,
            "domain": {
                "id": data.project.domain_id,
                "name": data.project_domain.name if data.project_domain else "",
            },
        }
        body["is_domain"] = False
        if data.is_admin_project:
            body["is_admin_project"] = True
    elif data.domain is not None:
        body["domain"] = {"id": data.domain.id, "name": data.domain.name}
    elif p.system:
        body["system"] = {"all": True}
    if p.scope != "unscoped":
        body["roles"] = [{"id": r.id, "name": r.name} for r in data.roles]
    if data.catalog is not None and p.scope != "unscoped":
        body["catalog"] = data.catalog
        if data.service_providers:
            body["service_providers"] = data.service_providers
    if data.trust is not None:
        body["OS-TRUST:trust"] = {
            "id": data.trust.id,
            "impersonation": data.trust.impersonation,
            "trustor_user": {"id": data.trust.trustor_user_id},
            "trustee_user": {"id": data.trust.trustee_user_id},
            "remaining_uses": data.trust.remaining_uses,
            "expires_at": _ts(data.trust.expires_at),
        }
    if data.app_cred is not None:
        body["application_credential"] = {
            "id": data.app_cred.id,
            "name": data.app_cred.name,
            "restricted": not data.app_cred.unrestricted,
        }
    if data.access_token is not None:
        body["OS-OAUTH1"] = {
            "access_token_id": data.access_token.id,
            "consumer_id": data.access_token.consumer_id,
        }
    return {"token": body}
