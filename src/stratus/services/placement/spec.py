"""Placement's service spec: mounted at /placement, catalog type "placement"."""

from starlette.types import ASGIApp

from stratus.api.errors import placement_error
from stratus.api.runtime import Runtime
from stratus.api.service import CatalogEntry, ServiceSpec, make_service_app
from stratus.services.placement import policies  # noqa: F401  (registers defaults)
from stratus.services.placement.api.http import HtmlErrors
from stratus.services.placement.api.routes import build_router
from stratus.services.placement.api.versions import MICROVERSION
from stratus.services.placement.client import PlacementClient
from stratus.services.placement.service import PlacementService


def _service(runtime: Runtime) -> PlacementService:
    client = runtime.clients.get("placement")
    if isinstance(client, PlacementClient):
        return client.service
    svc = PlacementService(runtime.db)
    runtime.clients["placement"] = PlacementClient(svc)
    return svc


def build(runtime: Runtime) -> ASGIApp:
    svc = _service(runtime)
    return HtmlErrors(
        make_service_app(
            runtime=runtime,
            routers=[build_router(svc)],
            formatter=placement_error,
            microversion=MICROVERSION,
            title="placement",
        )
    )


async def bootstrap(runtime: Runtime) -> None:
    await _service(runtime).sync_standard_names()


SPEC = ServiceSpec(
    service_type="placement",
    mount="/placement",
    catalog=(CatalogEntry(type="placement", name="placement", suffix="/placement"),),
    build=build,
    bootstrap=bootstrap,
)
