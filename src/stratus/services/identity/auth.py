"""Authentication and tokens: the password, token and application_credential methods, scopes
(project, domain, system, trust, unscoped), issue and validate, with revocation."""

import datetime as dt
import time
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography.fernet import MultiFernet
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.auth import AuthInfo
from stratus.conf import IdentitySettings
from stratus.db import Database
from stratus.kit.errors import NotFound
from stratus.kit.timeutil import utcnow
from stratus.services.identity import repository as repo
from stratus.services.identity import token as tokens
from stratus.services.identity.catalog import Catalog
from stratus.services.identity.errors import AuthFailed, BadRequest, Forbidden
from stratus.services.identity.models import (
    ApplicationCredential,
    OAuthAccessToken,
    Project,
    Role,
    ServiceProvider,
    Trust,
    User,
)
from stratus.services.identity.oauth1 import OAuth1, SignedRequest
from stratus.services.identity.password import check_password
from stratus.services.identity.resource import Resources
from stratus.services.identity.revoke import Revoker
from stratus.services.identity.role import Roles
from stratus.services.identity.user import Users

ADMIN_PROJECT_NAME = "admin"


@dataclass
class TokenData:
    """Everything a token says, resolved against current state (what the API renders)."""

    token: str
    payload: tokens.TokenPayload
    user: User
    user_domain: Project
    project: Project | None = None
    project_domain: Project | None = None
    domain: Project | None = None
    roles: list[Role] = field(default_factory=list)
    trust: Trust | None = None
    app_cred: ApplicationCredential | None = None
    access_token: OAuthAccessToken | None = None
    catalog: list[dict[str, Any]] | None = None
    is_admin_project: bool = False
    password_expires_at: dt.datetime | None = None
    service_providers: list[dict[str, Any]] | None = None

    def auth_info(self) -> AuthInfo:
        p = self.payload
        return AuthInfo(
            user_id=self.user.id,
            user_name=self.user.name,
            user_domain_id=self.user.domain_id,
            user_domain_name=self.user_domain.name,
            roles=tuple(r.name for r in self.roles),
            role_ids=tuple(r.id for r in self.roles),
            project_id=self.project.id if self.project else None,
            project_name=self.project.name if self.project else None,
            project_domain_id=self.project.domain_id if self.project else None,
            project_domain_name=self.project_domain.name if self.project_domain else None,
            domain_id=self.domain.id if self.domain else None,
            domain_name=self.domain.name if self.domain else None,
            system_scope=p.system,
            is_admin_project=self.is_admin_project,
            expires_at=p.expires_at,
            issued_at=p.issued_at,
            audit_ids=p.audit_ids,
            methods=p.methods,
            trust_id=p.trust_id,
            trustor_user_id=self.trust.trustor_user_id if self.trust else None,
            trustee_user_id=self.trust.trustee_user_id if self.trust else None,
            application_credential_id=p.app_cred_id,
        )


def _get(obj: Any, key: str, kind: type = dict) -> Any:
    value = obj.get(key) if isinstance(obj, dict) else None
    if value is not None and not isinstance(value, kind):
        raise BadRequest(f"Invalid input for field '{key}': expected {kind.__name__}.")
    return value


