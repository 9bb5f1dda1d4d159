"""Version documents at /volume and /volume/v3, 501 for cinder routes not served, and URLs
without a project id (3.67)."""

from collections.abc import Iterable

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from stratus.api.deps import AnonCtx
from stratus.kit.errors import NotFound, NotImplementedYet
from stratus.services.volume.api.common import PROJECTLESS, reply
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


# -- URLs without a project id (3.67) ------------------------------------------------------

_PLACEHOLDER = "-"  # the {project_id} path parameter such a request is routed with


def collections(routes: Iterable[BaseRoute]) -> frozenset[str]:
    """The first path segment after ``/v3/{project_id}/`` of every route (and of the routes
    answered 501): what may also follow ``/v3/`` directly."""
    heads = set(_NOT_SERVED)
    for route in routes:
        path = getattr(route, "path", "")
        if path.startswith("/v3/{project_id}/"):
            head = path.split("/")[3]
            if head and not head.startswith("{"):
                heads.add(head)
    return frozenset(heads)


class ProjectlessUrls:
    """Cinder (3.67) answers ``/v3/volumes`` as ``/v3/{project_id}/volumes``: the project is
    the token's. Such a path is routed with a placeholder project id and marked, so that
    links in the answer leave the project id out as the request did."""

    def __init__(self, app: ASGIApp, heads: frozenset[str]) -> None:
        self.app = app
        self.heads = heads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            root = scope.get("root_path", "")
            path: str = scope["path"]
            route = path[len(root) :] if root and path.startswith(root) else path
            parts = route.split("/", 3)  # "", "v3", head, rest
            if len(parts) >= 3 and parts[1] == "v3" and parts[2] in self.heads:
                new_route = f"/v3/{_PLACEHOLDER}/" + "/".join(parts[2:])
                scope = dict(scope)
                scope["path"] = (root if path.startswith(root) else "") + new_route
                scope["raw_path"] = scope["path"].encode()
                scope["state"] = {**scope.get("state", {}), PROJECTLESS: True}
        await self.app(scope, receive, send)
