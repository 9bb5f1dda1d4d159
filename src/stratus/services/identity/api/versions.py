"""Version discovery: ``/`` (300, the list) and ``/v3`` (the v3 document), as Keystone serves."""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

router = APIRouter()

V3_UPDATED = "2020-04-07T00:00:00Z"
V3_VERSION = "v3.14"


def _root(request: Request) -> str:
    path = request.url.path
    base = f"{request.url.scheme}://{request.url.netloc}"
    if path.startswith("/identity"):
        base += "/identity"
    return base


def _v3(request: Request) -> dict[str, Any]:
    return {
        "id": V3_VERSION,
        "status": "stable",
        "updated": V3_UPDATED,
        "links": [{"rel": "self", "href": f"{_root(request)}/v3/"}],
        "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}
        ],
    }


@router.get("/")
async def list_versions(request: Request) -> JSONResponse:
    return JSONResponse({"versions": {"values": [_v3(request)]}}, status_code=300)


@router.get("/v3")
@router.get("/v3/")
async def get_v3(request: Request) -> JSONResponse:
    return JSONResponse({"version": _v3(request)})