class Authenticator:
    def __init__(
        self,
        db: Database,
        conf: IdentitySettings,
        fernet: MultiFernet,
        *,
        resources: Resources,
        users: Users,
        roles: Roles,
        catalog: Catalog,
        revoker: Revoker,
        oauth1: OAuth1,
    ) -> None:
        self.db = db
        self.conf = conf
        self.fernet = fernet
        self.resources = resources
        self.users = users
        self.roles = roles
        self.catalog = catalog
        self.revoker = revoker
        self.oauth1 = oauth1
        self._cache: dict[tuple[str, bool], tuple[float, TokenData]] = {}
        self._catalogs: dict[tuple[str | None, str], list[dict[str, Any]]] = {}
        self._service_providers: list[dict[str, Any]] | None = None

    # -- identify the user -----------------------------------------------------------------

    async def _domain_ref(self, s: AsyncSession, ref: Any) -> Project:
        if not isinstance(ref, dict) or not (ref.get("id") or ref.get("name")):
            raise BadRequest("Invalid input for field 'domain': an id or a name is required.")
        try:
            if ref.get("id"):
                return await self.resources.get_domain(s, ref["id"])
            return await self.resources.domain_by_name(s, ref["name"])
        except NotFound:
            raise AuthFailed() from None

    async def _user_ref(self, s: AsyncSession, ref: Any) -> User:
        if not isinstance(ref, dict):
            raise BadRequest("Invalid input for field 'user': expected an object.")
        try:
            if ref.get("id"):
                user = await self.users.get(s, ref["id"])
            elif ref.get("name"):
                if "domain" not in ref:
                    raise BadRequest("Invalid input for field 'user': a name needs a domain.")
                domain = await self._domain_ref(s, ref["domain"])
                if not domain.enabled:
                    raise AuthFailed()
                user = await self.users.by_name(s, ref["name"], domain.id)
            else:
                raise BadRequest("Invalid input for field 'user': an id or a name is required.")
        except NotFound:
            raise AuthFailed() from None
        return user

    async def _check_user_usable(self, s: AsyncSession, user: User) -> Project:
        domain = await repo.get(s, Project, user.domain_id)
        if domain is None or not domain.enabled or not user.enabled:
            raise AuthFailed()
        return domain

    async def _password(self, s: AsyncSession, body: Any) -> User:
        user_ref = _get(body, "user")
        if user_ref is None:
            raise BadRequest("Invalid input for field 'password.user': required.")
        user = await self._user_ref(s, user_ref)
        await self._check_user_usable(s, user)
        secret = user_ref.get("password")
        if not isinstance(secret, str):
            raise AuthFailed()
        await self.users.verify_password(s, user, secret)
        return user

    # -- issue -----------------------------------------------------------------------------

    async def authenticate(
        self,
        request_body: Any,
        *,
        nocatalog: bool = False,
        signed: SignedRequest | None = None,
    ) -> TokenData:
        """Issue a token. ``signed`` is the request as an OAuth1 signature covers it (the
        ``oauth1`` method authenticates by the signature, not by the body)."""
        auth = _get(request_body, "auth")
        if auth is None:
            raise BadRequest("Invalid input for field 'auth': 'auth' is a required property.")
        identity = _get(auth, "identity")
        if identity is None:
            raise BadRequest("Invalid input for field 'identity': required.")
        methods = identity.get("methods")
        if (
            not isinstance(methods, list)
            or not methods
            or not all(isinstance(m, str) for m in methods)
        ):
            raise BadRequest("Invalid input for field 'identity.methods'.")
        for method in methods:
            if method not in ("password", "token", "application_credential", "oauth1"):
                raise AuthFailed("Attempted to authenticate with an unsupported method.")
            if method not in identity:
                raise BadRequest(f"Invalid input for field 'identity.{method}': required.")
        scope = auth.get("scope")
        if scope is not None and not isinstance(scope, (dict, str)):
            raise BadRequest("Invalid input for field 'scope'.")
        # Authenticate in a read transaction: bcrypt must not hold SQLite's single writer.
        try:
            async with self.db.reader() as s:
                data = await self._authenticate(s, methods, identity, scope, signed)
        except AuthFailed as err:
            if err.failed_user_id:
                async with self.db.session() as s:
                    await self.users.record_failure(s, err.failed_user_id)
            raise
        await self._record(data, password_used="password" in methods)
        data = await self._finish(data, nocatalog=nocatalog)
        return data

    async def _authenticate(
        self,
        s: AsyncSession,
        methods: list[str],
        identity: dict[str, Any],
        scope: Any,
        signed: SignedRequest | None = None,
    ) -> TokenData:
        now = utcnow()
        expires = now + dt.timedelta(seconds=self.conf.token_expiration)
        audit = [tokens.new_audit_id()]
        parent: tokens.TokenPayload | None = None
        app_cred: ApplicationCredential | None = None
        user: User | None = None
        if "token" in methods:
            ref = _get(identity, "token")
            token_id = ref.get("id") if ref else None
            if not isinstance(token_id, str):
                raise BadRequest("Invalid input for field 'token.id'.")
            try:
                parent_data = await self._validate_payload(s, token_id)
            except NotFound:
                raise NotFound(f"Could not find token: {token_id}") from None
            parent = parent_data.payload
            if parent.trust_id or parent.app_cred_id or parent.access_token_id:
                raise Forbidden(
                    "Trust, application credential and OAuth tokens cannot be rescoped."
                )
            user = parent_data.user
            expires = parent.expires_at
            audit.append(parent.audit_ids[-1])
        if "password" in methods:
            pw_user = await self._password(s, identity["password"])
            if user is not None and pw_user.id != user.id:
                raise AuthFailed()
            user = pw_user
        if "application_credential" in methods:
            app_cred, ac_user = await self._app_cred(s, identity["application_credential"])
            user = ac_user
            if scope:
                raise AuthFailed("Application credentials cannot request a scope.")
        access: OAuthAccessToken | None = None
        if "oauth1" in methods:
            if len(methods) > 1:
                raise BadRequest("The oauth1 method cannot be combined with another.")
            if signed is None:
                raise AuthFailed("The oauth1 method needs a signed request.")
            access = await self.oauth1.authenticate(s, signed)
            user = await self.users.get(s, access.authorizing_user_id)
        assert user is not None
        user_domain = await self._check_user_usable(s, user)
        all_methods = tuple(dict.fromkeys([*(parent.methods if parent else ()), *methods]))
        payload = tokens.TokenPayload(
            user_id=user.id,
            methods=all_methods,
            expires_at=expires,
            issued_at=now,
            audit_ids=tuple(audit),
        )
        if app_cred is not None:
            payload = replace(
                payload,
                project_id=app_cred.project_id,
                system=app_cred.system,
                app_cred_id=app_cred.id,
            )
            if app_cred.expires_at and app_cred.expires_at < payload.expires_at:
                payload = replace(payload, expires_at=app_cred.expires_at)
        elif access is not None:
            # An OAuth token is scoped by its access token; a requested scope is ignored.
            payload = replace(payload, project_id=access.project_id, access_token_id=access.id)
            if access.expires_at and access.expires_at < payload.expires_at:
                payload = replace(payload, expires_at=access.expires_at)
        elif scope is not None:
            payload = await self._scope(s, user, scope, payload)
        elif user.default_project_id and parent is None:
            project = await repo.get(s, Project, user.default_project_id)
            if project is not None and project.enabled and await self._has_roles(s, user, project):
                payload = replace(payload, project_id=project.id)
        same_user = payload.user_id == user.id
        data = await self._resolve(
            s,
            "",
            payload,
            user=user if same_user else None,
            user_domain=user_domain if same_user else None,
        )
        if payload.scope != "unscoped" and not data.roles:
            raise AuthFailed(self._no_access_message(payload, user.id))
        data.token = tokens.encode(payload, self.fernet)
        return data

    async def _record(self, data: TokenData, *, password_used: bool) -> None:
        """The writes a successful authentication implies, in their own short transaction."""
        uses_trust = data.trust is not None and data.trust.remaining_uses is not None
        record_user = password_used and self.users.needs_success_record(data.user)
        if not (uses_trust or record_user):
            return
        async with self.db.session() as s:
            if record_user:
                await self.users.record_success(s, data.user.id)
            if uses_trust and data.trust is not None:
                trust = await repo.get(s, Trust, data.trust.id)
                if trust is None or trust.remaining_uses is None or trust.remaining_uses <= 0:
                    raise NotFound(f"Could not find trust: {data.trust.id}.")
                trust.remaining_uses -= 1
                data.trust = trust

    @staticmethod
    def _no_access_message(payload: tokens.TokenPayload, user_id: str) -> str:
        if payload.project_id:
            return f"User {user_id} has no access to project {payload.project_id}"
        if payload.domain_id:
            return f"User {user_id} has no access to domain {payload.domain_id}"
        return f"User {user_id} has no access to the system"

    async def _has_roles(self, s: AsyncSession, user: User, project: Project) -> bool:
        groups = await repo.group_ids_of(s, user.id)
        return bool(
            await self.roles.effective_role_ids(
                s, user_id=user.id, group_ids=groups, project=project
            )
        )

    async def _scope(
        self, s: AsyncSession, user: User, scope: Any, payload: tokens.TokenPayload
    ) -> tokens.TokenPayload:
        if scope == "unscoped":
            return payload
        if not isinstance(scope, dict):
            raise BadRequest("Invalid input for field 'scope'.")
        kinds = [k for k in ("project", "domain", "system", "OS-TRUST:trust") if k in scope]
        if len(kinds) != 1:
            raise BadRequest("Invalid input for field 'scope': specify exactly one scope.")
        kind = kinds[0]
        ref = scope[kind]
        if kind == "system":
            if not isinstance(ref, dict) or ref.get("all") is not True:
                raise BadRequest("Invalid input for field 'scope.system'.")
            return replace(payload, system="all")
        if not isinstance(ref, dict):
            raise BadRequest(f"Invalid input for field 'scope.{kind}'.")
        if kind == "domain":
            domain = await self._domain_ref(s, ref)
            if not domain.enabled:
                raise AuthFailed()
            return replace(payload, domain_id=domain.id)
        if kind == "project":
            try:
                if ref.get("id"):
                    project = await self.resources.get_project(s, ref["id"])
                elif ref.get("name"):
                    if "domain" not in ref:
                        raise BadRequest("Invalid input for field 'scope.project.domain'.")
                    domain = await self._domain_ref(s, ref["domain"])
                    project = await self.resources.project_by_name(s, ref["name"], domain.id)
                else:
                    raise BadRequest("Invalid input for field 'scope.project'.")
            except NotFound:
                raise AuthFailed(
                    f"User {user.id} has no access to project {ref.get('id') or ref.get('name')}"
                ) from None
            if not await self.resources.is_enabled_chain(s, project):
                raise AuthFailed(f"Project {project.id} is disabled.")
            return replace(payload, project_id=project.id)
        trust_id = ref.get("id")
        trust = await repo.get(s, Trust, trust_id) if isinstance(trust_id, str) else None
        if trust is None or trust.deleted_at is not None:
            raise NotFound(f"Could not find trust: {trust_id}.")
        if trust.trustee_user_id != user.id:
            raise Forbidden("User is not a trustee.")
        if trust.expires_at and trust.expires_at < utcnow():
            raise NotFound(f"Could not find trust: {trust_id}.")
        if trust.remaining_uses is not None and trust.remaining_uses <= 0:
            raise NotFound(f"Could not find trust: {trust_id}.")
        effective_user = trust.trustor_user_id if trust.impersonation else user.id
        expires = payload.expires_at
        if trust.expires_at and trust.expires_at < expires:
            expires = trust.expires_at
        return replace(
            payload,
            user_id=effective_user,
            project_id=trust.project_id,
            trust_id=trust.id,
            expires_at=expires,
        )

    async def _app_cred(self, s: AsyncSession, ref: Any) -> tuple[ApplicationCredential, User]:
        if not isinstance(ref, dict) or not isinstance(ref.get("secret"), str):
            raise BadRequest("Invalid input for field 'application_credential'.")
        cred: ApplicationCredential | None = None
        if ref.get("id"):
            cred = await repo.get(s, ApplicationCredential, ref["id"])
        elif ref.get("name"):
            user = await self._user_ref(s, ref.get("user"))
            cred = await repo.find_one(s, ApplicationCredential, name=ref["name"], user_id=user.id)
        else:
            raise BadRequest("Invalid input for field 'application_credential'.")
        if cred is None or not await check_password(ref["secret"], cred.secret_hash):
            raise AuthFailed()
        if cred.expires_at is not None and cred.expires_at < utcnow():
            raise AuthFailed("Application credential has expired.")
        user = await self.users.get(s, cred.user_id)
        return cred, user

    # -- resolve and validate --------------------------------------------------------------

    async def _resolve(
        self,
        s: AsyncSession,
        token: str,
        payload: tokens.TokenPayload,
        *,
        user: User | None = None,
        user_domain: Project | None = None,
    ) -> TokenData:
        """Turn a payload into current facts; raise NotFound when the token no longer holds."""
        if user is None:
            user = await repo.get(s, User, payload.user_id)
            if user is None or not user.enabled:
                raise NotFound("The token is no longer valid: the user is disabled or deleted.")
        if user_domain is None:
            user_domain = await repo.get(s, Project, user.domain_id)
            if user_domain is None or not user_domain.enabled:
                raise NotFound("The token is no longer valid.")
        data = TokenData(token=token, payload=payload, user=user, user_domain=user_domain)
        groups = await repo.group_ids_of(s, user.id)
        role_ids: set[str] = set()
        if payload.trust_id:
            trust = await repo.get(s, Trust, payload.trust_id)
            if trust is None or trust.deleted_at is not None:
                raise NotFound("The trust is no longer valid.")
            data.trust = trust
            trustor = await repo.get(s, User, trust.trustor_user_id)
            if trustor is None or not trustor.enabled:
                raise NotFound("The trustor is disabled.")
        if payload.project_id:
            project = await repo.get(s, Project, payload.project_id)
            if project is None or not await self.resources.is_enabled_chain(s, project):
                raise NotFound("The token is no longer valid: the project is disabled or deleted.")
            data.project = project
            data.project_domain = await repo.get(s, Project, project.domain_id)
            data.is_admin_project = (
                project.name == ADMIN_PROJECT_NAME and project.domain_id == "default"
            )
            if data.trust is not None:
                trustor_groups = await repo.group_ids_of(s, data.trust.trustor_user_id)
                held = await self.roles.effective_role_ids(
                    s, user_id=data.trust.trustor_user_id, group_ids=trustor_groups, project=project
                )
                wanted = await self.roles.expand_implied(s, data.trust.role_ids)
                if not set(data.trust.role_ids) <= held:
                    raise NotFound("The trustor no longer holds the delegated roles.")
                role_ids = wanted & held
            else:
                role_ids = await self.roles.effective_role_ids(
                    s, user_id=user.id, group_ids=groups, project=project
                )
        elif payload.domain_id:
            domain = await repo.get(s, Project, payload.domain_id)
            if domain is None or not domain.enabled:
                raise NotFound("The token is no longer valid: the domain is disabled or deleted.")
            data.domain = domain
            role_ids = await self.roles.effective_role_ids(
                s, user_id=user.id, group_ids=groups, domain_id=domain.id
            )
        elif payload.system:
            role_ids = await self.roles.effective_role_ids(
                s, user_id=user.id, group_ids=groups, system=True
            )
        if payload.app_cred_id:
            cred = await repo.get(s, ApplicationCredential, payload.app_cred_id)
            if cred is None:
                raise NotFound("The application credential was deleted.")
            data.app_cred = cred
            granted = await self.roles.expand_implied(s, cred.role_ids)
            if not set(cred.role_ids) <= role_ids:
                raise NotFound("The user no longer holds the application credential's roles.")
            role_ids &= granted
        if payload.access_token_id:
            access = await self.oauth1.live_access_token(s, payload.access_token_id)
            data.access_token = access
            delegated = await self.roles.expand_implied(s, access.role_ids)
            if not set(access.role_ids) <= role_ids:
                raise NotFound("The user no longer holds the roles delegated to the consumer.")
            role_ids &= delegated
        roles = await repo.roles_by_ids(s, role_ids)
        data.roles = sorted(roles.values(), key=lambda r: r.name)
        current = await self.users.current_password(s, user.id)
        data.password_expires_at = current.expires_at if current else None
        return data

    async def _validate_payload(
        self, s: AsyncSession, token: str, *, allow_expired: bool = False
    ) -> TokenData:
        payload = tokens.decode(token, self.fernet)
        now = utcnow()
        if payload.expires_at <= now:
            window = dt.timedelta(seconds=self.conf.allow_expired_window)
            if not allow_expired or payload.expires_at + window <= now:
                raise NotFound("The token has expired.")
        data = await self._resolve(s, token, payload)
        if payload.scope != "unscoped" and not data.roles:
            raise NotFound("The token no longer carries any role on its scope.")
        project_domain = data.project.domain_id if data.project else None
        if await self.revoker.is_revoked(
            s,
            payload,
            project_domain_id=project_domain,
            user_domain_id=data.user.domain_id,
            role_ids={r.id for r in data.roles},
        ):
            raise NotFound("The token has been revoked.")
        return data

    async def validate(
        self, token: str, *, nocatalog: bool = True, allow_expired: bool = False
    ) -> TokenData:
        """Validate, answering from a short per-process cache (cleared on any revocation,
        assignment or catalog change made through this process)."""
        key = (token, allow_expired)
        now = time.monotonic()
        hit = self._cache.get(key)
        if (
            hit is not None
            and hit[0] > now
            and (allow_expired or hit[1].payload.expires_at > utcnow())
        ):
            data = replace(hit[1])
        else:
            async with self.db.reader() as s:
                data = await self._validate_payload(s, token, allow_expired=allow_expired)
            if len(self._cache) > 20000:
                self._cache.clear()
            self._cache[key] = (now + self.conf.token_cache_ttl, replace(data))
        return await self._finish(data, nocatalog=nocatalog)

    def clear_cache(self) -> None:
        self._cache.clear()
        self._catalogs.clear()
        self._service_providers = None

    async def _finish(self, data: TokenData, *, nocatalog: bool) -> TokenData:
        if not nocatalog:
            key = (data.project.id if data.project else None, data.user.id)
            cached = self._catalogs.get(key)
            if cached is None:
                async with self.db.reader() as s:
                    cached = await self.catalog.for_token(s, key[0], key[1])
                if len(self._catalogs) > 5000:
                    self._catalogs.clear()
                self._catalogs[key] = cached
            data.catalog = cached
            if self._service_providers is None:
                async with self.db.reader() as s:
                    self._service_providers = [
                        {"id": sp.id, "auth_url": sp.auth_url, "sp_url": sp.sp_url}
                        for sp in await repo.find(s, ServiceProvider, enabled=True)
                    ]
            data.service_providers = self._service_providers
        return data

    async def revoke_token(self, token: str) -> None:
        async with self.db.session() as s:
            data = await self._validate_payload(s, token)
            await self.revoker.revoke(
                s, audit_id=data.payload.audit_ids[0], expires_at=data.payload.expires_at
            )
