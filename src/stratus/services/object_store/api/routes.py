"""Swift v1 handlers: accounts, containers and objects under ``/v1/AUTH_<project>``, plus
``/info`` and ``/crossdomain.xml``. Errors answer with Swift's own short bodies."""

import contextlib
import json
import math
import mimetypes
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from email.utils import formatdate, parsedate_to_datetime
from typing import Any
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape, quoteattr

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from stratus.kit.timeutil import isotime_plain
from stratus.services.object_store import config as object_store_config
from stratus.services.object_store import service as svc
from stratus.services.object_store.api.access import (
    RESELLER_PREFIX,
    Access,
    acl_allows,
    caller,
    check_acl_syntax,
    deny,
    tempurl_keys,
    tempurl_valid,
)
from stratus.services.object_store.errors import SwiftError, bad_request, not_found
from stratus.services.object_store.models import Container, StoredObject
from stratus.services.object_store.ratelimit import RateLimiter
from stratus.services.object_store.service import (
    Content,
    Listing,
    NewObject,
    ObjectStoreService,
)
from stratus.services.object_store.store import BlobStore

router = APIRouter()

SYMLINK_TARGET = "x-object-sysmeta-symlink-target"
SYMLINK_ACCOUNT = "x-object-sysmeta-symlink-target-account"
SYMLOOP_MAX = 2


async def _empty() -> AsyncIterator[bytes]:
    return
    yield b""


Handler = Callable[[], Awaitable[Response]]


def _service(request: Request) -> ObjectStoreService:
    service: ObjectStoreService | None = getattr(request.app.state, "objects", None)
    if service is None:
        runtime = request.app.state.runtime
        service = ObjectStoreService(runtime, BlobStore(runtime.settings.data_dir / "objects"))
        request.app.state.objects = service
    return service


def _limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter | None = getattr(request.app.state, "ratelimit", None)
    if limiter is None:
        conf = object_store_config.load(request.app.state.runtime.settings)
        limiter = RateLimiter(conf.ratelimit)
        request.app.state.ratelimit = limiter
    return limiter


async def _ratelimit(
    request: Request, account: str, container: str | None = None, obj: str | None = None
) -> None:
    """Swift's ratelimit middleware sits before auth: every caller is counted."""
    limiter = _limiter(request)
    if not limiter.active:
        return

    async def size() -> int:
        try:
            return (await _service(request).container(account, container or "")).object_count
        except SwiftError:
            return 0

    await limiter.check(request.method, account, container, obj, size)


def _trans_id(request: Request) -> str:
    rid = request.scope.get("state", {}).get("request_id") or ""
    return "tx" + rid.removeprefix("req-").replace("-", "")[:21] + f"-{int(time.time()):010x}"


async def _answer(request: Request, handler: Handler) -> Response:
    """Run a handler; turn Swift errors into Swift's bodies. HEAD answers carry no body."""
    try:
        response = await handler()
    except SwiftError as err:
        body = b"" if request.method == "HEAD" or err.http_status == 304 else err.body
        response = Response(
            body, status_code=err.http_status, headers=err.headers, media_type=err.content_type
        )
        if request.method == "HEAD" or err.http_status == 304:
            response.headers["content-length"] = "0"
    # Swift labels every answer, even an empty 201/204.
    if "content-type" not in response.headers:
        response.headers["Content-Type"] = "text/html; charset=UTF-8"
    response.headers["X-Trans-Id"] = _trans_id(request)
    return response


def _ts(value: float) -> str:
    return f"{value:016.5f}"


def _http_date(value: float) -> str:
    return formatdate(math.ceil(value), usegmt=True)


def _iso(value: float) -> str:
    import datetime as dt

    return isotime_plain(dt.datetime.fromtimestamp(value, dt.UTC))


