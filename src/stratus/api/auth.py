"""What a validated token tells every service, and the protocol identity implements to say it."""

import asyncio
import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class AuthInfo:
    """The caller, as established from an ``X-Auth-Token``."""

    user_id: str
    user_name: str
    user_domain_id: str
    user_domain_name: str
    roles: tuple[str, ...]
    role_ids: tuple[str, ...] = ()
    project_id: str | None = None
    project_name: str | None = None
    project_domain_id: str | None = None
    project_domain_name: str | None = None
    domain_id: str | None = None
    domain_name: str | None = None
    system_scope: str | None = None
    is_admin_project: bool = False
    expires_at: dt.datetime | None = None
    issued_at: dt.datetime | None = None
    audit_ids: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    trust_id: str | None = None
    trustor_user_id: str | None = None
    trustee_user_id: str | None = None
    application_credential_id: str | None = None
    access_rules: tuple[dict[str, Any], ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def credentials(self) -> dict[str, Any]:
        """The flat credential dict the policy engine reads, as oslo.context shapes it."""
        return {
            "user_id": self.user_id,
            "user": self.user_id,
            "user_domain_id": self.user_domain_id,
            "project_id": self.project_id,
            "tenant": self.project_id,
            "project_domain_id": self.project_domain_id,
            "domain_id": self.domain_id,
            "system_scope": self.system_scope,
            "roles": [r.lower() for r in self.roles],
            "is_admin": False,
            "is_admin_project": self.is_admin_project,
            "trust_id": self.trust_id,
            "application_credential_id": self.application_credential_id,
            "token.domain.id": self.domain_id,
            "token.project.domain.id": self.project_domain_id,
            "token.user.domain.id": self.user_domain_id,
        }


class TokenValidator(Protocol):
    async def validate(self, token: str) -> AuthInfo:
        """Return who the token speaks for; raise Unauthorized/NotFound when it is not valid."""
        ...


class CachingValidator:
    """Keeps validated tokens briefly; identity clears it on any revocation in this process."""

    def __init__(self, inner: TokenValidator, ttl: float) -> None:
        self.inner = inner
        self.ttl = ttl
        self._cache: dict[str, tuple[float, AuthInfo]] = {}
        # Validations in flight: concurrent requests with one token share one validation
        # (without this, every request arriving as an entry expires validates on its own).
        self._pending: dict[str, asyncio.Future[AuthInfo]] = {}

    async def validate(self, token: str) -> AuthInfo:
        now = time.monotonic()
        hit = self._cache.get(token)
        if hit is not None and hit[0] > now:
            info = hit[1]
            if info.expires_at is None or info.expires_at > _utcnow():
                return info
        pending = self._pending.get(token)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[AuthInfo] = asyncio.get_running_loop().create_future()
        self._pending[token] = future
        try:
            info = await self.inner.validate(token)
        except BaseException as err:
            future.set_exception(err)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        finally:
            self._pending.pop(token, None)
        future.set_result(info)
        if len(self._cache) > 10000:
            self._cache.clear()
        self._cache[token] = (now + self.ttl, info)
        return info

    def clear(self) -> None:
        self._cache.clear()
        self._pending.clear()


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
