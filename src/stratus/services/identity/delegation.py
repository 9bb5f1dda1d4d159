"""Delegation: trusts (RA1 mandatory), application credentials with access rules, and EC2-style
credentials."""

import hashlib
import json
import secrets
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.auth import AuthInfo
from stratus.conf import IdentitySettings
from stratus.kit.ids import hex_id
from stratus.kit.timeutil import parse_isotime, utcnow
from stratus.services.identity import repository as repo
from stratus.services.identity.errors import BadRequest, Forbidden, conflict, not_found
from stratus.services.identity.models import (
    AccessRule,
    ApplicationCredential,
    Credential,
    Project,
    Role,
    Trust,
)
from stratus.services.identity.password import hash_password
from stratus.services.identity.revoke import Revoker
from stratus.services.identity.role import Roles
from stratus.services.identity.user import Users


def _expiry(value: Any, field: str) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"Invalid input for field '{field}'.")
    try:
        parsed = parse_isotime(value)
    except ValueError:
        raise BadRequest(
            f"Invalid input for field '{field}': {value!r} is not a timestamp."
        ) from None
    return parsed


async def _role_refs(s: AsyncSession, roles: Roles, refs: Any, field: str) -> list[Role]:
    if not isinstance(refs, list):
        raise BadRequest(f"Invalid input for field '{field}': expected a list.")
    out = []
    for ref in refs:
        if not isinstance(ref, dict):
            raise BadRequest(f"Invalid input for field '{field}'.")
        if ref.get("id"):
            out.append(await roles.get(s, ref["id"]))
        elif ref.get("name"):
            out.append(await roles.by_name(s, ref["name"], (ref.get("domain_id"))))
        else:
            raise BadRequest(f"Invalid input for field '{field}': a role needs an id or a name.")
    return out