def _title(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes", "on", "t", "y")


# -- /info ---------------------------------------------------------------------------------


def _info(ratelimit: RateLimiter) -> dict[str, Any]:
    return {
        "swift": {
            "version": "2.35.0",
            "max_file_size": svc.MAX_FILE_SIZE,
            "max_meta_name_length": svc.MAX_META_NAME_LENGTH,
            "max_meta_value_length": svc.MAX_META_VALUE_LENGTH,
            "max_meta_count": svc.MAX_META_COUNT,
            "max_meta_overall_size": svc.MAX_META_OVERALL_SIZE,
            "max_header_size": svc.MAX_HEADER_SIZE,
            "max_object_name_length": svc.MAX_OBJECT_NAME_LENGTH,
            "max_container_name_length": svc.MAX_CONTAINER_NAME_LENGTH,
            "max_account_name_length": svc.MAX_ACCOUNT_NAME_LENGTH,
            "container_listing_limit": svc.CONTAINER_LISTING_LIMIT,
            "account_listing_limit": svc.ACCOUNT_LISTING_LIMIT,
            "extra_header_count": 0,
            "account_autocreate": True,
            "allow_account_management": False,
            "strict_cors_mode": True,
            "valid_api_versions": ["v1", "v1.0"],
            "policies": [{"name": "Policy-0", "aliases": "Policy-0", "default": True}],
        },
        "tempurl": {
            "methods": ["GET", "HEAD", "PUT", "POST", "DELETE"],
            "incoming_remove_headers": ["x-timestamp"],
            "incoming_allow_headers": [],
            "outgoing_remove_headers": ["x-object-meta-*"],
            "outgoing_allow_headers": ["x-object-meta-public-*"],
            "allowed_digests": ["sha1", "sha256", "sha512"],
        },
        "bulk_upload": {
            "max_containers_per_extraction": 10000,
            "max_failed_extractions": 1000,
        },
        "bulk_delete": {
            "max_deletes_per_request": svc.MAX_DELETES_PER_REQUEST,
            "max_failed_deletes": 1000,
        },
        "slo": {
            "max_manifest_segments": svc.MAX_MANIFEST_SEGMENTS,
            "max_manifest_size": svc.MAX_MANIFEST_SIZE,
            "min_segment_size": 1,
            "yield_frequency": 10,
        },
        "dlo": {"max_get_time": 86400},
        "symlink": {"symloop_max": SYMLOOP_MAX, "static_links": False},
        "formpost": {},
        "versioned_writes": {"allowed_flags": ["x-versions-location", "x-history-location"]},
        "staticweb": {},
        "account_quotas": {},
        "container_quotas": {},
        "keystoneauth": {},
        "crossdomain": {},
        "ratelimit": ratelimit.info(),
    }


@router.get("/info")
@router.head("/info")
async def get_info(request: Request) -> Response:
    body = json.dumps(_info(_limiter(request))).encode()

    async def answer() -> Response:
        return Response(
            b"" if request.method == "HEAD" else body,
            media_type="application/json; charset=utf-8",
            headers={"Content-Length": str(len(body))},
        )

    return await _answer(request, answer)


@router.get("/healthcheck")
async def get_healthcheck(request: Request) -> Response:
    async def answer() -> Response:
        return Response("OK", media_type="text/plain")

    return await _answer(request, answer)


@router.get("/crossdomain.xml")
async def get_crossdomain(request: Request) -> Response:
    async def answer() -> Response:
        return Response(_CROSSDOMAIN, media_type="application/xml; charset=utf-8")

    return await _answer(request, answer)


_CROSSDOMAIN = (
    '<?xml version="1.0"?>\n'
    '<!DOCTYPE cross-domain-policy SYSTEM "http://www.adobe.com/xml/dtds/'
    'cross-domain-policy.dtd" >\n'
    "<cross-domain-policy>\n"
    '<allow-access-from domain="*" secure="false" />\n'
    "</cross-domain-policy>"
)


# -- shared helpers -------------------------------------------------------------------------


def _listing_format(request: Request) -> str:
    fmt = request.query_params.get("format", "").lower()
    if fmt in ("json", "xml", "plain"):
        return fmt
    accept = request.headers.get("accept", "")
    if "application/json" in accept:
        return "json"
    if "application/xml" in accept or "text/xml" in accept:
        return "xml"
    return "plain"


def _listing(request: Request, max_limit: int) -> Listing:
    params = request.query_params
    for key in ("prefix", "delimiter", "marker", "end_marker"):
        value = params.get(key)
        if value is not None and ("\x00" in value):
            raise bad_request("Invalid UTF8 or contains NULL")
    limit = max_limit
    if "limit" in params:
        try:
            limit = int(params["limit"])
        except ValueError:
            raise SwiftError(412, "Value of limit must be a positive integer") from None
        if limit < 0:
            raise SwiftError(412, "Value of limit must be a positive integer")
        if limit > max_limit:
            raise SwiftError(412, f"Maximum limit is {max_limit}")
    delimiter = params.get("delimiter") or None
    if delimiter is not None and len(delimiter) != 1:
        raise SwiftError(412, "Bad delimiter")
    return Listing(
        prefix=params.get("prefix") or None,
        delimiter=delimiter,
        marker=params.get("marker") or None,
        end_marker=params.get("end_marker") or None,
        reverse=_truthy(params.get("reverse")),
        limit=limit,
    )


def _meta_changes(request: Request, kind: str) -> tuple[dict[str, str], list[str]]:
    """Metadata headers of a POST/PUT: values to set (empty = delete) and removals."""
    updates: dict[str, str] = {}
    removes: list[str] = []
    meta_prefix = f"x-{kind}-meta-"
    remove_prefix = f"x-remove-{kind}-meta-"
    system = {
        "container": (
            "x-container-read",
            "x-container-write",
            "x-versions-location",
            "x-history-location",
        ),
        "account": ("x-account-quota-bytes", "x-account-quota-count"),
    }[kind]
    for key, value in request.headers.items():
        key = key.lower()
        if key.startswith(meta_prefix):
            updates[key] = value.strip()
        elif key.startswith(remove_prefix):
            removes.append(meta_prefix + key[len(remove_prefix) :])
        elif key in system or key.startswith(f"x-{kind}-quota-bytes-policy-"):
            updates[key] = value.strip()
        elif key.startswith(f"x-remove-{kind}-quota-bytes-policy-") or (
            key.startswith("x-remove-") and "x-" + key[len("x-remove-") :] in system
        ):
            removes.append("x-" + key[len("x-remove-") :])
    if updates.get("x-container-read"):
        check_acl_syntax(updates["x-container-read"], write=False)
    if updates.get("x-container-write"):
        check_acl_syntax(updates["x-container-write"], write=True)
    if updates.get("x-versions-location") and updates.get("x-history-location"):
        raise bad_request("Only one of X-Versions-Location or X-History-Location may be specified")
    return updates, removes


def _meta_headers(meta: dict[str, Any], *, hide: tuple[str, ...] = ()) -> dict[str, str]:
    return {_title(k): str(v) for k, v in meta.items() if k not in hide}


def _check_container_name(name: str) -> None:
    if len(name.encode()) > svc.MAX_CONTAINER_NAME_LENGTH:
        raise bad_request(
            f"Container name length of {len(name.encode())} longer than "
            f"{svc.MAX_CONTAINER_NAME_LENGTH}"
        )
    if "\x00" in name:
        raise bad_request("Invalid UTF8 or contains NULL")


def _check_object_name(name: str) -> None:
    if len(name.encode()) > svc.MAX_OBJECT_NAME_LENGTH:
        raise bad_request(
            f"Object name length of {len(name.encode())} longer than {svc.MAX_OBJECT_NAME_LENGTH}"
        )
    if "\x00" in name:
        raise bad_request("Invalid UTF8 or contains NULL")


def _check_account(account: str) -> None:
    if not account.startswith(RESELLER_PREFIX):
        raise not_found()


# -- account --------------------------------------------------------------------------------


@router.api_route("/v1/{account}", methods=["GET", "HEAD", "POST", "PUT", "DELETE"])
@router.api_route("/v1/{account}/", methods=["GET", "HEAD", "POST", "PUT", "DELETE"])
async def account_route(account: str, request: Request) -> Response:
    return await _answer(request, lambda: _account(account, request))


async def _account(account: str, request: Request) -> Response:
    _check_account(account)
    access = await caller(request, account)
    service = _service(request)
    method = request.method
    if "extract-archive" in request.query_params and method in ("PUT", "POST"):
        if not access.owner:
            raise deny(access)
        return await _extract(request, service, account, "")
    if "bulk-delete" in request.query_params and method in ("POST", "DELETE"):
        if not access.owner:
            raise deny(access)
        return await _bulk_delete(account, request, service)
    if method in ("PUT", "DELETE"):
        if not access.owner:
            raise deny(access)
        raise SwiftError(405, headers={"Allow": "HEAD, GET, POST"})
    if not access.owner:
        raise deny(access)
    if method == "POST":
        updates, removes = _meta_changes(request, "account")
        quota_keys = [
            k
            for k in [*updates, *removes]
            if k in ("x-account-meta-quota-bytes", "x-account-quota-bytes", "x-account-quota-count")
            or k.startswith("x-account-quota-bytes-policy-")
        ]
        if quota_keys and not access.reseller:
            raise SwiftError(403)
        for key in quota_keys:
            quota = updates.get(key)
            if quota:
                try:
                    if int(quota) < 0:
                        raise ValueError
                except ValueError:
                    raise bad_request(
                        f"Invalid {_title(key)}: not a non-negative integer."
                    ) from None
        await service.update_account(account, updates, removes)
        return Response(status_code=204)
    row, (containers, objects, used) = await service.account(account)
    headers = {
        "X-Account-Container-Count": str(containers),
        "X-Account-Object-Count": str(objects),
        "X-Account-Bytes-Used": str(used),
        "X-Timestamp": _ts(row.created_at if row else svc.now()),
        "X-Account-Storage-Policy-Policy-0-Container-Count": str(containers),
        "X-Account-Storage-Policy-Policy-0-Object-Count": str(objects),
        "X-Account-Storage-Policy-Policy-0-Bytes-Used": str(used),
    }
    if row is not None:
        headers.update(_meta_headers(row.meta))
    if method == "HEAD":
        headers["Content-Type"] = "text/plain; charset=utf-8"
        return Response(status_code=204, headers=headers)
    listing = _listing(request, svc.ACCOUNT_LISTING_LIMIT)
    rows = await service.list_containers(account, listing)
    return _render_listing(request, "account", account, rows, headers)


async def _bulk_delete(account: str, request: Request, service: ObjectStoreService) -> Response:
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > svc.MAX_DELETES_PER_REQUEST * (svc.MAX_OBJECT_NAME_LENGTH + 260):
            raise SwiftError(413)
    paths = [unquote(line) for line in raw.decode("utf-8", "replace").splitlines() if line.strip()]
    if len(paths) > svc.MAX_DELETES_PER_REQUEST:
        raise SwiftError(413, f"Maximum Bulk Deletes: {svc.MAX_DELETES_PER_REQUEST} per request")
    deleted, missing, errors = await service.bulk_delete(account, paths)
    return _bulk_response(request, deleted, missing, errors)


async def _extract(
    request: Request, service: ObjectStoreService, account: str, base: str
) -> Response:
    kind = request.query_params.get("extract-archive", "").lower()
    compression = {"tar": "", "tar.gz": "gz", "tgz": "gz", "tar.bz2": "bz2"}.get(kind)
    if compression is None:
        raise bad_request(f"Unsupported archive format: {kind or '(none)'}")
    created, errors = await service.extract_archive(account, base, request.stream(), compression)
    status = "400 Bad Request" if errors else "201 Created"
    return _bulk_result(request, {"Number Files Created": created}, status, errors, root="extract")


def _bulk_response(
    request: Request, deleted: int, missing: int, errors: list[list[str]]
) -> Response:
    status = "400 Bad Request" if errors else "200 OK"
    return _bulk_result(
        request,
        {"Number Deleted": deleted, "Number Not Found": missing},
        status,
        errors,
        root="delete",
    )


def _bulk_result(
    request: Request,
    counts: dict[str, int],
    status: str,
    errors: list[list[str]],
    *,
    root: str,
) -> Response:
    result: dict[str, Any] = {
        **counts,
        "Response Body": "",
        "Response Status": status,
        "Errors": errors,
    }
    accept = request.headers.get("accept", "")
    if "application/json" in accept:
        return Response(json.dumps(result), media_type="application/json; charset=utf-8")
    if "xml" in accept:
        parts = [
            f"<{k.lower().replace(' ', '_')}>{v}</{k.lower().replace(' ', '_')}>"
            for k, v in counts.items()
        ]
        parts.append(f"<response_status>{status}</response_status>")
        parts.append("<errors>")
        parts += [
            f"<object><name>{escape(p)}</name><status>{escape(s)}</status></object>"
            for p, s in errors
        ]
        parts.append("</errors>")
        body = f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>' + "".join(parts) + f"</{root}>"
        return Response(body, media_type="application/xml; charset=utf-8")
    lines = [
        *[f"{k}: {v}" for k, v in counts.items()],
        "Response Body: ",
        f"Response Status: {status}",
        "Errors:",
        *[f"{p}, {s}" for p, s in errors],
    ]
    return Response("\n".join(lines) + "\n", media_type="text/plain; charset=utf-8")


def _render_listing(
    request: Request,
    kind: str,
    name: str,
    rows: list[Any],
    headers: dict[str, str],
    account: str = "",
) -> Response:
    fmt = _listing_format(request)
    if fmt == "json":
        items: list[dict[str, Any]] = []
        for row in rows:
            if isinstance(row, str):
                items.append({"subdir": row})
            elif isinstance(row, Container):
                items.append(
                    {
                        "name": row.name,
                        "count": row.object_count,
                        "bytes": row.bytes_used,
                        "last_modified": _iso(row.updated_at),
                    }
                )
            else:
                items.append(_object_entry(row, account))
        return Response(
            json.dumps(items), media_type="application/json; charset=utf-8", headers=headers
        )
    if fmt == "xml":
        out = ['<?xml version="1.0" encoding="UTF-8"?>', f"<{kind} name={quoteattr(name)}>"]
        for row in rows:
            if isinstance(row, str):
                out.append(f"<subdir name={quoteattr(row)}><name>{escape(row)}</name></subdir>")
            elif isinstance(row, Container):
                out.append(
                    f"<container><name>{escape(row.name)}</name><count>{row.object_count}</count>"
                    f"<bytes>{row.bytes_used}</bytes>"
                    f"<last_modified>{_iso(row.updated_at)}</last_modified></container>"
                )
            else:
                entry = _object_entry(row)
                out.append(
                    f"<object><name>{escape(entry['name'])}</name><hash>{entry['hash']}</hash>"
                    f"<bytes>{entry['bytes']}</bytes>"
                    f"<content_type>{escape(entry['content_type'])}</content_type>"
                    f"<last_modified>{entry['last_modified']}</last_modified></object>"
                )
        out.append(f"</{kind}>")
        return Response(
            "\n".join(out), media_type="application/xml; charset=utf-8", headers=headers
        )
    if not rows:
        return Response(status_code=204, headers=headers)
    text = "".join((r if isinstance(r, str) else r.name) + "\n" for r in rows)
    return Response(text, media_type="text/plain; charset=utf-8", headers=headers)


def _object_entry(obj: StoredObject, account: str = "") -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": obj.name,
        "hash": obj.etag,
        "bytes": obj.size,
        "content_type": obj.content_type,
        "last_modified": _iso(obj.timestamp),
    }
    target = obj.meta.get(SYMLINK_TARGET)
    if target:
        entry["symlink_path"] = f"/v1/{obj.meta.get(SYMLINK_ACCOUNT, account)}/{target}"
    return entry


