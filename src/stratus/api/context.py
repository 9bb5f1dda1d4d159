"""The per-request context handed to every handler: who is calling, at which microversion,
and ``can()`` for policy checks."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stratus.api.auth import AuthInfo
from stratus.api.microversion import Version
from stratus.api.policy import PolicyEngine
from stratus.kit.errors import Forbidden, Unauthorized


@dataclass(slots=True)
class RequestContext:
    request_id: str
    auth: AuthInfo | None
    policy: PolicyEngine
    version: Version | None = None
    token: str | None = None
    # (auth, its credentials): built once per request, not once per policy check.
    _creds: tuple[AuthInfo, dict[str, Any]] | None = field(default=None, repr=False, compare=False)

    @property
    def authenticated(self) -> AuthInfo:
        if self.auth is None:
            raise Unauthorized("The request you have made requires authentication.")
        return self.auth

    @property
    def user_id(self) -> str:
        return self.authenticated.user_id

    @property
    def project_id(self) -> str | None:
        return self.auth.project_id if self.auth else None

    @property
    def roles(self) -> tuple[str, ...]:
        return self.auth.roles if self.auth else ()

    @property
    def is_admin(self) -> bool:
        """Admin role holder (project-scoped admin is cloud admin in legacy policy, as upstream)."""
        return "admin" in {r.lower() for r in self.roles}

    @property
    def is_system(self) -> bool:
        return bool(self.auth and self.auth.system_scope)

    def allows(self, rule: str, target: Mapping[str, Any] | None = None) -> bool:
        auth = self.authenticated
        cached = self._creds
        if cached is None or cached[0] is not auth:
            cached = self._creds = (auth, auth.credentials())
        creds = cached[1]
        full_target: dict[str, Any] = {"project_id": self.project_id, "user_id": self.user_id}
        if target:
            full_target.update(target)
        return self.policy.enforce(rule, full_target, creds)

    def can(self, rule: str, target: Mapping[str, Any] | None = None) -> None:
        """Raise 403 unless the caller passes ``rule`` for ``target``."""
        if not self.allows(rule, target):
            raise Forbidden(f"You are not authorized to perform the requested action: {rule}.")