class Delegation:
    def __init__(
        self, conf: IdentitySettings, users: Users, roles: Roles, revoker: Revoker
    ) -> None:
        self.conf = conf
        self.users = users
        self.roles = roles
        self.revoker = revoker

    # -- trusts ----------------------------------------------------------------------------

    async def get_trust(self, s: AsyncSession, trust_id: str) -> Trust:
        row = await repo.get(s, Trust, trust_id)
        if row is None or row.deleted_at is not None:
            raise not_found("trust", trust_id)
        if row.expires_at is not None and row.expires_at < utcnow():
            raise not_found("trust", trust_id)
        return row

    async def create_trust(self, s: AsyncSession, caller: AuthInfo, body: dict[str, Any]) -> Trust:
        if caller.trust_id and not body.get("redelegated_trust_id"):
            raise Forbidden("A trust token cannot be used to create a trust.")
        if caller.application_credential_id:
            cred = await repo.get(s, ApplicationCredential, caller.application_credential_id)
            if cred is not None and not cred.unrestricted:
                raise Forbidden(
                    "Using method 'application_credential' is not allowed for managing trusts."
                )
        trustor = body.get("trustor_user_id")
        trustee = body.get("trustee_user_id")
        if not isinstance(trustor, str) or not isinstance(trustee, str):
            raise BadRequest(
                "Invalid input for field 'trust': trustor_user_id and trustee_user_id are required."
            )
        if "impersonation" in body and not isinstance(body["impersonation"], bool):
            raise BadRequest("Invalid input for field 'impersonation'.")
        if trustor != caller.user_id:
            raise Forbidden("The authenticated user should match the trustor.")
        await self.users.get(s, trustee)
        project_id = body.get("project_id")
        role_refs = body.get("roles") or []
        if role_refs and not project_id:
            raise BadRequest("A project is required when roles are delegated.")
        roles = await _role_refs(s, self.roles, role_refs, "roles")
        if project_id:
            project = await repo.get(s, Project, project_id)
            if project is None or project.is_domain:
                raise not_found("project", project_id)
            groups = await repo.group_ids_of(s, trustor)
            held = await self.roles.effective_role_ids(
                s, user_id=trustor, group_ids=groups, project=project
            )
            for role in roles:
                if role.id not in held:
                    raise Forbidden(f"Trustor does not have the role {role.id} to delegate.")
        uses = body.get("remaining_uses")
        if uses is not None and (not isinstance(uses, int) or isinstance(uses, bool) or uses <= 0):
            raise BadRequest("remaining_uses must be a positive integer or null.")
        expires = _expiry(body.get("expires_at"), "expires_at")
        if expires is not None and expires < utcnow():
            raise BadRequest("Trust expiry date is in the past.")
        row = Trust(
            id=hex_id(),
            trustor_user_id=trustor,
            trustee_user_id=trustee,
            project_id=project_id,
            impersonation=bool(body.get("impersonation", False)),
            expires_at=expires,
            remaining_uses=uses,
            role_ids=[r.id for r in roles],
            redelegation_count=body.get("redelegation_count"),
            redelegated_trust_id=body.get("redelegated_trust_id"),
            extra={},
        )
        await repo.add(s, row)
        return row

    async def delete_trust(self, s: AsyncSession, trust_id: str) -> None:
        row = await self.get_trust(s, trust_id)
        row.deleted_at = utcnow()
        await self.revoker.revoke(s, trust_id=trust_id)

    # -- application credentials -----------------------------------------------------------

    async def get_app_cred(
        self, s: AsyncSession, user_id: str, cred_id: str
    ) -> ApplicationCredential:
        row = await repo.get(s, ApplicationCredential, cred_id)
        if row is None or row.user_id != user_id:
            raise not_found("application credential", cred_id)
        return row

    async def create_app_cred(
        self, s: AsyncSession, caller: AuthInfo, user_id: str, body: dict[str, Any]
    ) -> tuple[ApplicationCredential, str]:
        if caller.user_id != user_id:
            raise Forbidden(
                "You are not authorized to create application credentials for another user."
            )
        if caller.application_credential_id:
            parent = await repo.get(s, ApplicationCredential, caller.application_credential_id)
            if parent is not None and not parent.unrestricted:
                raise Forbidden(
                    "Using method 'application_credential' is not allowed for "
                    "managing additional application credentials."
                )
        if caller.trust_id:
            raise Forbidden("A trust token cannot be used to create an application credential.")
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise BadRequest("Invalid input for field 'name': 'name' is a required property.")
        if caller.project_id is None and caller.system_scope is None:
            raise Forbidden("Application credentials need a project-scoped token.")
        if await repo.find_one(s, ApplicationCredential, user_id=user_id, name=name):
            raise conflict("application_credential", "Duplicate entry")
        held = set(caller.role_ids)
        if body.get("roles"):
            roles = await _role_refs(s, self.roles, body["roles"], "roles")
            for role in roles:
                if role.id not in held:
                    raise Forbidden(
                        f"Cannot delegate role {role.id}: the user does not hold it on the project."
                    )
            role_ids = [r.id for r in roles]
        else:
            role_ids = list(caller.role_ids)
        secret = body.get("secret")
        if secret is None:
            secret = secrets.token_urlsafe(64)
        if not isinstance(secret, str):
            raise BadRequest("Invalid input for field 'secret'.")
        unrestricted = body.get("unrestricted", False)
        if not isinstance(unrestricted, bool):
            raise BadRequest("Invalid input for field 'unrestricted'.")
        expires = _expiry(body.get("expires_at"), "expires_at")
        rule_ids = await self._access_rules(s, user_id, body.get("access_rules"))
        row = ApplicationCredential(
            id=hex_id(),
            name=name,
            secret_hash=await hash_password(secret, 4),
            description=body.get("description"),
            user_id=user_id,
            project_id=caller.project_id,
            system=caller.system_scope,
            expires_at=expires,
            unrestricted=unrestricted,
            role_ids=role_ids,
            access_rule_ids=rule_ids,
        )
        await repo.add(s, row)
        return row, secret

    async def _access_rules(self, s: AsyncSession, user_id: str, rules: Any) -> list[str]:
        if rules is None:
            return []
        if not isinstance(rules, list):
            raise BadRequest("Invalid input for field 'access_rules'.")
        ids = []
        for rule in rules:
            if not isinstance(rule, dict):
                raise BadRequest("Invalid input for field 'access_rules'.")
            if rule.get("id"):
                existing = await repo.get(s, AccessRule, rule["id"])
                if existing is None or existing.user_id != user_id:
                    raise not_found("access rule", rule["id"])
                ids.append(existing.id)
                continue
            service, path, method = rule.get("service"), rule.get("path"), rule.get("method")
            if not all(isinstance(v, str) for v in (service, path, method)) or method not in (
                "GET",
                "HEAD",
                "POST",
                "PUT",
                "PATCH",
                "DELETE",
            ):
                raise BadRequest("Invalid input for field 'access_rules'.")
            found = await repo.find_one(
                s, AccessRule, user_id=user_id, service=service, path=path, method=method
            )
            if found is None:
                found = AccessRule(
                    id=hex_id(), user_id=user_id, service=service, path=path, method=method
                )
                await repo.add(s, found)
            ids.append(found.id)
        return ids

    async def delete_app_cred(
        self, s: AsyncSession, caller: AuthInfo, user_id: str, cred_id: str
    ) -> None:
        row = await self.get_app_cred(s, user_id, cred_id)
        if caller.application_credential_id:
            parent = await repo.get(s, ApplicationCredential, caller.application_credential_id)
            if parent is not None and not parent.unrestricted:
                raise Forbidden(
                    "Using method 'application_credential' is not allowed for "
                    "managing additional application credentials."
                )
        await repo.remove(s, row)
        await self.revoker.revoke(s, application_credential_id=cred_id)

    async def delete_access_rule(self, s: AsyncSession, user_id: str, rule_id: str) -> None:
        rule = await repo.get(s, AccessRule, rule_id)
        if rule is None or rule.user_id != user_id:
            raise not_found("access rule", rule_id)
        for cred in await repo.find(s, ApplicationCredential, user_id=user_id):
            if rule_id in (cred.access_rule_ids or []):
                raise Forbidden(
                    f"Cannot delete access rule {rule_id}: it is used by an application credential."
                )
        await repo.remove(s, rule)

    # -- credentials -----------------------------------------------------------------------

    async def get_credential(self, s: AsyncSession, cred_id: str) -> Credential:
        row = await repo.get(s, Credential, cred_id)
        if row is None:
            raise not_found("credential", cred_id)
        return row

    async def create_credential(self, s: AsyncSession, body: dict[str, Any]) -> Credential:
        for key in ("user_id", "type", "blob"):
            if not isinstance(body.get(key), str):
                raise BadRequest(
                    f"Invalid input for field '{key}': '{key}' is a required property."
                )
        cred_id = hex_id()
        if body["type"] == "ec2":
            try:
                blob = json.loads(body["blob"])
            except ValueError:
                raise BadRequest("Invalid blob in credential.") from None
            if not isinstance(blob, dict) or not blob.get("access"):
                raise BadRequest("Invalid blob in credential.")
            if not body.get("project_id"):
                raise BadRequest("Project ID not found: an ec2 credential needs a project_id.")
            cred_id = hashlib.sha256(str(blob["access"]).encode()).hexdigest()
            if await repo.get(s, Credential, cred_id):
                raise conflict("credential", "Duplicate entry")
        await self.users.get(s, body["user_id"])
        extra = {
            k: v
            for k, v in body.items()
            if k not in ("user_id", "type", "blob", "project_id", "id")
        }
        row = Credential(
            id=cred_id,
            user_id=body["user_id"],
            project_id=body.get("project_id"),
            type=body["type"],
            blob=body["blob"],
            extra=extra,
        )
        await repo.add(s, row)
        return row

    async def update_credential(
        self, s: AsyncSession, cred_id: str, body: dict[str, Any]
    ) -> Credential:
        row = await self.get_credential(s, cred_id)
        for key in ("user_id", "project_id", "type", "blob"):
            if key in body:
                setattr(row, key, body[key])
        await s.flush()
        return row