# -- container ------------------------------------------------------------------------------


@router.api_route("/v1/{account}/{container}", methods=["GET", "HEAD", "POST", "PUT", "DELETE"])
@router.api_route("/v1/{account}/{container}/", methods=["GET", "HEAD", "POST", "PUT", "DELETE"])
async def container_route(account: str, container: str, request: Request) -> Response:
    return await _answer(request, lambda: _container(account, container, request))


async def _container(account: str, container: str, request: Request) -> Response:
    _check_account(account)
    await _ratelimit(request, account, container)
    access = await caller(request, account)
    service = _service(request)
    method = request.method
    _check_container_name(container)
    if "extract-archive" in request.query_params and method in ("PUT", "POST"):
        if not access.owner:
            raise deny(access)
        return await _extract(request, service, account, container)
    if method == "POST" and "multipart/form-data" in request.headers.get("content-type", ""):
        return await _formpost(request, service, account, container, "")
    if method in ("PUT", "POST", "DELETE"):
        if not access.owner:
            raise deny(access)
        if method == "DELETE":
            await service.delete_container(account, container)
            return Response(status_code=204)
        updates, removes = _meta_changes(request, "container")
        for key in ("x-container-meta-quota-bytes", "x-container-meta-quota-count"):
            value = updates.get(key)
            if value and not value.isdigit():
                raise bad_request(f"Invalid {_title(key)}: it must be a non-negative integer.")
        for key in ("x-versions-location", "x-history-location"):
            if updates.get(key):
                updates[key] = unquote(updates[key])
                _check_container_name(updates[key])
        if method == "PUT":
            policy = request.headers.get("x-storage-policy")
            if policy is not None and policy != "Policy-0":
                raise bad_request(f"Invalid X-Storage-Policy '{policy}'")
            created = await service.put_container(account, container, updates, removes)
            return Response(status_code=201 if created else 202)
        await service.update_container(account, container, updates, removes)
        return Response(status_code=204)
    row = await service.container(account, container)
    if method == "GET" and _web_mode(request, row):
        return await _static_web(request, service, access, account, row, "")
    if not access.owner and not acl_allows(
        row.meta.get("x-container-read"), access, read=True, listing=True
    ):
        raise deny(access)
    headers = _container_headers(row, access)
    if method == "HEAD":
        headers["Content-Type"] = "text/plain; charset=utf-8"
        return Response(status_code=204, headers=headers)
    listing = _listing(request, svc.CONTAINER_LISTING_LIMIT)
    row, rows = await service.list_objects(account, container, listing)
    headers = _container_headers(row, access)
    return _render_listing(request, "container", container, rows, headers, account)


