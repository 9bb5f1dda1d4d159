"""The object storage service's entry in the registry: Swift v1 at ``/object-store``."""

from starlette.types import ASGIApp

from stratus.api.errors import plain_error
from stratus.api.runtime import Runtime
from stratus.api.service import CatalogEntry, ServiceSpec, make_service_app
from stratus.services.object_store import config
from stratus.services.object_store.api.routes import router
from stratus.services.object_store.client import ObjectStoreClient
from stratus.services.object_store.store import sweep_partials


def _streamed(path: str) -> bool:
    """Every Swift body is streamed (objects) or read with its own cap (bulk, manifests)."""
    return True


def build(runtime: Runtime) -> ASGIApp:
    return make_service_app(
        runtime=runtime,
        routers=[router],
        formatter=plain_error,
        body_limit_exempt=_streamed,
        title="stratus object-store",
    )


async def bootstrap(runtime: Runtime) -> None:
    # A mistyped option (e.g. under ratelimit) stops the start, not the first request.
    config.load(runtime.settings)
    runtime.clients.setdefault("object-store", ObjectStoreClient(runtime))
    # Uploads cut short by a crash leave their temporary files: they were never visible.
    await sweep_partials(runtime.settings.data_dir / "objects" / "tmp")


SPEC = ServiceSpec(
    service_type="object-store",
    mount="/object-store",
    catalog=(
        CatalogEntry(
            type="object-store", name="swift", suffix="/object-store/v1/AUTH_$(project_id)s"
        ),
    ),
    build=build,
    bootstrap=bootstrap,
)
