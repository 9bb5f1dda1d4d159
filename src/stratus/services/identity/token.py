"""Fernet token payloads: who, how, which scope, until when, and the audit chain."""

import base64
import datetime as dt
import json
import os
from dataclasses import dataclass, field

from cryptography.fernet import InvalidToken, MultiFernet

from stratus.kit.errors import NotFound

_EPOCH = dt.datetime(1970, 1, 1)


def new_audit_id() -> str:
    return base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")


def _ts(value: dt.datetime) -> float:
    return (value - _EPOCH).total_seconds()


def _from_ts(value: float) -> dt.datetime:
    return _EPOCH + dt.timedelta(seconds=value)


@dataclass(frozen=True, slots=True)
class TokenPayload:
    user_id: str
    methods: tuple[str, ...]
    expires_at: dt.datetime
    issued_at: dt.datetime
    audit_ids: tuple[str, ...]
    project_id: str | None = None
    domain_id: str | None = None
    system: str | None = None
    trust_id: str | None = None
    app_cred_id: str | None = None
    # OS-OAUTH1: the access token a consumer authenticated with.
    access_token_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def scope(self) -> str:
        if self.system:
            return "system"
        if self.project_id:
            return "project"
        if self.domain_id:
            return "domain"
        return "unscoped"


def encode(payload: TokenPayload, fernet: MultiFernet) -> str:
    body: dict[str, object] = {
        "u": payload.user_id,
        "m": list(payload.methods),
        "e": round(_ts(payload.expires_at), 6),
        "i": round(_ts(payload.issued_at), 6),
        "a": list(payload.audit_ids),
    }
    for key, value in (
        ("p", payload.project_id),
        ("d", payload.domain_id),
        ("s", payload.system),
        ("t", payload.trust_id),
        ("c", payload.app_cred_id),
        ("o", payload.access_token_id),
    ):
        if value:
            body[key] = value
    raw = json.dumps(body, separators=(",", ":")).encode()
    return fernet.encrypt(raw).decode().rstrip("=")


def decode(token: str, fernet: MultiFernet) -> TokenPayload:
    """Decrypt; a token we cannot read is simply not found (never say why)."""
    padded = token + "=" * (-len(token) % 4)
    try:
        body = json.loads(fernet.decrypt(padded.encode()))
    except (InvalidToken, ValueError, TypeError):
        raise NotFound("Could not recognize Fernet token") from None
    return TokenPayload(
        user_id=body["u"],
        methods=tuple(body["m"]),
        expires_at=_from_ts(body["e"]),
        issued_at=_from_ts(body["i"]),
        audit_ids=tuple(body["a"]),
        project_id=body.get("p"),
        domain_id=body.get("d"),
        system=body.get("s"),
        trust_id=body.get("t"),
        app_cred_id=body.get("c"),
        access_token_id=body.get("o"),
    )