def _container_headers(row: Container, access: Access) -> dict[str, str]:
    hide: tuple[str, ...] = ()
    if not access.owner:
        hide = ("x-container-read", "x-container-write")
    headers = {
        "X-Container-Object-Count": str(row.object_count),
        "X-Container-Bytes-Used": str(row.bytes_used),
        "X-Timestamp": _ts(row.created_at),
        "X-Put-Timestamp": _ts(row.updated_at),
        "X-Storage-Policy": "Policy-0",
        "Last-Modified": _http_date(row.updated_at),
        "Accept-Ranges": "bytes",
    }
    headers.update(_meta_headers(row.meta, hide=hide))
    return headers


# -- object ---------------------------------------------------------------------------------


@router.api_route(
    "/v1/{account}/{container}/{obj:path}",
    methods=["GET", "HEAD", "POST", "PUT", "DELETE", "COPY"],
)
async def object_route(account: str, container: str, obj: str, request: Request) -> Response:
    return await _answer(request, lambda: _object(account, container, obj, request))


async def _authorize_object(
    request: Request,
    service: ObjectStoreService,
    account: str,
    container: str,
    obj: str,
    *,
    write: bool,
) -> Access:
    access = await caller(request, account)
    # The temp URL middleware runs before auth: a signed URL is judged on its signature alone.
    if "temp_url_sig" in request.query_params or "temp_url_expires" in request.query_params:
        arow, _ = await service.account(account)
        try:
            crow = await service.container(account, container)
            cmeta = crow.meta
        except SwiftError:
            cmeta = {}
        keys = tempurl_keys(arow.meta if arow else {}, cmeta)
        if tempurl_valid(request, keys, account=account, container=container, obj=obj):
            return Access(auth=access.auth, tempurl=True)
        raise SwiftError(401, "401 Unauthorized: Temp URL invalid\n")
    if access.owner:
        return access
    try:
        crow = await service.container(account, container)
    except SwiftError:
        raise deny(access) from None
    acl = crow.meta.get("x-container-write" if write else "x-container-read")
    if acl_allows(acl, access, read=not write, listing=False):
        return access
    raise deny(access)


