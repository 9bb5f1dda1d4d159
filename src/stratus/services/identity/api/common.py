"""Dependencies and helpers shared by the identity routers."""

from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.responses import JSONResponse, Response

from stratus.api.body import json_body
from stratus.kit.errors import BadRequest
from stratus.services.identity.service import IdentityService


async def get_service(request: Request) -> IdentityService:
    svc: IdentityService = request.app.state.identity
    return svc


Svc = Annotated[IdentityService, Depends(get_service)]


async def entity(request: Request, key: str) -> dict[str, Any]:
    """The ``{"<key>": {...}}`` body every identity write takes."""
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise BadRequest(f"Invalid input for field '{key}': '{key}' is a required property.")
    return dict(body[key])


def check_types(
    data: dict[str, Any], spec: dict[str, Any], *, required: tuple[str, ...] = (), prefix: str = ""
) -> None:
    """Minimal JSON-schema: required keys and types (None allowed where the type tuple has it)."""
    for key in required:
        if key not in data:
            raise BadRequest(
                f"Invalid input for field '{prefix}{key}': '{key}' is a required property."
            )
    for key, kind in spec.items():
        if key in data:
            value = data[key]
            if isinstance(value, bool) and bool not in (
                kind if isinstance(kind, tuple) else (kind,)
            ):
                raise BadRequest(
                    f"Invalid input for field '{prefix}{key}': {value!r} is not valid."
                )
            if not isinstance(value, kind):
                raise BadRequest(
                    f"Invalid input for field '{prefix}{key}': {value!r} is not valid."
                )
            if key == "name" and isinstance(value, str) and not value.strip():
                raise BadRequest(f"Invalid input for field '{prefix}{key}': must not be empty.")
            if key == "name" and isinstance(value, str) and len(value) > 255:
                raise BadRequest(f"Invalid input for field '{prefix}{key}': too long.")


def ok(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)


def no_content() -> Response:
    return Response(status_code=204)


def qbool(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw == "":
        return True
    return raw.lower() not in ("0", "false", "no", "off")


def flag(request: Request, name: str) -> bool:
    """Keystone treats ``?nocatalog`` and ``?nocatalog=anything-but-0/false`` as set."""
    return bool(qbool(request, name))
