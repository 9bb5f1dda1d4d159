"""Version documents at /compute and /compute/v2.1, and 501 for upstream routes not served."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stratus.api.deps import AnonCtx
from stratus.kit.errors import NotFound, NotImplementedYet
from stratus.services.compute.api.common import reply
from stratus.services.compute.api.versions import MAXIMUM, MINIMUM

router = APIRouter()

_UPDATED = "2013-07-23T11:33:21Z"


def _version(request: Request) -> dict[str, object]:
    base = str(request.base_url).rstrip("/")
    return {
        "id": "v2.1",
        "status": "CURRENT",
        "version": str(MAXIMUM),
        "min_version": str(MINIMUM),
        "updated": _UPDATED,
        "links": [{"rel": "self", "href": f"{base}/v2.1/"}],
    }


def _v2(request: Request) -> dict[str, object]:
    """nova's v2.0-compatible endpoint: the v2.1 API at 2.1, microversion headers ignored."""
    base = str(request.base_url).rstrip("/")
    return {
        "id": "v2.0",
        "status": "SUPPORTED",
        "version": "",
        "min_version": "",
        "updated": "2011-01-21T11:33:21Z",
        "links": [{"rel": "self", "href": f"{base}/v2/"}],
    }


@router.get("/")
async def list_versions(request: Request, _ctx: AnonCtx) -> Response:
    return reply({"versions": [_v2(request), _version(request)]})


@router.get("/v2")
@router.get("/v2/")
async def show_v2(request: Request, _ctx: AnonCtx) -> Response:
    doc = _v2(request)
    base = str(request.base_url).rstrip("/")
    doc["links"] = [
        {"rel": "self", "href": f"{base}/v2/"},
        {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"},
    ]
    doc["media-types"] = [
        {"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2"}
    ]
    return reply({"version": doc})


@router.get("/v2.1")
@router.get("/v2.1/")
async def show_version(request: Request, _ctx: AnonCtx) -> Response:
    doc = _version(request)
    base = str(request.base_url).rstrip("/")
    doc["links"] = [
        {"rel": "self", "href": f"{base}/v2.1/"},
        {
            "rel": "describedby",
            "type": "text/html",
            "href": "http://docs.openstack.org/",
        },
    ]
    doc["media-types"] = [
        {"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}
    ]
    return reply({"version": doc})


# Upstream compute routes this service does not serve yet: 501, never a pretend success.
_NOT_SERVED = (
    "os-server-external-events",
    "os-volumes",
    "os-volumes_boot",
    "os-snapshots",
    "os-cells",
    "os-baremetal-nodes",
    "os-console-auth-tokens",
)


@router.api_route("/v2.1/{rest:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"])
async def not_served(rest: str, _ctx: AnonCtx) -> Response:
    head = rest.split("/", 1)[0]
    if head in _NOT_SERVED:
        raise NotImplementedYet(f"The compute API '/{head}' is not implemented by Stratus yet.")
    raise NotFound("The resource could not be found.")


class LegacyV2:
    """Serves ``/v2/...`` as the v2.1 API pinned at 2.1 (nova's v2 compatibility endpoint):
    the path is rewritten and microversion headers are dropped. ``/v2`` itself keeps its own
    version document."""

    _DROP = (b"openstack-api-version", b"x-openstack-nova-api-version")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            root = scope.get("root_path", "")
            path: str = scope["path"]
            relative = path[len(root) :] if root and path.startswith(root) else path
            if relative.startswith("/v2/") and relative != "/v2/":
                scope = dict(scope)
                scope["path"] = path[: len(path) - len(relative)] + "/v2.1/" + relative[4:]
                scope["raw_path"] = scope["path"].encode()
                scope["headers"] = [
                    (k, v) for k, v in scope["headers"] if k.lower() not in self._DROP
                ]

        async def send_with_compute_id(message: Message) -> None:
            # nova answers with its request id under both names
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                for key, value in headers:
                    if key.lower() == b"x-openstack-request-id":
                        headers.append((b"x-compute-request-id", value))
                        break
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_compute_id)