async def _object(account: str, container: str, obj: str, request: Request) -> Response:
    _check_account(account)
    _check_container_name(container)
    _check_object_name(obj)
    await _ratelimit(request, account, container, obj)
    service = _service(request)
    method = request.method
    write = method in ("PUT", "POST", "DELETE", "COPY")
    if method == "POST" and "multipart/form-data" in request.headers.get("content-type", ""):
        # Form POST carries its own signature instead of a token.
        return await _formpost(request, service, account, container, obj)
    access = await _authorize_object(request, service, account, container, obj, write=write)
    if method in ("GET", "HEAD"):
        try:
            return await _get_object(request, service, access, account, container, obj)
        except SwiftError as err:
            if err.http_status != 404 or method != "GET":
                raise
            try:
                crow = await service.container(account, container)
            except SwiftError:
                raise err from None
            if not _web_mode(request, crow):
                raise
            return await _static_web(request, service, access, account, crow, obj)
    if method == "PUT":
        return await _put_object(request, service, access, account, container, obj)
    if method == "COPY":
        return await _copy_request(request, service, access, account, container, obj)
    if method == "POST":
        meta = _object_meta(request)
        delete_at, change = _expiry(request)
        await service.post_object(
            account,
            container,
            obj,
            meta,
            content_type=request.headers.get("content-type") or None,
            delete_at=delete_at,
            change_expiry=change,
        )
        return Response(
            "<html><h1>Accepted</h1><p>The request is accepted for processing.</p></html>",
            status_code=202,
            media_type="text/html; charset=UTF-8",
        )
    # DELETE
    if request.query_params.get("multipart-manifest") == "delete":
        _, row = await service.get_object(account, container, obj)
        if row.slo is not None:
            deleted, missing, errors = await service.delete_slo(account, container, obj)
            return _bulk_response(request, deleted, missing, errors)
    crow = await service.container(account, container)
    if service.versions_of(crow) is not None:
        await service.versioned_delete(account, container, obj)
    else:
        await service.delete_object(account, container, obj)
    return Response(status_code=204)


def _object_meta(request: Request) -> dict[str, str]:
    meta: dict[str, str] = {}
    for key, value in request.headers.items():
        key = key.lower()
        if key.startswith("x-object-meta-"):
            meta[key] = value.strip()
        elif key in ("content-encoding", "content-disposition", "content-language"):
            meta[key] = value
        elif key == "x-object-manifest":
            value = unquote(value.strip())
            if "/" not in value or value.startswith("/") or "?" in value or "&" in value:
                raise bad_request("X-Object-Manifest must be in the format container/prefix")
            meta[key] = value
    svc.check_meta(meta, "x-object-meta-")
    return meta


def _expiry(request: Request) -> tuple[float | None, bool]:
    """(X-Delete-At as an epoch, whether the request sets or clears it)."""
    at = request.headers.get("x-delete-at")
    after = request.headers.get("x-delete-after")
    if after is not None:
        try:
            seconds = int(after)
        except ValueError:
            raise bad_request("Non-integer X-Delete-After") from None
        if seconds < 0:
            raise bad_request("X-Delete-After in past")
        return float(int(time.time()) + seconds), True
    if at is not None:
        if at == "":
            return None, True
        try:
            when = int(float(at))
        except ValueError:
            raise bad_request("Non-integer X-Delete-At") from None
        if when < time.time():
            raise bad_request("X-Delete-At in past")
        return float(when), True
    return None, False


def _content_type(request: Request, name: str) -> str:
    given = request.headers.get("content-type")
    if given and not _truthy(request.headers.get("x-detect-content-type")):
        return given
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def _object_headers(obj: StoredObject, content: Content) -> dict[str, str]:
    headers = {
        "Content-Type": obj.content_type,
        "ETag": content.etag,
        "Last-Modified": _http_date(obj.timestamp),
        "X-Timestamp": _ts(obj.timestamp),
        "Accept-Ranges": "bytes",
    }
    for key, value in obj.meta.items():
        if key == "x-object-manifest":
            headers["X-Object-Manifest"] = quote(value)
        elif key == SYMLINK_TARGET:
            headers["X-Symlink-Target"] = quote(value)
        elif key == SYMLINK_ACCOUNT:
            headers["X-Symlink-Target-Account"] = quote(value)
        elif key.startswith("x-object-sysmeta-"):
            continue
        else:
            headers[_title(key)] = str(value)
    if obj.slo is not None:
        headers["X-Static-Large-Object"] = "True"
    if obj.delete_at is not None:
        headers["X-Delete-At"] = str(int(obj.delete_at))
    return headers


def _etag_list(raw: str) -> list[str]:
    return [e.strip().removeprefix("W/").strip('"') for e in raw.split(",") if e.strip()]


def _http_time(raw: str) -> float | None:
    try:
        return parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _preconditions(request: Request, etag: str, timestamp: float, headers: dict[str, str]) -> None:
    tag = etag.strip('"')
    modified = math.ceil(timestamp)
    if_match = request.headers.get("if-match")
    if if_match is not None:
        tags = _etag_list(if_match)
        if "*" not in tags and tag not in tags:
            raise SwiftError(412, headers=headers)
    if_none = request.headers.get("if-none-match")
    if if_none is not None:
        tags = _etag_list(if_none)
        if "*" in tags or tag in tags:
            raise SwiftError(304, headers=headers)
    elif (since := request.headers.get("if-modified-since")) is not None:
        when = _http_time(since)
        if when is not None and modified <= when:
            raise SwiftError(304, headers=headers)
    if (until := request.headers.get("if-unmodified-since")) is not None:
        when = _http_time(until)
        if when is not None and modified > when:
            raise SwiftError(412, headers=headers)


def _ranges(header: str, size: int) -> list[tuple[int, int]] | None:
    """Satisfiable byte ranges; None when the header is malformed (then it is ignored);
    an empty list when nothing is satisfiable."""
    header = header.strip()
    if not header.lower().startswith("bytes="):
        return None
    out: list[tuple[int, int]] = []
    specs = header[6:].split(",")
    if len(specs) > 50:
        return None
    for spec in specs:
        first, dash, last = spec.strip().partition("-")
        if not dash:
            return None
        try:
            if first == "":
                if last == "":
                    return None
                count = int(last)
                if count == 0:
                    continue
                out.append((max(0, size - count), size - 1))
            else:
                start = int(first)
                if last and int(last) < start:
                    return None
                if start >= size:
                    continue
                end = int(last) if last else size - 1
                out.append((start, min(end, size - 1)))
        except ValueError:
            return None
    return [r for r in out if size > 0]


