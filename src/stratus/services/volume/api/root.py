"""Version documents at /volume and /volume/v3, and 501 for cinder routes not served."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.deps import AnonCtx
from stratus.kit.errors import NotFound, NotImplementedYet
from stratus.services.volume.api.common import reply
from stratus.services.volume.api.versions import version_doc

router = APIRouter()


def _base(request: Request) -> str:
    return str(request.app.state.runtime.settings.base_url)


@router.get("/")
async def list_versions(request: Request, _ctx: AnonCtx) -> Response:
    return reply({"versions": [version_doc(_base(request))]}, 300)


@router.get("/v3")
@router.get("/v3/")
async def show_version(request: Request, _ctx: AnonCtx) -> Response:
    return reply({"versions": [version_doc(_base(request))]})


# Upstream routes this service does not serve: 501, never a pretend success.
_NOT_SERVED = (
    "workers",
    "clusters",
    "resource_filters",
    "manageable_snapshots",
    "os-backup-manage",
    "os-cgsnapshots",
)


@router.api_route(
    "/v3/{project_id}/{rest:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]
)
async def not_served(project_id: str, rest: str, _ctx: AnonCtx) -> Response:
    head = rest.split("/", 1)[0]
    if head in _NOT_SERVED:
        raise NotImplementedYet(f"The block storage API '{head}' is not implemented in Stratus.")
    raise NotFound("The resource could not be found.")
