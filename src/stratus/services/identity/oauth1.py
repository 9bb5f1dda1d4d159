"""OS-OAUTH1: delegated access for consumers. A consumer asks for a request token on one
project (signed with its own secret), a user of that project authorizes it for some of their
roles and hands the consumer a verifier, the consumer exchanges request token + verifier for an
access token, and authenticates with it (the ``oauth1`` method) to get Keystone tokens carrying
only those roles. Requests are signed per RFC 5849 (HMAC-SHA1 or PLAINTEXT)."""

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import string
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.conf import IdentitySettings
from stratus.kit.errors import NotFound
from stratus.kit.ids import hex_id
from stratus.kit.timeutil import utcnow
from stratus.services.identity import repository as repo
from stratus.services.identity.errors import AuthFailed, BadRequest, Forbidden, not_found
from stratus.services.identity.models import (
    ROOT_DOMAIN,
    Consumer,
    OAuthAccessToken,
    OAuthRequestToken,
    Project,
    Role,
)
from stratus.services.identity.resource import Resources
from stratus.services.identity.revoke import Revoker
from stratus.services.identity.role import Roles

# How far a signed request's oauth_timestamp may be from our clock (oauthlib's default).
TIMESTAMP_WINDOW = 600
_VERIFIER_ALPHABET = string.ascii_letters + string.digits
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _escape(value: str) -> str:
    return quote(value, safe="~")


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What a signature covers: the method, the URL as the client addressed it, the
    ``Authorization: OAuth ...`` parameters and any query or form parameters."""

    method: str
    url: str
    authorization: str | None
    extra_params: tuple[tuple[str, str], ...] = ()

    def oauth_params(self) -> dict[str, str]:
        header = (self.authorization or "").strip()
        if not header[:6].lower() == "oauth ":
            raise AuthFailed(
                "The request is not signed: an 'Authorization: OAuth' header is needed."
            )
        params: dict[str, str] = {}
        for part in header[6:].split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, raw = part.partition("=")
            if not sep:
                raise AuthFailed("Malformed OAuth Authorization header.")
            value = raw.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            params[unquote(name.strip())] = unquote(value)
        params.pop("realm", None)
        return params

    def base_string(self, params: Mapping[str, str]) -> str:
        pairs = [(k, v) for k, v in params.items() if k != "oauth_signature"]
        pairs.extend(self.extra_params)
        normalized = "&".join(
            f"{k}={v}" for k, v in sorted((_escape(k), _escape(v)) for k, v in pairs)
        )
        parts = urlsplit(self.url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        netloc = (
            host if parts.port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{parts.port}"
        )
        uri = urlunsplit((scheme, netloc, parts.path or "/", "", ""))
        return "&".join(_escape(x) for x in (self.method.upper(), uri, normalized))


def query_params(query: str) -> tuple[tuple[str, str], ...]:
    return tuple(parse_qsl(query, keep_blank_values=True))


def _verify(
    request: SignedRequest, params: Mapping[str, str], client_secret: str, token_secret: str
) -> None:
    method = params.get("oauth_signature_method", "")
    key = f"{_escape(client_secret)}&{_escape(token_secret)}"
    given = params.get("oauth_signature", "")
    if method == "HMAC-SHA1":
        digest = hmac.new(key.encode(), request.base_string(params).encode(), hashlib.sha1)
        expected = base64.b64encode(digest.digest()).decode()
    elif method == "PLAINTEXT":
        expected = key
    else:
        raise AuthFailed(f"Unsupported OAuth signature method: {method or '(none)'}.")
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise AuthFailed("Invalid OAuth signature.")
    try:
        stamp = int(params.get("oauth_timestamp", ""))
    except ValueError:
        raise AuthFailed("Invalid oauth_timestamp.") from None
    if abs(time.time() - stamp) > TIMESTAMP_WINDOW:
        raise AuthFailed("The OAuth request has expired: its timestamp is too far off.")
    if not params.get("oauth_nonce"):
        raise AuthFailed("The OAuth request has no oauth_nonce.")


def _required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise AuthFailed(f"The OAuth request lacks {name}.")
    return value


def _expired(expires_at: dt.datetime | None) -> bool:
    return expires_at is not None and expires_at <= utcnow()


class OAuth1:
    """Request tokens, their authorization, access tokens and their use to authenticate."""

    def __init__(
        self, conf: IdentitySettings, resources: Resources, roles: Roles, revoker: Revoker
    ) -> None:
        self.conf = conf
        self.resources = resources
        self.roles = roles
        self.revoker = revoker

    # -- consumers -------------------------------------------------------------------------

    async def consumer(self, s: AsyncSession, consumer_id: str) -> Consumer:
        row = await repo.get(s, Consumer, consumer_id)
        if row is None:
            raise not_found("consumer", consumer_id)
        return row

    async def delete_consumer(self, s: AsyncSession, consumer_id: str) -> None:
        """A consumer goes with every token it holds, and the Keystone tokens they issued."""
        consumer = await self.consumer(s, consumer_id)
        for model in (OAuthRequestToken, OAuthAccessToken):
            for row in await repo.find(s, model, consumer_id=consumer.id):
                await repo.remove(s, row)
        await repo.remove(s, consumer)
        self.revoker.notify()

    async def _signed_consumer(self, s: AsyncSession, params: Mapping[str, str]) -> Consumer:
        consumer = await repo.get(s, Consumer, _required(params, "oauth_consumer_key"))
        if consumer is None:
            raise AuthFailed("Unknown OAuth consumer.")
        return consumer

    # -- the three legs --------------------------------------------------------------------

    async def create_request_token(
        self, s: AsyncSession, request: SignedRequest, project_id: str | None
    ) -> OAuthRequestToken:
        params = request.oauth_params()
        consumer = await self._signed_consumer(s, params)
        _verify(request, params, consumer.secret, "")
        if not project_id:
            raise BadRequest("Requested-Project-Id header is required.")
        project = await repo.get(s, Project, project_id)
        if project is None or project.is_domain:
            raise not_found("project", project_id)
        duration = self.conf.oauth1_request_token_duration
        row = OAuthRequestToken(
            id=hex_id(),
            secret=secrets.token_urlsafe(24),
            consumer_id=consumer.id,
            requested_project_id=project.id,
            role_ids=[],
            expires_at=utcnow() + dt.timedelta(seconds=duration) if duration else None,
        )
        await repo.add(s, row)
        return row

    async def authorize(
        self,
        s: AsyncSession,
        request_token_id: str,
        *,
        user_id: str,
        group_ids: list[str],
        role_refs: Any,
    ) -> str:
        token = await repo.get(s, OAuthRequestToken, request_token_id)
        if token is None:
            raise not_found("request token", request_token_id)
        if _expired(token.expires_at):
            raise Forbidden("The request token has expired.")
        if token.authorizing_user_id is not None:
            raise Forbidden("The request token has already been authorized.")
        if not isinstance(role_refs, list) or not role_refs:
            raise BadRequest("Invalid input for field 'roles': a non-empty list is required.")
        wanted: set[str] = set()
        for ref in role_refs:
            wanted.add(await self._role_id(s, ref))
        project = await repo.get(s, Project, token.requested_project_id)
        if project is None:
            raise not_found("project", token.requested_project_id)
        held = await self.roles.effective_role_ids(
            s, user_id=user_id, group_ids=group_ids, project=project
        )
        if not wanted <= held:
            raise Forbidden("The user does not hold the requested roles on the project.")
        token.authorizing_user_id = user_id
        token.role_ids = sorted(wanted)
        token.verifier = "".join(secrets.choice(_VERIFIER_ALPHABET) for _ in range(8))
        return token.verifier

    async def _role_id(self, s: AsyncSession, ref: Any) -> str:
        if not isinstance(ref, dict) or not (ref.get("id") or ref.get("name")):
            raise BadRequest("Invalid input for field 'roles': each needs an id or a name.")
        if ref.get("id"):
            role = await repo.get(s, Role, ref["id"])
        else:
            role = await repo.find_one(s, Role, name=ref["name"], domain_id=ROOT_DOMAIN)
        if role is None:
            raise not_found("role", str(ref.get("id") or ref.get("name")))
        return role.id

    async def create_access_token(
        self, s: AsyncSession, request: SignedRequest
    ) -> OAuthAccessToken:
        params = request.oauth_params()
        consumer = await self._signed_consumer(s, params)
        token_id = _required(params, "oauth_token")
        request_token = await repo.get(s, OAuthRequestToken, token_id)
        if request_token is None or request_token.consumer_id != consumer.id:
            raise AuthFailed("Unknown request token for this consumer.")
        _verify(request, params, consumer.secret, request_token.secret)
        if _expired(request_token.expires_at):
            raise AuthFailed("The request token has expired.")
        if request_token.authorizing_user_id is None or request_token.verifier is None:
            raise AuthFailed("The request token has not been authorized.")
        if not hmac.compare_digest(
            request_token.verifier.encode(), _required(params, "oauth_verifier").encode()
        ):
            raise AuthFailed("The OAuth verifier does not match.")
        duration = self.conf.oauth1_access_token_duration
        access = OAuthAccessToken(
            id=hex_id(),
            secret=secrets.token_urlsafe(24),
            consumer_id=consumer.id,
            authorizing_user_id=request_token.authorizing_user_id,
            project_id=request_token.requested_project_id,
            role_ids=list(request_token.role_ids),
            expires_at=utcnow() + dt.timedelta(seconds=duration) if duration else None,
        )
        await repo.remove(s, request_token)
        await repo.add(s, access)
        return access

    async def authenticate(self, s: AsyncSession, request: SignedRequest) -> OAuthAccessToken:
        """The ``oauth1`` auth method: the access token a correctly signed request presents."""
        params = request.oauth_params()
        consumer = await self._signed_consumer(s, params)
        access = await repo.get(s, OAuthAccessToken, _required(params, "oauth_token"))
        if access is None or access.consumer_id != consumer.id:
            raise AuthFailed("Unknown access token for this consumer.")
        _verify(request, params, consumer.secret, access.secret)
        if _expired(access.expires_at):
            raise AuthFailed("The access token has expired.")
        return access

    async def live_access_token(self, s: AsyncSession, access_token_id: str) -> OAuthAccessToken:
        """For token validation: the access token behind an oauth1 token must still hold."""
        access = await repo.get(s, OAuthAccessToken, access_token_id)
        if access is None or _expired(access.expires_at):
            raise NotFound("The OAuth access token behind this token was revoked or expired.")
        return access

    # -- a user's access tokens ------------------------------------------------------------

    async def access_tokens(self, s: AsyncSession, user_id: str) -> list[OAuthAccessToken]:
        rows = await repo.find(s, OAuthAccessToken, authorizing_user_id=user_id)
        return [r for r in rows if not _expired(r.expires_at)]

    async def access_token(
        self, s: AsyncSession, user_id: str, access_token_id: str
    ) -> OAuthAccessToken:
        row = await repo.get(s, OAuthAccessToken, access_token_id)
        if row is None or row.authorizing_user_id != user_id:
            raise not_found("access token", access_token_id)
        return row

    async def revoke_access_token(
        self, s: AsyncSession, user_id: str, access_token_id: str
    ) -> None:
        await repo.remove(s, await self.access_token(s, user_id, access_token_id))
        self.revoker.notify()

    async def token_roles(self, s: AsyncSession, access: OAuthAccessToken) -> list[Role]:
        found = await repo.roles_by_ids(s, access.role_ids)
        return sorted(found.values(), key=lambda r: r.name)


def form_body(token_id: str, secret: str, expires_at: str | None) -> str:
    """The ``application/x-www-form-urlencoded`` answer of the request/access token legs."""
    body = f"oauth_token={token_id}&oauth_token_secret={secret}"
    if expires_at:
        body += f"&oauth_expires_at={expires_at}"
    return body