async def _get_object(
    request: Request,
    service: ObjectStoreService,
    access: Access,
    account: str,
    container: str,
    name: str,
) -> Response:
    crow, obj = await service.get_object(account, container, name)
    link_headers: dict[str, str] = {}
    if SYMLINK_TARGET in obj.meta and request.query_params.get("symlink") != "get":
        for _ in range(SYMLOOP_MAX + 1):
            if SYMLINK_TARGET not in obj.meta:
                break
            target_account = obj.meta.get(SYMLINK_ACCOUNT, account)
            target_container, _, target_name = obj.meta[SYMLINK_TARGET].partition("/")
            link_headers["Content-Location"] = quote(
                f"/v1/{target_account}/{target_container}/{target_name}"
            )
            account = target_account
            crow, obj = await service.get_object(account, target_container, target_name)
        else:
            raise SwiftError(409, "Too many levels of symbolic links")
    manifest_get = request.query_params.get("multipart-manifest") == "get"
    if manifest_get and obj.slo is not None:
        entries = [
            {
                "name": e["name"],
                "hash": e["hash"],
                "bytes": e["bytes"],
                "content_type": e.get("content_type", "application/octet-stream"),
                "last_modified": _iso(float(e.get("last_modified") or obj.timestamp)),
            }
            for e in obj.slo
        ]
        manifest = json.dumps(entries).encode()
        headers = {
            "ETag": obj.etag,
            "X-Static-Large-Object": "True",
            "Last-Modified": _http_date(obj.timestamp),
            "X-Timestamp": _ts(obj.timestamp),
            "Content-Length": str(len(manifest)),
        }
        return Response(
            b"" if request.method == "HEAD" else manifest,
            media_type="application/json; charset=utf-8",
            headers=headers,
        )
    if manifest_get:
        content = Content(0, obj.etag, [], False)
    else:
        content = await service.content(account, crow, obj)
    headers = _object_headers(obj, content)
    headers.update(link_headers)
    if access.tempurl:
        for key in list(headers):
            if key.lower().startswith("x-object-meta-") and not key.lower().startswith(
                "x-object-meta-public-"
            ):
                del headers[key]
        if request.method == "GET":
            filename = request.query_params.get("filename") or name.rsplit("/", 1)[-1]
            if "inline" in request.query_params:
                headers["Content-Disposition"] = "inline"
            else:
                headers["Content-Disposition"] = (
                    f'attachment; filename="{filename.replace(chr(34), "")}"; '
                    f"filename*=UTF-8''{quote(filename)}"
                )
    _preconditions(request, content.etag, obj.timestamp, headers)
    size = content.size
    range_header = request.headers.get("range")
    ranges = _ranges(range_header, size) if range_header else None
    if ranges is not None and not ranges:
        raise SwiftError(416, headers={"Content-Range": f"bytes */{size}"})
    if request.method == "HEAD":
        headers["Content-Length"] = str(size)
        return Response(status_code=200, headers=headers)
    if not ranges:
        headers["Content-Length"] = str(size)
        return StreamingResponse(service.stream(content.segments), headers=headers)
    if len(ranges) == 1:
        start, end = ranges[0]
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        headers["Content-Length"] = str(end - start + 1)
        return StreamingResponse(
            service.stream(service.slice(content, start, end)), status_code=206, headers=headers
        )
    boundary = uuid.uuid4().hex
    parts: list[tuple[bytes, int, int]] = []
    total = 0
    for start, end in ranges:
        head = (
            f"--{boundary}\r\nContent-Type: {obj.content_type}\r\n"
            f"Content-Range: bytes {start}-{end}/{size}\r\n\r\n"
        ).encode()
        parts.append((head, start, end))
        total += len(head) + (end - start + 1) + 2
    tail = f"--{boundary}--".encode()
    total += len(tail)

    async def body() -> AsyncIterator[bytes]:
        for head, start, end in parts:
            yield head
            async for chunk in service.stream(service.slice(content, start, end)):
                yield chunk
            yield b"\r\n"
        yield tail

    headers["Content-Type"] = f"multipart/byteranges;boundary={boundary}"
    headers["Content-Length"] = str(total)
    return StreamingResponse(body(), status_code=206, headers=headers)


async def _put_object(
    request: Request,
    service: ObjectStoreService,
    access: Access,
    account: str,
    container: str,
    name: str,
) -> Response:
    length_raw = request.headers.get("content-length")
    chunked = "chunked" in request.headers.get("transfer-encoding", "").lower()
    length: int | None = None
    if length_raw is not None:
        try:
            length = int(length_raw)
        except ValueError:
            raise bad_request("Invalid Content-Length") from None
    elif not chunked:
        raise SwiftError(411)
    if length is not None and length > svc.MAX_FILE_SIZE:
        raise SwiftError(413, "Your request is too large.")
    copy_from = request.headers.get("x-copy-from")
    if copy_from is not None:
        if length:
            raise bad_request("Copy requests require a zero byte body")
        src_container, src_name = _split_path(copy_from, "X-Copy-From")
        src_account = request.headers.get("x-copy-from-account") or account
        return await _copy(
            request, service, (src_account, src_container, src_name), (account, container, name)
        )
    if_none = request.headers.get("if-none-match")
    if if_none is not None and if_none.strip() != "*":
        raise bad_request("If-None-Match only supports *")
    delete_at, _ = _expiry(request)
    meta = _object_meta(request)
    target = request.headers.get("x-symlink-target")
    if target is not None:
        if length:
            raise bad_request("Symlink requests require a zero byte body")
        link_container, link_name = _split_path(target, "X-Symlink-Target")
        meta[SYMLINK_TARGET] = f"{link_container}/{link_name}"
        link_account = request.headers.get("x-symlink-target-account")
        if link_account:
            meta[SYMLINK_ACCOUNT] = unquote(link_account)
        new = NewObject(
            content_type=request.headers.get("content-type") or "application/symlink",
            meta=meta,
            content_length=0,
            if_none_match=if_none is not None,
            delete_at=delete_at,
        )
        row = await service.put_object(account, container, name, _empty(), new)
        return Response(
            status_code=201,
            headers={"ETag": row.etag, "Last-Modified": _http_date(row.timestamp)},
        )
    if request.query_params.get("multipart-manifest") == "put":
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > svc.MAX_MANIFEST_SIZE:
                raise SwiftError(413, "Manifest File > 8388608 bytes")
        try:
            manifest = json.loads(raw)
        except ValueError:
            raise bad_request("Manifest must be valid JSON.\n") from None
        entries, total, etag = await service.check_slo(account, manifest)
        new = NewObject(
            content_type=_content_type(request, name),
            meta=meta,
            if_none_match=if_none is not None,
            delete_at=delete_at,
            slo=entries,
        )
        client_etag = request.headers.get("etag")
        if client_etag is not None and client_etag.strip('"') != etag:
            raise SwiftError(422)
        row = await service.put_object(
            account, container, name, None, new, blob=None, size=total, etag=etag
        )
        return Response(
            status_code=201,
            headers={"ETag": f'"{row.etag}"', "Last-Modified": _http_date(row.timestamp)},
            media_type="text/html; charset=UTF-8",
        )
    new = NewObject(
        content_type=_content_type(request, name),
        meta=meta,
        etag=request.headers.get("etag"),
        content_length=length,
        if_none_match=if_none is not None,
        delete_at=delete_at,
    )
    await _archive_if_versioned(service, account, container, name)
    row = await service.put_object(account, container, name, request.stream(), new)
    return Response(
        status_code=201,
        headers={"ETag": row.etag, "Last-Modified": _http_date(row.timestamp)},
        media_type="text/html; charset=UTF-8",
    )


