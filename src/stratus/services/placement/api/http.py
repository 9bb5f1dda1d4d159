"""Placement's HTTP plumbing: the per-request object handlers receive, JSON in (validated by
jsonschema) and out, last-modified / cache-control per microversion, content negotiation."""

import datetime as dt
import email.utils
import functools
import html
import json
import uuid as uuidlib
from dataclasses import dataclass
from typing import Any

import jsonschema
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stratus.api.context import RequestContext
from stratus.api.microversion import Version
from stratus.kit.errors import Forbidden, NotAcceptable, NotFound, UnsupportedMediaType
from stratus.services.placement.errors import PlacementBadRequest
from stratus.services.placement.service import PlacementService

_FORMATS = jsonschema.FormatChecker()


@_FORMATS.checks("uuid")
def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        uuidlib.UUID(value)
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> Version:
    return Version.parse(text)


@dataclass
class Req:
    """What every placement handler is given."""

    request: Request
    ctx: RequestContext
    version: Version
    svc: PlacementService
    body: bytes

    def can(self, rule: str, target: dict[str, Any] | None = None) -> None:
        """Policy check; every placement rule is project-scoped (scope_types=['project']),
        so system-scoped tokens are refused, as oslo.policy's enforce_scope does."""
        auth = self.ctx.auth
        if auth is not None and auth.system_scope:
            raise Forbidden(f"Policy does not allow {rule} to be performed.")
        if not self.ctx.allows(rule, target):
            raise Forbidden(f"Policy does not allow {rule} to be performed.")

    def at(self, minimum: str) -> bool:
        return self.version >= _parsed(minimum)

    def require(self, minimum: str, maximum: str | None = None) -> None:
        """Routes that only exist from (or until) a microversion answer 404 elsewhere."""
        if not self.at(minimum) or (maximum is not None and self.version > Version.parse(maximum)):
            raise NotFound("The resource could not be found.")

    def path(self, name: str) -> str:
        return str(self.request.path_params[name])

    @property
    def root(self) -> str:
        return str(self.request.scope.get("root_path", "")).rstrip("/")

    def url(self, path: str) -> str:
        return f"{self.root}{path}"

    def absolute(self, path: str) -> str:
        base = f"{self.request.url.scheme}://{self.request.url.netloc}"
        return f"{base}{self.url(path)}"

    def json(self, schema: dict[str, Any]) -> Any:
        content_type = self.request.headers.get("content-type")
        if not content_type:
            if self.body:
                raise PlacementBadRequest("content-type header required when body is present")
            raise UnsupportedMediaType("The media type None is not supported, use application/json")
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise UnsupportedMediaType(
                f"The media type {content_type.split(';')[0].strip()} is not supported, use "
                "application/json"
            )
        try:
            data = json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PlacementBadRequest(f"Malformed JSON: {exc}") from None
        validate(data, schema, "JSON does not validate: ")
        return data

    def query(self, schema: dict[str, Any]) -> dict[str, str]:
        flat = dict(self.request.query_params.items())
        # Last value wins, as webob's req.GET does for dict().
        for key, value in self.request.query_params.multi_items():
            flat[key] = value
        validate(flat, schema, "Invalid query string parameters: ")
        return flat

    def query_all(self, key: str) -> list[str]:
        return self.request.query_params.getlist(key)


def validate(data: Any, schema: dict[str, Any], prefix: str) -> None:
    try:
        jsonschema.validate(data, schema, format_checker=_FORMATS)
    except jsonschema.ValidationError as exc:
        raise PlacementBadRequest(f"{prefix}{exc}") from None


def check_accept(request: Request) -> None:
    accept = request.headers.get("accept")
    if not accept:
        return
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        if "q=0" in params.replace(" ", "") and not any(
            c.isdigit() and c != "0" for c in params.split("q=")[-1]
        ):
            continue
        if media in ("application/json", "application/*", "*/*"):
            return
    raise NotAcceptable("Only application/json is provided")


def http_date(value: dt.datetime | None) -> str:
    stamp = value or dt.datetime.now(dt.UTC)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return email.utils.format_datetime(stamp.astimezone(dt.UTC), usegmt=True)


def respond(
    req: Req,
    data: Any,
    *,
    status: int = 200,
    last_modified: dt.datetime | None = None,
    cacheable: bool = True,
    headers: dict[str, str] | None = None,
) -> Response:
    out = dict(headers or {})
    if cacheable and req.at("1.15"):
        out["cache-control"] = "no-cache"
        out["last-modified"] = http_date(last_modified)
    return Response(
        json.dumps(data).encode(), status_code=status, media_type="application/json", headers=out
    )


def no_content(headers: dict[str, str] | None = None) -> Response:
    response = Response(status_code=204, headers=headers)
    return response


class HtmlErrors:
    """Placement (webob) renders error bodies as HTML for clients that accept text/html
    but not JSON; everything else keeps the JSON error document."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _wants_html(scope):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if message["status"] < 400:
                    start = None
                    await send(message)
                    return
                start = message
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            await _send_html(send, start, b"".join(chunks))

        await self.app(scope, receive, capture)


def _wants_html(scope: Scope) -> bool:
    for key, value in scope.get("headers", []):
        if key == b"accept":
            accept = value.decode("latin-1").lower()
            return "text/html" in accept and "json" not in accept and "*/*" not in accept
    return False


async def _send_html(send: Send, start: Message, body: bytes) -> None:
    status = int(start["status"])
    try:
        error = json.loads(body)["errors"][0]
        title, detail = str(error["title"]), str(error["detail"])
    except (ValueError, KeyError, IndexError, TypeError):
        title, detail = "Error", body.decode(errors="replace")
    page = (
        f"<html>\n <head>\n  <title>{status} {html.escape(title)}</title>\n </head>\n"
        f" <body>\n  <h1>{status} {html.escape(title)}</h1>\n  {html.escape(detail)}\n"
        " </body>\n</html>"
    ).encode()
    headers = [
        (k, v)
        for k, v in start.get("headers", [])
        if k.lower() not in (b"content-type", b"content-length")
    ]
    headers += [
        (b"content-type", b"text/html; charset=UTF-8"),
        (b"content-length", str(len(page)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": page})