class Ec2Credentials:
    """OS-EC2: access/secret pairs for a user on a project, stored as ``ec2`` credentials."""

    def __init__(self, users: Users) -> None:
        self.users = users

    @staticmethod
    def cred_id(access: str) -> str:
        return hashlib.sha256(access.encode()).hexdigest()

    async def create(
        self, s: AsyncSession, caller: AuthInfo, user_id: str, body: dict[str, Any]
    ) -> Credential:
        await self.users.get(s, user_id)
        project_id = body.get("tenant_id") or body.get("project_id")
        if not isinstance(project_id, str):
            raise BadRequest("Invalid input for field 'tenant_id': 'tenant_id' is required.")
        project = await repo.get(s, Project, project_id)
        if project is None or project.is_domain:
            raise not_found("project", project_id)
        access, secret = secrets.token_hex(16), secrets.token_hex(16)
        blob = {"access": access, "secret": secret, "trust_id": caller.trust_id}
        row = Credential(
            id=self.cred_id(access),
            user_id=user_id,
            project_id=project_id,
            type="ec2",
            blob=json.dumps(blob),
            extra={},
        )
        await repo.add(s, row)
        return row

    async def get(self, s: AsyncSession, user_id: str, access: str) -> Credential:
        row = await repo.get(s, Credential, self.cred_id(access))
        if row is None or row.type != "ec2" or row.user_id != user_id:
            raise not_found("credential", access)
        return row