def _split_path(raw: str, header: str) -> tuple[str, str]:
    path = unquote(raw).lstrip("/")
    container, _, name = path.partition("/")
    if not container or not name:
        raise SwiftError(412, f"{header} header must be of the form <container name>/<object name>")
    return container, name


async def _copy_request(
    request: Request,
    service: ObjectStoreService,
    access: Access,
    account: str,
    container: str,
    name: str,
) -> Response:
    destination = request.headers.get("destination")
    if not destination:
        raise SwiftError(412, "Destination header required")
    dst_container, dst_name = _split_path(destination, "Destination")
    dst_account = request.headers.get("destination-account") or account
    if dst_account != account:
        dst_access = await caller(request, dst_account)
        if not dst_access.owner:
            raise deny(dst_access)
    _check_container_name(dst_container)
    _check_object_name(dst_name)
    return await _copy(
        request, service, (account, container, name), (dst_account, dst_container, dst_name)
    )


async def _copy(
    request: Request,
    service: ObjectStoreService,
    src: tuple[str, str, str],
    dst: tuple[str, str, str],
) -> Response:
    """Server-side copy: plain objects share their immutable bytes (a hard link); manifests
    are copied as their content unless ``multipart-manifest=get``."""
    src_account, src_container, src_name = src
    if src_account != dst[0]:
        src_access = await caller(request, src_account)
        if not src_access.owner:
            crow = await service.container(src_account, src_container)
            if not acl_allows(
                crow.meta.get("x-container-read"), src_access, read=True, listing=False
            ):
                raise deny(src_access)
    crow, obj = await service.get_object(src_account, src_container, src_name)
    content = await service.content(src_account, crow, obj)
    _preconditions(request, content.etag, obj.timestamp, {})
    fresh = _truthy(request.headers.get("x-fresh-metadata"))
    meta = {} if fresh else {k: v for k, v in obj.meta.items() if k != "x-object-manifest"}
    meta.update(_object_meta(request))
    delete_at, change = _expiry(request)
    given_type = request.headers.get("content-type")
    new = NewObject(
        content_type=given_type or obj.content_type,
        meta=meta,
        content_length=content.size,
        delete_at=delete_at if change else None,
    )
    await _archive_if_versioned(service, *dst)
    if not content.is_manifest and obj.blob is not None:
        blob = await service.store.link(obj.blob)
        row = await service.put_object(*dst, None, new, blob=blob, size=obj.size, etag=obj.etag)
    else:
        row = await service.put_object(*dst, service.stream(content.segments), new)
    headers = _object_headers(row, Content(row.size, row.etag))
    headers.update(
        {
            "X-Copied-From": quote(f"{src_container}/{src_name}"),
            "X-Copied-From-Account": quote(src_account),
            "X-Copied-From-Last-Modified": _http_date(obj.timestamp),
            "Content-Length": "0",
        }
    )
    return Response(status_code=201, headers=headers)


with contextlib.suppress(Exception):
    mimetypes.init()


async def _archive_if_versioned(
    service: ObjectStoreService, account: str, container: str, name: str
) -> None:
    try:
        crow = await service.container(account, container)
    except SwiftError:
        return  # the PUT itself answers 404
    if service.versions_of(crow) is not None:
        await service.archive(account, container, name)


# -- form POST ------------------------------------------------------------------------------


async def _formpost(
    request: Request, service: ObjectStoreService, account: str, container: str, prefix: str
) -> Response:
    """Browser uploads: a form signed with the temp URL key, each file an object."""
    from starlette.datastructures import UploadFile

    form = await request.form(max_files=1000, max_fields=100)
    try:
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        files = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
        try:
            expires = int(fields.get("expires", ""))
        except ValueError:
            raise SwiftError(401, "FormPost: expired not an integer") from None
        if expires < time.time():
            raise SwiftError(401, "FormPost: Form Expired")
        arow, _ = await service.account(account)
        try:
            cmeta = (await service.container(account, container)).meta
        except SwiftError:
            cmeta = {}
        keys = tempurl_keys(arow.meta if arow else {}, cmeta)
        swift_path = f"/v1/{account}/{container}" + (f"/{prefix}" if prefix else "")
        paths = {swift_path, request.url.path}
        body_tail = (
            f"\n{fields.get('redirect', '')}\n{fields.get('max_file_size', '')}"
            f"\n{fields.get('max_file_count', '')}\n{fields.get('expires', '')}"
        )
        if not _form_signed(fields.get("signature", ""), keys, [p + body_tail for p in paths]):
            raise SwiftError(401, "FormPost: Invalid Signature")
        try:
            max_size = int(fields.get("max_file_size", ""))
            max_count = int(fields.get("max_file_count", ""))
        except ValueError:
            raise SwiftError(
                400, "FormPost: max_file_size and max_file_count must be integers"
            ) from None
        uploads = [f for f in files if f.filename]
        if len(uploads) > max_count:
            return _form_answer(fields, 400, "max_file_count exceeded")
        delete_at = None
        if fields.get("x_delete_after"):
            delete_at = float(int(time.time()) + int(fields["x_delete_after"]))
        elif fields.get("x_delete_at"):
            delete_at = float(int(fields["x_delete_at"]))
        for upload in uploads:
            name = prefix + (upload.filename or "")

            async def chunks(upload: UploadFile = upload) -> AsyncIterator[bytes]:
                seen = 0
                while data := await upload.read(1 << 20):
                    seen += len(data)
                    if seen > max_size:
                        raise SwiftError(400, "max_file_size exceeded")
                    yield data

            content_type = (upload.content_type or "").strip() or _content_type(request, name)
            new = NewObject(content_type=content_type, meta={}, delete_at=delete_at)
            try:
                await service.put_object(account, container, name, chunks(), new)
            except SwiftError as err:
                return _form_answer(fields, err.http_status, err.message)
        return _form_answer(fields, 201, "")
    finally:
        await form.close()


