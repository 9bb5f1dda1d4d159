"""Who may do what on an account, as Swift's keystoneauth and tempurl middlewares decide:
operators of the project own its account, ResellerAdmin owns every account, container ACLs
grant reads and writes to others (``.r:*`` to anyone), temp URLs grant one object."""

import base64
import binascii
import calendar
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from stratus.api.auth import AuthInfo
from stratus.api.deps import optional_context
from stratus.kit.errors import Unauthorized
from stratus.services.object_store.errors import SwiftError

RESELLER_PREFIX = "AUTH_"
OPERATOR_ROLES = frozenset({"admin", "member", "swiftoperator"})
RESELLER_ADMIN_ROLE = "reselleradmin"


@dataclass
class Access:
    auth: AuthInfo | None
    owner: bool = False
    reseller: bool = False
    tempurl: bool = False


async def caller(request: Request, account: str) -> Access:
    """The caller as far as the token says (no ACLs yet)."""
    try:
        ctx = await optional_context(request)
    except Unauthorized:
        raise SwiftError(401) from None
    auth = ctx.auth
    if auth is None:
        return Access(auth=None)
    roles = {r.lower() for r in auth.roles}
    if RESELLER_ADMIN_ROLE in roles:
        return Access(auth=auth, owner=True, reseller=True)
    project = account[len(RESELLER_PREFIX) :] if account.startswith(RESELLER_PREFIX) else None
    owner = project is not None and auth.project_id == project and bool(roles & OPERATOR_ROLES)
    return Access(auth=auth, owner=owner)


def deny(access: Access) -> SwiftError:
    return SwiftError(403) if access.auth is not None else SwiftError(401)


def acl_allows(acl: str | None, access: Access, *, read: bool, listing: bool) -> bool:
    if not acl:
        return False
    items = [item.strip() for item in acl.split(",") if item.strip()]
    public = any(i in (".r:*", ".referrer:*") for i in items)
    if read and public and (not listing or ".rlistings" in items):
        return True
    auth = access.auth
    if auth is None:
        return False
    roles = {r.lower() for r in auth.roles}
    for item in items:
        if item.startswith("."):
            continue
        if ":" in item:
            project, user = item.split(":", 1)
            if project in ("*", auth.project_id, auth.project_name) and user in (
                "*",
                auth.user_id,
                auth.user_name,
            ):
                return True
        elif item.lower() in roles:
            return True
    return False


def check_acl_syntax(value: str, *, write: bool) -> None:
    for item in (i.strip() for i in value.split(",")):
        if write and item.startswith(".r"):
            raise SwiftError(400, "Referrers not allowed in write ACL: '.r:*'")


def _parse_expires(raw: str) -> int | None:
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        return calendar.timegm(time.strptime(raw, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return None


def parse_signature(sig: str) -> tuple[str, bytes] | None:
    if ":" in sig:
        algo, _, encoded = sig.partition(":")
        try:
            padded = encoded + "=" * (-len(encoded) % 4)
            return algo, base64.urlsafe_b64decode(padded)
        except (ValueError, binascii.Error):
            return None
    try:
        raw = bytes.fromhex(sig)
    except ValueError:
        return None
    name = {20: "sha1", 32: "sha256", 64: "sha512"}.get(len(raw))
    return (name, raw) if name else None


def tempurl_valid(
    request: Request,
    keys: list[str],
    *,
    account: str,
    container: str,
    obj: str,
) -> bool:
    """Whether the request's temp_url_sig signs this method, path and expiry with a key."""
    query = request.query_params
    sig = query.get("temp_url_sig", "")
    expires = _parse_expires(query.get("temp_url_expires", ""))
    if not sig or expires is None or expires < time.time() or not keys:
        return False
    decoded = parse_signature(sig)
    if decoded is None:
        return False
    algo, expected = decoded
    if algo not in ("sha1", "sha256", "sha512"):
        return False
    prefix = query.get("temp_url_prefix")
    swift_path = f"/v1/{account}/{container}/{obj}"
    full = request.url.path
    mount = full[: len(full) - len(swift_path)] if full.endswith(swift_path) else ""
    if prefix is not None:
        if not obj.startswith(prefix):
            return False
        bodies = [f"prefix:/v1/{account}/{container}/{prefix}"]
        if mount:
            bodies.append(f"prefix:{mount}/v1/{account}/{container}/{prefix}")
    else:
        bodies = [swift_path] + ([full] if mount else [])
    methods = [request.method]
    if request.method == "HEAD":
        methods = ["HEAD", "GET", "PUT", "POST"]
    for key in keys:
        for method in methods:
            for path in bodies:
                message = f"{method}\n{query.get('temp_url_expires')}\n{path}".encode()
                mac = hmac.new(key.encode(), message, getattr(hashlib, algo)).digest()
                if hmac.compare_digest(mac, expected):
                    return True
    return False


def tempurl_keys(account_meta: dict[str, Any], container_meta: dict[str, Any]) -> list[str]:
    keys = []
    for meta, kind in ((account_meta, "account"), (container_meta, "container")):
        for suffix in ("", "-2"):
            value = meta.get(f"x-{kind}-meta-temp-url-key{suffix}")
            if value:
                keys.append(str(value))
    return keys
