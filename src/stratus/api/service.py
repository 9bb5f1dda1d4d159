"""How a service plugs into the one process: its spec (type, path, catalog entry, error
format) and the factory that turns its routers into a mounted, wrapped ASGI app."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp

from stratus.api.body import describe
from stratus.api.errors import Formatter
from stratus.api.microversion import MicroversionPolicy
from stratus.api.middleware import ServiceMiddleware, error_response_parts
from stratus.api.runtime import Runtime
from stratus.kit.errors import StratusError

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    501: "Not Implemented",
}


@dataclass(frozen=True)
class CatalogEntry:
    """One catalog service: its type, name and the URL suffix after the base URL.
    ``$(project_id)s`` in the suffix is substituted per token, as Keystone's templated catalog."""

    type: str
    name: str
    suffix: str


@dataclass(frozen=True)
class ServiceSpec:
    service_type: str
    mount: str  # "/compute"
    catalog: tuple[CatalogEntry, ...]
    build: Callable[[Runtime], ASGIApp]
    bootstrap: Callable[[Runtime], Awaitable[None]] | None = None
    extra_mounts: tuple[str, ...] = ()


def _error_json(
    formatter: Formatter,
    err: StratusError | None,
    status: int,
    title: str,
    message: str,
    request: Request,
    headers: dict[str, str] | None = None,
) -> Response:
    body = error_response_parts(
        formatter, err, status, title, message, request.scope.get("state", {}).get("request_id", "")
    )
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def make_service_app(
    *,
    runtime: Runtime,
    routers: Sequence[APIRouter],
    formatter: Formatter,
    microversion: MicroversionPolicy | None = None,
    body_limit: int | None = None,
    body_limit_exempt: Callable[[str], bool] | None = None,
    title: str = "stratus",
) -> ASGIApp:
    """A FastAPI app for one service, with our error mapping instead of FastAPI's defaults."""
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runtime = runtime
    app.state.microversion = microversion
    for router in routers:
        app.include_router(router)

    @app.exception_handler(StratusError)
    async def _domain(request: Request, err: StratusError) -> Any:
        return _error_json(
            formatter, err, err.status, err.title, err.message, request, err.headers or None
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, err: RequestValidationError) -> Any:
        first = err.errors()[0] if err.errors() else {}
        if first.get("type") == "json_invalid":
            message = "Malformed request body: it is not valid JSON."
        else:
            message = describe(err)
        return _error_json(formatter, None, 400, "Bad Request", message, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, err: StarletteHTTPException) -> Any:
        status = err.status_code
        title = _TITLES.get(status, "Error")
        message = (
            str(err.detail)
            if err.detail and err.detail != title
            else {
                404: "The resource could not be found.",
                405: "The method is not allowed for the requested URL.",
            }.get(status, title)
        )
        return _error_json(
            formatter,
            None,
            status,
            title,
            message,
            request,
            dict(err.headers) if err.headers else None,
        )

    return ServiceMiddleware(
        app,
        formatter=formatter,
        body_limit=body_limit if body_limit is not None else runtime.settings.max_request_body_size,
        body_limit_exempt=body_limit_exempt,
        microversion=microversion,
    )