def _form_signed(signature: str, keys: list[str], bodies: list[str]) -> bool:
    import hashlib
    import hmac

    from stratus.services.object_store.api.access import parse_signature

    decoded = parse_signature(signature)
    if decoded is None:
        return False
    algo, expected = decoded
    if algo not in ("sha1", "sha256", "sha512"):
        return False
    for key in keys:
        for body in bodies:
            mac = hmac.new(key.encode(), body.encode(), getattr(hashlib, algo)).digest()
            if hmac.compare_digest(mac, expected):
                return True
    return False


def _form_answer(fields: dict[str, str], status: int, message: str) -> Response:
    redirect = fields.get("redirect", "")
    if redirect:
        joiner = "&" if "?" in redirect else "?"
        location = f"{redirect}{joiner}status={status}&message={quote(message)}"
        return Response(
            f'<html><body><p><a href="{escape(location)}">Click to continue...</a></p></body></html>',
            status_code=303,
            headers={"Location": location},
            media_type="text/html; charset=UTF-8",
        )
    body = f"<html><body><h1>Status: {status}</h1><p>{escape(message)}</p></body></html>"
    return Response(body, status_code=status, media_type="text/html; charset=UTF-8")


# -- static web -----------------------------------------------------------------------------


def _web_mode(request: Request, crow: Container) -> bool:
    """Static web answers anonymous requests (or ones asking for it) on configured containers."""
    wanted = "x-auth-token" not in request.headers or _truthy(request.headers.get("x-web-mode"))
    configured = bool(
        crow.meta.get("x-container-meta-web-index")
        or _truthy(crow.meta.get("x-container-meta-web-listings"))
    )
    return wanted and configured


async def _static_web(
    request: Request,
    service: ObjectStoreService,
    access: Access,
    account: str,
    crow: Container,
    path: str,
) -> Response:
    meta = crow.meta
    public_read = access.owner or acl_allows(
        meta.get("x-container-read"), access, read=True, listing=False
    )
    if not public_read:
        raise deny(access)
    prefix = path if not path or path.endswith("/") else ""
    index = meta.get("x-container-meta-web-index")
    if index and (prefix or not path):
        try:
            return await _get_object(request, service, access, account, crow.name, prefix + index)
        except SwiftError as err:
            if err.http_status != 404:
                raise
    listings = _truthy(meta.get("x-container-meta-web-listings"))
    if (prefix or not path) and listings:
        if not access.owner and not acl_allows(
            meta.get("x-container-read"), access, read=True, listing=True
        ):
            raise deny(access)
        _, rows = await service.list_objects(
            account, crow.name, Listing(prefix=prefix or None, delimiter="/")
        )
        if rows or not prefix:
            return _web_listing(request, account, crow, prefix, rows)
    error = meta.get("x-container-meta-web-error")
    if error:
        try:
            _, page = await service.get_object(account, crow.name, f"404{error}")
        except SwiftError:
            raise not_found() from None
        content = await service.content(account, crow, page)
        return StreamingResponse(
            service.stream(content.segments),
            status_code=404,
            media_type=page.content_type,
            headers={"Content-Length": str(content.size)},
        )
    raise not_found()


def _web_listing(
    request: Request, account: str, crow: Container, prefix: str, rows: list[Any]
) -> Response:
    title = escape(f"/v1/{account}/{crow.name}/{prefix}")
    css = crow.meta.get("x-container-meta-web-listings-css")
    if css:
        href = css if "://" in css or css.startswith("/") else "../" * prefix.count("/") + css
        style = f'<link rel="stylesheet" type="text/css" href="{escape(href)}" />'
    else:
        style = (
            '<style type="text/css">h1 {font-size: 1em; font-weight: bold;} '
            "td {padding: 0px 1em 0px 1em;} a {text-decoration: none;}</style>"
        )
    lines = [
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" '
        '"http://www.w3.org/TR/html4/loose.dtd">',
        f"<html><head><title>Listing of {title}</title>",
        style,
        "</head><body>",
        f'<h1 id="title">Listing of {title}</h1>',
        '<table id="listing"><tr id="heading"><th class="colname">Name</th>'
        '<th class="colsize">Size</th><th class="coldate">Date</th></tr>',
    ]
    if prefix:
        lines.append(
            '<tr id="parent" class="item"><td class="colname"><a href="../">../</a></td>'
            '<td class="colsize">&nbsp;</td><td class="coldate">&nbsp;</td></tr>'
        )
    for row in rows:
        if isinstance(row, str):
            label = row[len(prefix) :]
            lines.append(
                f'<tr class="item subdir"><td class="colname"><a href="{quote(label)}">'
                f'{escape(label)}</a></td><td class="colsize">&nbsp;</td>'
                '<td class="coldate">&nbsp;</td></tr>'
            )
        else:
            label = row.name[len(prefix) :]
            lines.append(
                f'<tr class="item"><td class="colname"><a href="{quote(label)}">'
                f'{escape(label)}</a></td><td class="colsize">{row.size}</td>'
                f'<td class="coldate">{_iso(row.timestamp)[:19].replace("T", " ")}</td></tr>'
            )
    lines.append("</table></body></html>")
    return Response("\n".join(lines), media_type="text/html; charset=UTF-8")
