"""nova-api-metadata as an ASGI app: the path after the mount is nova's (``/``,
``/openstack/latest/meta_data.json``, ``/latest/meta-data/hostname``, ...), answers are
plain text or JSON, errors are bare status texts (webob's), never the compute API's bodies."""

import logging
import uuid

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from stratus.services.compute.metadata.service import (
    MetadataRequestError,
    MetadataService,
)
from stratus.services.compute.metadata.tree import EC2_VERSIONS, PathNotFound

log = logging.getLogger(__name__)

_REASONS = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed"}
_REASONS.update({409: "Conflict", 500: "Internal Server Error"})


def _error(status: int, message: str = "") -> Response:
    reason = _REASONS.get(status, "Error")
    body = f"{status} {reason}\n\n{message or 'The resource could not be found.'}\n\n"
    return Response(body, status_code=status, media_type="text/plain")


class MetadataApp:
    def __init__(self, service: MetadataService) -> None:
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        try:
            response = await self.handle(request)
        except MetadataRequestError as err:
            response = _error(err.status, err.message)
        except Exception:
            log.exception("metadata request failed")
            response = _error(500, "An unknown error has occurred. Please try your request again.")
        response.headers["x-openstack-request-id"] = f"req-{uuid.uuid4()}"
        await response(scope, receive, send)

    def _path(self, request: Request) -> str:
        root: str = request.scope.get("root_path", "")
        path: str = request.scope["path"]
        return path[len(root) :] if root and path.startswith(root) else path

    def _address(self, request: Request) -> str | None:
        forwarded = request.headers.get("X-Forwarded-For")
        if forwarded and (
            self.service.cfg.service_metadata_proxy or self.service.cfg.use_forwarded_for
        ):
            return forwarded.split(",")[0].strip()
        return request.client.host if request.client else None

    async def handle(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD", "POST"):
            return _error(405, "The method is not allowed for this resource.")
        path = self._path(request)
        if path.strip("/") == "":
            return Response("\n".join([*EC2_VERSIONS, "latest"]), media_type="text/plain")
        headers = request.headers
        address = self._address(request)
        if self.service.cfg.service_metadata_proxy:
            md = await self.service.for_proxied_request(
                headers.get("X-Instance-ID"),
                headers.get("X-Tenant-ID"),
                headers.get("X-Instance-ID-Signature"),
                address=address,
            )
        else:
            md = await self.service.for_address(address, headers.get("X-Tenant-ID"))
        try:
            leaf = md.lookup(path)
        except PathNotFound:
            return _error(404)
        if request.method == "POST":
            if not leaf.password:
                return _error(405, "The method is not allowed for this resource.")
            await self.service.post_password(md.facts.uuid, await request.body())
            return Response(b"", media_type="text/plain")
        return Response(leaf.body, media_type=leaf.content_type)
